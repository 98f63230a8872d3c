// `npx tsx bench/outbox.ts`: what the partner-webhook outbox (migration 13) costs the write a payment makes,
// `tollgate_mark_paid`, measured inside the database (one statement per round): with no endpoint configured
// (no trigger exists: the same work as before the outbox) against one endpoint (3 events queued per payment).
import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '../server/store/index.js';
import { syncEndpoints } from '../server/store/outbox.js';

const N = Number(process.env.BENCH_OUTBOX_N ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);

async function bench(store: Store, label: string) {
  let k = 0;
  /** µs per tollgate_mark_paid over N fresh checkouts. */
  async function round(endpoint: boolean): Promise<number> {
    await syncEndpoints(store, endpoint ? [{ url: 'http://127.0.0.1:9/bench', events: null }] : []);
    const ids = Array.from({ length: N }, () => `bench_${k++}`);
    await store.query(`INSERT INTO customers (id, plan) SELECT unnest($1::text[]), 'free'`, [ids]);
    await store.query(`INSERT INTO checkouts (id, customer_id, plan, interval, provider, amount, currency) SELECT 'chk_' || c, c, 'pro', 'month', 'razorpay', 159900, 'INR' FROM unnest($1::text[]) c`, [ids]);
    const start = performance.now();
    await store.query(
      `SELECT count(tollgate_mark_paid('chk_' || c, 'pay_' || c, 'razorpay', NULL, now(), now() + interval '1 month', now() + interval '1 year', ARRAY[]::text[], ARRAY[]::text[])) FROM unnest($1::text[]) c`,
      [ids],
    );
    return ((performance.now() - start) / N) * 1000;
  }
  const none: number[] = [];
  const one: number[] = [];
  await round(true);
  await round(false);
  // Alternate which goes first, so the tables' growth and the machine's load fall on both alike.
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2) none.push(await round(false)), one.push(await round(true));
    else one.push(await round(true)), none.push(await round(false));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`| ${label} | ${median(none).toFixed(0)} µs | ${median(one).toFixed(0)} µs | ${(median(one) / median(none)).toFixed(2)} |`);
}

console.log(`npx tsx bench/outbox.ts (N=${N}, ROUNDS=${ROUNDS}${process.env.DATABASE_URL ? ', DATABASE_URL set' : ''})\n`);
console.log('| store | tollgate_mark_paid, no endpoint | one endpoint (3 events) | ratio |\n| --- | --- | --- | --- |');
const pglite = await openStore();
await bench(pglite, 'PGlite');
await pglite.close();
if (process.env.DATABASE_URL) {
  const schema = `bench_outbox_${randomBytes(4).toString('hex')}`;
  const pg = await openStore({ databaseUrl: process.env.DATABASE_URL, schema });
  try {
    await bench(pg, 'PostgreSQL');
  } finally {
    await pg.query(`DROP SCHEMA ${schema} CASCADE`);
    await pg.close();
  }
}
