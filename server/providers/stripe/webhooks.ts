// Stripe's webhook handlers by event type (Checkout Sessions, subscriptions, failed invoices) and its
// verifier: `t=…,v1=…` over `${t}.${raw body}`, any v1 may match, 300 s tolerance (Stripe's "Webhooks"
// reference); providers/webhooks.ts applies each event once, in the transaction that claims its id.
import type { Hono } from 'hono';
import type { SubscriptionStatus } from '../../../src/contract/index.js';
import { applySubscriptionState, customerForProviderId, findCheckoutByOrder, getCheckout, markCheckoutExpired, markCheckoutPaid, recordPaymentFailure, type CheckoutRow, type CustomerRow } from '../../billing.js';
import type { AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import { recordStripeTax } from '../../store/checkouts.js';
import { recordRenewalPayment } from '../../store/payments.js';
import type { Sql } from '../../store/index.js';
import type { ProviderDeps } from '../types.js';
import { parseWebhookObject, verifyTimestampedWebhook, webhookRoutes, type WebhookEvent, type WebhookHandler, type WebhookStep } from '../webhooks.js';
import { idOf, type StripeClient, type StripeSessionObject, type StripeSubscriptionObject } from './client.js';
import type { StripeSettings } from './settings.js';
import { intervalOf, paymentIdOf, periodEndOf, planOf, PROVIDER, seatsOf, stateAtFloor, statusOf, unixDate } from './subscriptions.js';

export interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

/** What the handlers use: the provider's dependencies and its Stripe client. */
export interface StripeContext {
  deps: ProviderDeps;
  client: StripeClient;
}

/**
 * A completed, paid session: the checkout becomes paid (one upgrade, audited). markCheckoutPaid sets the
 * customer `active`; for a subscription the state Stripe holds (trialing, its period end) is applied right
 * after in the same transaction, so a trial never shows as active.
 */
export async function settleSession(ctx: StripeContext, session: StripeSessionObject, checkout: CheckoutRow, source: string, event?: StripeEvent): Promise<(tx: Sql) => Promise<string>> {
  const { deps, client } = ctx;
  const { log, catalog } = deps;
  const subId = idOf(session.subscription);
  const sub = subId && checkout.status !== 'paid' ? (typeof session.subscription === 'object' && session.subscription ? (session.subscription as StripeSubscriptionObject) : await client.retrieveSubscription(subId)) : null;
  return async (tx) => {
    try {
      const now = deps.now();
      await recordChargedTax(deps, tx, checkout, session);
      const result = await markCheckoutPaid(tx, { checkoutId: checkout.id, paymentId: paymentIdOf(session), source, eventId: event?.id, now });
      if (result.changed && sub) {
        const status = statusOf(sub.status);
        // The subscription may already have ended by the time its checkout settles (events out of order).
        const plan = status === 'canceled' ? catalog.freePlan.id : (planOf(catalog, sub) ?? checkout.plan);
        if (status) {
          const floor = await stateAtFloor(tx, checkout.customer_id);
          const stamp = Math.max(floor, (event?.created ?? sub.created ?? Math.floor(now.getTime() / 1000)) * 1000);
          await applySubscriptionState(tx, {
            customerId: checkout.customer_id,
            provider: PROVIDER,
            plan,
            status,
            cancelAtPeriodEnd: Boolean(sub.cancel_at_period_end),
            currentPeriodEnd: periodEndOf(sub),
            interval: intervalOf(sub),
            stateAt: new Date(stamp),
            source,
            eventId: event?.id ?? `${source}:${session.id}`,
            checkoutId: checkout.id,
            now,
            seats: status === 'canceled' ? undefined : seatsOf(catalog, sub, plan),
          });
        }
      }
      return result.changed ? 'upgraded' : 'already_applied';
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') {
        log.warn('stripe payment conflict', { event_id: event?.id, checkout_id: checkout.id, reason: err.message });
        return 'conflict';
      }
      throw err;
    }
  };
}

/**
 * Stripe Tax (README "Taxes"): the tax and total a paid session charged become its checkout's, then its payment's
 * and receipt's (store/checkouts.ts recordStripeTax). Nothing for a checkout Tollgate priced the tax of.
 */
