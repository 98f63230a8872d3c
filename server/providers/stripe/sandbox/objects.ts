// What the sandbox's simulated Stripe and the tests' fake Stripe (test/fakes/stripe.ts) build alike: the
// event envelope, its Stripe-Signature, the API version stamped on events, and a billing period's length.
import { randomBytes } from 'node:crypto';
import { signTimestamped } from '../../../security/signatures.js';

/** The API version stamped on events: the one the installed `stripe` SDK pins (node_modules/stripe apiVersion). */
export const STRIPE_API_VERSION = '2026-10-28.endive';

/** A billing interval's length in seconds (the simulations' months are 30 days). */
export const INTERVAL_SECONDS: Readonly<Record<string, number>> = { day: 86_400, week: 604_800, month: 30 * 86_400, year: 365 * 86_400 };

/** A Stripe event as Stripe's "Event object" reference shows it. */
export interface StripeEventObject {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
}

/** A Stripe id suffix: `n` characters of [A-Za-z0-9]. */
export function stripeRandomId(n: number): string {
  return randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n);
}

/** A new event about `object` (cloned: later changes to the object are not in it), created at `created` (unix seconds). */
export function stripeEvent(type: string, object: unknown, options: { created: number; previous?: Record<string, unknown>; pendingWebhooks?: number }): StripeEventObject {
  return {
    id: `evt_${stripeRandomId(24)}`,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: options.created,
    type,
    data: options.previous ? { object: structuredClone(object), previous_attributes: options.previous } : { object: structuredClone(object) },
    livemode: false,
    pending_webhooks: options.pendingWebhooks ?? 1,
    request: { id: null, idempotency_key: null },
  };
}

/** Signs an event body as Stripe does (reference "Webhooks"): `t=<unix>,v1=<hex hmac-sha256(secret, "{t}.{body}")>`. */
export function signStripeWebhook(secret: string, body: string, t: number): string {
  return signTimestamped(secret, body, t);
}

/** A Checkout Session as Stripe's "The Checkout Session object" shows it: the fields both simulations serve. */
export interface CheckoutSessionObject<Mode extends string = 'payment' | 'subscription', UiMode extends string = 'hosted_page' | 'embedded_page'> {
  id: string;
  object: 'checkout.session';
  mode: Mode;
  ui_mode: UiMode;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'paid' | 'unpaid' | 'no_payment_required';
  url: string | null;
  client_secret: string | null;
  success_url: string | null;
  cancel_url: string | null;
  return_url: string | null;
  customer: string | null;
  subscription: string | null;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  amount_total: number;
  currency: string | null;
  created: number;
  expires_at: number;
  livemode: false;
}

/**
 * A subscription as Stripe's "The Subscription object" shows it, with each side's own price object. Billing
 * periods live on the items: API versions since 2025-03-31 moved current_period_start/end off the
 * subscription onto each subscription item, and the SDK's types follow.
 */
export interface SubscriptionObject<Price, Status extends string = 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid'> {
  id: string;
  object: 'subscription';
  customer: string;
  status: Status;
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  canceled_at: number | null;
  created: number;
  trial_end: number | null;
  items: { object: 'list'; data: { id: string; object: 'subscription_item'; price: Price; quantity: number; current_period_start: number; current_period_end: number }[] };
  metadata: Record<string, string>;
  livemode: false;
}

/** The subscription a completed Checkout Session starts: trialing until `trialEnd` when there is one, each item's first period from `start`. */
export function startedSubscription<Price extends { recurring: { interval: string } | null }>(input: {
  customer: string;
  start: number;
  trialEnd: number | null;
  items: readonly { price: Price; quantity: number }[];
  metadata: Record<string, string>;
}): SubscriptionObject<Price, 'trialing' | 'active'> {
  const { start, trialEnd } = input;
  return {
    id: `sub_${stripeRandomId(14)}`,
    object: 'subscription',
    customer: input.customer,
    status: trialEnd ? 'trialing' : 'active',
    cancel_at_period_end: false,
    cancel_at: null,
    canceled_at: null,
    created: start,
    trial_end: trialEnd,
    items: {
      object: 'list',
      data: input.items.map(({ price, quantity }) => ({
        id: `si_${stripeRandomId(14)}`,
        object: 'subscription_item' as const,
        price,
        quantity,
        current_period_start: start,
        current_period_end: trialEnd ?? start + (INTERVAL_SECONDS[price.recurring?.interval ?? 'month'] ?? INTERVAL_SECONDS.month!),
      })),
    },
    metadata: input.metadata,
    livemode: false,
  };
}
