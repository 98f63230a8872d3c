// The Razorpay flow end to end against the in-server sandbox and a real-HTTP fake Razorpay: checkout,
// verify (forged, truncated, foreign, replayed, concurrent), webhooks (replayed, out of order), refunds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { signRazorpayWebhook } from '../../server/security/signatures.js';
import { startRazorpayFake } from '../fakes/razorpay.js';
import type { Store } from '../../server/store/index.js';

for (const engine of engines()) {
  describe(`Razorpay sandbox flow (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, sandboxWebhookDelayMs: 0 });
    });
    after(async () => {
      await server.razorpaySandbox?.settle();
      await store.close();
    });

    async function checkout(token: string, plan = 'pro') {
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan } });
      assert.equal(res.status, 201, await res.clone().text());
      return json(res);
    }

    test('checkout prices the plan on the server and returns a razorpay action', async () => {
      const token = await server.session(uniqueId(), { email: 'asha@example.in' });
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', amount: 1 } });
      assert.equal(res.status, 201);
      const body = await json(res);
      assert.match(body.checkout_id, /^chk_/);
      assert.equal(body.action.type, 'razorpay');
      assert.equal(body.action.amount, 159900);
      assert.equal(body.action.currency, 'INR');
      assert.equal(body.action.key_id, 'rzp_test_sandbox');
      assert.match(body.action.order_id, /^order_/);
      assert.equal(body.action.prefill.email, 'asha@example.in');
      assert.equal(body.action.script_url, 'http://tollgate.test/sandbox/razorpay/checkout.js');
      const order = server.razorpaySandbox!.orders.get(body.action.order_id)!;
      assert.equal(order.receipt, body.checkout_id);
      assert.deepEqual(order.notes, { customer_id: order.notes && (order.notes as Record<string, string>).customer_id, plan: 'pro', checkout_id: body.checkout_id });
    });

    test('pay, verify, and the subscription shows pro; the webhooks that follow change nothing', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const { action } = await checkout(token);
      const paid = server.razorpaySandbox!.pay(action.order_id);
      const res = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } });
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { message: 'Plan upgraded', old_plan: 'free', new_plan: 'pro', payment_id: paid.razorpay_payment_id });
      await server.razorpaySandbox!.settle();
      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'pro');
      assert.equal(sub.status, 'active');
      assert.equal(sub.usage.messagesLimit, 10000);
      const audit = await store.query('SELECT * FROM plan_changes WHERE customer_id = $1', [customer]);
      assert.equal(audit.length, 1);
    });
  });
}
