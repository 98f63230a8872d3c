// The one interface every billing backend implements (Razorpay, Stripe and the partner APIs in docs/upstream/), and the
// upstream fetch with a timeout that all of them use.
import type { Hono } from 'hono';
import type { CheckoutAction, CheckoutRequest, CheckoutStatus, ProviderName, RazorpayVerifyRequest, Subscription, SubscriptionStatus } from '../../src/contract/index.js';
import type { CheckoutRow, CustomerRow, UpgradeResult } from '../billing.js';
import type { PlanConfig, PlanPriceConfig, ProviderMode } from '../config.js';
import type { AppDeps, AppEnv } from '../context.js';
import type { CustomerIdentity } from '../security/tokens.js';
import type { PricedCheckout } from '../services/promotions.js';
import type { ProviderCapabilities } from './capabilities.js';
import type { FetchLike } from './upstream.js';

export type { ProviderCapabilities };

/** What a provider's factory is built from: the app's dependencies, the upstream fetch, and the sandbox's way home. */
export type ProviderDeps = Omit<AppDeps, 'providers'> & {
  fetch: FetchLike;
  /** Send a request through this server's own app (sandbox webhooks to our own endpoints). */
  deliverToSelf: (path: string, init: RequestInit) => Promise<Response>;
  /** Delay of a sandbox simulator's webhooks after a payment ("a moment later"). */
  sandboxWebhookDelayMs?: number;
};

export interface CheckoutContext {
  checkout: CheckoutRow;
  customer: CustomerRow;
  plan: PlanConfig;
  price: PlanPriceConfig;
  /** What to charge, priced on the server before the provider is called (`total` after a promotion code's discount). */
  priced: PricedCheckout;
  identity: CustomerIdentity;
  request: CheckoutRequest;
  /** Where hosted pages return to (an allowed origin), with `{CHECKOUT_ID}` already filled in. */
  returnUrl: string;
  /** A key derived from the checkout id, for upstreams that take an Idempotency-Key. */
  idempotencyKey: string;
}

export interface CheckoutStart {
  providerOrderId: string;
  action: CheckoutAction;
  status?: CheckoutStatus;
}

export interface Provider extends ProviderCapabilities {
  readonly name: ProviderName;
  readonly mode: ProviderMode;
  /**
   * Why this provider cannot take a hand-off checkout (paid in the system browser, which holds only a
   * token scoped to that checkout); absent when it can. POST /v1/checkout refuses such a hand-off up front.
   */
  readonly handoffUnsupported?: string;
  /** Create the upstream order or session for a checkout and say what the browser does next. */
  createCheckout(ctx: CheckoutContext): Promise<CheckoutStart>;
  /**
   * Razorpay-style verify (Razorpay direct, Mintoken forward): throws on a bad signature. A provider that marks
   * the checkout paid itself (a Razorpay Subscription) answers with the result; otherwise the caller does.
   */
  verifyPayment?(ctx: { checkout: CheckoutRow; body: RazorpayVerifyRequest; identity: CustomerIdentity }): Promise<void | UpgradeResult>;
  /** Ask the upstream for a checkout's state (redirect returns, polling providers). */
  refreshCheckout?(checkout: CheckoutRow): Promise<void>;
  /** A customer-portal URL, or null when the customer has no billing account there. */
  portalUrl?(customer: CustomerRow, returnUrl: string): Promise<string | null>;
  /** Whether the customer has a portal here; `linked` are the providers holding an upstream customer for them (no look-up needed). */
  hasPortal?(customer: CustomerRow, linked: readonly string[]): boolean;
  /** The upstream's own subscription view, for providers that keep it (MimicBot). */
  subscription?(customer: CustomerRow, identity: CustomerIdentity): Promise<Subscription | null>;
  /**
   * What Tollgate's own billing portal can do with a customer's live subscription here (providers without a
   * portal of their own: Razorpay Subscriptions, and partner APIs where their documents allow). Absent: the
   * portal shows the plan and the payment history only.
   */
  subscriptionControls?: SubscriptionControls;
  /**
   * Change the seats of a customer's live per-seat subscription where the provider has its own portal and no
   * SubscriptionControls (Stripe: the subscription item's quantity). Asked upstream only: the store follows the
   * provider's signed webhook. `current` is the quantity before; `unchanged` when it was already `quantity`.
   */
  changeSeats?(customer: CustomerRow, change: { quantity: number; idempotencyKey: string }): Promise<{ current: number; unchanged: boolean }>;
  /** Webhook and sandbox routes, mounted at the app root. */
  routes?: Hono<AppEnv>;
  /** Stop background work (pollers) on shutdown. */
  close?(): void | Promise<void>;
}

/** A customer's live subscription at a provider, as the self-hosted portal shows it. */
export interface ManagedSubscription {
  provider: ProviderName;
  /** The provider's subscription id. */
  subscriptionId: string;
  plan: string;
  interval: 'month' | 'year';
  quantity: number;
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
  /** The next charge, when one is scheduled (minor units). */
  nextCharge: { at: Date; amount: number; currency: string } | null;
  /** "UPI Autopay", "Visa •••• 4242", … where the provider says. */
  paymentMethod: string | null;
  /** A plan change waiting for the cycle end. */
  scheduledChange: { plan: string; interval: 'month' | 'year'; quantity: number; at: Date } | null;
  can: { cancel: boolean; resume: boolean; changePlan: boolean; updatePaymentMethod: boolean };
}

/**
 * Subscription changes the self-hosted portal (and the customer API) asks of a provider. Every method is
 * called with the customer's own row; it changes the subscription upstream and mirrors the result into the
 * store (audited), and is safe to repeat (a retried cancel of a cancelled subscription is no error).
 */
export interface SubscriptionControls {
  /** The customer's live subscription here, or null. */
  current(customer: CustomerRow): Promise<ManagedSubscription | null>;
  cancel(customer: CustomerRow, options: { atPeriodEnd: boolean }): Promise<ManagedSubscription>;
  resume(customer: CustomerRow): Promise<ManagedSubscription>;
  /** A plan, interval or seat change; `when` as configured unless given. */
  changePlan(customer: CustomerRow, change: { plan: string; interval: 'month' | 'year'; quantity?: number; when?: 'now' | 'cycle_end' }): Promise<ManagedSubscription>;
  /** A new authorisation in the browser when the mandate or card must change (checkout.js for Razorpay). */
  updatePaymentMethod?(customer: CustomerRow, identity: CustomerIdentity): Promise<CheckoutAction>;
  /**
   * The browser's answer to updatePaymentMethod's action, checked against the customer's stored subscription; the
   * subscription read again upstream and stored (its new method, a recovered state), a charge it paid recorded once.
   */
  confirmPaymentMethod?(customer: CustomerRow, answer: { paymentId: string; subscriptionId: string; signature: string }): Promise<ManagedSubscription>;
}
