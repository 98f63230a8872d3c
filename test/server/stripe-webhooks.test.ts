// POST /v1/webhooks/stripe: Stripe-Signature checked against the `stripe` SDK in both directions, tampered,
// stale, future-dated, malformed and replayed events, and dedup that survives concurrent redelivery.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { ensureCustomer, linkProviderCustomer } from '../../server/billing.js';
import { signTimestamped, verifyTimestampedSignature } from '../../server/security/signatures.js';
import type { Store } from '../../server/store/index.js';

const SECRET = 'whsec_test_webhooks';
const KEYS = { STRIPE_SECRET_KEY: 'sk_test_tollgate', STRIPE_PUBLISHABLE_KEY: 'pk_test_tollgate', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_BASE: 'http://127.0.0.1:9', TOLLGATE_SANDBOX: '0' };
const sdk = new Stripe('sk_test_unused', { telemetry: false, maxNetworkRetries: 0 });
const nowS = () => Math.floor(Date.now() / 1000);

let counter = 0;
function event(type: string, object: Record<string, unknown>, created = nowS()) {
  return { id: `evt_test${Date.now()}${++counter}`, object: 'event', api_version: '2026-10-28.endive', created, type, data: { object }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null } };
}

for (const engine of engines()) {
  describe(`Stripe webhooks (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: KEYS });
    });
    after(async () => {
      await store.close();
    });

    const post = (body: string, signature: string | undefined) =>
      server.request('POST', '/v1/webhooks/stripe', { rawBody: body, headers: signature === undefined ? {} : { 'Stripe-Signature': signature } });

    async function linkedCustomer() {
      const id = uniqueId();
      await ensureCustomer(store, 'free', { id });
      const cus = `cus_${id.replace(/\W/g, '')}`;
      await linkProviderCustomer(store, 'stripe', id, cus);
      return { id, cus };
    }
    const subscriptionObject = (cus: string, overrides: Record<string, unknown> = {}) => ({
      id: `sub_${cus.slice(4)}`,
      object: 'subscription',
      customer: cus,
      status: 'active',
      cancel_at_period_end: false,
      created: nowS(),
      items: { object: 'list', data: [{ id: 'si_1', object: 'subscription_item', price: { id: 'price_adhoc', currency: 'usd', unit_amount: 1900 }, quantity: 1, current_period_end: nowS() + 30 * 86_400 }] },
      metadata: { plan: 'pro' },
      ...overrides,
    });

    test("an event signed by the SDK's generateTestHeaderString is accepted", async () => {
      const body = JSON.stringify(event('invoice.paid', { id: 'in_1', object: 'invoice' }));
      const res = await post(body, sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }));
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await json(res), { received: true, outcome: 'ignored' });
    });

    test("our signTimestamped is accepted by the SDK's constructEvent, and the SDK's header by our verifier", () => {
      const body = JSON.stringify(event('invoice.paid', { id: 'in_2' }));
      const ours = signTimestamped(SECRET, body);
      assert.equal(sdk.webhooks.constructEvent(body, ours, SECRET).type, 'invoice.paid');
      const theirs = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: nowS() - 10 });
      assert.equal(verifyTimestampedSignature({ secret: SECRET, payload: body, header: theirs }).ok, true);
      assert.throws(() => sdk.webhooks.constructEvent(body + ' ', ours, SECRET));
    });

    test('any matching v1 passes (secret rotation: several signatures in one header)', async () => {
      const body = JSON.stringify(event('invoice.paid', { id: 'in_3' }));
      const t = nowS();
      const good = signTimestamped(SECRET, body, t).split(',')[1]!;
      const wrong = signTimestamped('whsec_old', body, t).split(',')[1]!;
      assert.equal((await post(body, `t=${t},${wrong},${good}`)).status, 200);
    });

    test('tampered body, wrong secret, missing and malformed headers: 400 invalid_signature', async () => {
      const body = JSON.stringify(event('invoice.paid', { id: 'in_4', amount_paid: 100 }));
      const sig = signTimestamped(SECRET, body);
      for (const [payload, header] of [
        [body.replace('100', '1000'), sig],
        [body, signTimestamped('whsec_other', body)],
        [body, undefined],
        [body, 'v1=abc'],
        [body, `t=${nowS()}`],
        [body, 'garbage'],
      ] as const) {
        const res = await post(payload, header);
        assert.equal(res.status, 400, `${header}`);
        assert.equal((await json(res)).error.code, 'invalid_signature');
      }
    });

    test('stale (> 300 s old) and future-dated (> 300 s ahead) events are rejected; inside the window they pass', async () => {
      for (const [offset, status] of [
        // Margins of 10 s: a loaded machine may cross a second boundary between signing and checking.
        [-310, 400],
        [310, 400],
        [-290, 200],
        [290, 200],
      ] as const) {
        const body = JSON.stringify(event('invoice.paid', { id: `in_t${offset}` }));
        const res = await post(body, sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: nowS() + offset }));
        assert.equal(res.status, status, `offset ${offset}`);
      }
    });

    test('the window edge, on a fixed clock: 300 s either way passes, 301 s does not', () => {
      const body = JSON.stringify(event('invoice.paid', { id: 'in_edge' }));
      const now = 1_800_000_000;
      for (const [offset, ok] of [[-300, true], [300, true], [-301, false], [301, false]] as const) {
        const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: now + offset });
        const verdict = verifyTimestampedSignature({ secret: SECRET, payload: body, header, toleranceSeconds: 300, nowSeconds: now });
        assert.deepEqual(verdict, ok ? { ok: true, timestamp: now + offset } : { ok: false, reason: 'timestamp_outside_tolerance' }, `offset ${offset}`);
      }
    });

    test('a signed body that is not a Stripe event: 400 validation_error', async () => {
      for (const body of ['not json', '{"id":"x"}', JSON.stringify({ ...event('invoice.paid', {}), id: 'bad id' })]) {
        const res = await post(body, signTimestamped(SECRET, body));
        assert.equal(res.status, 400);
        assert.equal((await json(res)).error.code, 'validation_error');
      }
    });

    test('a replayed event is acknowledged as a duplicate and changes nothing; concurrent redeliveries apply once', async () => {
      const { id, cus } = await linkedCustomer();
      const body = JSON.stringify(event('customer.subscription.created', subscriptionObject(cus)));
      const first = await json(await post(body, signTimestamped(SECRET, body)));
      assert.equal(first.outcome, 'applied');
      const replay = await json(await post(body, signTimestamped(SECRET, body)));
      assert.equal(replay.outcome, 'duplicate');

      const other = await linkedCustomer();
      const body2 = JSON.stringify(event('customer.subscription.created', subscriptionObject(other.cus, { metadata: { plan: 'team' } })));
      const outcomes = await Promise.all([1, 2, 3].map(() => post(body2, signTimestamped(SECRET, body2)).then(json)));
      assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['applied', 'duplicate', 'duplicate']);

      for (const c of [id, other.id]) assert.equal((await store.query('SELECT 1 FROM plan_changes WHERE customer_id = $1', [c])).length, 1);
      const [row] = await store.query<{ plan: string; status: string; billing_provider: string }>('SELECT plan, status, billing_provider FROM customers WHERE id = $1', [id]);
      assert.deepEqual({ ...row }, { plan: 'pro', status: 'active', billing_provider: 'stripe' });
    });

    test('events for unknown customers, unknown plans or incomplete subscriptions are acknowledged without a change', async () => {
      const unknown = JSON.stringify(event('customer.subscription.updated', subscriptionObject('cus_nobody')));
      assert.equal((await json(await post(unknown, signTimestamped(SECRET, unknown)))).outcome, 'unknown_customer');
      const ghost = JSON.stringify(event('customer.subscription.updated', subscriptionObject('cus_ghost', { metadata: { plan: 'pro', customer_id: 'cust_deleted' } })));
      assert.equal((await json(await post(ghost, signTimestamped(SECRET, ghost)))).outcome, 'unknown_customer');
      const { id, cus } = await linkedCustomer();
      const noPlan = JSON.stringify(event('customer.subscription.updated', subscriptionObject(cus, { metadata: {} })));
      assert.equal((await json(await post(noPlan, signTimestamped(SECRET, noPlan)))).outcome, 'unknown_plan');
      const incomplete = JSON.stringify(event('customer.subscription.created', subscriptionObject(cus, { status: 'incomplete' })));
      assert.equal((await json(await post(incomplete, signTimestamped(SECRET, incomplete)))).outcome, 'ignored_incomplete');
      const session = JSON.stringify(event('checkout.session.completed', { id: 'cs_test_unknown', object: 'checkout.session', status: 'complete', payment_status: 'paid' }));
      assert.equal((await json(await post(session, signTimestamped(SECRET, session)))).outcome, 'unknown_session');
      const [row] = await store.query<{ plan: string }>('SELECT plan FROM customers WHERE id = $1', [id]);
      assert.equal(row!.plan, 'free');
    });

    test('invoice.payment_failed marks past_due; an older one arriving after a newer state is ignored', async () => {
      const { id, cus } = await linkedCustomer();
      const t = nowS();
      const created = JSON.stringify(event('customer.subscription.created', subscriptionObject(cus), t - 20));
      await post(created, signTimestamped(SECRET, created));
      const failed = JSON.stringify(event('invoice.payment_failed', { id: 'in_f', object: 'invoice', customer: cus, parent: { type: 'subscription_details', subscription_details: { subscription: `sub_${cus.slice(4)}` } } }, t - 10));
      assert.equal((await json(await post(failed, signTimestamped(SECRET, failed)))).outcome, 'past_due');
      let [row] = await store.query<{ status: string }>('SELECT status FROM customers WHERE id = $1', [id]);
      assert.equal(row!.status, 'past_due');
      const recovered = JSON.stringify(event('customer.subscription.updated', subscriptionObject(cus), t));
      await post(recovered, signTimestamped(SECRET, recovered));
      const late = JSON.stringify(event('invoice.payment_failed', { id: 'in_g', object: 'invoice', customer: cus, parent: { subscription_details: { subscription: 'sub_x' } } }, t - 5));
      assert.equal((await json(await post(late, signTimestamped(SECRET, late)))).outcome, 'stale');
      [row] = await store.query<{ status: string }>('SELECT status FROM customers WHERE id = $1', [id]);
      assert.equal(row!.status, 'active');
    });
  });
}
