// Prints the gzip size of every built file and of what a page really loads, and fails over budget:
// every element together (tollgate.js, and the npm entry index.js) ≤ 25 KB gzip, one element (with Lit and its shared chunks) ≤ 14.25 KB (14 KB until
// the page-wide answer cache and its SSR guard, issue 11: plan-picker was at 14,329 bytes before them) + 268 B (issue 15: the promotion
// code toggle in the shared chunk and <plan-picker>'s `promotion-codes`, plan-picker 14,511 → 14,779 bytes; the field itself loads lazily)
// + 104 B (issue 15: <plan-picker>'s `business-details` hook, plan-picker 14,938 → 15,042 bytes, its growth as above; the form loads lazily). The IIFE
// inlines every lazy chunk: 29 KB until the business details form (2.2 KB gzip with its Hindi), 28.76 → 30.88 KB.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const KB = 1024;
const BUDGET_ALL = 25 * KB;
const BUDGET_ONE = 14.25 * KB + 268 + 118 + 104;

if (!existsSync(join(dist, 'tollgate.js'))) {
  console.error('size: dist/tollgate.js is missing; run `npm run build` first');
  process.exit(1);
}

const gzip = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (bytes) => (bytes / KB).toFixed(2).padStart(6) + ' KB';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The file plus every chunk it imports statically (what loads before it runs); dynamic imports excluded. */
function staticClosure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  for (const match of code.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]*from\s*)?["'`](\.{1,2}\/[^"'`]+)["'`]/g)) {
    staticClosure(resolve(dirname(file), match[1]), seen);
  }
  return seen;
}

// dist/node/ is the Node build (SSR, test runners): no page loads it.
const files = walk(dist).filter((f) => /\.js$/.test(f) && !relative(dist, f).startsWith('node'));
const rows = files.map((f) => ({ file: relative(dist, f), raw: statSync(f).size, gz: gzip(f) }));
const pad = Math.max(...rows.map((r) => r.file.length), 28);
console.log(`${'file'.padEnd(pad)}  ${'raw'.padStart(9)}  ${'gzip'.padStart(9)}`);
for (const row of rows.sort((a, b) => a.file.localeCompare(b.file))) {
  console.log(`${row.file.padEnd(pad)}  ${kb(row.raw)}  ${kb(row.gz)}`);
}

let failed = false;
console.log('\nwhat a page loads (static imports, gzip of each file summed)');
const check = (label, entry, budget) => {
  const closure = [...staticClosure(join(dist, entry))];
  const total = closure.reduce((sum, f) => sum + gzip(f), 0);
  const over = total > budget;
  failed ||= over;
  console.log(`${label.padEnd(pad)}  ${kb(total)}  budget ${kb(budget)}  ${over ? 'OVER' : 'ok'}`);
};
check('all elements (tollgate.js)', 'tollgate.js', BUDGET_ALL);
check('all elements (npm: index.js)', 'index.js', BUDGET_ALL);
check('all elements (tollgate.iife.js)', 'tollgate.iife.js', BUDGET_ALL + 6 * KB);
for (const entry of readdirSync(join(dist, 'elements')).sort()) {
  check(`one element: ${entry}`, join('elements', entry), BUDGET_ONE);
}
if (failed) {
  console.error('\nsize: over budget');
  process.exit(1);
}
