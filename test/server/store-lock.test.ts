// One process per PGlite data folder: a second real server on the same DATA_DIR refuses to start, naming the
// folder and the process that has it; a lock left by a SIGKILLed server does not block the next start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../server/store/index.js';
import { LOCK_FILE } from '../../server/store/lock.js';
import { TEST_ENV } from './helpers.js';
import { refusedStart, spawnServer } from './server-process.js';

describe('the PGlite data folder lock', () => {
  let dir: string;
  let dataDir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-lock-'));
    dataDir = join(dir, 'data');
    env = { ...TEST_ENV, DATA_DIR: dataDir, TOLLGATE_SANDBOX: '1' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a second server on the same DATA_DIR refuses to start, naming the folder and the first one; a SIGKILLed holder blocks nothing', { timeout: 240_000 }, async () => {
    const first = await spawnServer(env);
    try {
      const holder = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'));
      assert.equal(holder.pid, first.pid);

      const second = await refusedStart(env);
      assert.equal(second.started, false, `the second server started on the same folder:\n${second.output}`);
      assert.equal(second.code, 1, second.output);
      assert.match(second.output, /^tollgate: failed to start: DATA_DIR \S+ is in use by another Tollgate process \(pid (\d+), started /m);
      assert.ok(second.output.includes(`DATA_DIR ${dataDir} is in use`), second.output);
      assert.ok(second.output.includes(`(pid ${first.pid}, `), second.output);
      assert.doesNotMatch(second.output, /\n\s+at /, 'a clean message, no stack');
      // The first one is unharmed, and its lock is still its own.
      assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
      assert.equal(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).pid, first.pid);
    } finally {
      await first.stop('SIGKILL');
    }

    // kill -9 left its lock behind; its process is gone, so the next start takes it over.
    assert.ok(existsSync(join(dataDir, LOCK_FILE)));
    const next = await spawnServer(env);
    try {
      assert.equal(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).pid, next.pid);
      assert.equal((await fetch(`${next.url}/healthz`)).status, 200);
    } finally {
      await next.stop('SIGTERM');
    }
    assert.equal(await next.exited, 0, next.output());
    assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, 'a clean stop releases the lock');
  });

  test('one process cannot open the same folder twice; closing releases it', { timeout: 60_000 }, async () => {
    const folder = join(dir, 'in-process');
    const store = await openStore({ dataDir: folder });
    await assert.rejects(openStore({ dataDir: folder }), /DATA_DIR \S+ is already open in this process/);
    await store.close();
    const again = await openStore({ dataDir: folder });
    assert.equal((await again.query<{ one: number }>('SELECT 1 AS one'))[0].one, 1);
    await again.close();
    assert.equal(existsSync(join(folder, LOCK_FILE)), false);
  });
});
