// The request and response shapes of the Tollgate server API (v1), once, as zod schemas.
// The server validates with them; the browser imports their *types* only (`import type`),
// so zod never enters the widget bundle.
import { z } from 'zod';
import { CHECKOUT_STATUSES } from './status.js';

export * from './status.js';

export const PROVIDERS = ['razorpay', 'stripe', 'mintbot', 'mimicbot', 'mintoken', 'bonzai'] as const;
export const ProviderName = z.enum(PROVIDERS);
export type ProviderName = z.infer<typeof ProviderName>;

export const Interval = z.enum(['month', 'year', 'once']);
export type Interval = z.infer<typeof Interval>;

/** A price: an integer amount in minor units (paise, cents) plus an ISO currency code. */
export const Price = z.object({
  provider: ProviderName,
  currency: z.string().regex(/^[A-Z]{3}$/),
  amount: z.number().int().nonnegative(),
  interval: Interval,
  /** Renews by itself (a Razorpay Subscription); absent on a price that is an order for one period or a provider's own subscription. */
  recurring: z.literal(true).optional(),
  /** Priced per seat: `amount` is one seat's, the checkout takes a `quantity` in [min_quantity, max_quantity]. */
  per_unit: z.boolean().optional(),
  min_quantity: z.number().int().positive().optional(),
  max_quantity: z.number().int().positive().optional(),
  /**
   * The price's tax for the default country of its currency (README "Taxes"): shown as "incl. ₹244 GST" or "+ ₹244 GST".
   * `computed_by: 'stripe'`: Stripe Tax adds it at checkout from the buyer's address; `rate` and `amount` are null.
   */
  tax: z.object({ name: z.string(), rate: z.number().nullable(), inclusive: z.boolean(), amount: z.number().int().nullable(), computed_by: z.literal('stripe').optional() }).optional(),
});
export type Price = z.infer<typeof Price>;

/** A usage metric of the catalog (messages, seats, …). */
export const Metric = z.object({
  id: z.string().regex(/^[a-z][a-zA-Z0-9]*$/),
  label: z.string(),
  /** The label for exactly one ("1 seat"); `label` otherwise. */
  label_one: z.string().optional(),
});
export type Metric = z.infer<typeof Metric>;

/** A plan as `GET /v1/plans` shows it. `limits[metric] === null` means unlimited. */
export const PublicPlan = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  /** Display labels, in the catalog's order. */
  features: z.array(z.string()),
  /** The same features' ids, as `/v1/entitlements` and `<paywall-gate feature="…">` use them. */
  feature_ids: z.array(z.string()),
  limits: z.record(z.string(), z.number().int().nonnegative().nullable()),
  popular: z.boolean(),
  trial_days: z.number().int().nonnegative(),
  orderable: z.boolean(),
  prices: z.array(Price),
  /** Per interval, the price this customer will actually be charged (the provider rule applied). */
  charge: z.array(Price),
});
export type PublicPlan = z.infer<typeof PublicPlan>;

export const PlansResponse = z.object({ plans: z.array(PublicPlan), metrics: z.array(Metric) });
export type PlansResponse = z.infer<typeof PlansResponse>;

export const SessionRequest = z.object({
  customer_id: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:@-]+$/, 'letters, digits and _ . : @ - only'),
  email: z.email().max(254).optional(),
  name: z.string().max(200).optional(),
  contact: z.string().max(32).optional(),
  /** The customer's currency (their country's): the routing rule picks the provider by it. */
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
});
export type SessionRequest = z.infer<typeof SessionRequest>;

export const SessionResponse = z.object({ token: z.string(), expires_at: z.string() });
export type SessionResponse = z.infer<typeof SessionResponse>;

