// The plan rules: which plan is in force, who may start which checkout, and what a customer's
// subscription and entitlements are. The SQL lives in store/; its functions are re-exported here for the
// modules that import them from billing.js (providers/).
import type { Entitlements, Subscription, SubscriptionStatus } from '../src/contract/index.js';
import type { Catalog } from './catalog.js';
import { AppError } from './errors.js';
import { customerCapabilities } from './providers/capability-table.js';
import { razorpaySubscriptionSettings } from './providers/razorpay/settings.js';
import { iso } from './store/checkouts.js';
import type { CustomerRow } from './store/customers.js';
import type { Sql } from './store/index.js';

export { checkoutState, derivedId, findCheckoutByOrder, getCheckout, loadCheckoutByOrder, markCheckoutExpired, newId, ownCheckout, recordPaymentFailure, type CheckoutRow } from './store/checkouts.js';
export { customerForProviderId, ensureCustomer, linkProviderCustomer, providerCustomerId, SUBSCRIBED_BEFORE_SQL, subscribedBefore, type CustomerRow } from './store/customers.js';
export { applySubscriptionState, markCheckoutPaid, refundCheckout, type UpgradeResult } from './store/plan-changes.js';
export { usagePeriod } from './store/usage.js';
export { checkoutPrice } from './services/pricing.js';

/**
 * Whether a new checkout for `plan` may start, given what the customer already has:
 * - a live subscription that renews upstream (Stripe, MimicBot, a Razorpay Subscription): no, a second one would bill twice; the
 *   plan changes in the provider's portal (409 `subscription_exists`);
 * - a paid Razorpay period still running and a lower plan asked for: no, the paid time would be lost;
 *   it can be bought when the period ends (409 `downgrade_not_available`). The same or a higher plan may
 *   be bought: the unused time is credited (see markCheckoutPaid).
 */
export function assertPlanChangeAllowed(catalog: Catalog, customer: CustomerRow, plan: { id: string; name: string }, now: Date): void {
  const { planId, status } = effectivePlan(customer, catalog, now);
  if (!grantsAccess(catalog, planId, status)) return;
  const current = catalog.plan(planId)!;
  if (customerCapabilities(customer)?.renewal === 'upstream') {
    throw new AppError('subscription_exists', `You already have a ${current.name} subscription: change or cancel it in the billing portal (POST /v1/portal)`);
  }
  const end = customer.current_period_end ? new Date(customer.current_period_end) : null;
  if (customerCapabilities(customer)?.creditsUnusedTime && end && end > now && catalog.rank(plan.id) < catalog.rank(planId)) {
    throw new AppError('downgrade_not_available', `You are on ${current.name} until ${end.toISOString().slice(0, 10)}: you can move to ${plan.name} when it ends`);
  }
}

/** A paid plan in good standing (active, trialing, or past due while the provider retries) grants access. */
function grantsAccess(catalog: Catalog, planId: string, status: SubscriptionStatus): boolean {
  return planId !== catalog.freePlan.id && (status === 'active' || status === 'trialing' || status === 'past_due');
}

/**
 * The plan in force now: a one-off purchase (Razorpay order) lapses at its period end; a subscription
 * that is canceled or unpaid falls back to the free plan. A manual grant (store/grants.ts) still running
 * counts when it is better than that: a plan ranking higher in the catalog (which lists plans from the
 * lowest to the highest) than the paid plan in good standing, or any plan when there is none; so a grant
 * never downgrades a paying customer, and of two grants the higher plan wins.
 */
export function effectivePlan(customer: CustomerRow, catalog: Catalog, now: Date, grants: readonly ActiveGrant[] = []): { planId: string; status: SubscriptionStatus; grant?: ActiveGrant } {
  const paid = paidPlan(customer, catalog, now);
  let best: ActiveGrant | undefined;
  for (const g of grants) {
    if (g.until.getTime() <= now.getTime() || g.plan === catalog.freePlan.id || !catalog.plan(g.plan)) continue;
    if (!best || catalog.rank(g.plan) > catalog.rank(best.plan) || (g.plan === best.plan && g.until > best.until)) best = g;
  }
  if (best && (!grantsAccess(catalog, paid.planId, paid.status) || catalog.rank(best.plan) > catalog.rank(paid.planId))) return { planId: best.plan, status: 'active', grant: best };
  return paid;
}

