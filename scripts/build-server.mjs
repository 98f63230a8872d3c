// `npm run build:server`: the server compiled to JavaScript for the `tollgate-server` package (packages/server),
// laid out as in the repo (server/, src/contract/, demo/, dist/ with the built widgets) so every path the server
// finds its files by is the same whether it runs from source under tsx or from the package under plain Node.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'packages/server');
const bin = (name) => join(root, 'node_modules/.bin', name);

if (!existsSync(join(root, 'dist/tollgate.js'))) {
  console.error('build-server: dist/tollgate.js is missing; run `npm run build` first (the server serves the widgets)');
  process.exit(1);
}
for (const folder of ['server', 'src', 'demo', 'dist']) rmSync(join(out, folder), { recursive: true, force: true });

// The server's sources and what they import (src/contract), with declarations for createTollgate's types.
mkdirSync(join(root, '.tmp'), { recursive: true });
const tsconfig = join(root, '.tmp/tsconfig.server.json');
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: '../tsconfig.json',
    compilerOptions: { noEmit: false, declaration: true, outDir: '../packages/server', rootDir: '..', types: ['node'], sourceMap: false },
    include: ['../server/**/*.ts'],
  }),
);
const tsc = spawnSync(bin('tsc'), ['-p', tsconfig], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('build-server: tsc failed');
  process.exit(tsc.status ?? 1);
}

// Files the server reads at run time next to its code (the sandbox's checkout.js).
function walk(dir) {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
}
for (const file of walk(join(root, 'server')).filter((f) => !f.endsWith('.ts'))) {
  const target = join(out, relative(root, file));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(file, target);
}

// The demo and hand-off pages, and the widgets the server serves (/tollgate.js, its chunks, one file per element).
cpSync(join(root, 'demo'), join(out, 'demo'), { recursive: true });
mkdirSync(join(out, 'dist'), { recursive: true });
for (const name of ['tollgate.js', 'tollgate.iife.js', 'chunks', 'elements']) cpSync(join(root, 'dist', name), join(out, 'dist', name), { recursive: true });
if (existsSync(join(root, 'LICENSE'))) cpSync(join(root, 'LICENSE'), join(out, 'LICENSE'));

// `tollgate` on the PATH runs the CLI with plain Node.
const cli = join(out, 'server/cli.js');
const text = readFileSync(cli, 'utf8');
if (!text.startsWith('#!')) writeFileSync(cli, `#!/usr/bin/env node\n${text}`);
chmodSync(cli, 0o755);
console.log(`build-server: ${relative(root, out)}/ (server/, src/contract/, demo/, dist/)`);
