// Is dist/ the build of the sources as they are now? A content hash of everything that feeds `npm run build`
// (src/, the vite config, build-extras, tsconfig, package.json and its lock), written to dist/.build-stamp
// with the list of files the build made; `npm start` (scripts/start.mjs) builds only when the two differ.
// Content, not mtimes: a git checkout or a copy touches every file without changing what it builds.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** What `npm run build` reads, relative to the project root: folders are read whole. */
export const BUILD_INPUTS = ['src', 'vite.config.ts', 'scripts/build-extras.mjs', 'scripts/contract-types.mjs', 'scripts/framework-types.mjs', 'tsconfig.json', 'package.json', 'package-lock.json'];

export const STAMP = join('dist', '.build-stamp');

/** Every file under `path` (or `path` itself), as paths relative to `root` with `/` separators, sorted. */
function filesOf(root, path) {
  const full = join(root, path);
  const info = statSync(full, { throwIfNoEntry: false });
  if (!info) return [];
  if (!info.isDirectory()) return [path];
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const at = join(dir, entry.name);
      return entry.isDirectory() ? walk(at) : entry.isFile() ? [relative(root, at).split(sep).join('/')] : [];
    });
  return walk(full);
}

/** sha256 over the build inputs' paths and bytes; a missing input counts as absent (so adding it changes the hash). */
export function sourcesHash(root) {
  const hash = createHash('sha256');
  const files = BUILD_INPUTS.flatMap((input) => filesOf(root, input)).sort();
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0');
  return hash.digest('hex');
}

/** Why dist/ is not the build of the current sources, or null when it is. */
export function staleReason(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'));
  } catch {
    return existsSync(join(root, 'dist')) ? 'dist/ has no build stamp' : 'no build in dist/';
  }
  if (stamp.sources !== sourcesHash(root)) return 'the sources changed since the last build';
  const missing = (Array.isArray(stamp.files) ? stamp.files : []).find((file) => !existsSync(join(root, 'dist', file)));
  if (missing || !Array.isArray(stamp.files) || stamp.files.length === 0) return `dist/${missing ?? ''} is missing`;
  return null;
}

/** Record that dist/ now holds the build of the sources whose hash is `sources` (taken before the build ran). */
export function writeStamp(root, sources) {
  const files = filesOf(root, 'dist').map((file) => file.slice('dist/'.length)).filter((file) => file !== '.build-stamp');
  writeFileSync(join(root, STAMP), JSON.stringify({ sources, files }) + '\n');
}
