// `npm start`: build the widgets only when dist/ is not the build of the current sources (scripts/build-stamp.mjs),
// then run the server (server/cli.ts) in this process under tsx's loader.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sourcesHash, staleReason, writeStamp } from './build-stamp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

// Only serving needs the widgets: `migrate`, `check-config`, `--help`, `--version` (and a wrong argument) are
// answered by server/cli.ts without them.
const args = process.argv.slice(2);
const serving = args.length === 0 || (args.length === 1 && args[0] === 'start');
const stale = serving ? staleReason(root) : null;
if (stale) {
  console.log(`tollgate: building the widgets (${stale})`);
  const sources = sourcesHash(root);
  // npm sets npm_execpath for the scripts it runs; `npm` on the PATH otherwise.
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const build = spawnSync(npm[0], [...npm[1], 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  writeStamp(root, sources);
}

const { register } = await import('tsx/esm/api');
register();
await import('../server/cli.ts');
