// Every change of a customer's plan, in one transaction with its audit row (plan_changes): a payment,
// a refund, a provider's subscription state. Each leans on the schema's unique keys so that retries,
// replays and races change it once.
import { PROVIDERS, type Interval, type SubscriptionStatus } from '../../src/contract/index.js';
import { AppError } from '../errors.js';
import { capabilitiesOf } from '../providers/capability-table.js';
import type { CheckoutRow } from './checkouts.js';
import type { CustomerRow } from './customers.js';
import { Batcher, perStore } from './batch.js';
import type { Sql, Store } from './index.js';

export interface UpgradeResult {
  old_plan: string;
  new_plan: string;
  payment_id: string;
  /** False when this call found the payment already applied (a retry, a replayed webhook). */
  changed: boolean;
}

function periodEnd(from: Date, interval: Interval): Date | null {
  if (interval === 'once') return null;
  const end = new Date(from);
  if (interval === 'year') end.setUTCFullYear(end.getUTCFullYear() + 1);
  else end.setUTCMonth(end.getUTCMonth() + 1);
  return end;
}

/** The providers with a capability, for the SQL function that marks a checkout paid. */
const providersWith = (test: (c: NonNullable<ReturnType<typeof capabilitiesOf>>) => boolean) => PROVIDERS.filter((name) => test(capabilitiesOf(name)!));
/** A Razorpay (or Mintoken) order pays for one period and nothing renews it: `cancelAtPeriodEnd`, so <usage-meter> says "Ends on". */
const ONE_PERIOD = providersWith((c) => c.renewal === 'one_period');
/** Unused paid time is carried into a new purchase of these providers' (see the function in migration 8). */
const CREDITS_UNUSED = providersWith((c) => Boolean(c.creditsUnusedTime));

/**
 * Mark a checkout paid by one payment and move the customer to its plan, with one audit row, in one
 * statement (the function `tollgate_mark_paid`, migration 8): the checkout row is locked, the same payment
 * again returns the first result, another payment for a paid order is a conflict, a payment id that paid
 * another checkout (only a forged or garbled event carries one) is a conflict to answer, not a unique
 * violation that fails every delivery. Safe to call any number of times, concurrently, from verify and from
 * webhooks, on its own (one statement is one transaction) or inside a transaction.
 *
 * The new period runs one month or one year from now (JavaScript's calendar, as every other period here);
 * buying again from a provider that credits unused time (Razorpay) adds what is left of the current
 * period, valued at the price paid for it and bought back at the new price: the same plan again extends
 * it by exactly the time left, an upgrade converts the time left at the price ratio.
 */
export async function markCheckoutPaid(sql: Sql, input: MarkPaidInput): Promise<UpgradeResult> {
  const [result] = await markPaidStatement(sql, [input]);
  return upgradeResult(result, input.paymentId);
}

type MarkPaidResult = { error?: string; old_plan: string; new_plan: string; changed: boolean };
type MarkPaidInput = { checkoutId: string; paymentId: string; source: string; eventId?: string; now: Date };

/** One statement for one or more payments: each call of `tollgate_mark_paid` in it is what markCheckoutPaid does alone, in order. */
async function markPaidStatement(sql: Sql, items: readonly MarkPaidInput[]): Promise<MarkPaidResult[]> {
  const rows = await sql.query<{ result: MarkPaidResult }>(
    `SELECT tollgate_mark_paid(v.checkout, v.payment, v.source, v.event, v.now, v.month_end, v.year_end, $2::text[], $3::text[]) AS result
     FROM json_to_recordset($1::json) AS v(i integer, checkout text, payment text, source text, event text, now timestamptz, month_end timestamptz, year_end timestamptz)
     ORDER BY v.i`,
    [
      JSON.stringify(items.map((x, i) => ({ i, checkout: x.checkoutId, payment: x.paymentId, source: x.source, event: x.eventId ?? null, now: x.now, month_end: periodEnd(x.now, 'month'), year_end: periodEnd(x.now, 'year') }))),
      ONE_PERIOD,
      CREDITS_UNUSED,
    ],
  );
  return rows.map((r) => r.result);
}

/**
 * markCheckoutPaid for the requests that pay together (concurrent verifies), in one statement (store/batch.ts).
 * Outside a transaction only.
 */
export function markCheckoutPaidBatched(store: Store, input: MarkPaidInput): Promise<UpgradeResult> {
  return paidBatcher(store).add(input).then((result) => upgradeResult(result, input.paymentId));
}
const paidBatcher = perStore((store) => new Batcher<MarkPaidInput, MarkPaidResult>((items) => markPaidStatement(store, items)));