export const CheckoutRequest = z.object({
  plan: z.string().min(1).max(64),
  /** Default `month`; `once` for one-off prices. */
  interval: Interval.optional(),
  /** Ask for one provider explicitly; otherwise the server's rule picks. */
  provider: ProviderName.optional(),
  /** The currency the picker showed (from `charge`); with `provider`, picks that exact price. */
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  /** `handoff`: the browser cannot pay here (IDE webview); answer with a link for the system browser. */
  mode: z.enum(['inline', 'handoff']).optional(),
  /** Where a hosted page returns to; must be an allowed origin. */
  return_url: z.url({ protocol: /^https?$/, error: 'use an http or https URL' }).max(2048).optional(),
  ui_mode: z.enum(['hosted_page', 'embedded_page']).optional(),
  /** A promotion code (case-insensitive); the server checks it and prices the discount (README "Promotion codes"). */
  promotion_code: z.string().trim().min(1).max(64).optional(),
  /** Seats of a `per_unit` price (default its `min_quantity`, else 1); the server prices `quantity × unit` (README "Seats"). */
  quantity: z.number({ error: 'quantity: give a whole number of seats, e.g. 3' }).int('quantity: give a whole number of seats, e.g. 3').positive('quantity: at least 1').max(100_000).optional(),
  /** The buyer's country (ISO 3166-1 alpha-2) for the tax rate; default from the price's currency (README "Taxes"). */
  country: z.string().regex(/^[A-Z]{2}$/, 'country: an upper-case ISO 3166 code such as "IN" or "DE"').optional(),
  /** Optional business details, checked on the server (GSTIN checksum, VAT id format) and stored with the checkout for its receipt. */
  business: z
    .strictObject({
      legal_name: z.string().trim().min(1).max(200).optional(),
      gstin: z.string().trim().toUpperCase().max(15).optional(),
      vat_id: z.string().trim().toUpperCase().max(16).optional(),
      address: z
        .strictObject({
          line1: z.string().trim().min(1).max(200),
          line2: z.string().trim().max(200).optional(),
          city: z.string().trim().min(1).max(100),
          state: z.string().trim().max(100).optional(),
          postal_code: z.string().trim().min(1).max(20),
          country: z.string().regex(/^[A-Z]{2}$/, 'address.country: an upper-case ISO 3166 code such as "IN"'),
        })
        .optional(),
    })
    .optional(),
});
export type CheckoutRequest = z.infer<typeof CheckoutRequest>;

/** The tax in a priced amount (README "Taxes"): `inclusive` when it is part of the price, else added to it. */
export const TaxLine = z.object({
  /** Null until paid when Stripe computes it (`computed_by`); then what Stripe charged. */
  amount: z.number().int().nonnegative().nullable(),
  name: z.string(),
  /** Null when Stripe computes the tax (its rate depends on the buyer's address). */
  rate: z.number().nonnegative().nullable(),
  inclusive: z.boolean(),
  country: z.string(),
  /** India: the GST's halves (CGST + SGST) or IGST, as configured. */
  split: z.array(z.object({ name: z.string(), rate: z.number(), amount: z.number().int() })).optional(),
  /** `stripe`: Stripe Tax prices it at checkout from the buyer's address (README "Taxes"), not Tollgate. */
  computed_by: z.literal('stripe').optional(),
});
export type TaxLine = z.infer<typeof TaxLine>;

/** `POST /v1/promotion-codes/validate`: what the checkout of this plan would charge with this code. */
export const PromotionPreviewRequest = CheckoutRequest.pick({ plan: true, interval: true, provider: true, currency: true, quantity: true, country: true }).extend({
  code: z.string().trim().min(1).max(64),
});
export type PromotionPreviewRequest = z.infer<typeof PromotionPreviewRequest>;

/** How long a code's discount lasts: the first payment, every payment, or the first `periods` ones. */
export const PromotionDuration = z.enum(['once', 'repeating', 'forever']);
export type PromotionDuration = z.infer<typeof PromotionDuration>;

/** A valid code's effect on one checkout, in integer minor units (`total = amount - discount`). */
export const PromotionPreview = z.object({
  valid: z.literal(true),
  /** The code as configured (upper-case). */
  code: z.string(),
  currency: z.string(),
  interval: Interval,
  /** The price before the discount. */
  amount: z.number().int().nonnegative(),
  discount: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  percent_off: z.number().nullable(),
  duration: PromotionDuration,
  /** For `repeating`: how many billing periods (of `interval`) are discounted. */
  duration_periods: z.number().int().positive().nullable(),
  /** The duration in plain English ("20 % off for 3 months"); the elements word it in the page's language. */
  description: z.string(),
  /** The tax on `total` (README "Taxes"): `inclusive`, part of it; else added to it. */
  tax: TaxLine.nullable().optional(),
});
export type PromotionPreview = z.infer<typeof PromotionPreview>;