/** A manual grant in force: its plan until `until`. */
export interface ActiveGrant {
  id: string;
  plan: string;
  until: Date;
}

function paidPlan(customer: CustomerRow, catalog: Catalog, now: Date): { planId: string; status: SubscriptionStatus } {
  const free = catalog.freePlan.id;
  if (customer.plan === free) return { planId: free, status: customer.status };
  // A halted Razorpay subscription (unpaid) keeps its plan for providers.razorpay.halted_grace_days, shown as past due.
  if (customer.status === 'unpaid' && inHaltedGrace(customer, catalog, now)) return { planId: catalog.plan(customer.plan) ? customer.plan : free, status: 'past_due' };
  if (customer.status === 'canceled' || customer.status === 'unpaid') return { planId: free, status: customer.status };
  if (customer.current_period_end && new Date(customer.current_period_end) <= now && customerCapabilities(customer)?.renewal !== 'upstream') return { planId: free, status: 'canceled' };
  return { planId: catalog.plan(customer.plan) ? customer.plan : free, status: customer.status };
}

/** Whether an unpaid (halted) subscription is still within its grace period, counted from when it became unpaid. */
function inHaltedGrace(customer: CustomerRow, catalog: Catalog, now: Date): boolean {
  if (!customer.subscription_id || !customer.unpaid_since) return false;
  const days = customer.billing_provider === 'razorpay' ? razorpaySubscriptionSettings(catalog.file.providers.razorpay).haltedGraceDays : 0;
  return new Date(customer.unpaid_since).getTime() + days * 86_400_000 > now.getTime();
}

/** The customer's subscription as the widgets show it; `used` is this period's usage (store/customer-views.ts). */
export function subscriptionOf(catalog: Catalog, customer: CustomerRow, used: readonly { metric: string; used: number }[], now: Date, hasPortal: boolean, grants: readonly ActiveGrant[] = []): Subscription {
  const { planId, status, grant } = effectivePlan(customer, catalog, now, grants);
  const plan = catalog.plan(planId)!;
  const limits = limitsOf(catalog, customer, planId, grant);
  const usage: Record<string, number | null> = {};
  for (const metric of catalog.metrics) {
    usage[`${metric.id}Used`] = used.find((u) => u.metric === metric.id)?.used ?? 0;
    usage[`${metric.id}Limit`] = limits[metric.id] ?? null;
  }
  return {
    plan: plan.id,
    planName: plan.name,
    status,
    // A granted plan ends at the grant's `until` and nothing renews it.
    cancelAtPeriodEnd: grant ? true : customer.cancel_at_period_end,
    currentPeriodEnd: grant ? grant.until.toISOString() : planId === catalog.freePlan.id ? null : iso(customer.current_period_end),
    interval: !grant && planId === customer.plan && planId !== catalog.freePlan.id ? customer.plan_interval : null,
    usage,
    hasPortal,
  };
}

/**
 * The limits in force: the plan's, with the seats bought (README "Seats") as the `seats` limit while the paid
 * per-seat plan is the one in force (a grant has its plan's limits).
 */
export function limitsOf(catalog: Catalog, customer: CustomerRow, planId: string, grant?: ActiveGrant): Record<string, number | null> {
  const plan = catalog.plan(planId)!;
  const limits: Record<string, number | null> = Object.fromEntries(catalog.metrics.map((m) => [m.id, m.id in plan.limits ? plan.limits[m.id]! : null]));
  // Seats bought apply to a plan sold per seat only (a plan changed upstream, e.g. in Stripe's portal, to one that is not keeps its limit).
  if (customer.seats && !grant && planId === customer.plan && 'seats' in limits && plan.prices.some((p) => p.per_unit)) limits.seats = customer.seats;
  return limits;
}

export function entitlementsOf(catalog: Catalog, customer: CustomerRow, now: Date, grants: readonly ActiveGrant[] = []): Entitlements {
  const { planId, status, grant } = effectivePlan(customer, catalog, now, grants);
  const plan = catalog.plan(planId)!;
  return {
    plan: plan.id,
    features: plan.features.map((f) => f.id),
    limits: limitsOf(catalog, customer, planId, grant),
    has_access: grantsAccess(catalog, plan.id, status),
  };
}

