// Bonzai state in SQL: which orders are tracked and what was last seen of each (has_access transitions into
// our entitlements, through billing.ts), and promotional grants made by invite/revoke.
import type { BonzaiOrder } from './client.js';
import { applySubscriptionState, effectivePlan, markCheckoutPaid, refundCheckout, type CheckoutRow, type CustomerRow } from '../../billing.js';
import type { Catalog } from '../../catalog.js';
import type { Logger } from '../../log.js';
import type { Sql, Store } from '../../store/index.js';

/**
 * The tables (migration 2 in server/store/migrations.ts): `bonzai_orders.state`: open (not paid yet) → active
 * (has_access) ⇄ cancelling (cancelled, access until its period end) → ended (refunded or expired);
 * `abandoned` when an unpaid checkout is past its TTL.
 */
export type TrackState = 'open' | 'active' | 'cancelling' | 'ended' | 'abandoned';

export interface TrackedOrder {
  checkout_id: string;
  order_id: string;
  state: TrackState;
  observed_at: Date | null;
  checked_at: Date | null;
  created_at: Date;
}

export interface GrantRow {
  id: number;
  customer_id: string | null;
  email: string;
  name: string | null;
  code: string | null;
  bonzai_user_id: string | null;
  plan: string;
  granted_at: Date;
  revoked_at: Date | null;
}


export interface StateDeps {
  catalog: Catalog;
  log: Logger;
}

/** The payment id a Bonzai order is recorded under: the order itself (Bonzai shows no payment id). */
export function bonzaiPaymentId(orderId: string): string {
  return `bonzai_order_${orderId}`;
}

/** The next renewal after `now` of a subscription paid at `paidAt` (Bonzai shows no period end while it is active). */
export function nextRenewal(paidAt: Date, interval: CheckoutRow['interval'], now: Date): Date | null {
  if (interval === 'once') return null;
  const end = new Date(paidAt);
  for (let i = 0; end <= now && i < 1200; i++) {
    if (interval === 'year') end.setUTCFullYear(end.getUTCFullYear() + 1);
    else end.setUTCMonth(end.getUTCMonth() + 1);
  }
  return end;
}

/** The plan Bonzai still gives a customer besides `exceptCheckout`: an order with access, else the newest live grant. */
async function remainingBonzaiPlan(tx: Sql, customerId: string, except: { checkoutId?: string; grantIds?: number[] }): Promise<string | null> {
  const [order] = await tx.query<{ plan: string }>(
    `SELECT c.plan FROM bonzai_orders b JOIN checkouts c ON c.id = b.checkout_id
     WHERE c.customer_id = $1 AND c.status = 'paid' AND b.state IN ('active', 'cancelling') AND c.id <> $2
     ORDER BY c.paid_at DESC LIMIT 1`,
    [customerId, except.checkoutId ?? ''],
  );
  if (order) return order.plan;
  const [grant] = await tx.query<{ plan: string }>(
    `SELECT plan FROM bonzai_grants WHERE customer_id = $1 AND revoked_at IS NULL AND NOT (id = ANY($2::int[])) ORDER BY granted_at DESC, id DESC LIMIT 1`,
    [customerId, except.grantIds ?? []],
  );
  return grant?.plan ?? null;
}

/**
 * Does this paid order give the customer their plan now? Not when a newer Bonzai order does, or when the
 * customer has moved to another plan or provider since (a late cancellation must not undo a later purchase).
 */
async function orderIsCurrent(tx: Sql, customer: CustomerRow, checkout: CheckoutRow): Promise<boolean> {
  if (customer.billing_provider !== 'bonzai' || customer.plan !== checkout.plan) return false;
  const [newer] = await tx.query(
    `SELECT 1 FROM bonzai_orders b JOIN checkouts c ON c.id = b.checkout_id
     WHERE c.customer_id = $1 AND c.id <> $2 AND c.status = 'paid' AND b.state IN ('active', 'cancelling') AND c.paid_at > $3`,
    [customer.id, checkout.id, checkout.paid_at ?? new Date(0)],
  );
  return !newer;
}

/**
 * The checkout id for the audit row of a plan change an order makes: plan_changes keeps one row per checkout
 * and kind, so once an order has ended (or regained) a plan, a later end or regain of the same order is
 * audited without the link (its event id names the order and the access).
 */
async function auditCheckoutId(tx: Sql, checkoutId: string): Promise<string | undefined> {
  const [taken] = await tx.query("SELECT 1 FROM plan_changes WHERE checkout_id = $1 AND kind = 'subscription'", [checkoutId]);
  return taken ? undefined : checkoutId;
}

