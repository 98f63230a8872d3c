// Bonzai against the real-HTTP Bonzai fake: custom checkout → redirect, has_access transitions read on return and
// by the poller (pay, cancel until period end, expiry, access given back, refund), upstream errors, invite/revoke API-key routes.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, testStore, uniqueId, TEST_ENV, type TestServer } from './helpers.js';
import { startBonzaiFake } from '../fakes/bonzai.js';
import { ConfigError, type ConfigFile } from '../../server/config.js';
import type { BonzaiProvider } from '../../server/providers/bonzai/index.js';
import type { Store } from '../../server/store/index.js';

const TOKEN = 'bonzai_test_token_for_tollgate';
const DAY = 86_400_000;
const CHECKOUT = 'POST /api/v1/products/:product_uuid/checkout';
const GET_ORDER = 'GET /api/v1/orders/:order_id';

const plan = (id: string, name: string, prices: ConfigFile['plans'][number]['prices'], messages: number | null) => ({ id, name, features: [], limits: { messages }, popular: false, trial_days: 0, prices });

const BONZAI_FILE: Partial<ConfigFile> = {
  metrics: [{ id: 'messages', label: 'Messages' }],
  plans: [
    plan('free', 'Free', [], 100),
    plan('pro', 'Pro', [{ provider: 'bonzai', currency: 'EUR', amount: 1900, interval: 'month' }, { provider: 'bonzai', currency: 'EUR', amount: 19000, interval: 'year' }], 10000),
    plan('team', 'Team', [{ provider: 'bonzai', currency: 'USD', amount: 4950, interval: 'month' }], null),
  ],
  providers: { razorpay: {}, bonzai: { product_uuid: 'xBgq3Z3J', grant_plan: 'pro', poll_interval_s: 0 } },
};

