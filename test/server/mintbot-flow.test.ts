// mintbot end to end over real HTTP: checkout → redirect → the fake's pay/provision/ready lifecycle sends
// signed webhooks to the served app → /v1/checkout/:id, /v1/subscription, /v1/entitlements follow; polling
// on return; failed, cancelled and expired agents; same-second ties; signatures; upstream faults and retries; the partner's admin routes.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, eventually, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { startMintbotFake, signMintbotWebhook } from '../fakes/mintbot.js';
import { listen, type Listening } from '../fakes/harness.js';
import type { Store } from '../../server/store/index.js';
import { ConfigError } from '../../server/config.js';
import { mintbotIdempotencyKey } from '../../server/providers/mintbot/client.js';
import type { ConfigFile } from '../../server/config.js';

const API_KEY = 'mo_test_tollgate_0123456789abcdef0123';
const WEBHOOK_SECRET = 'mintbot_whsec_tollgate_test';
const TG_API_KEY = 'tg_test_api_key_0123456789';

/** A catalog where "agent" is sold through mintbot monthly (tier s1, 30 days, $10 credit) and "agent-lite" yearly (365 days, no credit). */
export const MINTBOT_TEST_FILE = {
  metrics: [{ id: 'messages', label: 'Messages' }],
  plans: [
    { id: 'free', name: 'Free', features: [], limits: { messages: 100 }, popular: false, trial_days: 0, prices: [] },
    {
      id: 'agent',
      name: 'Agent',
      features: [{ id: 'agent', label: 'Your own agent' }],
      limits: { messages: 5000 },
      popular: true,
      trial_days: 0,
      prices: [{ provider: 'mintbot', currency: 'USD', amount: 1200, interval: 'month', upstream: { tier: 's1', duration_days: 30, credit_usd: 10 } }],
    },
    {
      id: 'agent-lite',
      name: 'Agent Lite',
      features: [],
      limits: { messages: 1000 },
      popular: false,
      trial_days: 0,
      prices: [{ provider: 'mintbot', currency: 'USD', amount: 2400, interval: 'year', upstream: { tier: 's1', duration_days: 365 } }],
    },
  ],
  providers: { razorpay: {}, mintbot: { language: 'en' } },
} as unknown as Partial<ConfigFile>;

type Fake = Awaited<ReturnType<typeof startMintbotFake>>;

/** The app served over HTTP so the fake's webhooks reach it; the public URL is known before the app is built. */
async function servedApp(store: Store, fake: Fake, extra: { env?: Record<string, string>; file?: Partial<ConfigFile>; publicUrl?: string; now?: () => Date } = {}) {
  let server: TestServer | undefined;
  const http: Listening = await listen({ fetch: (req: Request) => server!.app.fetch(req) });
  server = await makeServer({
    store,
    env: { MINTBOT_API_KEY: API_KEY, MINTBOT_WEBHOOK_SECRET: WEBHOOK_SECRET, MINTBOT_API_BASE: fake.apiBaseUrl, TOLLGATE_PUBLIC_URL: extra.publicUrl ?? http.url, ...extra.env },
    file: { ...MINTBOT_TEST_FILE, ...extra.file },
    now: extra.now,
  });
  return { server, http };
}

