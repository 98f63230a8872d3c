// The Bonzai poller with injected timers: started only when configured, unref()'d, never overlapping, stoppable,
// and a tick's failure is logged, not thrown.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPoller, type PollerTimers } from '../../server/providers/bonzai/poller.js';
import { createBonzaiProvider } from '../../server/providers/bonzai/index.js';
import { createMemoryLogger } from '../../server/log.js';
import { makeServer, testStore } from './helpers.js';
import type { ConfigFile } from '../../server/config.js';

const BONZAI_FILE: Partial<ConfigFile> = {
  plans: [
    { id: 'free', name: 'Free', features: [], limits: {}, popular: false, trial_days: 0, prices: [] },
    { id: 'pro', name: 'Pro', features: [], limits: {}, popular: false, trial_days: 0, prices: [{ provider: 'bonzai', currency: 'EUR', amount: 1900, interval: 'month' }] },
  ],
  providers: { razorpay: {}, bonzai: { product_uuid: 'xBgq3Z3J', poll_interval_s: 0 } },
};

function fakeTimers() {
  const state = { fn: null as (() => void) | null, ms: 0, cleared: false, unrefed: false };
  const timers: PollerTimers = {
    setInterval(fn, ms) {
      state.fn = fn;
      state.ms = ms;
      return { unref: () => void (state.unrefed = true) };
    },
    clearInterval: () => void (state.cleared = true),
  };
  return { state, timers };
}

describe('Bonzai poller', () => {
  test('ticks on the interval, never overlaps, logs failures, stops', async () => {
    const { state, timers } = fakeTimers();
    const log = createMemoryLogger();
    let calls = 0;
    let release!: () => void;
    const poller = startPoller({ name: 'bonzai', intervalMs: 5000, log, timers, tick: () => { calls += 1; return new Promise<void>((r) => (release = r)); } });
    assert.equal(state.ms, 5000);
    assert.equal(state.unrefed, true);
    state.fn!();
    state.fn!(); // the first tick is still running: skipped
    assert.equal(calls, 1);
    release();
    await poller.idle();
    const failing = startPoller({ name: 'bonzai', intervalMs: 10, log, timers, tick: async () => { throw new Error('boom'); } });
    state.fn!();
    await failing.idle();
    assert.ok(log.lines.some((l) => l.includes('poller tick failed') && l.includes('boom')));
    poller.stop();
    assert.equal(state.cleared, true);
    state.fn!();
    assert.equal(calls, 1, 'no tick after stop');
  });

  test('the provider starts it only with a token and poll_interval_s > 0', async () => {
    const store = await testStore();
    try {
      const base = await makeServer({ store, env: { BONZAI_API_TOKEN: 't', BONZAI_API_BASE: 'http://127.0.0.1:9' }, file: BONZAI_FILE });
      const deps = { ...base.deps, fetch: globalThis.fetch, deliverToSelf: async () => new Response() };
      const on = fakeTimers();
      const withPoller = createBonzaiProvider({ ...deps, config: { ...deps.config, file: { ...deps.config.file, providers: { ...deps.config.file.providers, bonzai: { product_uuid: 'xBgq3Z3J', poll_interval_s: 30 } } } } }, { timers: on.timers });
      assert.equal(on.state.ms, 30_000);
      withPoller.stopPolling();
      assert.equal(on.state.cleared, true);
      const off = fakeTimers();
      createBonzaiProvider(deps, { timers: off.timers }); // BONZAI_FILE sets poll_interval_s: 0
      assert.equal(off.state.fn, null);
      const noToken = fakeTimers();
      createBonzaiProvider({ ...deps, config: { ...deps.config, env: {}, file: { ...deps.config.file, providers: { razorpay: {}, bonzai: { product_uuid: 'x', poll_interval_s: 30 } } } } }, { timers: noToken.timers });
      assert.equal(noToken.state.fn, null);
    } finally {
      await store.close();
    }
  });
});