function upgradeResult(result: MarkPaidResult, paymentId: string): UpgradeResult {
  if (result.error === 'not_found') throw new AppError('not_found', 'No such checkout');
  if (result.error === 'paid_by_other') throw new AppError('conflict', 'This order is already paid by another payment');
  if (result.error === 'refunded') throw new AppError('conflict', 'This payment was refunded');
  if (result.error === 'payment_used') throw new AppError('conflict', 'This payment already paid another order');
  return { old_plan: result.old_plan, new_plan: result.new_plan, payment_id: paymentId, changed: result.changed };
}

/**
 * A full refund: the checkout becomes refunded and, if it had upgraded the customer and the customer is
 * still on that plan, the plan goes back to what it was, audited once.
 */
export async function refundCheckout(tx: Sql, input: { checkoutId: string; paymentId: string; source: string; eventId?: string; now: Date }): Promise<{ reverted: boolean }> {
  {
    const [checkout] = await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1 FOR UPDATE', [input.checkoutId]);
    if (!checkout || checkout.status === 'refunded') return { reverted: false };
    const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [checkout.customer_id]);
    // A refund that overtakes the capture still claims the payment id, so the late capture cannot upgrade.
    await tx.query("UPDATE checkouts SET status = 'refunded', payment_id = COALESCE(payment_id, $2), updated_at = $3 WHERE id = $1", [checkout.id, input.paymentId, input.now]);
    const [upgrade] = await tx.query<{ old_plan: string }>("SELECT old_plan FROM plan_changes WHERE checkout_id = $1 AND kind = 'upgrade'", [checkout.id]);
    if (!upgrade || customer.plan !== checkout.plan) return { reverted: false };
    await tx.query('UPDATE customers SET plan = $2, current_period_end = NULL, cancel_at_period_end = false, plan_interval = NULL, updated_at = $3 WHERE id = $1', [customer.id, upgrade.old_plan, input.now]);
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, payment_id, event_id, created_at)
       VALUES ($1, $2, $3, 'revert', $4, $5, $6, $7, $8)`,
      [customer.id, customer.plan, upgrade.old_plan, input.source, checkout.id, input.paymentId, input.eventId ?? null, input.now],
    );
    return { reverted: true };
  }
}

/**
 * Mirror a provider's subscription into the customer row (plan, status, cancel-at-period-end, period end).
 * `stateAt` is the provider object's own timestamp: a state older than the one applied last is ignored, so
 * webhooks that arrive out of order settle on the newest state. A change of plan is audited once per event.
 * Call it inside a transaction.
 */
export async function applySubscriptionState(
  tx: Sql,
  input: {
    customerId: string;
    provider: string;
    plan: string;
    status: SubscriptionStatus;
    cancelAtPeriodEnd: boolean;
    currentPeriodEnd: Date | null;
    /** The subscription's billing interval; left out: kept while the plan stays, else unknown. */
    interval?: Interval | null;
    stateAt: Date;
    source: string;
    eventId: string;
    checkoutId?: string;
    now: Date;
    /** The subscription's seats (its quantity, a per-seat price's: README "Seats and taxes"); left out: kept. */
    seats?: number;
  },
): Promise<{ applied: boolean; oldPlan: string }> {
  const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [input.customerId]);
  if (!customer) throw new AppError('not_found', 'No such customer');
  if (customer.state_at && new Date(customer.state_at).getTime() > input.stateAt.getTime()) return { applied: false, oldPlan: customer.plan };
  await tx.query(
    `UPDATE customers SET plan = $2, status = $3, cancel_at_period_end = $4, current_period_end = $5, billing_provider = $6, state_at = $7, updated_at = $8,
       plan_interval = $9 WHERE id = $1`,
    [
      customer.id, input.plan, input.status, input.cancelAtPeriodEnd, input.currentPeriodEnd, input.provider, input.stateAt, input.now,
      input.interval !== undefined ? input.interval : customer.plan === input.plan ? customer.plan_interval : null,
    ],
  );
  if (input.seats !== undefined && input.seats !== customer.seats) await tx.query('UPDATE customers SET seats = $2 WHERE id = $1', [customer.id, input.seats]);
  if (customer.plan !== input.plan) {
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, event_id, created_at)
       VALUES ($1, $2, $3, 'subscription', $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [customer.id, customer.plan, input.plan, input.source, input.checkoutId ?? null, input.eventId, input.now],
    );
  }
  return { applied: true, oldPlan: customer.plan };
}
