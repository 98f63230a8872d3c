// Every change of a customer's plan, in one transaction with its audit row (plan_changes): a payment,
// a refund, a provider's subscription state. Each leans on the schema's unique keys so that retries,
// replays and races change it once.
import type { Interval, SubscriptionStatus } from '../../src/contract/index.js';
import { AppError } from '../errors.js';
import { capabilitiesOf } from '../providers/capability-table.js';
import type { CheckoutRow } from './checkouts.js';
import type { CustomerRow } from './customers.js';
import type { Sql } from './index.js';

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

/**
 * Mark a checkout paid by one payment and move the customer to its plan, with one audit row. Safe to
 * call any number of times, concurrently, from verify and from webhooks: the checkout row is locked,
 * the same payment again returns the first result, another payment for a paid order is a conflict.
 * Call it inside a transaction (`store.transaction`).
 */
export async function markCheckoutPaid(
  tx: Sql,
  input: { checkoutId: string; paymentId: string; source: string; eventId?: string; now: Date },
): Promise<UpgradeResult> {
  {
    const [checkout] = await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1 FOR UPDATE', [input.checkoutId]);
    if (!checkout) throw new AppError('not_found', 'No such checkout');
    if (checkout.status === 'paid' || checkout.status === 'refunded') {
      if (checkout.payment_id !== input.paymentId) throw new AppError('conflict', 'This order is already paid by another payment');
      if (checkout.status === 'refunded') throw new AppError('conflict', 'This payment was refunded');
      const [audit] = await tx.query<{ old_plan: string; new_plan: string }>("SELECT old_plan, new_plan FROM plan_changes WHERE checkout_id = $1 AND kind = 'upgrade'", [checkout.id]);
      return { old_plan: audit?.old_plan ?? checkout.plan, new_plan: audit?.new_plan ?? checkout.plan, payment_id: input.paymentId, changed: false };
    }
    // One payment pays one order: a payment id that paid another checkout (only a forged or garbled event
    // carries one) is a conflict to answer, not a unique violation that fails every delivery.
    const [other] = await tx.query('SELECT id FROM checkouts WHERE provider = $1 AND payment_id = $2 AND id <> $3', [checkout.provider, input.paymentId, checkout.id]);
    if (other) throw new AppError('conflict', 'This payment already paid another order');
    const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [checkout.customer_id]);
    const credit = await unusedCredit(tx, customer, checkout, input.now);
    const end = periodEnd(input.now, checkout.interval);
    await tx.query("UPDATE checkouts SET status = 'paid', payment_id = $2, paid_at = $3, updated_at = $3 WHERE id = $1", [checkout.id, input.paymentId, input.now]);
    // A Razorpay (or Mintoken) order pays for one period and nothing renews it: the period simply ends,
    // which `cancelAtPeriodEnd` says, so <usage-meter> shows "Ends on" and not "Renews on".
    const ends = end !== null && capabilitiesOf(checkout.provider)?.renewal === 'one_period';
    await tx.query(
      `UPDATE customers SET plan = $2, status = 'active', cancel_at_period_end = $6, current_period_end = $3,
         billing_provider = $4, plan_interval = $7, updated_at = $5 WHERE id = $1`,
      [customer.id, checkout.plan, end && credit > 0 ? new Date(end.getTime() + credit) : end, checkout.provider, input.now, ends, checkout.interval],
    );
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, payment_id, event_id, created_at)
       VALUES ($1, $2, $3, 'upgrade', $4, $5, $6, $7, $8)`,
      [customer.id, customer.plan, checkout.plan, input.source, checkout.id, input.paymentId, input.eventId ?? null, input.now],
    );
    return { old_plan: customer.plan, new_plan: checkout.plan, payment_id: input.paymentId, changed: true };
  }
}

/**
 * Unused paid time carried into a new Razorpay purchase, in milliseconds of the new plan: what is left
 * of the current period, valued at the price paid for it, bought back at the new price. Buying the same
 * plan again extends it by exactly the time left; an upgrade converts the time left at the price ratio.
 */
async function unusedCredit(tx: Sql, customer: CustomerRow, checkout: CheckoutRow, now: Date): Promise<number> {
  const end = customer.current_period_end ? new Date(customer.current_period_end) : null;
  if (!capabilitiesOf(checkout.provider)?.creditsUnusedTime || customer.billing_provider !== checkout.provider || !end || end <= now || customer.status !== 'active' || checkout.interval === 'once') return 0;
  const [paid] = await tx.query<Pick<CheckoutRow, 'amount' | 'currency' | 'interval'>>(
    "SELECT amount, currency, interval FROM checkouts WHERE customer_id = $1 AND plan = $2 AND status = 'paid' AND provider = $3 ORDER BY paid_at DESC LIMIT 1",
    [customer.id, customer.plan, checkout.provider],
  );
  if (!paid || paid.interval === 'once' || paid.currency !== checkout.currency || checkout.amount <= 0) return 0;
  const left = end.getTime() - now.getTime();
  const length = (interval: Interval) => periodEnd(now, interval)!.getTime() - now.getTime();
  const value = (left / length(paid.interval)) * paid.amount;
  return Math.floor((value / checkout.amount) * length(checkout.interval));
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
  if (customer.plan !== input.plan) {
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, event_id, created_at)
       VALUES ($1, $2, $3, 'subscription', $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [customer.id, customer.plan, input.plan, input.source, input.checkoutId ?? null, input.eventId, input.now],
    );
  }
  return { applied: true, oldPlan: customer.plan };
}
