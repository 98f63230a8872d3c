// Mintoken forward mode against the real-HTTP Mintoken fake: Supabase JWTs checked before anything is
// forwarded, order → Razorpay action → verify → subscription, hand-off refused, error mappings, replayed and concurrent verifies.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { startMintokenFake } from '../fakes/mintoken.js';
import { RAZORPAY_CHECKOUT_JS } from '../../server/providers/razorpay/index.js';
import { ConfigError, type ConfigFile } from '../../server/config.js';
import type { Store } from '../../server/store/index.js';

const SUPABASE_SECRET = 'supabase-jwt-secret-for-tollgate-tests-000000';
const ORDER = 'POST /v1/billing/razorpay/order';
const VERIFY = 'POST /v1/billing/razorpay/verify';

const MINTOKEN_FILE: Partial<ConfigFile> = {
  external_jwt: { secret_env: 'SUPABASE_JWT_SECRET', audience: 'authenticated', customer_claim: 'sub', email_claim: 'email' },
  plans: [
    { id: 'free', name: 'Free', features: [], limits: { messages: 1000 }, popular: false, trial_days: 0, prices: [] },
    {
      id: 'pro',
      name: 'Pro',
      features: [{ id: 'export', label: 'Export' }],
      limits: { messages: 10000 },
      popular: true,
      trial_days: 0,
      prices: [{ provider: 'mintoken', currency: 'INR', amount: 159900, interval: 'month' }],
    },
    {
      id: 'business',
      name: 'Business',
      features: [],
      limits: { messages: null },
      popular: false,
      trial_days: 0,
      // Our plan id differs from Mintoken's slug: the price maps it.
      prices: [{ provider: 'mintoken', currency: 'INR', amount: 399900, interval: 'month', upstream: { plan: 'team' } }],
    },
    {
      id: 'gold',
      name: 'Gold',
      features: [],
      limits: {},
      popular: false,
      trial_days: 0,
      prices: [{ provider: 'mintoken', currency: 'INR', amount: 999900, interval: 'month' }],
    },
  ],
  metrics: [{ id: 'messages', label: 'Messages' }],
};