export const RazorpayAction = z.object({
  type: z.literal('razorpay'),
  key_id: z.string(),
  /** The order of a one-off payment; absent for a subscription. */
  order_id: z.string().optional(),
  /** A Razorpay Subscription to authorise (checkout.js takes it instead of `order_id` and `amount`). */
  subscription_id: z.string().optional(),
  /** True with `subscription_id`: the payment sets up a mandate that renews (UPI Autopay, card, e-mandate). */
  recurring: z.boolean().optional(),
  /**
   * True with `subscription_id`: a new mandate for a live subscription (the portal's "Update payment method"),
   * checkout.js's `subscription_card_change: 1`. No checkout row: `verify_path` is the portal's own verify, and
   * `amount` is what it pays now (a pending or halted subscription's outstanding invoice; else 0).
   */
  subscription_card_change: z.boolean().optional(),
  /** What is charged now, or per cycle for a subscription (shown, never sent to checkout.js for one). */
  amount: z.number().int(),
  currency: z.string(),
  name: z.string(),
  description: z.string(),
  prefill: z.object({ name: z.string().optional(), email: z.string().optional(), contact: z.string().optional() }),
  script_url: z.string(),
  theme_color: z.string().optional(),
  /** Where verify goes: our own `/v1/razorpay/verify`. */
  verify_path: z.string(),
});
export const RedirectAction = z.object({ type: z.literal('redirect'), url: z.string() });
export const StripeEmbeddedAction = z.object({
  type: z.literal('stripe_embedded'),
  publishable_key: z.string(),
  client_secret: z.string(),
  /** Set in sandbox: the simulated embedded form to mount instead of Stripe.js. */
  sandbox_url: z.string().optional(),
});
export const HandoffAction = z.object({
  type: z.literal('handoff'),
  /** Open in the system browser; the page there runs the payment. */
  url: z.string(),
  /** Poll `GET /v1/checkout/{id}` or subscribe to `GET /v1/checkout/{id}/events`. */
  status_url: z.string(),
  expires_at: z.string(),
});
export const CheckoutAction = z.discriminatedUnion('type', [RazorpayAction, RedirectAction, StripeEmbeddedAction, HandoffAction]);
export type RazorpayAction = z.infer<typeof RazorpayAction>;
export type RedirectAction = z.infer<typeof RedirectAction>;
export type StripeEmbeddedAction = z.infer<typeof StripeEmbeddedAction>;
export type HandoffAction = z.infer<typeof HandoffAction>;
export type CheckoutAction = z.infer<typeof CheckoutAction>;


/** What a checkout charges, in integer minor units: `subtotal = unit_amount × quantity`, `total = subtotal − discount (+ tax when exclusive)`. */
export const CheckoutPricing = z.object({
  currency: z.string(),
  unit_amount: z.number().int().nonnegative(),
  quantity: z.number().int().positive(),
  subtotal: z.number().int().nonnegative(),
  discount: z.number().int().nonnegative(),
  tax: TaxLine.nullable(),
  total: z.number().int().nonnegative(),
});
export type CheckoutPricing = z.infer<typeof CheckoutPricing>;

export const CheckoutResponse = z.object({
  checkout_id: z.string(),
  plan: z.string(),
  /** The plan's display name, for the widget's own messages. */
  plan_name: z.string(),
  interval: Interval,
  action: CheckoutAction,
  /** The amounts charged (the provider gets `total`). */
  pricing: CheckoutPricing.optional(),
});
export type CheckoutResponse = z.infer<typeof CheckoutResponse>;

export const CheckoutStatus = z.enum(CHECKOUT_STATUSES);
export type CheckoutStatus = z.infer<typeof CheckoutStatus>;

