// Configuration: the default catalog, zod errors that name the field and the fix, secrets only from the
// environment, and start-up errors for half-configured live providers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, loadServerConfig, parseConfig } from '../../server/config.js';

test('the default catalog has free, pro (159900 INR monthly via Razorpay, USD via Stripe) and team', () => {
  const cfg = parseConfig(DEFAULT_CONFIG);
  assert.deepEqual(cfg.plans.map((p) => p.id), ['free', 'pro', 'team']);
  const pro = cfg.plans[1];
  assert.ok(pro.prices.some((p) => p.provider === 'razorpay' && p.currency === 'INR' && p.amount === 159900 && p.interval === 'month'));
  assert.ok(pro.prices.some((p) => p.provider === 'stripe' && p.currency === 'USD'));
  assert.equal(cfg.plans[0].prices.length, 0);
  for (const plan of cfg.plans) assert.ok(Object.keys(plan.limits).length >= 2 && plan.features.length >= 1);
});

test('a bad config names each field and how to fix it', () => {
  const bad = { ...DEFAULT_CONFIG, session_ttl_seconds: 7200, plans: [{ id: 'Pro Plan', name: 'Pro', prices: [{ provider: 'razorpay', currency: 'inr', amount: 1599.5, interval: 'month' }], limits: { tokens: 5 } }] };
  assert.throws(
    () => parseConfig(bad, 'test.json'),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /session_ttl_seconds: session tokens live at most 1 h/);
      assert.match(err.message, /plans\[0\]\.id: use a lower-case slug/);
      assert.match(err.message, /plans\[0\]\.prices\[0\]\.currency: use an upper-case ISO 4217 code/);
      assert.match(err.message, /plans\[0\]\.prices\[0\]\.amount: give the amount as an integer in minor units/);
      return true;
    },
  );
  // Cross-field checks run once every field has the right shape.
  const shaped = { ...DEFAULT_CONFIG, plans: [{ id: 'pro', name: 'Pro', limits: { tokens: 5 } }, { id: 'pro', name: 'Pro again' }] };
  assert.throws(() => parseConfig(shaped), (err: Error) => {
    assert.match(err.message, /plans\[0\]\.limits\.tokens: unknown metric "tokens"; add it to "metrics"/);
    assert.match(err.message, /plans\[1\]\.id: plan id "pro" is used twice/);
    assert.match(err.message, /free_plan: no plan "free" in "plans"/);
    return true;
  });
});

test('unreadable or non-JSON config files say so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, '{ "plans": [ }');
  assert.throws(() => loadConfigFile(file), /is not valid JSON/);
  assert.throws(() => loadConfigFile(join(dir, 'missing.json')), /cannot be read \(ENOENT\)/);
});

test('no provider credentials → sandbox with generated secrets; all three → live; some → start-up error', () => {
  const sandbox = loadServerConfig({});
  assert.equal(sandbox.sandbox, true);
  assert.equal(sandbox.razorpay.mode, 'sandbox');
  assert.equal(sandbox.razorpay.keySecret.length, 48);
  const live = loadServerConfig({ RAZORPAY_KEY_ID: 'rzp_live_x', RAZORPAY_KEY_SECRET: 's', RAZORPAY_WEBHOOK_SECRET: 'w', RAZORPAY_API_BASE: 'http://127.0.0.1:9' });
  assert.equal(live.razorpay.mode, 'live');
  assert.equal(live.razorpay.apiBase, 'http://127.0.0.1:9');
  assert.throws(() => loadServerConfig({ RAZORPAY_KEY_ID: 'rzp_live_x' }), /RAZORPAY_KEY_ID is set but RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET are missing/);
});

test('outside sandbox, missing session secret or API key is a start-up error; sandbox off leaves Razorpay unavailable', () => {
  assert.throws(() => loadServerConfig({ TOLLGATE_SANDBOX: '0' }), /TOLLGATE_SESSION_SECRET is missing/);
  assert.throws(() => loadServerConfig({ TOLLGATE_SANDBOX: '0', TOLLGATE_SESSION_SECRET: 'x'.repeat(40) }), /TOLLGATE_API_KEY is missing/);
  assert.throws(() => loadServerConfig({ TOLLGATE_SANDBOX: '0', TOLLGATE_SESSION_SECRET: 'short' }), /too short/);
  const cfg = loadServerConfig({ TOLLGATE_SANDBOX: '0', TOLLGATE_SESSION_SECRET: 'x'.repeat(40), TOLLGATE_API_KEY: 'k' });
  assert.equal(cfg.razorpay.mode, 'unavailable');
  assert.throws(() => loadServerConfig({ TOLLGATE_SANDBOX: 'maybe' }), /TOLLGATE_SANDBOX=maybe is not a boolean/);
});

test('the CLI exits non-zero with the field and the fix on a bad config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ plans: [{ id: 'free', name: 'Free', prices: [{ provider: 'paypal', currency: 'USD', amount: 100, interval: 'month' }] }] }));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts'], { env: { ...process.env, TOLLGATE_CONFIG: file, PORT: '0' }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /configuration error/);
  assert.match(run.stderr, /plans\[0\]\.prices\[0\]\.provider/);
  const half = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts'], { env: { ...process.env, TOLLGATE_CONFIG: '', RAZORPAY_KEY_ID: 'rzp_live_abc', PORT: '0' }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(half.status, 1);
  assert.match(half.stderr, /RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET are missing/);
  assert.doesNotMatch(half.stderr + half.stdout, /rzp_live_abc/);
});
