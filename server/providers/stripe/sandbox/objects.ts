// What the sandbox's simulated Stripe and the tests' fake Stripe (test/fakes/stripe.ts) build alike: the
// event envelope, its Stripe-Signature, the API version stamped on events, a billing period's length, and
// coupons with a Checkout Session's `discounts` and `expires_at`, and a subscription update's item quantities.
import { randomBytes } from 'node:crypto';
import { signTimestamped } from '../../../security/signatures.js';
import { exclusiveTax } from '../../../../src/contract/tax.js';
import type { FormObject, FormValue } from '../form.js';

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
  /** Before discounts; `amount_total` is after them (`total_details.amount_discount`). */
  amount_subtotal: number;
  amount_total: number;
  total_details: { amount_discount: number; amount_shipping: number; amount_tax: number };
  /** Stripe Tax: on when the session asked for `automatic_tax[enabled]=true`; its tax is `total_details.amount_tax`. */
  automatic_tax: { enabled: boolean; status: 'complete' | null };
  discounts: { coupon: string; promotion_code: string | null }[];
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

/** A coupon as Stripe's "The Coupon object" shows it (the fields Tollgate sends and reads). */
export interface CouponObject {
  id: string;
  object: 'coupon';
  amount_off: number | null;
  currency: string | null;
  percent_off: number | null;
  duration: 'once' | 'repeating' | 'forever';
  duration_in_months: number | null;
  name: string | null;
  metadata: Record<string, string>;
  valid: true;
  times_redeemed: number;
  created: number;
  livemode: false;
}

/** A 400 as Stripe words it (each simulation wraps it in its own error type). */
export interface StripeParamError {
  error: { message: string; code?: string; param?: string };
}

const text = (v: FormValue | undefined) => (typeof v === 'string' ? v : undefined);

/**
 * POST /v1/coupons: `percent_off` or `amount_off` with `currency`, `duration` (once, repeating with
 * `duration_in_months`, forever), an optional own `id` (a second coupon with it is `resource_already_exists`).
 */