function isCancelled(order: BonzaiOrder): boolean {
  return order.subscription_status === 'cancelled' && typeof order.subscription_ends_at === 'string' && !Number.isNaN(Date.parse(order.subscription_ends_at));
}

/**
 * Apply one observation of a Bonzai order (GET /orders/{id}, docs/upstream/bonzai-business-api.txt "About this return") to our state,
 * in one transaction: the tracking row is locked, an observation older than the last one applied is ignored,
 * and each transition goes through billing.ts so it is applied and audited once.
 */
export async function applyOrderObservation(
  store: Store,
  deps: StateDeps,
  input: { checkoutId: string; order: BonzaiOrder; observedAt: Date; now: Date },
): Promise<string> {
  const { order, observedAt, now } = input;
  const orderId = String(order.id);
  return store.transaction(async (tx) => {
    const [tracked] = await tx.query<TrackedOrder>('SELECT * FROM bonzai_orders WHERE checkout_id = $1 FOR UPDATE', [input.checkoutId]);
    if (!tracked || tracked.order_id !== orderId) return 'untracked';
    if (tracked.observed_at && new Date(tracked.observed_at).getTime() > observedAt.getTime()) return 'stale';
    const [checkout] = await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1', [input.checkoutId]);
    const meta = order.metadata as { tollgate_checkout_id?: unknown } | null | undefined;
    if (meta && typeof meta === 'object' && typeof meta.tollgate_checkout_id === 'string' && meta.tollgate_checkout_id !== checkout.id) {
      deps.log.warn('bonzai order metadata mismatch', { checkout_id: checkout.id, order_id: orderId });
      return 'mismatch';
    }

    let next: TrackState = tracked.state;
    let outcome = 'unchanged';
    const eventBase = `order:${orderId}`;
    const lastAccess = order.accesses?.at(-1)?.id;

    if (order.has_access) {
      if (tracked.state === 'open' || tracked.state === 'abandoned') {
        // Paid: "For one-off purchases, it confirms that the payment was successful and not refunded."
        const result = await markCheckoutPaid(tx, { checkoutId: checkout.id, paymentId: bonzaiPaymentId(orderId), source: 'bonzai_order', eventId: `${eventBase}:paid`, now });
        outcome = result.changed ? 'upgraded' : 'already_applied';
        next = 'active';
        const paid = (await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1', [checkout.id]))[0];
        if (isCancelled(order)) {
          await applyCancel(tx, paid, order, now, eventBase);
          next = 'cancelling';
        }
      } else if (tracked.state === 'ended') {
        // "If the user later regains access, a new access object will be created."
        if (checkout.status === 'paid') {
          const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [checkout.customer_id]);
          const end = isCancelled(order) ? new Date(order.subscription_ends_at!) : nextRenewal(new Date(checkout.paid_at ?? now), checkout.interval, now);
          const onFree = effectivePlan(customer, deps.catalog, now).planId === deps.catalog.freePlan.id;
          if (onFree || customer.billing_provider === 'bonzai') {
            await applySubscriptionState(tx, { customerId: customer.id, provider: 'bonzai', plan: checkout.plan, status: 'active', cancelAtPeriodEnd: isCancelled(order), currentPeriodEnd: end, stateAt: now, source: 'bonzai_order', eventId: `${eventBase}:regained:${lastAccess ?? observedAt.getTime()}`, checkoutId: await auditCheckoutId(tx, checkout.id), now });
            outcome = 'regained';
          }
          next = isCancelled(order) ? 'cancelling' : 'active';
        }
      } else {
        const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [checkout.customer_id]);
        const current = await orderIsCurrent(tx, customer, checkout);
        if (isCancelled(order)) {
          if (tracked.state === 'active' && current) {
            // "For subscriptions, it stays true until the current billing period ends, even if the user has cancelled."
            await applyCancel(tx, checkout, order, now, eventBase);
            outcome = 'cancel_at_period_end';
          }
          next = 'cancelling';
        } else {
          const renewal = nextRenewal(new Date(checkout.paid_at ?? now), checkout.interval, now);
          const stale = tracked.state === 'cancelling' || (renewal && customer.current_period_end && new Date(customer.current_period_end).getTime() < renewal.getTime());
          if (current && stale && checkout.interval !== 'once') {
            // Resumed, or renewed: Bonzai shows no period end while active, so the next renewal date stands in for it.
            await applySubscriptionState(tx, { customerId: customer.id, provider: 'bonzai', plan: checkout.plan, status: 'active', cancelAtPeriodEnd: false, currentPeriodEnd: renewal, stateAt: now, source: 'bonzai_order', eventId: `${eventBase}:renewed:${renewal?.toISOString()}`, checkoutId: checkout.id, now });
            outcome = tracked.state === 'cancelling' ? 'resumed' : 'renewed';
          }
          next = 'active';
        }
      }
    } else if (tracked.state === 'active' || tracked.state === 'cancelling') {
      // Access lost after payment: "If the order is refunded or the subscription has fully ended, the access is revoked".
      if (order.intent_status === 'refunded') {
        const { reverted } = await refundCheckout(tx, { checkoutId: checkout.id, paymentId: checkout.payment_id ?? bonzaiPaymentId(orderId), source: 'bonzai_order:refund', eventId: `${eventBase}:refund`, now });
        outcome = reverted ? 'refunded_reverted' : 'refunded';
      } else {
        const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [checkout.customer_id]);
        if (await orderIsCurrent(tx, customer, checkout)) {
          const fallback = (await remainingBonzaiPlan(tx, customer.id, { checkoutId: checkout.id })) ?? deps.catalog.freePlan.id;
          const free = fallback === deps.catalog.freePlan.id;
          const endedAt = order.subscription_ends_at && !Number.isNaN(Date.parse(order.subscription_ends_at)) ? new Date(order.subscription_ends_at) : now;
          await applySubscriptionState(tx, { customerId: customer.id, provider: 'bonzai', plan: fallback, status: free ? 'canceled' : 'active', cancelAtPeriodEnd: false, currentPeriodEnd: free ? endedAt : null, stateAt: now, source: 'bonzai_order', eventId: `${eventBase}:ended${lastAccess ? `:${lastAccess}` : ''}`, checkoutId: await auditCheckoutId(tx, checkout.id), now });
          outcome = 'revoked';
        } else outcome = 'ended_not_current';
      }
      next = 'ended';
    }

    await tx.query('UPDATE bonzai_orders SET state = $2, observed_at = $3, checked_at = $4 WHERE checkout_id = $1', [checkout.id, next, observedAt, now]);
    return outcome;
  });
}

