// Runs after `vite build`: the per-element and IIFE builds, `.d.ts` types into dist/types/ and the
// custom-elements manifest dist/custom-elements.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

function run(label, command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`build-extras: ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

run('elements build', bin('vite'), ['build', '--logLevel', 'warn'], { TOLLGATE_BUILD: 'elements' });
run('iife build', bin('vite'), ['build', '--logLevel', 'warn'], { TOLLGATE_BUILD: 'iife' });

// Declarations for the browser code only (the contract's zod import stays type-only in users' eyes).
mkdirSync(`${root}.tmp`, { recursive: true });
const tsconfig = `${root}.tmp/tsconfig.types.json`;
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: '../tsconfig.json',
    compilerOptions: {
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      outDir: '../dist/types',
      rootDir: '../src',
      types: [],
    },
    include: ['../src'],
  }),
);
rmSync(`${root}dist/types`, { recursive: true, force: true });
run('types', bin('tsc'), ['-p', tsconfig]);

run('custom-elements manifest', bin('custom-elements-manifest'), [
  'analyze',
  '--litelement',
  '--globs',
  'src/components/**/*.ts',
  'src/base/*.ts',
  '--outdir',
  'dist',
]);
console.log('build-extras: dist/elements/, dist/tollgate.iife.js, dist/types/, dist/custom-elements.json');
