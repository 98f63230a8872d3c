// Configuration: the default catalog, zod errors that name the field and the fix, unknown keys refused with
// the closest valid key, secrets only from the environment, and start-up errors for half-configured live providers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, loadServerConfig, parseConfig } from '../../server/config.js';
import { makeServer, testStore } from './helpers.js';

test('the default catalog has free, pro (159900 INR monthly via Razorpay, USD via Stripe) and team', () => {
  const cfg = parseConfig(DEFAULT_CONFIG);
  assert.deepEqual(cfg.plans.map((p) => p.id), ['free', 'pro', 'pro-autopay', 'team']);
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

test('npm start -- --help and --version answer without building or starting; a wrong argument is refused (exit 2)', () => {
  // scripts/start.mjs as `npm start` runs it; a DATA_DIR that must stay untouched (nothing opens the store).
  const dir = mkdtempSync(join(tmpdir(), 'tg-help-'));
  const env = { ...process.env, PORT: '0', DATA_DIR: join(dir, 'data') };
  const start = (...args: string[]) => spawnSync(process.execPath, ['scripts/start.mjs', ...args], { env, encoding: 'utf8', timeout: 30_000 });
  const help = start('--help');
  assert.equal(help.status, 0, help.stderr);
  for (const name of ['PORT', 'HOST', 'DATABASE_URL', 'DATA_DIR', 'TOLLGATE_CONFIG', 'TOLLGATE_API_KEY', 'TOLLGATE_SESSION_SECRET']) assert.match(help.stdout, new RegExp(`\\b${name}\\b`));
  assert.match(help.stdout, /HOST\s+address to listen on \(default 0\.0\.0\.0/);
  assert.doesNotMatch(help.stdout, /Tollgate is running|building the widgets/);
  const version = start('-v');
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^tollgate \d+\.\d+\.\d+\n$/);
  const typo = start('--prot', '9000');
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown argument "--prot"/);
  assert.equal(existsSync(join(dir, 'data')), false, 'no store was opened');
});

test('unknown keys are refused with their path and the closest valid key, at every level of the file', () => {
  const typos = {
    ...DEFAULT_CONFIG,
    rate_limit: { ip: { limit: 1, window_s: 60 } },
    alowed_origins: ['https://app.example'],
    rate_limits: { ip: { limit: 60, window_s: 60, windw_s: 30 } },
    external_jwt: { secret_env: 'SUPABASE_JWT_SECRET', audiance: 'authenticated' },
    routing: { default_curency: 'USD' },
    metrics: [{ id: 'messages', label: 'Messages', lable_one: 'Message' }],
    plans: [{ id: 'free', name: 'Free', feature: [], prices: [{ provider: 'razorpay', currency: 'INR', amount: 100, interval: 'month', intervall: 'year' }] }],
    providers: { razorpay: { theme_colour: '#000000' }, strpe: {} },
  };
  assert.throws(
    () => parseConfig(typos, 'test.json'),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /\(top level\): unknown keys "rate_limit" \(did you mean "rate_limits"\?\), "alowed_origins" \(did you mean "allowed_origins"\?\)/);
      assert.match(err.message, /rate_limits\.ip: unknown key "windw_s" \(did you mean "window_s"\?\)/);
      assert.match(err.message, /external_jwt: unknown key "audiance" \(did you mean "audience"\?\)/);
      assert.match(err.message, /routing: unknown key "default_curency" \(did you mean "default_currency"\?\)/);
      assert.match(err.message, /metrics\[0\]: unknown key "lable_one" \(did you mean "label_one"\?\)/);
      assert.match(err.message, /plans\[0\]: unknown key "feature" \(did you mean "features"\?\)/);
      assert.match(err.message, /plans\[0\]\.prices\[0\]: unknown key "intervall" \(did you mean "interval"\?\)/);
      assert.match(err.message, /providers\.razorpay: unknown key "theme_colour" \(did you mean "theme_color"\?\)/);
      assert.match(err.message, /providers: unknown key "strpe" \(did you mean "stripe"\?\)/);
      return true;
    },
  );
});

test("a provider's own section refuses unknown keys the same way, at start-up", async () => {
  const store = await testStore('pglite');
  try {
    const typo = async (providers: Record<string, unknown>, expected: RegExp) =>
      assert.rejects(makeServer({ store, file: { providers: { razorpay: {}, ...providers } } }), (err: Error) => err instanceof ConfigError && expected.test(err.message));
    await typo({ stripe: { portal_config: 'bpc_1' } }, /^providers\.stripe: unknown key "portal_config" \(did you mean "portal_configuration"\?\)/);
    await typo({ mintbot: { langauge: 'en' } }, /^providers\.mintbot: unknown key "langauge" \(did you mean "language"\?\)/);
    await typo({ mimicbot: { customer_token: true } }, /^providers\.mimicbot: unknown key "customer_token" \(did you mean "customer_tokens"\?\)/);
    await typo({ mintoken: { theme_colour: '#FF6B1A' } }, /^providers\.mintoken: unknown key "theme_colour" \(did you mean "theme_color"\?\)/);
    await typo({ bonzai: { product_uid: 'xBgq3Z3J' } }, /^providers\.bonzai: unknown key "product_uid" \(did you mean "product_uuid"\?\)/);
  } finally {
    await store.close();
  }
});

test("every config in the repo parses: examples/, the README's example, the demo's default", () => {
  const dir = join(import.meta.dirname, '../../examples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 4, files.join(', '));
  for (const f of files) parseConfig(JSON.parse(readFileSync(join(dir, f), 'utf8')), `examples/${f}`);
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>).filter((b) => 'plans' in b);
  assert.ok(blocks.length >= 1, 'the README has a config example');
  for (const b of blocks) parseConfig(b, 'README.md');
  parseConfig(DEFAULT_CONFIG, 'default config');
});

test('rate_limits.api_key defaults to 600,000 / 60 s (a backend checks on every request); trust_proxy takes addresses and CIDR blocks, and names a bad one', () => {
  const cfg = parseConfig(DEFAULT_CONFIG);
  assert.deepEqual(cfg.rate_limits.api_key, { limit: 600_000, window_s: 60 });
  assert.equal(cfg.trust_proxy, undefined);
  const proxied = parseConfig({ ...DEFAULT_CONFIG, trust_proxy: { proxies: ['10.0.0.0/8', '::1', 'fd00::/8', '192.168.1.7'] } });
  assert.deepEqual(proxied.trust_proxy, { proxies: ['10.0.0.0/8', '::1', 'fd00::/8', '192.168.1.7'], header: 'x-forwarded-for' });
  assert.throws(() => parseConfig({ ...DEFAULT_CONFIG, trust_proxy: { proxies: ['10.0.0.0/33', 'proxy.internal'], header: 'x-real-ip' } }), (err: Error) => {
    assert.match(err.message, /trust_proxy\.proxies\[0\]: use an IP address or a CIDR block/);
    assert.match(err.message, /trust_proxy\.proxies\[1\]: use an IP address or a CIDR block/);
    assert.match(err.message, /trust_proxy\.header: /);
    return true;
  });
});