async function recordChargedTax(deps: ProviderDeps, tx: Sql, checkout: CheckoutRow, session: StripeSessionObject): Promise<void> {
  if (checkout.tax?.computed_by !== 'stripe' || checkout.status === 'paid' || session.payment_status !== 'paid') return;
  const charged = { amountTax: session.total_details?.amount_tax ?? 0, amountTotal: session.amount_total ?? checkout.amount };
  if (!(await recordStripeTax(tx, checkout.id, charged, deps.now()))) deps.log.warn('stripe tax not recorded', { checkout_id: checkout.id, session_id: session.id, ...charged });
}

async function onSubscription(ctx: StripeContext, { payload: event }: WebhookEvent<StripeEvent>): Promise<WebhookStep> {
  const { deps, client } = ctx;
  const { store, log, catalog } = deps;
  let sub = event.data.object as unknown as StripeSubscriptionObject;
  const stripeCustomer = idOf(sub.customer);
  const customerId = (stripeCustomer ? await customerForProviderId(store, PROVIDER, stripeCustomer) : null) ?? sub.metadata?.customer_id ?? null;
  const deleted = event.type === 'customer.subscription.deleted';
  // Events are ordered by `created`, in whole seconds: two changes within one second cannot be ordered
  // by it. On a tie with the state already applied, use the subscription as Stripe holds it now.
  if (!deleted && customerId && typeof sub.id === 'string' && (await stateAtFloor(store, customerId)) === event.created * 1000) {
    try {
      sub = await client.retrieveSubscription(sub.id);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'upstream_error')) throw err;
      log.warn('stripe subscription re-read failed; applying the event as sent', { event_id: event.id });
    }
  }
  const plan = deleted ? catalog.freePlan.id : planOf(catalog, sub);
  const status: SubscriptionStatus | null = deleted ? 'canceled' : statusOf(sub.status);
  // A subscription that Stripe says exists and is active or trialing is the payment of its checkout
  // (the session's own event may come later): mark it paid first, so one upgrade is audited either way.
  const checkoutId = sub.metadata?.checkout_id;
  const checkout = checkoutId && !deleted && (status === 'active' || status === 'trialing') ? await getCheckout(store, checkoutId) : undefined;
  let payable = checkout && checkout.provider === PROVIDER && checkout.customer_id === customerId && checkout.status !== 'paid' && checkout.status !== 'refunded' ? checkout : undefined;
  // Stripe Tax: what the session charged is only on the session; without it the session's own event pays the checkout.
  let taxed: StripeSessionObject | undefined;
  if (payable?.tax?.computed_by === 'stripe') {
    try {
      taxed = payable.provider_order_id ? await client.retrieveCheckoutSession(payable.provider_order_id) : undefined;
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'upstream_error')) throw err;
      log.warn('stripe session re-read failed; its own event pays the checkout', { event_id: event.id, checkout_id: payable.id });
    }
    if (taxed?.status !== 'complete') payable = undefined;
  }

  return {
    checkoutId: payable?.id,
    apply: async (tx) => {
      // metadata.customer_id is ours (only our key writes metadata), but the customer row may be gone.
      if (!customerId || (await tx.query('SELECT 1 FROM customers WHERE id = $1', [customerId])).length === 0) return 'unknown_customer';
      if (!plan) {
        log.warn('stripe subscription for an unknown plan', { event_id: event.id, price: sub.items?.data?.[0]?.price?.id ?? null });
        return 'unknown_plan';
      }
      if (!status) return 'ignored_incomplete';
      const now = deps.now();
      const source = `stripe_webhook:${event.type}`;
      if (payable) {
        if (taxed) await recordChargedTax(deps, tx, payable, taxed);
        try {
          await markCheckoutPaid(tx, { checkoutId: payable.id, paymentId: sub.id, source, eventId: event.id, now });
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'conflict')) throw err;
          log.warn('stripe payment conflict', { event_id: event.id, checkout_id: payable.id, reason: err.message });
        }
      }
      const { applied } = await applySubscriptionState(tx, {
        customerId,
        provider: PROVIDER,
        plan,
        status,
        cancelAtPeriodEnd: deleted ? false : Boolean(sub.cancel_at_period_end),
        currentPeriodEnd: deleted ? null : periodEndOf(sub),
        interval: deleted ? null : intervalOf(sub),
        // The event's creation time orders the states (a subscription has no updated-at of its own).
        stateAt: new Date(event.created * 1000),
        source,
        eventId: event.id,
        checkoutId: payable?.id,
        now,
        // A seat change (POST /v1/seats) is in force when Stripe reports the updated subscription: here.
        seats: deleted ? undefined : seatsOf(catalog, sub, plan),
      });
      return applied ? 'applied' : 'stale';
    },
  };
}

