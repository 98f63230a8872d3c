// The checkouts table: reads, and every write of a checkout's life (made, claimed for a start, started
// upstream, failed, expired, pending, canceled, fulfilled) but its payment and refund (store/plan-changes.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { CheckoutState, CheckoutStatus, Interval, ProviderName, TaxLine } from '../../src/contract/index.js';
import type { BusinessDetails } from '../services/business.js';
import type { PlanPriceConfig } from '../config.js';
import type { AppliedPromotion } from '../services/promotions.js';
import { AppError } from '../errors.js';
import { Batcher, perStore } from './batch.js';
import type { Sql, Store } from './index.js';

export interface CheckoutRow {
  id: string;
  customer_id: string;
  plan: string;
  interval: Interval;
  provider: ProviderName;
  amount: number;
  currency: string;
  /** The catalog price chosen when the checkout was made (migration 5); null on older rows: see checkoutPrice(). */
  price: PlanPriceConfig | null;
  mode: 'inline' | 'handoff';
  status: CheckoutStatus | 'starting';
  provider_order_id: string | null;
  payment_id: string | null;
  action: Record<string, unknown> | null;
  last_error: { code: string; message: string } | null;
  fulfillment: CheckoutState['fulfillment'];
  /** The promotion code it was priced with (migration 18), the discount taken off (`amount` is what is charged) and the code's terms. */
  promotion_code: string | null;
  discount: number;
  promotion: AppliedPromotion | null;
  /** Seats bought (migration 21; 1 unless `per_unit`), the tax line in `amount` (null: none) and the buyer's business details. */
  quantity: number;
  per_unit: boolean;
  tax: TaxLine | null;
  tax_amount: number;
  business: BusinessDetails | null;
  /**
   * `plan` buys a plan (the default); `seats` is a one-off period's seat top-up (migration 24): `quantity` seats added
   * to the `seats_from` in force, prorated to `prorated_until` (null: a one-off price with no period end).
   */
  kind: 'plan' | 'seats';
  seats_from: number | null;
  prorated_until: Date | null;
  created_at: Date;
  updated_at: Date;
  paid_at: Date | null;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** An id derived from what identifies a request (a customer and their Idempotency-Key): a retry gets the same id. */
export function derivedId(prefix: string, parts: readonly string[]): string {
  return `${prefix}_${createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 22)}`;
}

export async function getCheckout(sql: Sql, id: string): Promise<CheckoutRow | undefined> {
  const [row] = await sql.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1', [id]);
  return row;
}

export async function findCheckoutByOrder(sql: Sql, providers: ProviderName[], orderId: string): Promise<CheckoutRow | undefined> {
  const [row] = await sql.query<CheckoutRow>('SELECT * FROM checkouts WHERE provider = ANY($1::text[]) AND provider_order_id = $2', [providers, orderId]);
  return row;
}

/**
 * findCheckoutByOrder for the requests that ask together, in one statement (store/batch.ts): for reads
 * outside a transaction (verify, a webhook's look-up). The first of `providers` that has the order wins.
 */
export function loadCheckoutByOrder(store: Store, providers: readonly ProviderName[], orderId: string): Promise<CheckoutRow | undefined> {
  return orderLoader(store).add({ providers, orderId });
}
const orderLoader = perStore(
  (store) =>
    new Batcher<{ providers: readonly ProviderName[]; orderId: string }, CheckoutRow | undefined>(async (items) => {
      const pairs = items.flatMap((item) => item.providers.map((p) => ({ p, o: item.orderId })));
      const rows = await store.query<CheckoutRow>('SELECT * FROM checkouts WHERE (provider, provider_order_id) IN (SELECT p, o FROM json_to_recordset($1::json) AS v(p text, o text))', [JSON.stringify(pairs)]);
      const byOrder = new Map(rows.map((r) => [`${r.provider}\n${r.provider_order_id}`, r]));
      return items.map((item) => item.providers.map((p) => byOrder.get(`${p}\n${item.orderId}`)).find(Boolean));
    }),
);

/** The customer's own checkout, or 404 (another customer's checkout is indistinguishable from none). */
export async function ownCheckout(sql: Sql, customerId: string, id: string): Promise<CheckoutRow> {
  const row = /^chk_[A-Za-z0-9_-]{1,64}$/.test(id) ? await getCheckout(sql, id) : undefined;
  if (!row || row.customer_id !== customerId) throw new AppError('not_found', 'No such checkout');
  return row;
}

export function checkoutState(row: CheckoutRow): CheckoutState {
  return {
    checkout_id: row.id,
    plan: row.plan,
    interval: row.interval,
    provider: row.provider,
    status: row.status === 'starting' ? 'created' : row.status,
    amount: row.amount,
    currency: row.currency,
    payment_id: row.payment_id,
    last_error: row.last_error,
    fulfillment: row.fulfillment,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

export function iso(d: Date | string | null): string | null {
  return d === null ? null : new Date(d).toISOString();
}

/** A new checkout row, or undefined when one with this id exists (a retried request: see services/checkout.ts). */
export async function insertCheckout(
  sql: Sql,
  row: Pick<CheckoutRow, 'id' | 'customer_id' | 'plan' | 'interval' | 'provider' | 'amount' | 'currency' | 'mode'> & {
    price: PlanPriceConfig;
    discount?: number;
    promotion?: AppliedPromotion | null;
    quantity?: number;
    tax?: TaxLine | null;
    business?: BusinessDetails | null;
    /** A seat top-up (services/seats.ts): the seats in force it adds to and the period end it is prorated to. */
    topUp?: { seatsFrom: number; proratedUntil: Date | null };
  },
): Promise<CheckoutRow | undefined> {
  const [inserted] = await sql.query<CheckoutRow>(
    `INSERT INTO checkouts (id, customer_id, plan, interval, provider, amount, currency, mode, price, promotion_code, discount, promotion, quantity, per_unit, tax, tax_amount, business, kind, seats_from, prorated_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12::jsonb, $13, $14, $15::jsonb, $16, $17::jsonb, $18, $19, $20) ON CONFLICT (id) DO NOTHING RETURNING *`,
    [row.id, row.customer_id, row.plan, row.interval, row.provider, row.amount, row.currency, row.mode, JSON.stringify(row.price), row.promotion?.code ?? null, row.discount ?? 0, row.promotion ? JSON.stringify(row.promotion) : null,
     row.quantity ?? 1, row.price.per_unit === true, row.tax ? JSON.stringify(row.tax) : null, row.tax?.amount ?? 0, row.business ? JSON.stringify(row.business) : null,
     row.topUp ? 'seats' : 'plan', row.topUp?.seatsFrom ?? null, row.topUp?.proratedUntil ?? null],
  );
  return inserted;
}

/**
 * Stripe Tax (README "Taxes"): what Stripe charged, written on the unpaid checkout just before it is marked paid,
 * so its payment and receipt carry it. Exclusive when Stripe added the tax to our total, inclusive when it is
 * inside it (a stripe_price_id priced tax-inclusive); any other total is left alone (false): migration 21's
 * checks still hold the row to price × quantity − discount (+ exclusive tax).
 */
export async function recordStripeTax(sql: Sql, checkoutId: string, charged: { amountTax: number; amountTotal: number }, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE checkouts SET amount = $3, tax = tax || jsonb_build_object('amount', $2::integer, 'inclusive', $3::integer = amount), tax_amount = $2, updated_at = $4
     WHERE id = $1 AND status NOT IN ('paid', 'refunded') AND tax->>'computed_by' = 'stripe' AND tax->>'amount' IS NULL
       AND ($3::integer = amount + $2::integer OR ($3::integer = amount AND $2::integer <= amount)) RETURNING id`,
    [checkoutId, charged.amountTax, charged.amountTotal, now],
  );
  return rows.length === 1;
}

/** Claim the start of a hand-off checkout, so two tabs cannot create two upstream orders; undefined when another start holds it. */
export async function claimCheckoutStart(sql: Sql, id: string): Promise<CheckoutRow | undefined> {
  const [claimed] = await sql.query<CheckoutRow>("UPDATE checkouts SET status = 'starting' WHERE id = $1 AND status IN ('created', 'failed') RETURNING *", [id]);
  return claimed;
}

/** The upstream order exists: its id, the browser's next action and the status the provider reported. */
export async function recordCheckoutStarted(sql: Sql, input: { checkoutId: string; providerOrderId: string | null; action: unknown; status: string; now: Date }): Promise<void> {
  await sql.query('UPDATE checkouts SET provider_order_id = $2, action = $3::jsonb, status = $4, updated_at = $5 WHERE id = $1', [
    input.checkoutId,
    input.providerOrderId,
    JSON.stringify(input.action),
    input.status,
    input.now,
  ]);
}

/** Creating the upstream order failed: a hand-off checkout may be started again, an inline one is failed. */
export async function recordCheckoutStartFailed(sql: Sql, input: { checkoutId: string; code: string; message: string; now: Date }): Promise<void> {
  await sql.query("UPDATE checkouts SET status = CASE WHEN mode = 'handoff' THEN 'created' ELSE 'failed' END, last_error = $2::jsonb, updated_at = $3 WHERE id = $1", [
    input.checkoutId,
    JSON.stringify({ code: input.code, message: input.message }),
    input.now,
  ]);
}

/** Record a failed payment attempt; a paid order stays paid (a late failure never undoes a capture). */
export async function recordPaymentFailure(sql: Sql, input: { checkoutId: string; code: string; message: string; now: Date }): Promise<void> {
  await sql.query(
    `UPDATE checkouts SET last_error = $2::jsonb, updated_at = $3,
       status = CASE WHEN status IN ('created', 'starting', 'pending', 'failed') THEN 'failed' ELSE status END
     WHERE id = $1`,
    [input.checkoutId, JSON.stringify({ code: input.code, message: input.message }), input.now],
  );
}

/**
 * The provider closed an unpaid checkout (a Stripe session past its `expires_at`): it can no longer be
 * paid or started. A paid, refunded or already closed checkout keeps its status. True when it changed.
 */
export async function markCheckoutExpired(sql: Sql, input: { checkoutId: string; now: Date }): Promise<boolean> {
  const rows = await sql.query(
    "UPDATE checkouts SET status = 'expired', updated_at = $2 WHERE id = $1 AND status IN ('created', 'starting', 'pending', 'failed') RETURNING id",
    [input.checkoutId, input.now],
  );
  return rows.length === 1;
}

/** The upstream order was made (mintbot's order.created): a created checkout with an order id becomes pending. */
export async function markCheckoutPending(sql: Sql, input: { checkoutId: string; now: Date }): Promise<void> {
  await sql.query("UPDATE checkouts SET status = 'pending', updated_at = $2 WHERE id = $1 AND status = 'created'", [input.checkoutId, input.now]);
}

/** The upstream order was canceled: an open checkout becomes canceled (a paid one stays paid). True when it changed. */
export async function markCheckoutCanceled(sql: Sql, input: { checkoutId: string; now: Date }): Promise<boolean> {
  const [updated] = await sql.query("UPDATE checkouts SET status = 'canceled', updated_at = $2 WHERE id = $1 AND status IN ('created', 'starting', 'pending', 'failed') RETURNING id", [input.checkoutId, input.now]);
  return Boolean(updated);
}

/** What the provider delivered after the payment (mintbot's agent). */
export async function recordFulfillment(sql: Sql, input: { checkoutId: string; fulfillment: CheckoutState['fulfillment']; now: Date }): Promise<void> {
  await sql.query('UPDATE checkouts SET fulfillment = $2::jsonb, updated_at = $3 WHERE id = $1', [input.checkoutId, JSON.stringify(input.fulfillment), input.now]);
}

/** A renewal order made upstream outside a checkout (mintbot's admin renew): a pending redirect checkout; nothing when the id exists. */
export async function insertRenewalCheckout(
  sql: Sql,
  row: Pick<CheckoutRow, 'id' | 'customer_id' | 'plan' | 'interval' | 'provider' | 'amount' | 'currency' | 'provider_order_id'> & { price: PlanPriceConfig; action: unknown; now: Date },
): Promise<void> {
  await sql.query(
    `INSERT INTO checkouts (id, customer_id, plan, interval, provider, amount, currency, price, mode, status, provider_order_id, action, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'inline', 'pending', $9, $10::jsonb, $11, $11) ON CONFLICT DO NOTHING`,
    [row.id, row.customer_id, row.plan, row.interval, row.provider, row.amount, row.currency, JSON.stringify(row.price), row.provider_order_id, JSON.stringify(row.action), row.now],
  );
}
