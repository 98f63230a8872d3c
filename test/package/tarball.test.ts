// The packed tarball: only the browser build, README and LICENSE (no tests, fakes, screenshots or server sources),
// every `exports` target in it, and publint and @arethetypeswrong/cli clean on it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../e2e/harness.js';
import { pack, removeDir, run, type Packed } from './consumer.js';

let packed: Packed;

before(() => {
  packed = pack();
});

after(() => removeDir(packed?.dir));

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

/** Every file an `exports` entry names, under every condition. */
function exportTargets(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
  return Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
}

describe('npm pack', () => {
  test('holds dist/, README.md, LICENSE and the manifest, and nothing of the tests or the server', () => {
    for (const file of ['LICENSE', 'README.md', 'package.json', 'dist/custom-elements.json', 'dist/openapi.json', 'dist/index.js', 'dist/react.js', 'dist/tollgate.js', 'dist/tollgate.iife.js']) {
      assert.ok(packed.files.includes(file), `${file} is in the tarball`);
    }
    const stray = packed.files.filter((f) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(f) || /\.test\.|fakes|screenshot|\.png$|^dist\/\.build-stamp$|(?<!\.d)\.ts$/.test(f));
    assert.deepEqual(stray, [], 'files that do not belong in the package');
    assert.ok(packed.files.some((f) => f.startsWith('dist/node/')), 'the Node build');
    assert.ok(packed.files.some((f) => f.startsWith('dist/types/') && f.endsWith('.d.ts')), 'the types');
  });

  test('every file the exports map names is in it', () => {
    const missing = exportTargets()
      .map((target) => target.replace(/^\.\//, ''))
      .filter((target) => !packed.files.includes(target));
    assert.deepEqual(missing, []);
  });

  test('the manifest\'s module paths point at dist/ files in the tarball', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'dist/custom-elements.json'), 'utf8')) as { modules: { path: string }[] };
    const paths = manifest.modules.map((m) => m.path);
    assert.ok(paths.includes('dist/elements/plan-picker.js'));
    assert.deepEqual(paths.filter((p) => !packed.files.includes(p)), []);
  });

  test('publint: all good', async () => {
    const result = await run(bin('publint'), ['--strict', packed.tarball], ROOT);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /All good!/);
  });

  test('@arethetypeswrong/cli: no problem in node16 (ESM) and bundler resolution (an ESM-only package)', async () => {
    const result = await run(bin('attw'), [packed.tarball, '--profile', 'esm-only', '--format', 'ascii'], ROOT);
    assert.equal(result.code, 0, result.output);
    // One line per entry and resolution mode: "node16 (from ESM): 🟢 (ESM)", "bundler: 🟢".
    const lines = result.output.split('\n').filter((line) => /^(node16 \(from ESM\)|bundler):/.test(line));
    assert.ok(lines.length >= 2 * 10, `attw checked every entry in both modes:\n${result.output}`);
    assert.deepEqual(lines.filter((line) => !line.includes('🟢')), [], result.output);
  });
});
