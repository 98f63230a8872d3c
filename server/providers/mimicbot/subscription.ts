// MimicBot's subscription in our terms: mirrored into the customer row (so /v1/entitlements agrees) and shown
// as our /v1/subscription (docs/upstream/mimicbot-billing-api.txt "Subscription").
import type { Subscription, SubscriptionStatus } from '../../../src/contract/index.js';
import { applySubscriptionState, newId } from '../../billing.js';
import type { ProviderDeps } from '../types.js';
import type { MimicbotSubscription } from './client.js';

const STATUSES: readonly SubscriptionStatus[] = ['active', 'trialing', 'past_due', 'canceled', 'unpaid'];

export function mimicbotMirror(deps: ProviderDeps, catalogPlanOf: ReadonlyMap<string, string>) {
  const { store, catalog, now } = deps;

  const isPaid = (sub: MimicbotSubscription) => sub.plan !== 'free' && (sub.status === 'active' || sub.status === 'trialing' || sub.status === 'past_due');

  /**
   * Mirror MimicBot's subscription into the customer row (stateAt = now: each read is the newest truth).
   * The period end is kept only when the subscription ends there: a renewing Stripe subscription rolls on
   * upstream, and effectivePlan() would otherwise lapse it locally between two reads.
   */
  async function mirror(customerId: string, sub: MimicbotSubscription, checkoutId?: string): Promise<void> {
    const at = now();
    const status = STATUSES.includes(sub.status) ? sub.status : 'active';
    const plan = catalogPlanOf.get(sub.plan) ?? catalog.freePlan.id;
    const ends = sub.cancelAtPeriodEnd || status === 'canceled' || status === 'unpaid';
    const periodEnd = ends && sub.currentPeriodEnd && !Number.isNaN(Date.parse(sub.currentPeriodEnd)) ? new Date(sub.currentPeriodEnd) : null;
    await store.transaction((tx) =>
      applySubscriptionState(tx, {
        customerId,
        provider: 'mimicbot',
        plan,
        status,
        cancelAtPeriodEnd: Boolean(sub.cancelAtPeriodEnd),
        currentPeriodEnd: periodEnd,
        stateAt: at,
        source: 'mimicbot_sync',
        eventId: newId('sync'),
        checkoutId,
        now: at,
      }),
    );
  }

  function view(sub: MimicbotSubscription): Subscription {
    const planId = catalogPlanOf.get(sub.plan);
    const plan = planId ? catalog.plan(planId) : undefined;
    return {
      plan: plan?.id ?? sub.plan,
      planName: plan?.name ?? sub.plan.charAt(0).toUpperCase() + sub.plan.slice(1),
      status: STATUSES.includes(sub.status) ? sub.status : 'active',
      cancelAtPeriodEnd: Boolean(sub.cancelAtPeriodEnd),
      currentPeriodEnd: sub.currentPeriodEnd ?? null,
      usage: Object.fromEntries(Object.entries(sub.usage ?? {}).filter(([, v]) => typeof v === 'number' || v === null)),
      // A MimicBot portal needs a Stripe customer, which only a checkout creates: none on the default free plan.
      hasPortal: sub.plan !== 'free',
    };
  }

  return { isPaid, mirror, view };
}
