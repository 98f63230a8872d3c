// The peer integration the HTTP bench compares Tollgate's verify with: the code a partner would write instead —
// Express, the official `razorpay` SDK's validatePaymentVerification, and two UPDATEs in one transaction (the
// checkout row marked paid, the customer row upgraded) on the same store engine as Tollgate's. Run as a child:
// PORT, PEER_KEY_SECRET, PEER_ROWS (checkouts `order_peer_<i>` seeded unpaid), and PEER_DATABASE_URL (PostgreSQL,
// its own schema in `options`) or PEER_DATA_DIR (a PGlite folder of its own).
import express from 'express';
import razorpayUtils from 'razorpay/dist/utils/razorpay-utils.js';

const { validatePaymentVerification } = razorpayUtils;
const keySecret = process.env.PEER_KEY_SECRET!;
const rows = Number(process.env.PEER_ROWS ?? 10_000);

interface Db {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  transaction<T>(fn: (tx: { query: Db['query'] }) => Promise<T>): Promise<T>;
}

async function openDb(): Promise<Db> {
  if (process.env.PEER_DATABASE_URL) {
    const pg = (await import('pg')).default;
    // The same pool size as Tollgate's store (server/store/index.ts).
    const pool = new pg.Pool({ connectionString: process.env.PEER_DATABASE_URL, max: 10 });
    return {
      query: (text, params) => pool.query(text, params),
      async transaction(fn) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn({ query: (text, params) => client.query(text, params) });
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        } finally {
          client.release();
        }
      },
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(process.env.PEER_DATA_DIR);
  return { query: (text, params) => db.query(text, params), transaction: (fn) => db.transaction((tx) => fn({ query: (text, params) => tx.query(text, params) })) };
}

const db = await openDb();
await db.query(`CREATE TABLE customers (id text PRIMARY KEY, plan text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
await db.query(`CREATE TABLE checkouts (
  id text PRIMARY KEY, customer_id text NOT NULL REFERENCES customers(id), plan text NOT NULL, status text NOT NULL DEFAULT 'created',
  provider_order_id text NOT NULL UNIQUE, payment_id text UNIQUE, paid_at timestamptz)`);
await db.query(`INSERT INTO customers (id, plan) SELECT 'cust_' || i, 'free' FROM generate_series(1, $1::int) AS i`, [rows]);
await db.query(`INSERT INTO checkouts (id, customer_id, plan, provider_order_id) SELECT 'co_' || i, 'cust_' || i, 'pro', 'order_peer_' || i FROM generate_series(1, $1::int) AS i`, [rows]);

const app = express();
app.get('/healthz', (_req, res) => void res.json({ ok: true }));
app.post('/verify', express.json(), async (req, res) => {
  const { razorpay_order_id: orderId, razorpay_payment_id: paymentId, razorpay_signature: signature } = req.body ?? {};
  if (typeof orderId !== 'string' || typeof paymentId !== 'string' || typeof signature !== 'string') return void res.status(400).json({ error: 'missing fields' });
  if (!validatePaymentVerification({ order_id: orderId, payment_id: paymentId }, signature, keySecret)) return void res.status(400).json({ error: 'invalid signature' });
  try {
    const plan = await db.transaction(async (tx) => {
      const paid = await tx.query(`UPDATE checkouts SET status = 'paid', payment_id = $2, paid_at = now() WHERE provider_order_id = $1 AND status = 'created' RETURNING customer_id, plan`, [orderId, paymentId]);
      const row = paid.rows[0] as { customer_id: string; plan: string } | undefined;
      if (!row) return null;
      await tx.query(`UPDATE customers SET plan = $2, updated_at = now() WHERE id = $1`, [row.customer_id, row.plan]);
      return row.plan;
    });
    if (!plan) return void res.status(409).json({ error: 'unknown or already paid order' });
    res.json({ message: 'Plan upgraded', new_plan: plan, payment_id: paymentId });
  } catch (err) {
    res.status(500).json({ error: String(err) });
  }
});
app.listen(Number(process.env.PORT), '127.0.0.1');