async function applyCancel(tx: Sql, checkout: CheckoutRow, order: BonzaiOrder, now: Date, eventBase: string): Promise<void> {
  await applySubscriptionState(tx, {
    customerId: checkout.customer_id,
    provider: 'bonzai',
    plan: checkout.plan,
    status: 'active',
    cancelAtPeriodEnd: true,
    currentPeriodEnd: new Date(order.subscription_ends_at!),
    stateAt: now,
    source: 'bonzai_order',
    eventId: `${eventBase}:cancelled`,
    checkoutId: checkout.id,
    now,
  });
}

/**
 * Give a grant's plan to its customer, unless they pay for another plan now (a promotion never downgrades
 * a paying customer; the grant then stands behind their plan when a Bonzai order of theirs ends).
 */
export async function applyGrant(tx: Sql, deps: StateDeps, grant: GrantRow, now: Date): Promise<'granted' | 'already' | 'deferred'> {
  const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [grant.customer_id]);
  const effective = effectivePlan(customer, deps.catalog, now).planId;
  if (effective === grant.plan && customer.billing_provider === 'bonzai') return 'already';
  if (effective !== deps.catalog.freePlan.id && effective !== grant.plan) return 'deferred';
  await applySubscriptionState(tx, { customerId: customer.id, provider: 'bonzai', plan: grant.plan, status: 'active', cancelAtPeriodEnd: false, currentPeriodEnd: null, stateAt: now, source: 'bonzai_invite', eventId: `grant:${grant.id}`, now });
  return 'granted';
}

/** After grants are revoked: take the plan back if a grant is what gave it, falling back to what Bonzai still gives. */
export async function settleAfterRevoke(tx: Sql, deps: StateDeps, customerId: string, revoked: GrantRow[], now: Date): Promise<'revoked' | 'kept'> {
  const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
  if (customer.billing_provider !== 'bonzai' || !revoked.some((g) => g.plan === customer.plan)) return 'kept';
  const remaining = await remainingBonzaiPlan(tx, customerId, { grantIds: revoked.map((g) => g.id) });
  if (remaining === customer.plan) return 'kept';
  const plan = remaining ?? deps.catalog.freePlan.id;
  const free = plan === deps.catalog.freePlan.id;
  await applySubscriptionState(tx, { customerId, provider: 'bonzai', plan, status: free ? 'canceled' : 'active', cancelAtPeriodEnd: false, currentPeriodEnd: null, stateAt: now, source: 'bonzai_revoke', eventId: `revoke:${revoked.map((g) => g.id).join(',')}`, now });
  return 'revoked';
}
