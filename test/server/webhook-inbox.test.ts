// The webhook inbox (providers/webhook-inbox.ts) with the default `webhooks.acknowledge: "stored"`: an event is
// stored before the 2xx and applied right after, once, whatever the redeliveries, the concurrency and crashes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countingStore, engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { signRazorpayWebhook } from '../../server/security/signatures.js';
import type { Store } from '../../server/store/index.js';

for (const engine of engines()) {
  describe(`webhook inbox (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    /** Statements that store webhook events, counted through the store the server uses. */
    let inboxWrites: ReturnType<typeof countingStore>;
    before(async () => {
      store = await testStore(engine);
      inboxWrites = countingStore(store, /INSERT INTO webhook_events/);
      server = await makeServer({ store: inboxWrites.store, sandboxWebhookDelayMs: 600_000, file: { webhooks: { acknowledge: 'stored' } } });
    });
    after(async () => {
      await server.close();
      await store.close();
    });

    const secret = () => server.deps.config.razorpay.webhookSecret;
    const deliver = (eventId: string, payload: Record<string, unknown>, event = 'payment.captured') => {
      const raw = JSON.stringify({ entity: 'event', account_id: 'acc_test', event, contains: Object.keys(payload), payload, created_at: Math.floor(Date.now() / 1000) });
      return server.request('POST', '/v1/webhooks/razorpay', { rawBody: raw, idempotencyKey: null, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(secret(), raw), 'X-Razorpay-Event-Id': eventId } });
    };
    const captured = (paymentId: string, orderId: string) => ({ payment: { entity: { id: paymentId, entity: 'payment', order_id: orderId, amount: 159900, currency: 'INR', status: 'captured' } } });
    async function order(customer = uniqueId()) {
      const token = await server.session(customer);
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(res.status, 201);
      return { customer, orderId: (await json(res)).action.order_id as string };
    }
    const row = async (eventId: string) => (await store.query<{ outcome: string | null; payload: unknown }>("SELECT outcome, payload FROM webhook_events WHERE provider = 'razorpay' AND event_id = $1", [eventId]))[0];
    /** A paid order's payment.captured event, stored and not applied: what a process that died between its 2xx and the application leaves behind. */
    async function leftUnapplied() {
      const { customer, orderId } = await order();
      const eventId = `evt_${uniqueId('k')}`;
      const body = { entity: 'event', event: 'payment.captured', payload: captured(`pay_${uniqueId('k')}`, orderId) };
      await store.query("INSERT INTO webhook_events (provider, event_id, type, payload) VALUES ('razorpay', $1, 'payment.captured', $2::jsonb)", [eventId, JSON.stringify(body)]);
      return { customer, eventId, body };
    }
    const anotherProcess = () => makeServer({ store, sandboxWebhookDelayMs: 600_000, file: { webhooks: { acknowledge: 'stored' } } });
    const audit = (customer: string) => store.query<{ kind: string }>('SELECT kind FROM plan_changes WHERE customer_id = $1', [customer]);

    test('acknowledged once stored (queued), applied right after: one upgrade; redeliveries are duplicate', async () => {
      const { customer, orderId } = await order();
      const eventId = `evt_${uniqueId('q')}`;
      const first = await deliver(eventId, captured(`pay_${uniqueId('q')}`, orderId));
      assert.equal(first.status, 200);
      assert.deepEqual(await json(first), { received: true, outcome: 'queued' });
      // Stored, with the event, before the answer.
      assert.ok((await row(eventId)).payload);
      await server.deps.webhookInbox.idle();
      assert.equal((await row(eventId)).outcome, 'upgraded');
      for (let i = 0; i < 3; i++) assert.equal((await json(await deliver(eventId, captured('pay_other', orderId)))).outcome, 'duplicate');
      await server.deps.webhookInbox.idle();
      assert.deepEqual((await audit(customer)).map((a) => a.kind), ['upgrade']);
    });

    test('20 concurrent deliveries of one event: stored once, applied once; 100 events arriving together take fewer statements than events', async () => {
      const { customer, orderId } = await order();
      const eventId = `evt_${uniqueId('c')}`;
      const answers = await Promise.all(Array.from({ length: 20 }, () => deliver(eventId, captured(`pay_${uniqueId('c')}`, orderId)).then(json)));
      assert.ok(answers.every((a) => a.received === true));
      await server.deps.webhookInbox.idle();
      assert.deepEqual((await audit(customer)).map((a) => a.kind), ['upgrade']);
      assert.equal((await store.query("SELECT count(*)::int AS n FROM webhook_events WHERE event_id = $1", [eventId]))[0].n, 1);

      const before = inboxWrites.count();
      const ids = Array.from({ length: 100 }, () => `evt_${uniqueId('b')}`);
      const many = await Promise.all(ids.map((id) => deliver(id, captured(`pay_${uniqueId('b')}`, 'order_notours'))));
      assert.ok(many.every((r) => r.status === 200));
      const statements = inboxWrites.count() - before;
      assert.ok(statements < ids.length, `${statements} statements for ${ids.length} events`);
      await server.deps.webhookInbox.idle();
      const outcomes = await store.query<{ outcome: string }>('SELECT outcome FROM webhook_events WHERE event_id = ANY($1::text[])', [ids]);
      assert.deepEqual([...new Set(outcomes.map((o) => o.outcome))], ['unknown_order']);
      assert.equal(outcomes.length, ids.length);
    });

    test('an event acknowledged before a crash (stored, not applied) is applied once by the next process; a redelivery meanwhile adds nothing', async () => {
      const { customer, eventId, body } = await leftUnapplied();
      const next = await anotherProcess();
      try {
        // The provider redelivers while the new process sweeps.
        const redelivered = await json(await next.request('POST', '/v1/webhooks/razorpay', {
          rawBody: JSON.stringify(body),
          idempotencyKey: null,
          headers: { 'X-Razorpay-Signature': signRazorpayWebhook(next.deps.config.razorpay.webhookSecret, JSON.stringify(body)), 'X-Razorpay-Event-Id': eventId },
        }));
        assert.equal(redelivered.received, true, JSON.stringify(redelivered));
        await next.deps.webhookInbox.idle();
      } finally {
        await next.close();
      }
      assert.equal((await row(eventId)).outcome, 'upgraded');
      assert.deepEqual((await audit(customer)).map((a) => a.kind), ['upgrade']);
      assert.equal((await store.query<{ plan: string }>('SELECT plan FROM customers WHERE id = $1', [customer]))[0].plan, 'pro');
    });

    test('two processes applying the same stored event: one applies it, the other finds it applied', async () => {
      const { customer, eventId } = await leftUnapplied();
      const other = await anotherProcess();
      try {
        await Promise.all([server.deps.webhookInbox.sweep(), other.deps.webhookInbox.sweep()]);
        await Promise.all([server.deps.webhookInbox.idle(), other.deps.webhookInbox.idle()]);
      } finally {
        await other.close();
      }
      assert.equal((await row(eventId)).outcome, 'upgraded');
      assert.deepEqual((await audit(customer)).map((a) => a.kind), ['upgrade']);
    });
  });
}

