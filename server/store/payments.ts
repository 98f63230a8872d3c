// The payments ledger (migration 15): one row per provider payment. Paid checkouts reach it by a trigger in
// the transaction that marks them paid; a subscription's renewal charges are recorded here by the provider.
import type { Interval } from '../../src/contract/index.js';
import type { Sql } from './index.js';

export interface PaymentRow {
  provider: string;
  payment_id: string;
  customer_id: string;
  checkout_id: string | null;
  subscription_id: string | null;
  kind: 'checkout' | 'renewal';
  plan: string;
  interval: Interval;
  quantity: number;
  amount: number;
  currency: string;
  status: 'paid' | 'refunded';
  method: string | null;
  invoice_id: string | null;
  invoice_url: string | null;
  period_start: Date | null;
  period_end: Date | null;
  paid_at: Date;
  refunded_at: Date | null;
  /** listPayments: the checkout's kind (`seats` for a seat top-up); null for a renewal. */
  checkout_kind?: 'plan' | 'seats' | null;
}

export type RenewalPayment = Pick<PaymentRow, 'provider' | 'payment_id' | 'customer_id' | 'subscription_id' | 'plan' | 'interval' | 'amount' | 'currency' | 'paid_at'> &
  Partial<Pick<PaymentRow, 'checkout_id' | 'quantity' | 'method' | 'invoice_id' | 'invoice_url' | 'period_start' | 'period_end'>>;

/** A subscription charge, once per provider payment id: true when this call recorded it. */
export async function recordRenewalPayment(sql: Sql, p: RenewalPayment): Promise<boolean> {
  const rows = await sql.query(
    `INSERT INTO payments (provider, payment_id, customer_id, checkout_id, subscription_id, kind, plan, interval, quantity, amount, currency, method, invoice_id, invoice_url, period_start, period_end, paid_at)
     VALUES ($1, $2, $3, $4, $5, 'renewal', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING RETURNING payment_id`,
    [p.provider, p.payment_id, p.customer_id, p.checkout_id ?? null, p.subscription_id, p.plan, p.interval, p.quantity ?? 1, p.amount, p.currency, p.method ?? null, p.invoice_id ?? null, p.invoice_url ?? null, p.period_start ?? null, p.period_end ?? null, p.paid_at],
  );
  return rows.length === 1;
}

/** A customer's payments, newest first. */
export function listPayments(sql: Sql, customerId: string, limit = 100): Promise<PaymentRow[]> {
  return sql.query<PaymentRow>(
    'SELECT p.*, k.kind AS checkout_kind FROM payments p LEFT JOIN checkouts k ON k.id = p.checkout_id WHERE p.customer_id = $1 ORDER BY p.paid_at DESC, p.payment_id LIMIT $2',
    [customerId, limit],
  );
}