/** `GET /v1/checkout/{id}`. */
export const CheckoutState = z.object({
  checkout_id: z.string(),
  plan: z.string(),
  interval: Interval,
  provider: ProviderName,
  status: CheckoutStatus,
  amount: z.number().int(),
  currency: z.string(),
  payment_id: z.string().nullable(),
  /** The last payment failure the provider reported (the order may still be paid later). */
  last_error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** What happens after payment, for providers that provision something (mintbot agents). */
  fulfillment: z
    .object({ status: z.enum(['provisioning', 'ready', 'failed', 'expired']), panel_url: z.string().nullable(), expires_at: z.string().nullable() })
    .nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type CheckoutState = z.infer<typeof CheckoutState>;

export const RazorpayVerifyRequest = z
  .object({
    plan: z.string().min(1).max(64),
    /** The handler's ids: `razorpay_order_id` for an order, `razorpay_subscription_id` for a subscription (one of the two). */
    razorpay_order_id: z.string().min(1).max(64).optional(),
    razorpay_subscription_id: z.string().min(1).max(64).optional(),
    razorpay_payment_id: z.string().min(1).max(64),
    razorpay_signature: z.string().min(1).max(256),
  })
  .refine((b) => (b.razorpay_order_id === undefined) !== (b.razorpay_subscription_id === undefined), {
    path: ['razorpay_order_id'],
    message: 'give razorpay_order_id (an order) or razorpay_subscription_id (a subscription), as checkout.js answered',
  });
export type RazorpayVerifyRequest = z.infer<typeof RazorpayVerifyRequest>;

export const RazorpayVerifyResponse = z.object({
  message: z.literal('Plan upgraded'),
  old_plan: z.string(),
  new_plan: z.string(),
  payment_id: z.string(),
});
export type RazorpayVerifyResponse = z.infer<typeof RazorpayVerifyResponse>;

export const SubscriptionStatus = z.enum(['active', 'trialing', 'past_due', 'canceled', 'unpaid']);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

/**
 * `GET /v1/subscription`: MimicBot's subscription object (docs/upstream/mimicbot-billing-api.txt), with `usage.<metric>Used` /
 * `usage.<metric>Limit` for the catalog's metrics (a `null` limit is unlimited; read them with
 * `usageMetrics` in `./usage.ts`), plus what the widgets
 * need: `planName` (in the answer's language), `hasPortal`, `canUpgrade` and `metricLabels`.
 */
export const Subscription = z.object({
  plan: z.string(),
  planName: z.string(),
  status: SubscriptionStatus,
  cancelAtPeriodEnd: z.boolean(),
  currentPeriodEnd: z.string().nullable(),
  /** The billing interval of the plan in force, where the provider tells it (`<plan-picker>` then offers the other one). */
  interval: Interval.nullable().optional(),
  usage: z.record(z.string(), z.number().nullable()),
  hasPortal: z.boolean(),
  /** False when no orderable plan ranks above the current one (the top plan): `<usage-meter>` hides "Upgrade". */
  canUpgrade: z.boolean().optional(),
  /** The catalog's metric labels by metric id, in the answer's language (Accept-Language / `?locale=`). */
  metricLabels: z.record(z.string(), z.string()).optional(),
});
export type Subscription = z.infer<typeof Subscription>;

/**
 * `GET /v1/entitlements`: what the customer's plan in force allows. `features` are feature ids;
 * `has_access` is true while a paid plan is in good standing (active, trialing, or past due in grace).
 */
export const Entitlements = z.object({
  plan: z.string(),
  features: z.array(z.string()),
  limits: z.record(z.string(), z.number().nullable()),
  has_access: z.boolean(),
  /** With `?token=1` while tokens are on: a JWS (EdDSA) of these and this period's usage; keys at /.well-known/jwks.json. */
  token: z.string().optional(),
  token_expires_at: z.string().optional(),
});
export type Entitlements = z.infer<typeof Entitlements>;

/** The entitlements routes' `?token=`: `1`/`true` asks for a signed token, `0`/`false` for none. */
export const EntitlementTokenAsk = z.enum(['1', 'true', '0', 'false']);

/** `GET /.well-known/jwks.json`: the public keys of the entitlement tokens (Ed25519), the signing key first. */
export const Jwks = z.object({
  keys: z.array(z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string(), alg: z.literal('EdDSA'), use: z.literal('sig') })),
});
export type Jwks = z.infer<typeof Jwks>;

export const PortalRequest = z.object({ return_url: z.url({ protocol: /^https?$/, error: 'use an http or https URL' }).max(2048).optional() });
export const PortalResponse = z.object({
  url: z.string(),
  /** When the link stops working: set on Tollgate's own portal's links (`{publicUrl}/portal#token=…`, 15 min). */
  expires_at: z.string().optional(),
});
export type PortalResponse = z.infer<typeof PortalResponse>;