export function couponFromParams(p: FormObject, existing: ReadonlyMap<string, CouponObject>, created: number): CouponObject | StripeParamError {
  const fail = (message: string, param?: string, code?: string): StripeParamError => ({ error: { message, ...(code ? { code } : {}), ...(param ? { param } : {}) } });
  const id = text(p.id) ?? `${stripeRandomId(8)}`;
  if (existing.has(id)) return fail('Coupon already exists.', 'id', 'resource_already_exists');
  const amountOff = text(p.amount_off) === undefined ? null : Number(text(p.amount_off));
  const percentOff = text(p.percent_off) === undefined ? null : Number(text(p.percent_off));
  if ((amountOff === null) === (percentOff === null)) return fail('You must pass exactly one of amount_off or percent_off.', amountOff === null ? 'amount_off' : 'percent_off', 'parameter_missing');
  if (amountOff !== null && !(Number.isInteger(amountOff) && amountOff > 0)) return fail('Invalid positive integer', 'amount_off', 'parameter_invalid_integer');
  if (percentOff !== null && !(percentOff > 0 && percentOff <= 100)) return fail('Invalid percent_off: must be greater than 0 and at most 100', 'percent_off');
  const currency = text(p.currency)?.toLowerCase() ?? null;
  if (amountOff !== null && !currency) return fail('You must pass currency when passing amount_off.', 'currency', 'parameter_missing');
  const duration = text(p.duration) ?? 'once';
  if (duration !== 'once' && duration !== 'repeating' && duration !== 'forever') return fail('Invalid duration: must be one of forever, once, or repeating', 'duration');
  const months = text(p.duration_in_months) === undefined ? null : Number(text(p.duration_in_months));
  if (duration === 'repeating' && !(months && Number.isInteger(months) && months > 0)) return fail('You must pass duration_in_months when duration is repeating.', 'duration_in_months', 'parameter_missing');
  if (duration !== 'repeating' && months !== null) return fail('duration_in_months can only be set when duration is repeating.', 'duration_in_months');
  const metadata = typeof p.metadata === 'object' && !Array.isArray(p.metadata) ? Object.fromEntries(Object.entries(p.metadata).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
  return { id, object: 'coupon', amount_off: amountOff, currency, percent_off: percentOff, duration, duration_in_months: months, name: text(p.name) ?? null, metadata, valid: true, times_redeemed: 0, created, livemode: false };
}

/**
 * A Checkout Session's `discounts[0][coupon]` applied to its subtotal (at most one discount here), and its
 * `expires_at` (30 minutes to 24 hours after creation; default 24 hours).
 */
export function sessionTerms(
  p: FormObject,
  coupons: ReadonlyMap<string, CouponObject>,
  subtotal: number,
  currency: string | null,
  created: number,
): { discounts: CheckoutSessionObject['discounts']; amountDiscount: number; expiresAt: number } | StripeParamError {
  const fail = (message: string, param: string, code?: string): StripeParamError => ({ error: { message, ...(code ? { code } : {}), param } });
  const expiresParam = text(p.expires_at);
  const expiresAt = expiresParam === undefined ? created + 24 * 3600 : Number(expiresParam);
  if (!Number.isInteger(expiresAt) || expiresAt < created + 1800 || expiresAt > created + 24 * 3600) {
    return fail('The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.', 'expires_at');
  }
  const list = p.discounts;
  if (list === undefined || list === '') return { discounts: [], amountDiscount: 0, expiresAt };
  if (!Array.isArray(list)) return fail('Invalid array', 'discounts', 'parameter_invalid_array');
  if (list.length > 1) return fail('You may only specify one discount.', 'discounts');
  const entry = list[0];
  const couponId = typeof entry === 'object' && !Array.isArray(entry) ? text(entry.coupon) : undefined;
  if (!couponId) return fail('Missing required param: discounts[0][coupon].', 'discounts[0][coupon]', 'parameter_missing');
  const coupon = coupons.get(couponId);
  if (!coupon) return fail(`No such coupon: '${couponId}'`, 'discounts[0][coupon]', 'resource_missing');
  if (coupon.currency && coupon.currency !== currency) return fail(`The coupon's currency (${coupon.currency}) does not match the session's (${currency}).`, 'discounts[0][coupon]');
  // Stripe rounds a percent discount to the nearest minor unit.
  const off = coupon.amount_off ?? Math.round((subtotal * (coupon.percent_off ?? 0)) / 100);
  return { discounts: [{ coupon: coupon.id, promotion_code: null }], amountDiscount: Math.min(off, subtotal), expiresAt };
}

/** The simulations' Stripe Tax rate: a fixed 10 %, exclusive, whatever the address (README "Taxes"). */
export const SANDBOX_TAX_RATE = 10;

/**
 * A Checkout Session's `automatic_tax[enabled]` (Stripe Tax): off, or the simulations' tax on `taxable` (the
 * total after discounts) at SANDBOX_TAX_RATE, added to it, with Tollgate's rounding (src/contract/tax.ts). Like
 * Stripe, a session for a customer needs the address collected: `customer_update[address]=auto` or
 * `billing_address_collection=required` (the simulations' customers have no address of their own).
 */
export function sessionTax(p: FormObject, taxable: number): { automatic_tax: { enabled: boolean; status: 'complete' | null }; amountTax: number } | StripeParamError {
  const auto = p.automatic_tax;
  const enabled = typeof auto === 'object' && !Array.isArray(auto) ? text(auto.enabled) : undefined;
  if (enabled !== undefined && enabled !== 'true' && enabled !== 'false') return { error: { message: 'Invalid boolean: ' + enabled, param: 'automatic_tax[enabled]' } };
  if (enabled !== 'true') return { automatic_tax: { enabled: false, status: null }, amountTax: 0 };
  const update = p.customer_update;
  const addressAuto = typeof update === 'object' && !Array.isArray(update) && text(update.address) === 'auto';
  if (text(p.customer) && !addressAuto && text(p.billing_address_collection) !== 'required') {
    return { error: { message: "Automatic tax calculation in Checkout requires a valid address on the Customer. Add a valid address to the Customer or set either `customer_update[address]` to 'auto' or `billing_address_collection` to 'required'.", param: 'customer_update[address]' } };
  }
  return { automatic_tax: { enabled: true, status: 'complete' }, amountTax: exclusiveTax(taxable, SANDBOX_TAX_RATE) };
}

const PRORATION_BEHAVIORS = ['always_invoice', 'create_prorations', 'none'];
const PAYMENT_BEHAVIORS = ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'];

/**
 * POST /v1/subscriptions/{id} with `items[i][id]` and `items[i][quantity]` (Stripe's "Update a subscription": the
 * seat change Tollgate makes), `proration_behavior` and `payment_behavior` checked against their enums. Each named
 * item takes its new quantity; the simulations' payment method pays a proration invoice at once, so a
 * `pending_if_incomplete` update applies. The caller sends customer.subscription.updated with `previous`.
 */
export function updateSubscriptionItems(sub: SubscriptionObject<unknown, string>, p: FormObject): { previous: Record<string, unknown> } | StripeParamError {
  const fail = (message: string, param: string, code?: string): StripeParamError => ({ error: { message, ...(code ? { code } : {}), param } });
  const proration = text(p.proration_behavior);
  if (proration !== undefined && !PRORATION_BEHAVIORS.includes(proration)) return fail('Invalid proration_behavior: must be one of always_invoice, create_prorations, or none', 'proration_behavior');
  const payment = text(p.payment_behavior);
  if (payment !== undefined && !PAYMENT_BEHAVIORS.includes(payment)) return fail('Invalid payment_behavior: must be one of allow_incomplete, default_incomplete, error_if_incomplete, or pending_if_incomplete', 'payment_behavior');
  if (sub.status === 'canceled') return fail('A canceled subscription can only update its cancellation_details and metadata.', 'items');
  const items = p.items;
  if (items === undefined) return { previous: {} };
  if (!Array.isArray(items)) return fail('Invalid array', 'items', 'parameter_invalid_array');
  const changes = items.map((entry, i) => {
    const id = typeof entry === 'object' && !Array.isArray(entry) ? text(entry.id) : undefined;
    const quantity = typeof entry === 'object' && !Array.isArray(entry) ? text(entry.quantity) : undefined;
    const item = sub.items.data.find((x) => x.id === id);
    if (!id || !item) return fail(`No such subscription item: '${id ?? ''}'`, `items[${i}][id]`, 'resource_missing');
    if (quantity === undefined || !/^\d+$/.test(quantity)) return fail(`Invalid integer: ${quantity ?? ''}`, `items[${i}][quantity]`, 'parameter_invalid_integer');
    return { item, quantity: Number(quantity) };
  });
  const failed = changes.find((c): c is StripeParamError => 'error' in c);
  if (failed) return failed;
  const previous = { items: structuredClone(sub.items) };
  for (const c of changes as { item: (typeof sub.items.data)[number]; quantity: number }[]) c.item.quantity = c.quantity;
  return { previous };
}
