// `npm start` builds only when dist/ is not the build of the current sources (scripts/build-stamp.mjs): run on a
// temporary project folder, a missing or partial dist/ and every change to what the build reads make it stale,
// and a touch that changes no byte (a git checkout) does not.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// @ts-expect-error: a plain .mjs script without declarations
import { sourcesHash, staleReason, writeStamp } from '../../scripts/build-stamp.mjs';

let root: string;

function write(path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** What `npm start` would do after a build: dist/ with its files, and the stamp of the sources it was built from. */
function build() {
  const sources = sourcesHash(root);
  write('dist/tollgate.js', 'export {};');
  write('dist/elements/plan-picker.js', 'export {};');
  writeStamp(root, sources);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tollgate-stamp-'));
  write('src/index.ts', 'export const a = 1;');
  write('src/components/plan-picker/plan-picker.ts', 'export class PlanPicker {}');
  write('vite.config.ts', 'export default {};');
  write('scripts/build-extras.mjs', '');
  write('tsconfig.json', '{}');
  write('package.json', '{"name":"x"}');
  write('package-lock.json', '{}');
  write('server/app.ts', 'export {};');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('when there is no build', () => {
  test('a missing dist/ is stale', () => {
    assert.equal(staleReason(root), 'no build in dist/');
  });

  test('a dist/ without a stamp (built by hand, or by an older npm start) is stale', () => {
    write('dist/tollgate.js', 'export {};');
    assert.equal(staleReason(root), 'dist/ has no build stamp');
  });
});

describe('when dist/ is the build of the sources', () => {
  beforeEach(build);

  test('it is current', () => {
    assert.equal(staleReason(root), null);
  });

  test('touching every file without changing a byte (a checkout, a copy) keeps it current', () => {
    const later = new Date(Date.now() + 60_000);
    for (const file of ['src/index.ts', 'vite.config.ts', 'package.json']) utimesSync(join(root, file), later, later);
    assert.equal(staleReason(root), null);
  });

  test('a change outside what the build reads (the server, the README) keeps it current', () => {
    write('server/app.ts', 'export const changed = true;');
    write('README.md', '# x');
    assert.equal(staleReason(root), null);
  });

  for (const file of ['src/index.ts', 'src/components/plan-picker/plan-picker.ts', 'vite.config.ts', 'scripts/build-extras.mjs', 'tsconfig.json', 'package.json', 'package-lock.json']) {
    test(`a change to ${file} makes it stale`, () => {
      write(file, '// changed');
      assert.equal(staleReason(root), 'the sources changed since the last build');
    });
  }

  test('a new source file makes it stale', () => {
    write('src/components/usage-meter/usage-meter.ts', 'export {};');
    assert.equal(staleReason(root), 'the sources changed since the last build');
  });

  test('a deleted source file makes it stale', () => {
    unlinkSync(join(root, 'src/index.ts'));
    assert.equal(staleReason(root), 'the sources changed since the last build');
  });

  test('a renamed source file with the same bytes makes it stale', () => {
    unlinkSync(join(root, 'src/index.ts'));
    write('src/main.ts', 'export const a = 1;');
    assert.equal(staleReason(root), 'the sources changed since the last build');
  });

  test('a file of the build gone from dist/ makes it stale', () => {
    unlinkSync(join(root, 'dist/elements/plan-picker.js'));
    assert.equal(staleReason(root), 'dist/elements/plan-picker.js is missing');
  });

  test('a stamp that is not JSON makes it stale', () => {
    write('dist/.build-stamp', 'not json');
    assert.equal(staleReason(root), 'dist/ has no build stamp');
  });

  test('building again after a change makes it current again', () => {
    write('src/index.ts', 'export const a = 2;');
    build();
    assert.equal(staleReason(root), null);
  });
});