function supabaseJwt(sub: string, options: { secret?: string; expiresIn?: number; email?: string; aud?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'authenticated', ...(options.email ? { email: options.email } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setAudience(options.aud ?? 'authenticated')
    .setIssuedAt(now - 10)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(options.secret ?? SUPABASE_SECRET));
}

for (const engine of engines()) {
  describe(`Mintoken forward mode (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let fake: Awaited<ReturnType<typeof startMintokenFake>>;

    before(async () => {
      store = await testStore(engine);
      fake = await startMintokenFake({ supabaseJwtSecret: SUPABASE_SECRET, razorpay: { keyId: 'rzp_live_mintoken', keySecret: 'mintoken_rzp_secret' } });
      server = await makeServer({ store, env: { SUPABASE_JWT_SECRET: SUPABASE_SECRET, MINTOKEN_API_BASE: fake.url }, file: MINTOKEN_FILE });
    });
    after(async () => {
      await fake.close();
      await store.close();
    });
    beforeEach(() => {
      fake.control.reset();
      fake.control.setRazorpay({ keyId: 'rzp_live_mintoken', keySecret: 'mintoken_rzp_secret' });
    });

    async function order(token: string, plan = 'pro') {
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan } });
      assert.equal(res.status, 201, await res.clone().text());
      return json(res);
    }

    function pay(orderId: string) {
      const paymentId = fake.control.newPaymentId();
      return { razorpay_order_id: orderId, razorpay_payment_id: paymentId, razorpay_signature: fake.control.signPayment(orderId, paymentId) };
    }

    test('order → razorpay action → verify → /v1/subscription shows pro, audited once', async () => {
      const user = uniqueId('sb');
      const token = await supabaseJwt(user, { email: 'ravi@example.in' });
      const { checkout_id, action } = await order(token);
      assert.equal(fake.control.callCount(ORDER), 1);
      assert.equal(action.type, 'razorpay');
      assert.equal(action.key_id, 'rzp_live_mintoken');
      assert.match(action.order_id, /^order_/);
      assert.equal(action.amount, 159900);
      assert.equal(action.currency, 'INR');
      assert.equal(action.script_url, RAZORPAY_CHECKOUT_JS);
      assert.equal(action.verify_path, '/v1/razorpay/verify');
      assert.equal(action.prefill.email, 'ravi@example.in');
      assert.equal(fake.state.orders.get(action.order_id)!.user_id, user, 'the order is made as the customer, with their JWT');

      const verify = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...pay(action.order_id) } });
      assert.equal(verify.status, 200, await verify.clone().text());
      const body = await json(verify);
      assert.equal(body.old_plan, 'free');
      assert.equal(body.new_plan, 'pro');
      assert.equal(fake.state.profiles.get(user)?.plan, 'pro', 'Mintoken upgraded profiles.plan');

      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'pro');
      assert.equal(sub.status, 'active');
      const ent = await json(await server.request('GET', '/v1/entitlements', { token }));
      assert.equal(ent.has_access, true);
      const state = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
      assert.equal(state.status, 'paid');
      const audit = await store.query('SELECT * FROM plan_changes WHERE customer_id = $1', [user]);
      assert.equal(audit.length, 1);
    });

    test('a hand-off checkout is refused up front with a clear error: no link that cannot work, no order', async () => {
      const user = uniqueId('sb');
      const token = await supabaseJwt(user);
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', mode: 'handoff' } });
      assert.equal(res.status, 400, await res.clone().text());
      const { error } = await json(res);
      assert.equal(error.code, 'validation_error');
      assert.match(error.message, /^mode: Mintoken plans cannot be paid by hand-off.*"mode": "inline"/);
      assert.equal(fake.control.callCount(ORDER), 0);
      assert.equal((await store.query('SELECT 1 FROM checkouts WHERE customer_id = $1', [user])).length, 0);
    });

    test('a plan id mapped to another Mintoken slug (upstream.plan) orders and verifies that slug', async () => {
      const user = uniqueId('sb');
      const token = await supabaseJwt(user);
      const { action } = await order(token, 'business');
      assert.equal(fake.state.orders.get(action.order_id)!.plan, 'team');
      const res = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'business', ...pay(action.order_id) } });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal((await json(res)).new_plan, 'business');
      assert.equal(fake.state.profiles.get(user)?.plan, 'team');
    });

    test('forged, expired, wrong-audience JWTs and Tollgate session tokens never reach Mintoken', async () => {
      const forged = await supabaseJwt(uniqueId('sb'), { secret: 'not-the-supabase-secret-000000000000000' });
      const expired = await supabaseJwt(uniqueId('sb'), { expiresIn: -60 });
      const wrongAud = await supabaseJwt(uniqueId('sb'), { aud: 'anon' });
      for (const token of [forged, expired, wrongAud]) {
        const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
        assert.equal(res.status, 401);
        assert.equal((await json(res)).error.code, 'invalid_token');
        const verify = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', razorpay_order_id: 'order_x', razorpay_payment_id: 'pay_x', razorpay_signature: 'x' } });
        assert.equal(verify.status, 401);
      }
      const session = await server.session(uniqueId());
      const res = await server.request('POST', '/v1/checkout', { token: session, body: { plan: 'pro' } });
      assert.equal(res.status, 403);
      assert.equal((await json(res)).error.code, 'forbidden');
      assert.equal(fake.control.callCount(ORDER), 0);
      assert.equal(fake.control.callCount(VERIFY), 0);
    });

    test('a bad signature is 400 invalid_signature and upgrades nothing', async () => {
      const user = uniqueId('sb');
      const token = await supabaseJwt(user);
      const { action } = await order(token);
      const paid = pay(action.order_id);
      const res = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid, razorpay_signature: '0'.repeat(64) } });
      assert.equal(res.status, 400);
      assert.deepEqual((await json(res)).error.code, 'invalid_signature');
      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'free');
      assert.equal(fake.state.profiles.get(user), undefined);
    });

    test('Mintoken errors map into our envelope: 400 unsupported plan, 503, 502, 401, timeout', async () => {
      const token = await supabaseJwt(uniqueId('sb'));
      const gold = await server.request('POST', '/v1/checkout', { token, body: { plan: 'gold' } });
      assert.equal(gold.status, 400);
      assert.equal((await json(gold)).error.code, 'validation_error');

      fake.control.setRazorpay(null);
      const down = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(down.status, 503);
      assert.equal((await json(down)).error.code, 'provider_unavailable');
      fake.control.setRazorpay({ keyId: 'rzp_live_mintoken', keySecret: 'mintoken_rzp_secret' });

      fake.control.failOrderCreation(1);
      const rejected = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(rejected.status, 502);
      assert.equal((await json(rejected)).error.code, 'upstream_error');
      assert.ok(server.logLines.some((l) => l.includes('"upstream_status":502') && l.includes('mintoken')));

      fake.control.failNext(1, 500);
      const crashed = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(crashed.status, 502);

      // A JWT our secret accepts but Mintoken's Supabase project does not (another project): 401 invalid_token.
      const other = await startMintokenFake({ supabaseJwtSecret: 'another-supabase-project-secret-0000000' });
      const otherServer = await makeServer({ store, env: { SUPABASE_JWT_SECRET: SUPABASE_SECRET, MINTOKEN_API_BASE: other.url }, file: MINTOKEN_FILE });
      const refused = await otherServer.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(refused.status, 401);
      assert.equal((await json(refused)).error.code, 'invalid_token');
      await other.close();

      const slowServer = await makeServer({ store, env: { SUPABASE_JWT_SECRET: SUPABASE_SECRET, MINTOKEN_API_BASE: fake.url }, file: { ...MINTOKEN_FILE, upstream_timeout_ms: 150 } });
      fake.control.delayResponses(600, 1);
      const slow = await slowServer.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(slow.status, 502);
      assert.match((await json(slow)).error.message, /did not answer in time/);
      // The fake is still sleeping on that request; let it finish so it cannot take a fault meant for a later call.
      await new Promise((resolve) => setTimeout(resolve, 700));
    });

    test('verify errors: 503 → provider_unavailable, 502 → upstream_error, 500 → upstream_error; then a good verify still upgrades', async () => {
      const token = await supabaseJwt(uniqueId('sb'));
      const { action } = await order(token);
      const paid = pay(action.order_id);
      fake.control.setRazorpay(null);
      const down = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } });
      assert.equal(down.status, 503);
      assert.equal((await json(down)).error.code, 'provider_unavailable');
      fake.control.setRazorpay({ keyId: 'rzp_live_mintoken', keySecret: 'mintoken_rzp_secret' });
      for (const status of [502, 500]) {
        fake.control.failNext(1, status);
        const res = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } });
        assert.equal(res.status, 502);
        assert.equal((await json(res)).error.code, 'upstream_error');
      }
      const ok = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } });
      assert.equal(ok.status, 200);
    });

    test('a replayed verify: same key replays without a forward; a new key forwards again and changes nothing', async () => {
      const user = uniqueId('sb');
      const token = await supabaseJwt(user);
      const { action } = await order(token);
      const paid = pay(action.order_id);
      const first = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid }, idempotencyKey: `k-${user}` });
      assert.equal(first.status, 200);
      const replay = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid }, idempotencyKey: `k-${user}` });
      assert.equal(replay.status, 200);
      assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
      assert.equal(fake.control.callCount(VERIFY), 1);
      const again = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } });
      assert.equal(again.status, 200);
      assert.deepEqual(await json(again), { message: 'Plan upgraded', old_plan: 'free', new_plan: 'pro', payment_id: paid.razorpay_payment_id });
      const audit = await store.query('SELECT * FROM plan_changes WHERE customer_id = $1', [user]);
      assert.equal(audit.length, 1);
      // Another payment id for the same, already paid order is a conflict, not a second upgrade.
      const other = pay(action.order_id);
      const conflict = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...other } });
      assert.equal(conflict.status, 409);
    });

    test('concurrent verifies: one upgrade, one audit row', async () => {
      const user = uniqueId('sb');
      const token = await supabaseJwt(user);
      const { action } = await order(token);
      const paid = pay(action.order_id);
      const results = await Promise.all(Array.from({ length: 5 }, () => server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } })));
      assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200]);
      const audit = await store.query("SELECT * FROM plan_changes WHERE customer_id = $1 AND kind = 'upgrade'", [user]);
      assert.equal(audit.length, 1);
      const [row] = await store.query<{ status: string; payment_id: string }>('SELECT status, payment_id FROM checkouts WHERE provider_order_id = $1', [action.order_id]);
      assert.equal(row.status, 'paid');
      assert.equal(row.payment_id, paid.razorpay_payment_id);
    });

    test("another customer's order and a plan that does not match the order are refused before forwarding", async () => {
      const token = await supabaseJwt(uniqueId('sb'));
      const { action } = await order(token);
      const stranger = await supabaseJwt(uniqueId('sb'));
      const foreign = await server.request('POST', '/v1/razorpay/verify', { token: stranger, body: { plan: 'pro', ...pay(action.order_id) } });
      assert.equal(foreign.status, 404);
      const wrongPlan = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'business', ...pay(action.order_id) } });
      assert.equal(wrongPlan.status, 400);
      assert.equal(fake.control.callCount(VERIFY), 0);
    });
  });
}

describe('Mintoken configuration', () => {
  test('a mintoken price without external_jwt is a start-up error naming the fix', async () => {
    const store = await testStore();
    try {
      await assert.rejects(makeServer({ store, file: { ...MINTOKEN_FILE, external_jwt: undefined } }), (err: Error) => err instanceof ConfigError && /external_jwt/.test(err.message));
      await assert.rejects(
        makeServer({ store, env: { SUPABASE_JWT_SECRET: SUPABASE_SECRET }, file: { ...MINTOKEN_FILE, providers: { razorpay: {}, mintoken: { theme_color: 'orange' } } } }),
        (err: Error) => err instanceof ConfigError && /providers\.mintoken\.theme_color/.test(err.message),
      );
      // A server without Mintoken prices and without external_jwt starts, with Mintoken unavailable.
      const plain = await makeServer({ store });
      assert.equal((await json(await plain.request('GET', '/healthz'))).providers.mintoken, 'unavailable');
    } finally {
      await store.close();
    }
  });
});