for (const engine of engines()) {
  describe(`Bonzai (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let fake: Awaited<ReturnType<typeof startBonzaiFake>>;
    let clock = Date.now();
    let bonzai: BonzaiProvider;

    before(async () => {
      store = await testStore(engine);
      fake = await startBonzaiFake({ apiToken: TOKEN, now: () => clock, users: [{ id: '77', email: 'known@bonzai.test' }] });
      server = await makeServer({ store, env: { BONZAI_API_TOKEN: TOKEN, BONZAI_API_BASE: fake.apiBaseUrl }, file: BONZAI_FILE, now: () => new Date(clock) });
      bonzai = server.deps.providers.get('bonzai') as BonzaiProvider;
    });
    after(async () => {
      bonzai.stopPolling();
      await fake.close();
      await store.close();
    });
    beforeEach(() => fake.control.reset());

    async function checkout(token: string, body: Record<string, unknown> = { plan: 'pro' }) {
      const res = await server.request('POST', '/v1/checkout', { token, body });
      assert.equal(res.status, 201, await res.clone().text());
      const out = await json(res);
      const [row] = await store.query<{ provider_order_id: string }>('SELECT provider_order_id FROM checkouts WHERE id = $1', [out.checkout_id]);
      return { ...out, orderId: Number(row.provider_order_id) };
    }
    const state = async (token: string, id: string) => json(await server.request('GET', `/v1/checkout/${id}`, { token }));
    const sub = async (token: string) => json(await server.request('GET', '/v1/subscription', { token }));
    const ent = async (token: string) => json(await server.request('GET', '/v1/entitlements', { token }));
    const audit = (customer: string) => store.query<{ kind: string; old_plan: string; new_plan: string; source: string }>('SELECT kind, old_plan, new_plan, source FROM plan_changes WHERE customer_id = $1 ORDER BY id', [customer]);
    /** A customer who paid Pro and whose Bonzai subscription then fully ended (expire), seen by a poll. */
    async function paidThenEnded() {
      const customer = uniqueId();
      const token = await server.session(customer);
      const { checkout_id, orderId } = await checkout(token);
      fake.control.pay(orderId);
      await state(token, checkout_id);
      fake.control.expire(orderId);
      await bonzai.pollOnce();
      return { customer, token, checkout_id, orderId };
    }
    /** A session minted on the test's clock (the server checks tokens against it: after a jump the first one has expired). */
    const sessionNow = (customer: string) => server.session(customer, { nowSeconds: Math.floor(clock / 1000) });

    test('custom checkout → redirect; pay; the return refresh marks it paid and /v1/subscription shows pro', async () => {
      const customer = uniqueId();
      const token = await server.session(customer, { email: 'lena@example.eu' });
      const { checkout_id, action, orderId } = await checkout(token);
      assert.equal(action.type, 'redirect');
      assert.ok(action.url.startsWith(`${fake.url}/manage/spa_`));
      const order = fake.state.orders.get(orderId)!;
      assert.equal(order.amount, 19);
      assert.equal(order.currency, 'EUR');
      assert.equal(order.is_vat_incl, true);
      assert.equal(order.mode, 'subscription');
      assert.equal(order.interval, 'monthly');
      assert.deepEqual(order.metadata, { tollgate_checkout_id: checkout_id, tollgate_customer_id: customer });
      assert.equal(order.email, 'lena@example.eu');
      assert.equal(order.title, 'Pro');
      assert.ok(order.redirect_url!.includes(checkout_id));

      assert.equal((await state(token, checkout_id)).status, 'pending');
      assert.equal((await ent(token)).has_access, false);
      fake.control.pay(orderId);
      const paid = await state(token, checkout_id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.payment_id, `bonzai_order_${orderId}`);
      const s = await sub(token);
      assert.equal(s.plan, 'pro');
      assert.equal(s.status, 'active');
      assert.equal(s.cancelAtPeriodEnd, false);
      assert.equal(s.usage.messagesLimit, 10000);
      assert.equal((await ent(token)).has_access, true);
      assert.deepEqual((await audit(customer)).map((a) => a.kind), ['upgrade']);
    });

    test('yearly price → subscription yearly, USD team → amount in dollars', async () => {
      const token = await server.session(uniqueId());
      const yearly = await checkout(token, { plan: 'pro', interval: 'year' });
      assert.equal(fake.state.orders.get(yearly.orderId)!.interval, 'yearly');
      assert.equal(fake.state.orders.get(yearly.orderId)!.amount, 190);
      const team = await checkout(token, { plan: 'team' });
      assert.equal(fake.state.orders.get(team.orderId)!.amount, 49.5);
      assert.equal(fake.state.orders.get(team.orderId)!.currency, 'USD');
    });

    test('concurrent returns and polls apply the payment once', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const { checkout_id, orderId } = await checkout(token);
      fake.control.pay(orderId);
      const states = await Promise.all([...Array.from({ length: 4 }, () => state(token, checkout_id)), bonzai.pollOnce()]);
      for (const s of states.slice(0, 4)) assert.equal((s as { status: string }).status, 'paid');
      assert.equal((await audit(customer)).length, 1);
    });

    test('cancel keeps access until the period end; then the poller revokes it, audited', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const { checkout_id, orderId } = await checkout(token);
      fake.control.pay(orderId);
      await state(token, checkout_id);
      const periodEnd = new Date(clock + 10 * DAY);
      fake.control.cancelSubscription(orderId, periodEnd);
      await bonzai.pollOnce();
      let s = await sub(token);
      assert.equal(s.plan, 'pro');
      assert.equal(s.cancelAtPeriodEnd, true);
      assert.equal(new Date(s.currentPeriodEnd).getTime(), periodEnd.getTime());
      assert.equal((await ent(token)).has_access, true);

      clock += 11 * DAY;
      try {
        const summary = await bonzai.pollOnce();
        assert.ok((summary.outcomes.revoked ?? 0) >= 1, JSON.stringify(summary));
        // 11 days on, the first session has long expired (tokens are checked against the app's clock): a new one.
        const later = await sessionNow(customer);
        s = await sub(later);
        assert.equal(s.plan, 'free');
        assert.equal(s.status, 'canceled');
        assert.equal((await ent(later)).has_access, false);
        assert.deepEqual((await audit(customer)).map((a) => `${a.kind}:${a.old_plan}->${a.new_plan}`), ['upgrade:free->pro', 'subscription:pro->free']);
        // Polling again changes nothing.
        await bonzai.pollOnce();
        assert.equal((await audit(customer)).length, 2);
      } finally {
        clock -= 11 * DAY;
      }
    });

    test('a subscription that fully ends (expire) is revoked', async () => {
      const { token } = await paidThenEnded();
      assert.equal((await ent(token)).plan, 'free');
      assert.equal((await ent(token)).has_access, false);
    });

    test('access given back after the subscription ended ("a new access object") restores the plan, read on the slower schedule', async () => {
      const { customer, token, checkout_id, orderId } = await paidThenEnded();
      assert.equal((await sub(token)).plan, 'free');
      fake.control.pay(orderId); // Bonzai gives access back: has_access true, a new access
      const tracked = async () => (await store.query<{ state: string }>('SELECT state FROM bonzai_orders WHERE checkout_id = $1', [checkout_id]))[0].state;
      await bonzai.pollOnce();
      assert.equal(await tracked(), 'ended', 'not re-read before ended_poll_interval_s (default 1 h)');
      assert.equal((await sub(token)).plan, 'free');
      clock += 3601_000;
      try {
        const summary = await bonzai.pollOnce();
        assert.ok((summary.outcomes.regained ?? 0) >= 1, JSON.stringify(summary));
        // An hour on, the first session has expired (tokens are checked against the app's clock): a new one.
        const later = await sessionNow(customer);
        const s = await sub(later);
        assert.equal(s.plan, 'pro');
        assert.equal(s.status, 'active');
        assert.equal((await ent(later)).has_access, true);
        assert.equal(await tracked(), 'active');
        assert.deepEqual((await audit(customer)).map((a) => `${a.kind}:${a.old_plan}->${a.new_plan}`), ['upgrade:free->pro', 'subscription:pro->free', 'subscription:free->pro']);
        // Access again: the order is tracked as active, so the next poll reads it as usual and changes nothing.
        await bonzai.pollOnce();
        assert.equal((await audit(customer)).length, 3);
      } finally {
        clock -= 3601_000;
      }
    });

    test('an ended order is not read again while its customer is on another paid plan', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const first = await checkout(token, { plan: 'pro' });
      fake.control.pay(first.orderId);
      await state(token, first.checkout_id);
      fake.control.expire(first.orderId);
      await bonzai.pollOnce();
      const second = await checkout(token, { plan: 'team' });
      fake.control.pay(second.orderId);
      await state(token, second.checkout_id);
      fake.control.pay(first.orderId);
      clock += 3601_000;
      try {
        await bonzai.pollOnce();
        assert.equal((await sub(await sessionNow(customer))).plan, 'team');
        const [tracked] = await store.query<{ state: string }>('SELECT state FROM bonzai_orders WHERE checkout_id = $1', [first.checkout_id]);
        assert.equal(tracked.state, 'ended');
      } finally {
        clock -= 3601_000;
      }
    });

    test('a refund revokes access: the checkout becomes refunded and the plan reverts, audited once', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const { checkout_id, orderId } = await checkout(token);
      fake.control.pay(orderId);
      await state(token, checkout_id);
      fake.control.refund(orderId);
      await Promise.all([bonzai.pollOnce(), bonzai.pollOnce()]);
      assert.equal((await state(token, checkout_id)).status, 'refunded');
      assert.equal((await sub(token)).plan, 'free');
      assert.deepEqual((await audit(customer)).map((a) => a.kind), ['upgrade', 'revert']);
    });

    test('a late cancellation of an older order does not touch a newer purchase', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const first = await checkout(token, { plan: 'pro' });
      fake.control.pay(first.orderId);
      await state(token, first.checkout_id);
      clock += 1000;
      const second = await checkout(token, { plan: 'team' });
      fake.control.pay(second.orderId);
      await state(token, second.checkout_id);
      fake.control.expire(first.orderId);
      await bonzai.pollOnce();
      const s = await sub(token);
      assert.equal(s.plan, 'team');
      assert.equal(s.cancelAtPeriodEnd, false);
    });

    test('upstream failures: 5xx and timeouts → 502, 429 → 429 with Retry-After, Laravel 422 → 400 naming the field', async () => {
      const token = await server.session(uniqueId(), { email: 'ok@example.eu' });
      fake.control.failNext(1, 500);
      const down = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(down.status, 502);
      assert.equal((await json(down)).error.code, 'upstream_error');
      assert.equal(fake.control.callCount(CHECKOUT), 1, 'a POST that creates an order is never retried');

      fake.control.rateLimitNext(1, 7);
      const limited = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('Retry-After'), '7');
      assert.equal((await json(limited)).error.code, 'rate_limited');

      const badEmail = await server.session(uniqueId(), { email: 'not-an-email' });
      const invalid = await server.request('POST', '/v1/checkout', { token: badEmail, body: { plan: 'pro' } });
      assert.equal(invalid.status, 400);
      const err = (await json(invalid)).error;
      assert.equal(err.code, 'validation_error');
      assert.match(err.message, /^email: The email field must be a valid email address/);

      const slowServer = await makeServer({ store, env: { BONZAI_API_TOKEN: TOKEN, BONZAI_API_BASE: fake.apiBaseUrl }, file: { ...BONZAI_FILE, upstream_timeout_ms: 150 } });
      fake.control.delayResponses(600, 1);
      const slow = await slowServer.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(slow.status, 502);
      assert.match((await json(slow)).error.message, /did not answer in time/);
      // The fake is still sleeping on that request; let it finish so it cannot take a fault meant for a later call.
      await new Promise((resolve) => setTimeout(resolve, 700));

      const wrongToken = await makeServer({ store, env: { BONZAI_API_TOKEN: 'wrong', BONZAI_API_BASE: fake.apiBaseUrl }, file: BONZAI_FILE });
      const refused = await wrongToken.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(refused.status, 502);
      assert.ok(wrongToken.logLines.some((l) => l.includes('"upstream_code":"unauthenticated"')));
      const wrongProduct = await makeServer({ store, env: { BONZAI_API_TOKEN: TOKEN, BONZAI_API_BASE: fake.apiBaseUrl }, file: { ...BONZAI_FILE, providers: { razorpay: {}, bonzai: { product_uuid: 'nope', poll_interval_s: 0 } } } });
      assert.equal((await wrongProduct.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } })).status, 502);
    });

    test('GET /orders is retried once; a second failure reaches the widget as 502, and the next return recovers', async () => {
      const token = await server.session(uniqueId());
      const { checkout_id, orderId } = await checkout(token);
      fake.control.pay(orderId);
      fake.control.failNext(1, 503);
      assert.equal((await state(token, checkout_id)).status, 'paid');
      assert.equal(fake.control.callCount(GET_ORDER), 2);

      const next = await checkout(token);
      fake.control.failNext(2, 500);
      const res = await server.request('GET', `/v1/checkout/${next.checkout_id}`, { token });
      assert.equal(res.status, 502);
      assert.equal((await json(res)).error.code, 'upstream_error');
      assert.equal((await state(token, next.checkout_id)).status, 'pending');
    });

    test('the poller gives up on unpaid checkouts after the TTL', async () => {
      const token = await server.session(uniqueId());
      const { checkout_id } = await checkout(token);
      clock += 2 * DAY;
      try {
        const summary = await bonzai.pollOnce();
        assert.ok(summary.abandoned >= 1);
        const [row] = await store.query<{ state: string }>('SELECT state FROM bonzai_orders WHERE checkout_id = $1', [checkout_id]);
        assert.equal(row.state, 'abandoned');
      } finally {
        clock -= 2 * DAY;
      }
    });

    test('invite and revoke need the API key, and validate into our envelope', async () => {
      const noKey = await server.request('POST', '/v1/admin/bonzai/invite', { body: { email: 'a@b.test' } });
      assert.equal(noKey.status, 401);
      assert.equal((await json(noKey)).error.code, 'unauthenticated');
      const customerToken = await server.session(uniqueId());
      assert.equal((await server.request('POST', '/v1/admin/bonzai/revoke', { token: customerToken, body: { code: 'x' } })).status, 401);
      const key = TEST_ENV.TOLLGATE_API_KEY;
      const bad = await server.request('POST', '/v1/admin/bonzai/invite', { token: key, body: { email: 'nope' } });
      assert.equal(bad.status, 400);
      assert.match((await json(bad)).error.message, /^email:/);
      const none = await server.request('POST', '/v1/admin/bonzai/revoke', { token: key, body: {} });
      assert.equal(none.status, 400);
      assert.match((await json(none)).error.message, /email, user_id or code/);
      assert.equal(fake.control.callCount('POST /api/v1/products/:product_uuid/invite'), 0);
    });

    test('invite by customer_id grants the plan; revoke by shared code takes it back for everyone with it', async () => {
      const key = TEST_ENV.TOLLGATE_API_KEY;
      const a = uniqueId();
      const b = uniqueId();
      const code = `promo-${a}`;
      for (const [id, email] of [[a, `${a}@example.eu`], [b, `${b}@example.eu`]]) {
        const res = await server.request('POST', '/v1/admin/bonzai/invite', { token: key, body: { email, customer_id: id, code } });
        assert.equal(res.status, 201, await res.clone().text());
        const body = await json(res);
        assert.equal(body.status, 'granted');
        assert.equal(body.plan, 'pro');
        assert.ok(body.user_id);
      }
      const tokenA = await server.session(a);
      assert.equal((await ent(tokenA)).plan, 'pro');
      assert.equal((await ent(tokenA)).has_access, true);
      assert.equal(fake.state.grants.filter((g) => g.code === code).length, 2);

      const res = await server.request('POST', '/v1/admin/bonzai/revoke', { token: key, body: { code } });
      assert.equal(res.status, 200);
      const body = await json(res);
      assert.equal(body.revoked, 2);
      assert.deepEqual(body.customers, { [a]: 'revoked', [b]: 'revoked' });
      assert.ok(fake.state.grants.filter((g) => g.code === code).every((g) => g.revoked_at));
      assert.equal((await ent(tokenA)).has_access, false);
      assert.deepEqual((await audit(a)).map((x) => x.source), ['bonzai_invite', 'bonzai_revoke']);
    });

    test('invite by email links an existing customer, or waits for them; revoke by user_id and by email', async () => {
      const key = TEST_ENV.TOLLGATE_API_KEY;
      const existing = uniqueId();
      const email = `${existing}@example.eu`;
      const token = await server.session(existing, { email });
      // The partner's backend made the session: the customer row exists, with this email (a read never writes one).
      assert.equal((await server.request('POST', '/v1/sessions', { token: key, idempotencyKey: null, body: { customer_id: existing, email } })).status, 201);
      const invited = await json(await server.request('POST', '/v1/admin/bonzai/invite', { token: key, body: { email: email.toUpperCase(), name: 'Lena' } }));
      assert.equal(invited.customer_id, existing);
      assert.equal((await ent(token)).plan, 'pro');
      const revoked = await json(await server.request('POST', '/v1/admin/bonzai/revoke', { token: key, body: { user_id: invited.user_id } }));
      assert.equal(revoked.revoked, 1);
      assert.equal((await ent(token)).plan, 'free');

      const later = uniqueId();
      const laterEmail = `${later}@example.eu`;
      const pending = await json(await server.request('POST', '/v1/admin/bonzai/invite', { token: key, body: { email: laterEmail } }));
      assert.equal(pending.status, 'pending_customer');
      assert.equal(pending.customer_id, null);
      const laterToken = await server.session(later, { email: laterEmail });
      // The customer signs up: the partner's backend makes their session, which stores them with this email.
      assert.equal((await server.request('POST', '/v1/sessions', { token: key, idempotencyKey: null, body: { customer_id: later, email: laterEmail } })).status, 201);
      assert.equal((await ent(laterToken)).plan, 'free');
      const summary = await bonzai.pollOnce();
      assert.ok(summary.linkedGrants >= 1);
      assert.equal((await ent(laterToken)).plan, 'pro');
      const byEmail = await json(await server.request('POST', '/v1/admin/bonzai/revoke', { token: key, body: { email: laterEmail } }));
      assert.equal(byEmail.revoked, 1);
      assert.equal((await ent(laterToken)).plan, 'free');
    });

    test('a grant never downgrades a paying customer, and stands behind their plan when it ends', async () => {
      const key = TEST_ENV.TOLLGATE_API_KEY;
      const customer = uniqueId();
      const token = await server.session(customer);
      const { checkout_id, orderId } = await checkout(token, { plan: 'team' });
      fake.control.pay(orderId);
      await state(token, checkout_id);
      const invited = await json(await server.request('POST', '/v1/admin/bonzai/invite', { token: key, body: { email: `${customer}@example.eu`, customer_id: customer } }));
      assert.equal(invited.status, 'deferred');
      assert.equal((await ent(token)).plan, 'team');
      fake.control.expire(orderId);
      await bonzai.pollOnce();
      const e = await ent(token);
      assert.equal(e.plan, 'pro');
      assert.equal(e.has_access, true);
    });

    test('an Idempotency-Key on invite replays the first answer without a second invitation', async () => {
      const key = TEST_ENV.TOLLGATE_API_KEY;
      const customer = uniqueId();
      const before = fake.control.callCount('POST /api/v1/products/:product_uuid/invite');
      const body = { email: `${customer}@example.eu`, customer_id: customer };
      const first = await server.request('POST', '/v1/admin/bonzai/invite', { token: key, body, idempotencyKey: `inv-${customer}` });
      const again = await server.request('POST', '/v1/admin/bonzai/invite', { token: key, body, idempotencyKey: `inv-${customer}` });
      assert.equal(first.status, 201);
      assert.equal(again.headers.get('Idempotent-Replay'), 'true');
      assert.equal(fake.control.callCount('POST /api/v1/products/:product_uuid/invite') - before, 1);
    });
  });
}

describe('Bonzai configuration', () => {
  test('no token → provider_unavailable; a wrong currency or a missing product is a start-up error with the fix', async () => {
    const store = await testStore();
    try {
      const off = await makeServer({ store, file: BONZAI_FILE });
      assert.equal((off.deps.providers.get('bonzai') as BonzaiProvider).mode, 'unavailable');
      const token = await off.session(uniqueId());
      const res = await off.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(res.status, 503);
      assert.equal((await json(res)).error.code, 'provider_unavailable');
      const invite = await off.request('POST', '/v1/admin/bonzai/invite', { token: TEST_ENV.TOLLGATE_API_KEY, body: { email: 'a@b.test' } });
      assert.equal(invite.status, 503);

      const gbp = { ...BONZAI_FILE, plans: [BONZAI_FILE.plans![0], plan('pro', 'Pro', [{ provider: 'bonzai', currency: 'GBP', amount: 1900, interval: 'month' }], 1)] };
      await assert.rejects(makeServer({ store, file: gbp }), (err: Error) => err instanceof ConfigError && /EUR or USD/.test(err.message));
      await assert.rejects(makeServer({ store, file: { ...BONZAI_FILE, providers: { razorpay: {} } } }), (err: Error) => err instanceof ConfigError && /product_uuid/.test(err.message));
      await assert.rejects(
        makeServer({ store, file: { ...BONZAI_FILE, providers: { razorpay: {}, bonzai: { product_uuid: 'xBgq3Z3J', grant_plan: 'gold' } } } }),
        (err: Error) => err instanceof ConfigError && /grant_plan/.test(err.message),
      );
      await assert.rejects(makeServer({ store, env: { BONZAI_API_BASE: 'not a url' }, file: BONZAI_FILE }), (err: Error) => err instanceof ConfigError && /BONZAI_API_BASE/.test(err.message));
    } finally {
      await store.close();
    }
  });
});