/** One charge in the billing portal's payment history (a row of the payments ledger). */
export const PortalPayment = z.object({
  payment_id: z.string(),
  provider: ProviderName,
  kind: z.enum(['checkout', 'renewal']),
  plan: z.string(),
  plan_name: z.string(),
  interval: Interval,
  amount: z.number().int(),
  currency: z.string(),
  status: z.enum(['paid', 'refunded']),
  paid_at: z.string(),
  /** The provider's own invoice page (Razorpay's `short_url`), where there is one. */
  invoice_url: z.string().nullable(),
  /** Tollgate's own receipt of this payment (`/v1/receipts/{id}`); null until receipts are served. */
  receipt_url: z.string().nullable(),
  /** A seat top-up (README "Changing seats after purchase"): the seats it added; else null. */
  seats_added: z.number().int().positive().nullable(),
});
export type PortalPayment = z.infer<typeof PortalPayment>;

/**
 * `GET /v1/portal/summary`: what Tollgate's own billing portal shows a customer whose provider has no portal
 * (Razorpay, Mintoken, Bonzai, mintbot): the plan in force, the live subscription where the provider manages
 * one (`next_charge`, `payment_method`), what the customer may do (`can`), the plans to change to (priced by
 * the catalog) and the payment history, newest first. Read again by the server on every action.
 */
export const PortalSummary = z.object({
  customer_id: z.string(),
  plan: z.string(),
  plan_name: z.string(),
  status: SubscriptionStatus,
  interval: Interval.nullable(),
  provider: ProviderName.nullable(),
  current_period_end: z.string().nullable(),
  cancel_at_period_end: z.boolean(),
  /** `subscription`: the provider renews it (cancel, resume, change through its API); `one_period`: a paid period that ends by itself. */
  billing: z.enum(['free', 'one_period', 'subscription']),
  next_charge: z.object({ at: z.string(), amount: z.number().int(), currency: z.string() }).nullable(),
  payment_method: z.string().nullable(),
  scheduled_change: z.object({ plan: z.string(), interval: z.enum(['month', 'year']), at: z.string() }).nullable(),
  can: z.object({ cancel: z.boolean(), resume: z.boolean(), change_plan: z.boolean(), update_payment_method: z.boolean() }),
  /** A per-seat plan's seats (POST /v1/portal/seats): in force, the price's limits and one seat's catalog price; null otherwise. */
  seats: z.object({ quantity: z.number().int().positive(), min: z.number().int().positive(), max: z.number().int().positive(), unit_amount: z.number().int(), currency: z.string(), can_change: z.boolean() }).nullable().optional(),
  plans: z.array(z.object({ plan: z.string(), plan_name: z.string(), interval: Interval, amount: z.number().int(), currency: z.string(), current: z.boolean() })),
  payments: z.array(PortalPayment),
});
export type PortalSummary = z.infer<typeof PortalSummary>;

/**
 * `POST /v1/seats` (and the portal's `POST /v1/portal/seats`): the seats wanted in all on the plan in force, a
 * per-seat price's (README "Seats and taxes"); the limits are the price's min/max_quantity, the price the catalog's.
 */
export const SeatsRequest = z
  .object({
    quantity: z.number({ error: 'quantity: give a whole number of seats, e.g. 3' }).int('quantity: give a whole number of seats, e.g. 3').positive('quantity: at least 1').max(100_000),
  })
  .strict();
export type SeatsRequest = z.infer<typeof SeatsRequest>;

/**
 * What a seat change did: `applied`, in force now (a Razorpay subscription's increase); `scheduled`, from `at` (fewer
 * seats on a subscription, at its cycle end); `pending`, asked of the provider, in force when its signed webhook
 * reports the updated subscription (Stripe); `payment_required`, a prorated top-up `checkout` to pay first (a
 * one-off period); `unchanged`, already that many. `seats` is the number in force now.
 */
export const SeatChange = z.object({
  status: z.enum(['applied', 'scheduled', 'pending', 'payment_required', 'unchanged']),
  seats: z.number().int().positive(),
  quantity: z.number().int().positive(),
  at: z.string().nullable(),
  checkout: CheckoutResponse.nullable(),
});
export type SeatChange = z.infer<typeof SeatChange>;

/** `POST /v1/portal/change-plan`: the plan and interval to move to; the price is the catalog's. */
export const PortalChangePlanRequest = z.object({
  plan: z.string().min(1).max(64),
  interval: Interval,
  quantity: z.number().int().min(1).max(10_000).optional(),
});
export type PortalChangePlanRequest = z.infer<typeof PortalChangePlanRequest>;

