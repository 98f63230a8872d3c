// The read paths' cached customer views (store/customer-views.ts) under metered checks: a consume writes its
// new count into the cached view instead of dropping every view, and a view read while a consume of its
// customer lands is not kept; every other write still drops the views (both engines).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CustomerViews } from '../../server/store/customer-views.js';
import { ensureCustomer } from '../../server/store/customers.js';
import type { Store } from '../../server/store/index.js';
import { consumeUsageBatched, recordUsage } from '../../server/store/usage.js';
import { countingStore, engines, testStore, uniqueId } from './helpers.js';

const PERIOD = '2026-12';
const AT = new Date('2026-12-01T12:00:00Z');

for (const engine of engines()) {
  describe(`cached customer views under metered checks (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await testStore(engine);
    });
    after(() => store.close());

    /** Views over a store that counts the view statement, with no staleness bound (as one process on PGlite). */
    function views() {
      const counted = countingStore(store, /FROM customers c WHERE c\.id/);
      return { views: new CustomerViews(counted.store, 'free', { ttlMs: Number.POSITIVE_INFINITY }), reads: counted.count };
    }

    async function consume(views: CustomerViews, id: string, quantity: number, limit: number | null = null) {
      const result = await consumeUsageBatched(store, { customerId: id, metric: 'messages', period: PERIOD, quantity, limit });
      views.noteUsage(id, PERIOD, 'messages', result.used);
      return result;
    }

    test('a consume keeps the other customers cached and brings its own view up to date', async () => {
      const [a, b] = [uniqueId(), uniqueId()];
      for (const id of [a, b]) await ensureCustomer(store, 'free', { id });
      const { views: v, reads } = views();
      await v.get({ id: a }, PERIOD, AT);
      await v.get({ id: b }, PERIOD, AT);
      assert.equal(reads(), 2);
      assert.deepEqual(await consume(v, a, 3), { allowed: true, used: 3 });
      assert.deepEqual(await consume(v, a, 4), { allowed: true, used: 7 });
      // Neither view was read again: b is as it was, a shows the count the consumes left.
      assert.deepEqual((await v.get({ id: b }, PERIOD, AT)).usage, []);
      assert.deepEqual((await v.get({ id: a }, PERIOD, AT)).usage, [{ metric: 'messages', used: 7 }]);
      assert.equal(reads(), 2);
      // Concurrent consumes answer in any order: the view keeps the largest count, which is the last.
      const many = await Promise.all(Array.from({ length: 10 }, () => consume(v, a, 1)));
      assert.equal(Math.max(...many.map((r) => r.used)), 17);
      assert.deepEqual((await v.get({ id: a }, PERIOD, AT)).usage, [{ metric: 'messages', used: 17 }]);
      // A refused consume changes nothing.
      assert.deepEqual(await consume(v, a, 5, 20), { allowed: false, used: 17 });
      assert.deepEqual((await v.get({ id: a }, PERIOD, AT)).usage, [{ metric: 'messages', used: 17 }]);
      assert.equal(reads(), 2);
      // What is read from the store agrees.
      const fresh = new CustomerViews(store, 'free');
      assert.deepEqual((await fresh.get({ id: a }, PERIOD, AT)).usage, [{ metric: 'messages', used: 17 }]);
    });

    test('a correction through POST /v1/usage (recordUsage) still drops the views', async () => {
      const id = uniqueId();
      await ensureCustomer(store, 'free', { id });
      const { views: v, reads } = views();
      await consume(v, id, 10);
      await v.get({ id }, PERIOD, AT);
      assert.equal(reads(), 1);
      await recordUsage(store, { customerId: id, metric: 'messages', period: PERIOD, quantity: -4, reason: 'test correction' });
      assert.deepEqual((await v.get({ id }, PERIOD, AT)).usage, [{ metric: 'messages', used: 6 }]);
      assert.equal(reads(), 2);
    });

    test('a view read while a consume of the same customer lands is not kept', async () => {
      const id = uniqueId();
      await ensureCustomer(store, 'free', { id });
      // A store whose view statement waits until the consume below has been noted.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let reads = 0;
      let fetched = false;
      const slow = Object.create(store) as Store;
      slow.query = async <T>(text: string, params?: unknown[]) => {
        if (/FROM customers c WHERE c\.id/.test(text)) {
          reads++;
          const rows = await store.query<T>(text, params);
          if (reads === 1) {
            fetched = true;
            await gate;
          }
          return rows;
        }
        return store.query<T>(text, params);
      };
      const v = new CustomerViews(slow, 'free', { ttlMs: Number.POSITIVE_INFINITY });
      const reading = v.get({ id }, PERIOD, AT);
      // The read has its row (used: nothing yet) when the consume is noted.
      while (!fetched) await new Promise((r) => setImmediate(r));
      await consume(v, id, 2);
      release();
      assert.deepEqual((await reading).usage, []);
      // Not kept: the next read asks the store, and sees the consume.
      assert.deepEqual((await v.get({ id }, PERIOD, AT)).usage, [{ metric: 'messages', used: 2 }]);
      assert.equal(reads, 2);
    });
  });
}