/** What of a paid invoice the ledger keeps (Stripe's Invoice object; `parent.subscription_details` since API 2025-03-31). */
interface StripeInvoiceObject {
  id?: string;
  customer?: string | { id: string };
  subscription?: string | null;
  parent?: { subscription_details?: { subscription?: string } };
  billing_reason?: string;
  amount_paid?: number;
  currency?: string;
  hosted_invoice_url?: string | null;
  period_start?: number;
  period_end?: number;
  status_transitions?: { paid_at?: number | null };
  lines?: { data?: { quantity?: number | null; period?: { start?: number; end?: number } }[] };
}

/** Whose invoice it is (our customer, by Stripe's customer id) and the subscription it bills, if any. */
async function invoiceSubject(store: StripeContext['deps']['store'], invoice: StripeInvoiceObject): Promise<{ customerId: string | null; subscriptionId: string | null }> {
  const stripeCustomer = idOf(invoice.customer);
  return {
    customerId: stripeCustomer ? await customerForProviderId(store, PROVIDER, stripeCustomer) : null,
    subscriptionId: invoice.parent?.subscription_details?.subscription ?? invoice.subscription ?? null,
  };
}

/**
 * A subscription's invoice paid (`invoice.paid`): a renewal (`subscription_cycle`) or a seat change's proration
 * (`subscription_update`) goes into the payments ledger once per invoice, which numbers its receipt. The first
 * invoice (`subscription_create`) is the checkout's own payment, in the ledger since its session completed.
 */
async function onInvoicePaid(ctx: StripeContext, { payload: event }: WebhookEvent<StripeEvent>): Promise<WebhookStep> {
  const { store } = ctx.deps;
  const invoice = event.data.object as StripeInvoiceObject;
  const { customerId, subscriptionId } = await invoiceSubject(store, invoice);
  if (!invoice.id || !subscriptionId || invoice.billing_reason === 'subscription_create' || !(typeof invoice.amount_paid === 'number' && invoice.amount_paid > 0)) return 'ignored';
  if (!customerId) return 'unknown_customer';
  return {
    apply: async (tx) => {
      // The customer first, as every payment takes it before the receipt counter (store/receipts.ts).
      const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
      if (!customer || customer.billing_provider !== PROVIDER) return 'ignored';
      const line = invoice.lines?.data?.[0];
      const recorded = await recordRenewalPayment(tx, {
        provider: PROVIDER,
        payment_id: invoice.id!,
        customer_id: customer.id,
        subscription_id: subscriptionId,
        plan: customer.plan,
        interval: customer.plan_interval ?? 'month',
        quantity: line?.quantity ?? customer.seats ?? 1,
        amount: invoice.amount_paid!,
        currency: (invoice.currency ?? '').toUpperCase(),
        method: null,
        invoice_id: invoice.id!,
        invoice_url: invoice.hosted_invoice_url ?? null,
        period_start: unixDate(line?.period?.start ?? invoice.period_start),
        period_end: unixDate(line?.period?.end ?? invoice.period_end),
        paid_at: unixDate(invoice.status_transitions?.paid_at ?? event.created) ?? ctx.deps.now(),
      });
      return recorded ? 'renewal_recorded' : 'renewal_already_recorded';
    },
  };
}