/** `POST /v1/portal/payment-method/verify`: what checkout.js handed its `handler` after a card change (the reversed signature). */
export const PortalPaymentMethodVerifyRequest = z.object({
  razorpay_payment_id: z.string().min(1).max(64),
  razorpay_subscription_id: z.string().min(1).max(64),
  razorpay_signature: z.string().min(1).max(256),
});
export type PortalPaymentMethodVerifyRequest = z.infer<typeof PortalPaymentMethodVerifyRequest>;

/**
 * What a portal action answers: the portal as it is now, and, where the browser must pay or authorise
 * (a change of plan bought as a new checkout, a new payment method), the checkout to run with
 * `<razorpay-checkout checkout="…">` (`checkout_id`) or an action to follow.
 */
export const PortalActionResponse = z.object({
  summary: PortalSummary,
  checkout: z.object({ checkout_id: z.string().nullable(), action: CheckoutAction }).nullable(),
  /** POST /v1/portal/seats: what the seat change did. */
  seats: SeatChange.optional(),
});
export type PortalActionResponse = z.infer<typeof PortalActionResponse>;

/** `GET /healthz`: 200 while the store answers, 503 (the same shape, `ok: false`) when it does not. */
export const Health = z.object({
  ok: z.boolean(),
  store: z.enum(['pglite', 'postgres']),
  sandbox: z.boolean(),
  /** Each configured provider's mode (`live`, `sandbox`, `unavailable`). */
  providers: z.record(z.string(), z.string()),
});
export type Health = z.infer<typeof Health>;

/** A provider's webhook, acknowledged: `outcome` says what was done (`applied`, `duplicate`, `ignored`, `queued`, …). */
export const WebhookAnswer = z.object({ received: z.literal(true), outcome: z.string() });
export type WebhookAnswer = z.infer<typeof WebhookAnswer>;

/** A partner's key for one report or consume (an event id, an Idempotency-Key): 1–255 visible ASCII characters. */
const EventKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'use 1–255 visible ASCII characters');

export const UsageReport = z.object({
  customer_id: SessionRequest.shape.customer_id,
  metric: z.string().min(1).max(64),
  /** Added to the period's count; negative to correct (audited; the count never goes below 0). */
  quantity: z.number().int().min(-1_000_000).max(1_000_000),
  /** The partner's id of this event: a report with an event_id already counted for this customer counts once. */
  event_id: EventKey.optional(),
  /** Why a correction (negative quantity) was made, kept with its audit row. */
  reason: z.string().max(500).optional(),
});
export type UsageReport = z.infer<typeof UsageReport>;

/** `POST /v1/usage`'s answer: the period's count after the report (after the first one, for a repeated event_id). */
export const UsageAnswer = z.object({
  customer_id: z.string(),
  metric: z.string(),
  used: z.number(),
  event_id: z.string().optional(),
  /** True when this event_id had been counted already (nothing was added). */
  duplicate: z.boolean().optional(),
});
export type UsageAnswer = z.infer<typeof UsageAnswer>;

/**
 * `POST /v1/check` (API key): a feature (`{customer_id, feature}`) or a metric (`{customer_id, metric,
 * quantity?, consume?}`), one of the two. With `consume`, the quantity is recorded only if it fits.
 */
export const CheckRequest = z
  .object({
    customer_id: SessionRequest.shape.customer_id,
    feature: z.string().min(1).max(64).optional(),
    metric: z.string().min(1).max(64).optional(),
    quantity: z.number().int().min(1).max(1_000_000).optional(),
    consume: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.feature === undefined) === (body.metric === undefined)) ctx.addIssue({ code: 'custom', path: ['feature'], message: 'give either feature or metric (one of the two)' });
    else if (body.feature !== undefined && (body.quantity !== undefined || body.consume !== undefined)) ctx.addIssue({ code: 'custom', path: [body.quantity !== undefined ? 'quantity' : 'consume'], message: 'only with metric' });
  });
export type CheckRequest = z.infer<typeof CheckRequest>;

/** A feature check: `reason` is `included` (the plan in force has it) or `not_included`. */
export const FeatureCheck = z.object({ allowed: z.boolean(), plan: z.string(), reason: z.enum(['included', 'not_included']) });
export type FeatureCheck = z.infer<typeof FeatureCheck>;

/** A metric check: this period's count (after a consume that fitted), the plan's limit (null: unlimited) and what is left. */
export const MetricCheck = z.object({ allowed: z.boolean(), used: z.number(), limit: z.number().nullable(), remaining: z.number().nullable() });
export type MetricCheck = z.infer<typeof MetricCheck>;

