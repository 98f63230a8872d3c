// Group commit (store/batch.ts): concurrent requests' like statements go as one, and keep every guarantee:
// 40 customers verifying at once get 40 upgrades and 40 audit rows, replays change nothing, and one bad item
// in a batch fails alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countingStore, engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { Batcher } from '../../server/store/batch.js';
import { signRazorpayPayment } from '../../server/security/signatures.js';
import type { Store } from '../../server/store/index.js';

describe('Batcher', () => {
  test('items added together go in one run, in order; one failing item fails alone', async () => {
    const runs: number[][] = [];
    const batcher = new Batcher<number, number>(async (items) => {
      runs.push(items);
      if (items.includes(13)) throw new Error('thirteen');
      return items.map((n) => n * 2);
    });
    const results = await Promise.allSettled([1, 2, 13, 4].map((n) => batcher.add(n)));
    assert.deepEqual(runs[0], [1, 2, 13, 4]);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [2, 4, 'thirteen', 8]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(batcher.busy, false);
  });
});

for (const engine of engines()) {
  describe(`concurrent verifies in batches (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let markPaid: ReturnType<typeof countingStore>;
    before(async () => {
      store = await testStore(engine);
      markPaid = countingStore(store, /tollgate_mark_paid/);
      server = await makeServer({ store: markPaid.store, sandboxWebhookDelayMs: 600_000, file: { rate_limits: { customer: { limit: 1000, window_s: 60 }, ip: { limit: 1000, window_s: 60 } } } });
    });
    after(async () => {
      await server.close();
      await store.close();
    });

    test('40 customers verify at once, each twice: 40 upgrades, 40 audit rows, fewer statements than verifies', async () => {
      const buyers = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const customer = uniqueId();
          const token = await server.session(customer);
          const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
          assert.equal(res.status, 201);
          const orderId = (await json(res)).action.order_id as string;
          const paymentId = `pay_${uniqueId('b').replace('_', '')}`;
          return { customer, token, body: { plan: 'pro', razorpay_order_id: orderId, razorpay_payment_id: paymentId, razorpay_signature: signRazorpayPayment(server.deps.config.razorpay.keySecret, orderId, paymentId) } };
        }),
      );
      const before = markPaid.count();
      const answers = await Promise.all(buyers.flatMap((b) => [1, 2].map(() => server.request('POST', '/v1/razorpay/verify', { token: b.token, body: b.body }).then(async (r) => [r.status, await json(r)] as const))));
      assert.ok(answers.every(([status, body]) => status === 200 && body.new_plan === 'pro'), JSON.stringify(answers.find(([s]) => s !== 200)));
      assert.ok(markPaid.count() - before < answers.length, `${markPaid.count() - before} statements for ${answers.length} verifies`);
      const audit = await store.query<{ customer_id: string }>("SELECT customer_id FROM plan_changes WHERE kind = 'upgrade' AND customer_id = ANY($1::text[])", [buyers.map((b) => b.customer)]);
      assert.equal(audit.length, buyers.length);
      assert.equal(new Set(audit.map((a) => a.customer_id)).size, buyers.length);
      const plans = await store.query<{ plan: string }>('SELECT plan FROM customers WHERE id = ANY($1::text[])', [buyers.map((b) => b.customer)]);
      assert.deepEqual([...new Set(plans.map((p) => p.plan))], ['pro']);
    });
  });
}
