// Reading Stripe's objects into ours: which catalog plan and interval a subscription is for, its status and
// period end, the payment a Checkout Session stands for (docs/stripe.md, Stripe's API reference).
import type { Interval, SubscriptionStatus } from '../../../src/contract/index.js';
import type { Catalog } from '../../catalog.js';
import { storableDate, type Sql } from '../../store/index.js';
import { idOf, type StripeSessionObject, type StripeSubscriptionObject } from './client.js';

export const PROVIDER = 'stripe';

/** A Stripe timestamp (whole seconds) as a Date the store can hold (years 1970–9999), else null. */
export function unixDate(seconds: unknown): Date | null {
  return typeof seconds === 'number' && Number.isInteger(seconds) ? storableDate(seconds * 1000) : null;
}

/** Which catalog plan a subscription is for: a configured price id first, then the metadata we set. */
export function planOf(catalog: Catalog, sub: StripeSubscriptionObject): string | null {
  const price = sub.items?.data?.[0]?.price;
  if (price?.id) {
    const byPrice = catalog.file.plans.find((p) => p.prices.some((x) => x.provider === PROVIDER && x.stripe_price_id === price.id));
    if (byPrice) return byPrice.id;
  }
  for (const candidate of [sub.metadata?.plan, price?.metadata?.plan]) if (candidate && catalog.plan(candidate)) return candidate;
  return null;
}

/** The subscription's billing interval (its first item's recurring price). */
export function intervalOf(sub: StripeSubscriptionObject): Interval | null {
  const interval = sub.items?.data?.[0]?.price?.recurring?.interval;
  return interval === 'month' || interval === 'year' ? interval : null;
}

/** Stripe's subscription status as ours; null while the first payment has not happened. */
export function statusOf(status: string | undefined): SubscriptionStatus | null {
  switch (status) {
    case 'active':
    case 'trialing':
    case 'past_due':
    case 'canceled':
    case 'unpaid':
      return status;
    case 'incomplete_expired':
      return 'canceled';
    case 'paused':
      return 'unpaid'; // a trial that ended without a payment method: no access until it resumes
    default:
      return null; // incomplete: the first payment has not happened yet
  }
}

/**
 * The seats a subscription carries (README "Seats and taxes"): its first item's quantity, when the catalog sells
 * `plan` per seat through Stripe; undefined otherwise (the customer's seats are left as they are).
 */
export function seatsOf(catalog: Catalog, sub: StripeSubscriptionObject, plan: string): number | undefined {
  const quantity = sub.items?.data?.[0]?.quantity;
  const perSeat = catalog.plan(plan)?.prices.some((p) => p.provider === PROVIDER && p.per_unit);
  return perSeat && typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= 1 ? quantity : undefined;
}

export function periodEndOf(sub: StripeSubscriptionObject): Date | null {
  // Since API 2025-03-31 the period lives on each item; older versions kept it on the subscription.
  return unixDate(sub.items?.data?.[0]?.current_period_end ?? sub.current_period_end);
}

/** The payment a session stands for: the subscription in subscription mode, else the PaymentIntent. */
export function paymentIdOf(session: StripeSessionObject): string {
  if (session.mode === 'subscription') return idOf(session.subscription) ?? session.id;
  return idOf(session.payment_intent) ?? session.id;
}

/** The time of the customer's newest applied state (ms), 0 when none: a state must not be older. */
export async function stateAtFloor(tx: Sql, customerId: string): Promise<number> {
  const [row] = await tx.query<{ state_at: Date | null }>('SELECT state_at FROM customers WHERE id = $1', [customerId]);
  return row?.state_at ? new Date(row.state_at).getTime() : 0;
}