/** `POST /v1/check`'s answer: a feature's or a metric's check. */
export const CheckAnswer = z.union([FeatureCheck, MetricCheck]);
export type CheckAnswer = z.infer<typeof CheckAnswer>;

/** `POST /v1/customers/{id}/grants`: a manual plan until a time in the future, with why. */
export const GrantRequest = z.object({
  plan: z.string().min(1).max(64),
  until: z.iso.datetime({ offset: true }),
  reason: z.string().min(1).max(500),
});
export type GrantRequest = z.infer<typeof GrantRequest>;

export const Grant = z.object({
  grant_id: z.string(),
  customer_id: z.string(),
  plan: z.string(),
  until: z.string(),
  reason: z.string(),
  created_at: z.string(),
  /** Set once the grant was deleted. */
  revoked_at: z.string().nullable(),
});
export type Grant = z.infer<typeof Grant>;

/**
 * `GET /v1/customers/{id}` (API key): the plan in force (paid or granted) and its state, this period's
 * usage against the plan's limits, the features, and when the plan or status last changed.
 */
export const CustomerState = z.object({
  customer_id: z.string(),
  plan: z.string(),
  status: SubscriptionStatus,
  has_access: z.boolean(),
  features: z.array(z.string()),
  current_period_end: z.string().nullable(),
  cancel_at_period_end: z.boolean(),
  interval: Interval.nullable(),
  /** The usage period (a calendar month, UTC: `2026-12`). */
  period: z.string(),
  usage: z.record(z.string(), z.object({ used: z.number(), limit: z.number().nullable() })),
  /** The provider billing the customer, if any. */
  provider: z.string().nullable(),
  /** The grant in force, when the plan is a granted one. */
  grant: z.object({ grant_id: z.string(), plan: z.string(), until: z.string() }).nullable(),
  /** The seats of the per-seat plan in force (README "Seats"; also `usage.seats.limit`); null when the plan is not sold per seat. */
  seats: z.number().int().positive().nullable().optional(),
  updated_at: z.string(),
});
export type CustomerState = z.infer<typeof CustomerState>;

export const ERROR_CODES = [
  'unauthenticated',
  'invalid_token',
  'validation_error',
  'not_found',
  'invalid_signature',
  'missing_idempotency_key',
  'idempotency_key_mismatch',
  'rate_limited',
  'provider_unavailable',
  'upstream_error',
  'conflict',
  /** A checkout while a subscription that renews upstream (Stripe, MimicBot) is live: change it in the portal. */
  'subscription_exists',
  /** A lower plan while a paid one-off period (Razorpay order) still runs: switch when it ends. */
  'downgrade_not_available',
  'payload_too_large',
  /** The request (headers or body) did not arrive within the server's http timeouts. */
  'request_timeout',
  'forbidden',
  /** Promotion codes (README "Promotion codes"): no such code. */
  'promotion_unknown',
  /** The code's validity window has not started or has ended. */
  'promotion_expired',
  /** The code is not for this plan, billing interval or currency. */
  'promotion_not_applicable',
  /** The code has been redeemed as often as it may be. */
  'promotion_exhausted',
  /** This customer has already used the code as often as they may. */
  'promotion_already_used',
  /** The code is for a customer's first purchase only. */
  'promotion_first_purchase_only',
  /** The billing provider of this price cannot honour the code (fixed-price partner APIs; a discount it cannot repeat). */
  'promotion_not_supported',
  /** A per-seat price (or an exclusive tax) on a provider that prices the plan itself. */
  'quantity_not_supported',
  'tax_not_supported',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorEnvelope = z.object({
  error: z.object({ code: z.string(), message: z.string(), request_id: z.string() }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/** One event's delivery to one partner_webhooks endpoint (GET /v1/webhook-deliveries). */
export const WebhookDelivery = z.object({
  id: z.string(),
  /** The event's `webhook-id` (the same on every attempt and replay). */
  event_id: z.string(),
  event_type: z.string(),
  endpoint: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
  created_at: z.string(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
/** GET /v1/webhook-deliveries's query. */
export const WebhookDeliveryQuery = z.strictObject({
  status: WebhookDelivery.shape.status.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const WebhookDeliveryList = z.object({ deliveries: z.array(WebhookDelivery) });
export const WebhookDeliveryReplay = z.object({ delivery: WebhookDelivery });
