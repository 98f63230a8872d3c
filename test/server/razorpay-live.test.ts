// Razorpay in live mode against a fake Razorpay over real HTTP: Basic auth, the order request the server
// sends, upstream 4xx/5xx/timeouts as 502 with nothing lost, and 503 when Razorpay is not configured.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, eventually, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { startRazorpayFake } from '../fakes/razorpay.js';
import type { Store } from '../../server/store/index.js';

const KEY_ID = 'rzp_test_live0000001';
const KEY_SECRET = 'live_key_secret_for_tests';
const WEBHOOK_SECRET = 'live_webhook_secret_for_tests';

for (const engine of engines()) {
  describe(`Razorpay live mode against the HTTP fake (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let fake: Awaited<ReturnType<typeof startRazorpayFake>>;
    before(async () => {
      store = await testStore(engine);
      fake = await startRazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET, webhookSecret: WEBHOOK_SECRET });
      server = await makeServer({
        store,
        env: { RAZORPAY_KEY_ID: KEY_ID, RAZORPAY_KEY_SECRET: KEY_SECRET, RAZORPAY_WEBHOOK_SECRET: WEBHOOK_SECRET, RAZORPAY_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' },
      });
    });
    after(async () => {
      await fake.close();
      await store.close();
    });

    test('checkout creates the order upstream with our checkout id as receipt and the live checkout.js', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'team', interval: 'year' } });
      assert.equal(res.status, 201);
      const body = await json(res);
      assert.equal(body.action.key_id, KEY_ID);
      assert.equal(body.action.script_url, 'https://checkout.razorpay.com/v1/checkout.js');
      assert.equal(body.action.amount, 3999000);
      const order = fake.simulator.orders.get(body.action.order_id)!;
      assert.equal(order.receipt, body.checkout_id);
      assert.deepEqual(order.notes, { customer_id: customer, plan: 'team', checkout_id: body.checkout_id });
      assert.equal(fake.control.callCount('POST /v1/orders'), 1);
      // The full flow: the customer pays at Razorpay, the browser verifies.
      const paid = fake.simulator.pay(order.id);
      const verified = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'team', ...paid } });
      assert.equal(verified.status, 200);
      assert.equal((await json(verified)).new_plan, 'team');
    });

    test('upstream 5xx is 502 upstream_error; the same Idempotency-Key then succeeds with one order', async () => {
      const token = await server.session(uniqueId());
      fake.control.failNext(1, 503);
      const before = fake.simulator.orders.size;
      const first = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'retry-me' });
      assert.equal(first.status, 502);
      const err = await json(first);
      assert.equal(err.error.code, 'upstream_error');
      assert.doesNotMatch(JSON.stringify(err), /SERVER_ERROR|incident/);
      assert.ok(server.logLines.some((l) => l.includes('"upstream_status":503') && l.includes('"upstream_code":"SERVER_ERROR"')));
      const retry = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'retry-me' });
      assert.equal(retry.status, 201);
      assert.equal(retry.headers.get('Idempotent-Replay'), null);
      assert.equal(fake.simulator.orders.size, before + 1);
    });

    test('a retry while the first request is still upstream is 409 conflict with Retry-After, and the running request keeps its claim', async () => {
      const token = await server.session(uniqueId());
      const orders = fake.simulator.orders.size;
      // Razorpay takes 7.5 s: longer than a waiter waits (4 s) and than an unrenewed lease (6 s).
      fake.control.delayResponses(7_500, 1);
      const first = server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'slow-upstream' });
      // The retry only once the first request holds the key: sent at once, the two race for the claim
      // (on PostgreSQL their INSERTs travel on two pooled connections), and the retry may win it.
      await eventually(async () => (await store.query("SELECT 1 FROM idempotency_keys WHERE key = 'slow-upstream' AND status IS NULL")).length > 0, 'the first request to claim the key');
      const retry = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'slow-upstream' });
      assert.equal(retry.status, 409, await retry.clone().text());
      assert.equal((await json(retry)).error.code, 'conflict');
      assert.match(retry.headers.get('Retry-After') ?? '', /^[12]$/);
      // Come back as told: the first request renews its lease while it waits on Razorpay, so this retry
      // waits for its answer instead of taking the key over and ordering again.
      await new Promise((r) => setTimeout(r, Number(retry.headers.get('Retry-After')) * 1000));
      const again = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'slow-upstream' });
      const answered = await first;
      assert.equal(answered.status, 201);
      const checkoutId = (await json(answered)).checkout_id;
      if (again.status === 409) assert.equal((await json(again)).error.code, 'conflict'); // a loaded machine: still running then
      else {
        assert.equal(again.status, 201, await again.clone().text());
        assert.equal(again.headers.get('Idempotent-Replay'), 'true');
        assert.equal((await json(again)).checkout_id, checkoutId);
      }
      assert.equal(fake.simulator.orders.size, orders + 1, 'one order at Razorpay');
      fake.control.reset();
    });

    test('an upstream that does not answer in time is 502, not a hang', async () => {
      // A tight timeout on a server of its own, so the other tests never race a slow round trip to the fake.
      const hasty = await makeServer({
        store,
        env: { RAZORPAY_KEY_ID: KEY_ID, RAZORPAY_KEY_SECRET: KEY_SECRET, RAZORPAY_WEBHOOK_SECRET: WEBHOOK_SECRET, RAZORPAY_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' },
        file: { upstream_timeout_ms: 400 },
      });
      const token = await hasty.session(uniqueId());
      fake.control.delayResponses(2000, 1);
      const started = Date.now();
      const res = await hasty.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(res.status, 502);
      assert.match((await json(res)).error.message, /did not answer in time/);
      assert.ok(Date.now() - started < 1900);
      assert.ok(hasty.logLines.some((l) => l.includes('"upstream_code":"timeout"')));
    });

    test('Razorpay rejecting the credentials or the amount is 502 with the upstream code logged', async () => {
      const cheap = await makeServer({
        store,
        env: { RAZORPAY_KEY_ID: KEY_ID, RAZORPAY_KEY_SECRET: 'wrong-secret', RAZORPAY_WEBHOOK_SECRET: WEBHOOK_SECRET, RAZORPAY_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' },
        file: {
          plans: [
            { id: 'free', name: 'Free' },
            { id: 'tiny', name: 'Tiny', prices: [{ provider: 'razorpay', currency: 'INR', amount: 50, interval: 'month' }] },
          ],
        },
      });
      const token = await cheap.session(uniqueId());
      const res = await cheap.request('POST', '/v1/checkout', { token, body: { plan: 'tiny' } });
      assert.equal(res.status, 502);
      assert.ok(cheap.logLines.some((l) => l.includes('"upstream_status":401')));
      assert.ok(!cheap.logLines.join('\n').includes('wrong-secret'));
    });

    test('a refund.created without payload.payment is deduplicated before the payment look-up: a redelivery never calls Razorpay', async () => {
      const { signRazorpayWebhook } = await import('../../server/security/signatures.js');
      const token = await server.session(uniqueId());
      const { action } = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } }));
      const paid = fake.simulator.pay(action.order_id);
      assert.equal((await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } })).status, 200);
      // Razorpay's refund event may carry only the refund: the order is learnt from GET /v1/payments/:id.
      const refund = fake.simulator.refund(paid.razorpay_payment_id);
      const raw = JSON.stringify({ entity: 'event', event: 'refund.created', payload: { refund: { entity: refund } }, created_at: refund.created_at });
      const eventId = `evt_refund_${uniqueId()}`;
      const deliver = () => server.request('POST', '/v1/webhooks/razorpay', { rawBody: raw, idempotencyKey: null, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(WEBHOOK_SECRET, raw), 'X-Razorpay-Event-Id': eventId } });
      const lookups = () => fake.control.callCount('GET /v1/payments/:id');
      const before = lookups();
      const first = await deliver();
      assert.equal(first.status, 200, await first.clone().text());
      assert.equal((await json(first)).outcome, 'reverted');
      assert.equal(lookups(), before + 1);
      // Redeliveries (Razorpay sends at least once), one of them while Razorpay is failing: answered from the dedup row.
      fake.control.failNext(1, 503);
      for (let i = 0; i < 2; i++) {
        const again = await deliver();
        assert.equal(again.status, 200, await again.clone().text());
        assert.equal((await json(again)).outcome, 'duplicate');
      }
      assert.equal(lookups(), before + 1, 'no look-up for a redelivery');
      fake.control.reset();
    });

    test('the webhook secret, not the key secret, signs webhooks', async () => {
      const { signRazorpayWebhook } = await import('../../server/security/signatures.js');
      const raw = JSON.stringify({ entity: 'event', event: 'payment.captured', payload: {} });
      const withKey = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: raw, idempotencyKey: null, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(KEY_SECRET, raw), 'X-Razorpay-Event-Id': 'evt_a' } });
      assert.equal(withKey.status, 400);
      const right = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: raw, idempotencyKey: null, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(WEBHOOK_SECRET, raw), 'X-Razorpay-Event-Id': 'evt_b' } });
      assert.equal(right.status, 200);
    });
  });
}

describe('Razorpay not configured and sandbox off', () => {
  let store: Store;
  before(async () => {
    store = await testStore();
  });
  after(() => store.close());

  test('checkout, verify and webhooks answer 503 provider_unavailable', async () => {
    const server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '0' } });
    const token = await server.session(uniqueId());
    const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
    assert.equal(res.status, 503);
    assert.equal((await json(res)).error.code, 'provider_unavailable');
    const hook = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: '{}', idempotencyKey: null });
    assert.equal(hook.status, 503);
    const sandbox = await server.request('POST', '/v1/sandbox/session', { body: {} });
    assert.equal(sandbox.status, 404);
  });
});