for (const engine of engines()) {
  describe(`mintbot flow (${engine})`, () => {
    let store: Store;
    let fake: Fake;
    let server: TestServer;
    let http: Listening;

    before(async () => {
      store = await testStore(engine);
      fake = await startMintbotFake({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, pageSize: 2 });
      ({ server, http } = await servedApp(store, fake));
    });
    afterEach(() => fake.control.reset());
    after(async () => {
      await fake.close();
      await http.close();
      await store.close();
    });

    async function checkout(token: string, plan = 'agent', extra: Record<string, unknown> = {}) {
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan, return_url: 'https://partner.test/billing?x=1', ...extra } });
      assert.equal(res.status, 201, await res.clone().text());
      const body = await json(res);
      const order = [...fake.state.orders.values()].find((o) => o.external_id === body.checkout_id)!;
      return { ...body, order };
    }

    async function state(token: string, id: string) {
      const res = await server.request('GET', `/v1/checkout/${id}`, { token });
      assert.equal(res.status, 200);
      return json(res);
    }

    test('checkout creates one keyed order with the mapped tier and redirects to its checkout_url', async () => {
      const token = await server.session(uniqueId());
      const { checkout_id, action, order } = await checkout(token);
      assert.deepEqual(action, { type: 'redirect', url: order.checkout_url });
      assert.equal(order.tier, 's1');
      assert.equal(order.duration_days, 30);
      assert.equal(order.credit_usd, 10);
      assert.equal(order.language, 'en');
      assert.equal(order.webhook_url, `${http.url}/v1/webhooks/mintbot`);
      // {ORDER_ID} was substituted by mintbot; our checkout id rides along.
      assert.equal(order.success_url, `https://partner.test/billing?x=1&tollgate_checkout=${checkout_id}&mintbot_order=${order.id}`);
      assert.match(order.cancel_url, new RegExp(`mintbot_order=${order.id}&mintbot_cancelled=1$`));
      assert.ok(fake.state.idempotency.has(`12:${mintbotIdempotencyKey(checkout_id)}`), 'the Idempotency-Key derives from the checkout id');
      assert.match(mintbotIdempotencyKey(checkout_id), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a name-based (v5) UUID');
      const row = (await store.query<{ provider_order_id: string; status: string }>('SELECT provider_order_id, status FROM checkouts WHERE id = $1', [checkout_id]))[0];
      assert.equal(row.provider_order_id, String(order.id));
      assert.equal(row.status, 'pending');
      await fake.control.settle();
      // order.created reached us (and was applied or found the row already pending).
      assert.equal(fake.state.deliveries.find((d) => d.eventType === 'order.created' && d.body.includes(`"id":${order.id},`))?.status, 200);
    });

    test('pay → provisioning → ready with the panel link → expired, in checkout, subscription and entitlements', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const { checkout_id, order } = await checkout(token);
      assert.equal((await state(token, checkout_id)).status, 'pending');

      const paid = await fake.control.pay(order.id);
      assert.equal(paid?.status, 200);
      let s = await state(token, checkout_id);
      assert.equal(s.status, 'paid');
      assert.equal(s.payment_id, `mintbot_order_${order.id}`);
      assert.deepEqual(s.fulfillment, { status: 'provisioning', panel_url: null, expires_at: null });
      let ent = await json(await server.request('GET', '/v1/entitlements', { token }));
      assert.equal(ent.plan, 'agent');
      assert.equal(ent.has_access, true);

      assert.equal((await fake.control.provision(order.id))?.status, 200);
      assert.equal((await state(token, checkout_id)).fulfillment.status, 'provisioning');

      const expires = new Date(Date.now() + 30 * 86_400_000);
      assert.equal((await fake.control.ready(order.id, 'https://panel.mintbot.test/a/42', expires))?.status, 200);
      s = await state(token, checkout_id);
      assert.equal(s.fulfillment.status, 'ready');
      assert.equal(s.fulfillment.panel_url, 'https://panel.mintbot.test/a/42');
      assert.equal(s.fulfillment.expires_at, new Date(Math.floor(expires.getTime() / 1000) * 1000).toISOString());
      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'agent');
      assert.equal(sub.planName, 'Agent');
      assert.equal(sub.currentPeriodEnd, s.fulfillment.expires_at);
      assert.equal(sub.cancelAtPeriodEnd, true, 'a mintbot agent does not renew by itself');

      assert.equal((await fake.control.expire(order.id))?.status, 200);
      s = await state(token, checkout_id);
      assert.equal(s.status, 'paid');
      assert.equal(s.fulfillment.status, 'expired');
      ent = await json(await server.request('GET', '/v1/entitlements', { token }));
      assert.equal(ent.plan, 'free');
      assert.equal(ent.has_access, false);

      const audit = await store.query("SELECT * FROM plan_changes WHERE customer_id = $1 AND kind = 'upgrade'", [customer]);
      assert.equal(audit.length, 1);
    });

    test('a failed deploy shows failed and keeps the payment; a cancelled order cancels the checkout', async () => {
      const token = await server.session(uniqueId());
      const first = await checkout(token);
      await fake.control.pay(first.order.id);
      assert.equal((await fake.control.fail(first.order.id, 'dns'))?.status, 200);
      const s = await state(token, first.checkout_id);
      assert.equal(s.status, 'paid');
      assert.equal(s.fulfillment.status, 'failed');
      // mintbot redeploys: ready after failed is taken.
      await fake.control.ready(first.order.id, 'https://panel.mintbot.test/retry', new Date(Date.now() + 86_400_000));
      assert.equal((await state(token, first.checkout_id)).fulfillment.status, 'ready');

      const second = await checkout(token, 'agent-lite', { interval: 'year' });
      assert.equal((await fake.control.cancel(second.order.id))?.status, 200);
      const c = await state(token, second.checkout_id);
      assert.equal(c.status, 'canceled');
      assert.equal(c.fulfillment, null);
    });

    test('the customer returning before the webhooks sees the polled state (GET /orders/{id})', async () => {
      // A server whose webhook URL goes nowhere: only polling can tell it.
      const isolated = await servedApp(store, fake, { publicUrl: 'http://127.0.0.1:9' });
      try {
        const token = await isolated.server.session(uniqueId());
        const res = await isolated.server.request('POST', '/v1/checkout', { token, body: { plan: 'agent' } });
        const { checkout_id } = await json(res);
        const order = [...fake.state.orders.values()].find((o) => o.external_id === checkout_id)!;
        await fake.control.pay(order.id);
        assert.equal(fake.state.deliveries.at(-1)?.status, null, 'the webhook did not arrive');
        const s = await json(await isolated.server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
        assert.equal(s.status, 'paid');
        assert.equal(s.payment_id, `mintbot_order_${order.id}`);
        assert.equal(s.fulfillment.status, 'provisioning');
        assert.ok(fake.control.callCount('GET /api/mintoffice/v1/orders/:id') >= 1);
        // Polling during an upstream outage keeps the last known state instead of failing the page.
        const other = await json(await isolated.server.request('POST', '/v1/checkout', { token, body: { plan: 'agent' } }));
        fake.control.failNext(5, 503);
        const pending = await isolated.server.request('GET', `/v1/checkout/${other.checkout_id}`, { token });
        assert.equal(pending.status, 200);
        assert.equal((await json(pending)).status, 'pending');
      } finally {
        await isolated.http.close();
      }
    });

    describe('webhook signatures', () => {
      async function send(body: string, headers: Record<string, string>) {
        return server.request('POST', '/v1/webhooks/mintbot', { rawBody: body, headers: { 'X-Mintbot-Event-Type': 'order.paid', ...headers }, idempotencyKey: null });
      }
      async function paidOrder() {
        const token = await server.session(uniqueId());
        const { checkout_id, order } = await checkout(token);
        const body = JSON.stringify({ id: order.id, tier: 's1', duration_days: 30, credit_usd: 10, amount_cents: 1200, currency: 'usd', status: 'completed', external_id: checkout_id, paid_at: '2026-05-16 10:02:14' });
        return { token, checkout_id, order, body };
      }
      const nowS = () => Math.floor(Date.now() / 1000);

      test('a valid event applies once; its replay (same event id) is a duplicate', async () => {
        const { token, checkout_id, body } = await paidOrder();
        const headers = { 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, nowS()), 'X-Mintbot-Event-Id': `evt_${checkout_id}` };
        const first = await send(body, headers);
        assert.equal(first.status, 200);
        assert.equal((await json(first)).outcome, 'upgraded');
        const again = await send(body, headers);
        assert.equal((await json(again)).outcome, 'duplicate');
        assert.equal((await state(token, checkout_id)).status, 'paid');
        const audit = await store.query('SELECT * FROM plan_changes WHERE checkout_id = $1', [checkout_id]);
        assert.equal(audit.length, 1);
      });

      test('tampered, wrongly keyed, stale, future, missing and malformed signatures are refused and change nothing', async () => {
        const { token, checkout_id, body } = await paidOrder();
        const id = { 'X-Mintbot-Event-Id': `evt_bad_${checkout_id}` };
        const cases: [string, string, Record<string, string>][] = [
          ['tampered', body.replace('"completed"', '"deployed"'), { 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, nowS()) }],
          ['wrong secret', body, { 'X-Mintbot-Signature': signMintbotWebhook('not-the-secret', body, nowS()) }],
          // Margins of 10 s past the 300 s window: a loaded machine may cross a second boundary between
          // signing here and checking on the server (the exact edge is tested with a fixed clock in
          // stripe-webhooks.test.ts, on the verifier both providers share).
          ['stale', body, { 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, nowS() - 310) }],
          ['future', body, { 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, nowS() + 310) }],
          ['missing', body, {}],
          ['malformed', body, { 'X-Mintbot-Signature': 'v1=abc' }],
          ['truncated', body, { 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, nowS()).slice(0, -2) }],
        ];
        for (const [name, raw, headers] of cases) {
          const res = await send(raw, { ...id, ...headers });
          assert.equal(res.status, 400, name);
          assert.equal((await json(res)).error.code, 'invalid_signature', name);
        }
        // The refused deliveries did not burn the event id: the genuine one still applies.
        assert.equal((await state(token, checkout_id)).status, 'pending');
        const ok = await send(body, { ...id, 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, nowS() - 290) });
        assert.equal((await json(ok)).outcome, 'upgraded');
      });

      test('out of order: agent.ready before order.paid still pays once, and provisioning never overwrites ready', async () => {
        const { token, checkout_id, order } = await paidOrder();
        const ready = JSON.stringify({ id: order.id, status: 'deployed', external_id: checkout_id, paid_at: '2026-05-16 10:02:14', panel_url: 'https://panel.test/x', expires_at: '2099-01-01 00:00:00' });
        const r = await send(ready, { 'X-Mintbot-Event-Type': 'agent.ready', 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, ready, nowS()), 'X-Mintbot-Event-Id': `evt_r_${checkout_id}` });
        assert.equal(r.status, 200);
        const late = JSON.stringify({ id: order.id, status: 'completed', external_id: checkout_id, paid_at: '2026-05-16 10:02:14' });
        await send(late, { 'X-Mintbot-Event-Type': 'agent.provisioning_started', 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, late, nowS()), 'X-Mintbot-Event-Id': `evt_p_${checkout_id}` });
        const s = await state(token, checkout_id);
        assert.equal(s.status, 'paid');
        assert.deepEqual(s.fulfillment, { status: 'ready', panel_url: 'https://panel.test/x', expires_at: '2099-01-01T00:00:00.000Z' });
      });

      test('an unknown order or event type is acknowledged; a body that is not JSON is a validation error', async () => {
        const body = JSON.stringify({ id: 999999, status: 'completed', paid_at: '2026-05-16 10:02:14' });
        const res = await send(body, { 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, nowS()), 'X-Mintbot-Event-Id': `evt_unknown_${uniqueId()}` });
        assert.equal((await json(res)).outcome, 'unknown_order');
        const odd = await send(body, { 'X-Mintbot-Event-Type': 'agent.renamed', 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, nowS()), 'X-Mintbot-Event-Id': `evt_odd_${uniqueId()}` });
        assert.equal((await json(odd)).outcome, 'ignored');
        const notJson = await send('nope', { 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, 'nope', nowS()), 'X-Mintbot-Event-Id': `evt_nj_${uniqueId()}` });
        assert.equal(notJson.status, 400);
        assert.equal((await json(notJson)).error.code, 'validation_error');
      });
    });

    describe('upstream faults', () => {
      async function tryCheckout(plan = 'agent') {
        const token = await server.session(uniqueId());
        return server.request('POST', '/v1/checkout', { token, body: { plan } });
      }
      const ordersCount = () => fake.state.orders.size;

      test('a short 429 is waited out and retried with the same key: one order', async () => {
        const before = ordersCount();
        fake.control.rateLimitNext(1, 1);
        const res = await tryCheckout();
        assert.equal(res.status, 201);
        assert.equal(ordersCount(), before + 1);
        assert.equal(fake.control.callCount('POST /api/mintoffice/v1/orders'), 2);
      });

      test('a long 429 answers 503 upstream_error with Retry-After, without waiting', async () => {
        fake.control.rateLimitNext(3, 30);
        const started = Date.now();
        const res = await tryCheckout();
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('Retry-After'), '30');
        const body = await json(res);
        assert.equal(body.error.code, 'upstream_error');
        assert.match(body.error.message, /rate limiting/);
        assert.ok(Date.now() - started < 10_000, 'not after waiting out the 30 s'); // loose: a loaded machine is slow too
      });

      test('a 5xx is retried once; persistent 5xx, 400 and a gateway error are 502 upstream_error with the code logged', async () => {
        fake.control.failNext(1, 500);
        assert.equal((await tryCheckout()).status, 201);
        fake.control.failNext(5, 503);
        let res = await tryCheckout();
        assert.equal(res.status, 502);
        assert.equal((await json(res)).error.code, 'upstream_error');
        fake.control.reset();
        fake.control.failNext(1, 400);
        res = await tryCheckout();
        assert.equal(res.status, 502);
        fake.control.failCheckoutCreation(1);
        res = await tryCheckout();
        assert.equal(res.status, 502);
        assert.match((await json(res)).error.message, /payment gateway/);
        assert.ok(server.logLines.some((l) => l.includes('"upstream_code":"payment_gateway_error"')));
      });

      test('a 5xx from POST /orders is retried once, as docs/mintbot.md says: two calls, then 502', async () => {
        fake.control.failNext(2, 503);
        const before = ordersCount();
        const res = await tryCheckout();
        assert.equal(res.status, 502);
        assert.equal(fake.control.callCount('POST /api/mintoffice/v1/orders'), 2);
        assert.equal(ordersCount(), before);
      });

      test('the browser retries a POST /v1/checkout that timed out, with the same Idempotency-Key: one mintbot order', async () => {
        // The first attempt on an app with a tight timeout (same store and public URL, so the same order body);
        // mintbot makes the order meanwhile. The browser's retry, same key and body, reaches the usual app.
        const slow = await servedApp(store, fake, { file: { upstream_timeout_ms: 500 } as Partial<ConfigFile>, publicUrl: http.url });
        try {
          const customer = uniqueId();
          const token = await server.session(customer);
          const body = { plan: 'agent', return_url: 'https://partner.test/billing' };
          const idempotencyKey = `browser-${uniqueId()}`;
          const before = ordersCount();
          fake.control.delayResponses(1000, 1);
          const first = await slow.server.request('POST', '/v1/checkout', { token, body, idempotencyKey });
          assert.equal(first.status, 502);
          const made = () => [...fake.state.orders.values()].at(-1)!;
          const kept = () => [...fake.state.idempotency.values()].some((r) => r.body.startsWith(`{"id":${made().id},`));
          await eventually(() => ordersCount() === before + 1 && kept(), 'mintbot to make and keep the timed-out order');
          const retry = await server.request('POST', '/v1/checkout', { token, body, idempotencyKey });
          assert.equal(retry.status, 201, await retry.clone().text());
          const { checkout_id, action } = await json(retry);
          assert.equal(ordersCount(), before + 1, 'no second order');
          const order = [...fake.state.orders.values()].find((o) => o.external_id === checkout_id)!;
          assert.equal(action.url, order.checkout_url);
          const rows = await store.query('SELECT id FROM checkouts WHERE customer_id = $1', [customer]);
          assert.equal(rows.length, 1, 'one checkout');
        } finally {
          await slow.http.close();
        }
      });

      test('a rotated API key is 502 upstream_error naming MINTBOT_API_KEY, and the key never reaches the log', async () => {
        fake.control.rotateApiKey('mo_test_rotated');
        try {
          const res = await tryCheckout();
          assert.equal(res.status, 502);
          assert.match((await json(res)).error.message, /MINTBOT_API_KEY/);
          assert.ok(server.logLines.some((l) => l.includes('"upstream_code":"invalid_api_key"')));
          assert.ok(!server.logLines.some((l) => l.includes(API_KEY)));
        } finally {
          fake.control.rotateApiKey(API_KEY);
        }
      });

      test('a timeout is 502; the hand-off retry reuses the key and mintbot keeps one order', async () => {
        // The tight timeout only on the call meant to time out: a second app on the same store and public URL
        // (so it sends mintbot the same order body), while the retry goes through the usual one.
        const slow = await servedApp(store, fake, { file: { upstream_timeout_ms: 500 } as Partial<ConfigFile>, publicUrl: http.url });
        try {
          const token = await slow.server.session(uniqueId());
          const created = await json(await slow.server.request('POST', '/v1/checkout', { token, body: { plan: 'agent', mode: 'handoff' } }));
          fake.control.delayResponses(1000, 1);
          const first = await slow.server.request('POST', `/v1/checkout/${created.checkout_id}/start`, { token });
          assert.equal(first.status, 502);
          assert.match((await json(first)).error.message, /in time/);
          // The slow request completes upstream meanwhile: mintbot keeps its answer under the key.
          await eventually(() => fake.state.idempotency.has(`12:${mintbotIdempotencyKey(created.checkout_id)}`), 'mintbot to answer the timed-out request');
          const second = await server.request('POST', `/v1/checkout/${created.checkout_id}/start`, { token });
          assert.equal(second.status, 200, await second.clone().text());
          const orders = [...fake.state.orders.values()].filter((o) => o.external_id === created.checkout_id);
          assert.equal(orders.length, 1);
          assert.equal((await json(second)).action.url, orders[0].checkout_url);
        } finally {
          await slow.http.close();
        }
      });
    });

    describe('same-second webhooks and polls', () => {
      // One clock for mintbot and us, 300 ms into a second: a webhook's whole-second `t` and a poll in that second tie.
      let clock = Math.floor(Date.now() / 1000) * 1000 + 300;
      let tied: Fake;
      let own: Store; // this fake's order ids start at 1 again: a store of its own
      let app: Awaited<ReturnType<typeof servedApp>>;
      before(async () => {
        own = await testStore(engine);
        tied = await startMintbotFake({ apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, now: () => clock, sendOrderCreatedWebhook: false });
        app = await servedApp(own, tied, { now: () => new Date(clock) });
      });
      after(async () => {
        await tied.close();
        await app.http.close();
        await own.close();
      });

      test('a webhook in the second of an earlier poll is applied; a late agent.ready after agent.expired is not', async () => {
        const customer = uniqueId();
        const token = await app.server.session(customer);
        const res = await app.server.request('POST', '/v1/checkout', { token, body: { plan: 'agent' } });
        assert.equal(res.status, 201, await res.clone().text());
        const { checkout_id } = await json(res);
        const order = [...tied.state.orders.values()].find((o) => o.external_id === checkout_id)!;
        await tied.control.pay(order.id);
        // agent.ready is lost: the customer's return polls the deployed order, at 300 ms into the second.
        const webhookUrl = order.webhook_url;
        order.webhook_url = null;
        await tied.control.ready(order.id, 'https://panel.mintbot.test/a/1', new Date(clock + 30 * 86_400_000));
        order.webhook_url = webhookUrl;
        const polled = await json(await app.server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
        assert.equal(polled.fulfillment.status, 'ready');
        assert.equal((await json(await app.server.request('GET', '/v1/entitlements', { token }))).has_access, true);

        // Later in the same second the agent expires; agent.expired is signed with that whole second.
        clock += 500;
        const expired = await tied.control.expire(order.id);
        assert.equal(expired?.status, 200);
        assert.equal(Number(expired!.headers['X-Mintbot-Signature'].split(',')[0].slice(2)) * 1000, clock - 800, 'the same second as the poll');
        assert.equal((await json(await app.server.request('GET', `/v1/checkout/${checkout_id}`, { token }))).fulfillment.status, 'expired');
        assert.equal((await json(await app.server.request('GET', '/v1/entitlements', { token }))).has_access, false, 'the plan lapsed');

        // agent.ready delivered late, in that same second: behind the order's progression, it changes nothing.
        const body = JSON.stringify({ id: order.id, status: 'deployed', external_id: checkout_id, paid_at: order.paid_at, panel_url: order.panel_url, expires_at: order.expires_at });
        const late = await app.server.request('POST', '/v1/webhooks/mintbot', {
          rawBody: body,
          idempotencyKey: null,
          headers: { 'X-Mintbot-Signature': signMintbotWebhook(WEBHOOK_SECRET, body, Math.floor(clock / 1000)), 'X-Mintbot-Event-Id': `evt_${order.id}_agent.ready_late`, 'X-Mintbot-Event-Type': 'agent.ready' },
        });
        assert.equal(late.status, 200, await late.clone().text());
        assert.equal((await json(await app.server.request('GET', '/v1/entitlements', { token }))).has_access, false);
        assert.equal((await json(await app.server.request('GET', `/v1/checkout/${checkout_id}`, { token }))).fulfillment.status, 'expired');
      });
    });

    describe('admin routes (Tollgate API key)', () => {
      const admin = (method: string, path: string, o: { key?: string | null; body?: unknown; idem?: string | null } = {}) =>
        server.request(method, path, { headers: o.key === null ? {} : { Authorization: `Bearer ${o.key ?? TG_API_KEY}` }, body: o.body, idempotencyKey: o.idem });

      test('without or with a wrong key: 401; a customer session is not an API key', async () => {
        for (const path of ['/v1/admin/mintbot/orders', '/v1/admin/mintbot/revenue', '/v1/admin/mintbot/partner']) {
          assert.equal((await admin('GET', path, { key: null })).status, 401);
          assert.equal((await admin('GET', path, { key: 'tg_wrong' })).status, 401);
        }
        const token = await server.session(uniqueId());
        assert.equal((await admin('GET', '/v1/admin/mintbot/partner', { key: token })).status, 401);
        assert.equal((await admin('POST', '/v1/admin/mintbot/orders/1/renew', { key: null, body: {} })).status, 401);
      });

      test('orders page with the cursor passed through; bad filters are 400', async () => {
        const first = await json(await admin('GET', '/v1/admin/mintbot/orders'));
        assert.equal(first.items.length, 2);
        assert.ok(first.next_cursor);
        const second = await json(await admin('GET', `/v1/admin/mintbot/orders?cursor=${first.next_cursor}`));
        assert.ok(second.items[0].id < first.items[1].id + 1);
        const paid = await json(await admin('GET', '/v1/admin/mintbot/orders?status=expired'));
        assert.ok(paid.items.every((o: { status: string }) => o.status === 'expired'));
        assert.equal((await admin('GET', '/v1/admin/mintbot/orders?status=bogus')).status, 400);
        assert.equal((await admin('GET', '/v1/admin/mintbot/orders?cursor=a%20b')).status, 400);
      });

      test('revenue and partner profile are passed through', async () => {
        const revenue = await json(await admin('GET', '/v1/admin/mintbot/revenue'));
        assert.equal(revenue.currency, 'usd');
        assert.ok(revenue.gross_cents > 0);
        assert.ok(Array.isArray(revenue.events));
        const unpaid = await admin('GET', '/v1/admin/mintbot/revenue?include_paid=false');
        assert.equal(unpaid.status, 200);
        assert.equal((await admin('GET', '/v1/admin/mintbot/revenue?include_paid=maybe')).status, 400);
        const partner = await json(await admin('GET', '/v1/admin/mintbot/partner'));
        assert.equal(partner.id, 12);
        assert.equal(partner.api_key_prefix, API_KEY.slice(0, 12));
      });

      test('renew is keyed: one renewal order and one checkout row per key; paying it extends the same customer', async () => {
        const customer = uniqueId();
        const token = await server.session(customer);
        const { order } = await checkout(token);
        await fake.control.pay(order.id);
        assert.equal((await admin('POST', `/v1/admin/mintbot/orders/${order.id}/renew`, { body: {}, idem: null })).status, 400);
        const key = `renew-${uniqueId()}`;
        const res = await admin('POST', `/v1/admin/mintbot/orders/${order.id}/renew`, { body: { duration_days: 60, return_url: 'https://partner.test/account' }, idem: key });
        assert.equal(res.status, 201, await res.clone().text());
        const renewal = await json(res);
        assert.notEqual(renewal.id, order.id);
        assert.equal(renewal.credit_usd, 0);
        assert.equal(renewal.duration_days, 60);
        assert.match(renewal.tollgate_checkout_id, /^chk_/);
        const replay = await admin('POST', `/v1/admin/mintbot/orders/${order.id}/renew`, { body: { duration_days: 60, return_url: 'https://partner.test/account' }, idem: key });
        assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
        assert.equal((await json(replay)).id, renewal.id);
        assert.equal([...fake.state.orders.values()].filter((o) => o.renews_order_id === order.id).length, 1);

        await fake.control.pay(renewal.id);
        const s = await state(token, renewal.tollgate_checkout_id);
        assert.equal(s.status, 'paid');
        assert.equal(s.plan, 'agent');
        assert.equal(s.fulfillment.status, 'provisioning');

        assert.equal((await admin('POST', '/v1/admin/mintbot/orders/424242/renew', { body: { duration_days: 30 } })).status, 404);
        assert.equal((await admin('POST', `/v1/admin/mintbot/orders/${order.id}/renew`, { body: { duration_days: 900 } })).status, 400);
      });
    });
  });
}

