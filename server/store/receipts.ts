// Receipts and credit notes (migration 17): issued and numbered by the trigger on payments; here the config's
// series, format and seller are written for it, and a customer's receipts are read with their payments.
import type { Interval, TaxLine } from '../../src/contract/index.js';
import type { Sql, Store } from './index.js';

export interface ReceiptSettings {
  series: string;
  credit_note_series: string;
  format: string;
  seller: Record<string, string | null>;
  public_url: string;
}

/** A receipt or credit note with the payment it is for (and, for a credit note, its receipt's number). */
export interface ReceiptRow {
  id: string;
  kind: 'receipt' | 'credit_note';
  series: string;
  seq: number;
  number: string;
  customer_id: string;
  receipt_id: string | null;
  receipt_number: string | null;
  amount: number;
  currency: string;
  seller: Record<string, string | null>;
  buyer: Record<string, string | null>;
  issued_at: Date;
  provider: string;
  payment_id: string;
  payment_kind: 'checkout' | 'renewal';
  plan: string;
  interval: Interval;
  quantity: number;
  method: string | null;
  payment_status: 'paid' | 'refunded';
  paid_at: Date;
  period_start: Date | null;
  period_end: Date | null;
  /** The paid checkout's terms (a checkout's first payment; null for a renewal): its promotion discount, tax line, business details and unit price. */
  checkout_discount: number | null;
  checkout_promotion_code: string | null;
  checkout_tax: TaxLine | null;
  checkout_business: { legal_name?: string; gstin?: string; vat_id?: string; address?: { line1: string; line2?: string; city: string; state?: string; postal_code: string; country: string } } | null;
  checkout_unit_amount: number | null;
  /** A seat top-up's (migration 24): kind 'seats', prorated to this period end; 'plan' otherwise, null for a renewal. */
  checkout_kind: 'plan' | 'seats' | null;
  checkout_prorated_until: Date | null;
}

/**
 * Make receipt_settings the config's receipts section: what the trigger numbers the next payment with. The row
 * is written only when it differs, under a lock, so instances starting together write it once.
 */
export async function syncReceiptSettings(store: Store, settings: ReceiptSettings): Promise<void> {
  await store.transaction(async (tx) => {
    if (store.engine === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(72618)');
    // `{}` only until the first start writes a seller (a seller always has a legal name): migration 17's default.
    const [before] = await tx.query<{ unset: boolean }>(`SELECT seller = '{}'::jsonb AS unset FROM receipt_settings WHERE id`);
    await tx.query(
      `UPDATE receipt_settings SET series = $1, credit_note_series = $2, format = $3, seller = $4::jsonb, public_url = $5
       WHERE id AND (series, credit_note_series, format, seller, public_url) IS DISTINCT FROM ($1, $2, $3, $4::jsonb, $5)`,
      [settings.series, settings.credit_note_series, settings.format, JSON.stringify(settings.seller), settings.public_url],
    );
    // Payments from before migration 17 were numbered there, before any settings were known (seller `{}`): they
    // take the seller of the first start that knows one, once. Every later receipt keeps the seller it was issued with.
    if (before?.unset) await tx.query(`UPDATE receipts SET seller = $1::jsonb WHERE seller = '{}'::jsonb`, [JSON.stringify(settings.seller)]);
  });
}

const SELECT = `SELECT r.id, r.kind, r.series, r.seq::int AS seq, r.number, r.customer_id, r.receipt_id, o.number AS receipt_number, r.amount, r.currency,
    r.seller, r.buyer, r.issued_at, r.provider, r.payment_id, p.kind AS payment_kind, p.plan, p.interval, p.quantity, p.method,
    p.status AS payment_status, p.paid_at, p.period_start, p.period_end,
    k.discount AS checkout_discount, k.promotion_code AS checkout_promotion_code, k.tax AS checkout_tax, k.business AS checkout_business,
    (k.price->>'amount')::integer AS checkout_unit_amount, k.kind AS checkout_kind, k.prorated_until AS checkout_prorated_until
  FROM receipts r JOIN payments p ON p.provider = r.provider AND p.payment_id = r.payment_id
  LEFT JOIN receipts o ON o.id = r.receipt_id
  LEFT JOIN checkouts k ON k.id = p.checkout_id`;

/** A customer's receipts and credit notes, newest first. */
export function listReceipts(sql: Sql, customerId: string, limit = 100): Promise<ReceiptRow[]> {
  return sql.query<ReceiptRow>(`${SELECT} WHERE r.customer_id = $1 ORDER BY r.issued_at DESC, r.kind DESC, r.seq DESC LIMIT $2`, [customerId, limit]);
}

/** One of the customer's receipts or credit notes, by id (`rct_…`, `crn_…`) or number; another customer's is none. */
export async function getReceipt(sql: Sql, customerId: string, ref: string): Promise<ReceiptRow | null> {
  const by = /^(rct|crn)_[0-9a-f]{32}$/.test(ref) ? 'r.id' : 'r.number';
  const [row] = await sql.query<ReceiptRow>(`${SELECT} WHERE ${by} = $1 AND r.customer_id = $2 ORDER BY r.issued_at LIMIT 1`, [ref, customerId]);
  return row ?? null;
}

/** The credit notes issued against a receipt. */
export function creditNotesOf(sql: Sql, receiptId: string): Promise<{ id: string; number: string }[]> {
  return sql.query('SELECT id, number FROM receipts WHERE receipt_id = $1 ORDER BY seq', [receiptId]);
}