async function onInvoiceFailed(ctx: StripeContext, { payload: event }: WebhookEvent<StripeEvent>): Promise<WebhookStep> {
  const { deps } = ctx;
  const { store, catalog } = deps;
  const { customerId, subscriptionId } = await invoiceSubject(store, event.data.object as StripeInvoiceObject);
  if (!customerId) return 'unknown_customer';
  if (!subscriptionId) return 'ignored';
  return {
    apply: async (tx) => {
      const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [customerId]);
      if (!customer || customer.billing_provider !== PROVIDER || customer.plan === catalog.freePlan.id || customer.status === 'canceled') return 'ignored';
      const { applied } = await applySubscriptionState(tx, {
        customerId,
        provider: PROVIDER,
        plan: customer.plan,
        status: 'past_due',
        cancelAtPeriodEnd: customer.cancel_at_period_end,
        currentPeriodEnd: customer.current_period_end,
        stateAt: new Date(event.created * 1000),
        source: `stripe_webhook:${event.type}`,
        eventId: event.id,
        now: deps.now(),
      });
      return applied ? 'past_due' : 'stale';
    },
  };
}

async function onSessionEvent(ctx: StripeContext, { payload: event }: WebhookEvent<StripeEvent>): Promise<WebhookStep> {
  const { deps } = ctx;
  const { store } = deps;
  const session = event.data.object as unknown as StripeSessionObject;
  const checkout = typeof session.id === 'string' ? await findCheckoutByOrder(store, [PROVIDER], session.id) : undefined;
  const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  if (checkout && event.type !== 'checkout.session.async_payment_failed' && event.type !== 'checkout.session.expired' && paid && session.status === 'complete') {
    return { checkoutId: checkout.id, apply: await settleSession(ctx, session, checkout, `stripe_webhook:${event.type}`, event) };
  }
  if (!checkout) return 'unknown_session';
  if (event.type !== 'checkout.session.expired' && event.type !== 'checkout.session.async_payment_failed') return 'awaiting_payment'; // completed with a delayed method: async_payment_succeeded follows
  return {
    checkoutId: checkout.id,
    apply: async (tx) => {
      if (event.type === 'checkout.session.expired') {
        // Nobody paid before expires_at: the session can no longer be paid. A paid checkout stays paid.
        return (await markCheckoutExpired(tx, { checkoutId: checkout.id, now: deps.now() })) ? 'expired' : 'already_final';
      }
      await recordPaymentFailure(tx, { checkoutId: checkout.id, code: 'async_payment_failed', message: 'The payment failed after checkout', now: deps.now() });
      return 'failure_recorded';
    },
  };
}

/** The handlers by event type (other events are claimed and `ignored`). */
const HANDLERS: Record<string, (ctx: StripeContext, event: WebhookEvent<StripeEvent>) => Promise<WebhookStep>> = {
  'checkout.session.completed': onSessionEvent,
  'checkout.session.async_payment_succeeded': onSessionEvent,
  'checkout.session.async_payment_failed': onSessionEvent,
  'checkout.session.expired': onSessionEvent,
  'customer.subscription.created': onSubscription,
  'customer.subscription.updated': onSubscription,
  'customer.subscription.deleted': onSubscription,
  'invoice.paid': onInvoicePaid,
  'invoice.payment_failed': onInvoiceFailed,
};

/** POST /v1/webhooks/stripe: the signature checked, the event parsed, its handler applied once. */
export function stripeWebhookRoutes(ctx: StripeContext, settings: StripeSettings, requireAvailable: () => void): Hono<AppEnv> {
  const handlers: Record<string, WebhookHandler<StripeEvent>> = Object.fromEntries(Object.entries(HANDLERS).map(([type, handle]) => [type, (event) => handle(ctx, event)]));
  return webhookRoutes(ctx.deps, {
    provider: PROVIDER,
    path: '/v1/webhooks/stripe',
    requireAvailable,
    read(c, raw) {
      verifyTimestampedWebhook(c, raw, { provider: PROVIDER, secret: settings.webhookSecret, header: 'Stripe-Signature' });
      const event = parseWebhookObject(raw) as unknown as StripeEvent;
      if (typeof event.id !== 'string' || !/^evt_\w{1,120}$/.test(event.id) || typeof event.type !== 'string' || unixDate(event.created) === null || typeof event.data?.object !== 'object' || !event.data.object) {
        throw new AppError('validation_error', 'The webhook body is not a Stripe event');
      }
      return { id: event.id, type: event.type, payload: event };
    },
    handlers,
  });
}