describe('mintbot configuration', () => {
  test('without credentials the provider is unavailable: checkout and webhooks answer 503 provider_unavailable', async () => {
    const store = await testStore('pglite');
    try {
      const server = await makeServer({ store, file: MINTBOT_TEST_FILE });
      assert.equal(server.deps.providers.get('mintbot')?.mode, 'unavailable');
      const token = await server.session(uniqueId());
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'agent' } });
      assert.equal(res.status, 503);
      assert.equal((await json(res)).error.code, 'provider_unavailable');
      const hook = await server.request('POST', '/v1/webhooks/mintbot', { rawBody: '{}', idempotencyKey: null });
      assert.equal(hook.status, 503);
    } finally {
      await store.close();
    }
  });

  test('a half-set secret pair, a wrong tier and an unknown section field fail the start-up with the fix', async () => {
    const store = await testStore('pglite');
    try {
      await assert.rejects(makeServer({ store, env: { MINTBOT_API_KEY: 'x' }, file: MINTBOT_TEST_FILE }), (err: Error) => err instanceof ConfigError && /MINTBOT_WEBHOOK_SECRET/.test(err.message));
      const plans = structuredClone((MINTBOT_TEST_FILE as { plans: { prices: { upstream: Record<string, unknown> }[] }[] }).plans);
      plans[1].prices[0].upstream.tier = 's3';
      await assert.rejects(makeServer({ store, file: { ...MINTBOT_TEST_FILE, plans } as Partial<ConfigFile> }), (err: Error) => err instanceof ConfigError && /plans\[1\]\.prices\[0\]\.upstream.*tier/.test(err.message));
      await assert.rejects(
        makeServer({ store, file: { ...MINTBOT_TEST_FILE, providers: { razorpay: {}, mintbot: { langauge: 'en' } } } as Partial<ConfigFile> }),
        (err: Error) => err instanceof ConfigError && /providers\.mintbot/.test(err.message),
      );
    } finally {
      await store.close();
    }
  });
});
