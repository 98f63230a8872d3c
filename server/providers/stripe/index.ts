// Stripe, direct: Checkout Sessions (hosted_page → redirect, embedded_page → stripe_embedded) priced from
// the catalog, one Stripe customer per customer, the Billing Portal, and subscriptions mirrored from signed
// webhooks (reference/stripe.md). Without keys in sandbox mode the same client talks to an in-process
// simulated Stripe whose pages send real signed events to our own webhook endpoint.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Interval, RedirectAction, StripeEmbeddedAction, SubscriptionStatus } from '../../../src/contract/index.js';
import {
  applySubscriptionState,
  claimWebhookEvent,
  customerForProviderId,
  findCheckoutByOrder,
  getCheckout,
  linkProviderCustomer,
  markCheckoutExpired,
  markCheckoutPaid,
  providerCustomerId,
  recordPaymentFailure,
  subscribedBefore,
  type CheckoutRow,
  type CustomerRow,
} from '../../billing.js';
import type { AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import { parseWebhookObject, readTimestampedWebhook } from '../webhooks.js';
import { storableDate, type Sql } from '../../store/index.js';
import { createStripeSimulator, type StripeSimulator } from '../../sandbox/stripe-simulator.js';
import { sandboxStripeRoutes } from '../../sandbox/stripe-pages.js';
import type { ExtraProviderDeps } from '../extra.js';
import type { Provider } from '../types.js';
import type { FetchLike } from '../upstream.js';
import { idOf, StripeClient, type StripeSessionObject, type StripeSubscriptionObject } from './client.js';
import type { FormInput } from './form.js';
import { stripeSettings } from './settings.js';

const PROVIDER = 'stripe';

/** A Stripe timestamp (whole seconds) as a Date the store can hold (years 1970–9999), else null. */
function unixDate(seconds: unknown): Date | null {
  return typeof seconds === 'number' && Number.isInteger(seconds) ? storableDate(seconds * 1000) : null;
}

interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

export interface StripeProvider extends Provider {
  /** The in-process simulated Stripe when the provider runs in sandbox mode (tests drive it). */
  readonly sandbox?: StripeSimulator;
}

export function createStripeProviders(deps: ExtraProviderDeps): Provider[] {
  return [createStripeProvider(deps)];
}

export function createStripeProvider(deps: ExtraProviderDeps): StripeProvider {
  const { store, log, catalog, config } = deps;
  const settings = stripeSettings(config.env, config.file, config.sandbox);
  let fetchFn: FetchLike = deps.fetch;
  let sandbox: StripeSimulator | undefined;

  if (settings.mode === 'sandbox') {
    // Per-process credentials: real HMACs that are valid nowhere else.
    settings.secretKey = `sk_test_sandbox_${randomBytes(12).toString('hex')}`;
    settings.publishableKey = 'pk_test_sandbox';
    settings.webhookSecret = `whsec_${randomBytes(24).toString('base64url')}`;
    settings.apiBase = 'http://stripe.sandbox.invalid';
    sandbox = createStripeSimulator({
      secretKey: settings.secretKey,
      webhookSecret: settings.webhookSecret,
      publicUrl: config.publicUrl,
      now: deps.now,
      deliver: async (d) => {
        const res = await deps.deliverToSelf('/v1/webhooks/stripe', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': d.signature }, body: d.body });
        if (!res.ok) log.warn('sandbox stripe webhook rejected', { event_id: d.eventId, event: d.type, status: res.status });
      },
    });
    const api = sandbox.api;
    fetchFn = async (input, init) => api.fetch(new Request(input, init));
  }

  const client = new StripeClient({
    provider: PROVIDER,
    fetch: fetchFn,
    timeoutMs: config.file.upstream_timeout_ms,
    log,
    secretKey: settings.secretKey,
    apiBase: settings.apiBase,
    apiVersion: settings.section.api_version,
  });

  function requireAvailable() {
    if (settings.mode === 'unavailable') throw new AppError('provider_unavailable', 'Stripe is not configured on this server (STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET)');
  }

  /**
   * The customer's Stripe customer, created once. The Idempotency-Key is derived from our customer id and
   * the fields sent, so a retry or a concurrent checkout gets Stripe's first answer; the SQL link keeps the
   * first id if two different ones ever race.
   */
  async function ensureStripeCustomer(customer: CustomerRow): Promise<string> {
    const linked = await providerCustomerId(store, PROVIDER, customer.id);
    if (linked) return linked;
    const params: Record<string, FormInput> = { email: customer.email ?? undefined, name: customer.name ?? undefined, metadata: { customer_id: customer.id } };
    const key = `tollgate-customer-${createHash('sha256').update(JSON.stringify([customer.id, customer.email, customer.name])).digest('hex').slice(0, 32)}`;
    const created = await client.createCustomer(params, key);
    const winner = await linkProviderCustomer(store, PROVIDER, customer.id, created.id);
    if (winner !== created.id) log.warn('stripe customer race', { customer: customer.id, kept: winner, discarded: created.id });
    return winner;
  }

  /** Which catalog plan a subscription is for: a configured price id first, then the metadata we set. */
  function planOf(sub: StripeSubscriptionObject): string | null {
    const price = sub.items?.data?.[0]?.price;
    if (price?.id) {
      const byPrice = catalog.file.plans.find((p) => p.prices.some((x) => x.provider === 'stripe' && x.stripe_price_id === price.id));
      if (byPrice) return byPrice.id;
    }
    for (const candidate of [sub.metadata?.plan, price?.metadata?.plan]) if (candidate && catalog.plan(candidate)) return candidate;
    return null;
  }

  /** The subscription's billing interval (its first item's recurring price). */
  function intervalOf(sub: StripeSubscriptionObject): Interval | null {
    const interval = sub.items?.data?.[0]?.price?.recurring?.interval;
    return interval === 'month' || interval === 'year' ? interval : null;
  }

  function statusOf(status: string | undefined): SubscriptionStatus | null {
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

  const periodEndOf = (sub: StripeSubscriptionObject): Date | null => {
    // Since API 2025-03-31 the period lives on each item; older versions kept it on the subscription.
    return unixDate(sub.items?.data?.[0]?.current_period_end ?? sub.current_period_end);
  };

  /** The payment a session stands for: the subscription in subscription mode, else the PaymentIntent. */
  function paymentIdOf(session: StripeSessionObject): string {
    if (session.mode === 'subscription') return idOf(session.subscription) ?? session.id;
    return idOf(session.payment_intent) ?? session.id;
  }

  async function stateAtFloor(tx: Sql, customerId: string): Promise<number> {
    const [row] = await tx.query<{ state_at: Date | null }>('SELECT state_at FROM customers WHERE id = $1', [customerId]);
    return row?.state_at ? new Date(row.state_at).getTime() : 0;
  }

  /**
   * A completed, paid session: the checkout becomes paid (one upgrade, audited). markCheckoutPaid sets the
   * customer `active`; for a subscription the state Stripe holds (trialing, its period end) is applied right
   * after in the same transaction, so a trial never shows as active.
   */
  async function settleSession(session: StripeSessionObject, checkout: CheckoutRow, source: string, event?: StripeEvent): Promise<string> {
    const subId = idOf(session.subscription);
    const sub = subId && checkout.status !== 'paid' ? (typeof session.subscription === 'object' && session.subscription ? (session.subscription as StripeSubscriptionObject) : await client.retrieveSubscription(subId)) : null;
    return store.transaction(async (tx) => {
      if (event && !(await claimWebhookEvent(tx, PROVIDER, event.id, event.type))) return 'duplicate';
      try {
        const now = deps.now();
        const result = await markCheckoutPaid(tx, { checkoutId: checkout.id, paymentId: paymentIdOf(session), source, eventId: event?.id, now });
        if (result.changed && sub) {
          const status = statusOf(sub.status);
          // The subscription may already have ended by the time its checkout settles (events out of order).
          const plan = status === 'canceled' ? catalog.freePlan.id : (planOf(sub) ?? checkout.plan);
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
    });
  }

  async function onSubscription(event: StripeEvent): Promise<string> {
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
    const plan = deleted ? catalog.freePlan.id : planOf(sub);
    const status: SubscriptionStatus | null = deleted ? 'canceled' : statusOf(sub.status);
    // A subscription that Stripe says exists and is active or trialing is the payment of its checkout
    // (the session's own event may come later): mark it paid first, so one upgrade is audited either way.
    const checkoutId = sub.metadata?.checkout_id;
    const checkout = checkoutId && !deleted && (status === 'active' || status === 'trialing') ? await getCheckout(store, checkoutId) : undefined;
    const payable = checkout && checkout.provider === PROVIDER && checkout.customer_id === customerId && checkout.status !== 'paid' && checkout.status !== 'refunded' ? checkout : undefined;

    return store.transaction(async (tx) => {
      if (!(await claimWebhookEvent(tx, PROVIDER, event.id, event.type))) return 'duplicate';
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
      });
      return applied ? 'applied' : 'stale';
    });
  }

  async function onInvoiceFailed(event: StripeEvent): Promise<string> {
    const invoice = event.data.object as { customer?: string | { id: string }; subscription?: string | null; parent?: { subscription_details?: { subscription?: string } } };
    const stripeCustomer = idOf(invoice.customer);
    const customerId = stripeCustomer ? await customerForProviderId(store, PROVIDER, stripeCustomer) : null;
    const isSubscription = Boolean(invoice.parent?.subscription_details?.subscription ?? invoice.subscription);
    return store.transaction(async (tx) => {
      if (!(await claimWebhookEvent(tx, PROVIDER, event.id, event.type))) return 'duplicate';
      if (!customerId) return 'unknown_customer';
      if (!isSubscription) return 'ignored';
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
    });
  }

  async function onSessionEvent(event: StripeEvent): Promise<string> {
    const session = event.data.object as unknown as StripeSessionObject;
    const checkout = typeof session.id === 'string' ? await findCheckoutByOrder(store, [PROVIDER], session.id) : undefined;
    const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
    if (checkout && event.type !== 'checkout.session.async_payment_failed' && event.type !== 'checkout.session.expired' && paid && session.status === 'complete') {
      return settleSession(session, checkout, `stripe_webhook:${event.type}`, event);
    }
    return store.transaction(async (tx) => {
      if (!(await claimWebhookEvent(tx, PROVIDER, event.id, event.type))) return 'duplicate';
      if (!checkout) return 'unknown_session';
      if (event.type === 'checkout.session.expired') {
        // Nobody paid before expires_at: the session can no longer be paid. A paid checkout stays paid.
        return (await markCheckoutExpired(tx, { checkoutId: checkout.id, now: deps.now() })) ? 'expired' : 'already_final';
      }
      if (event.type === 'checkout.session.async_payment_failed') {
        await recordPaymentFailure(tx, { checkoutId: checkout.id, code: 'async_payment_failed', message: 'The payment failed after checkout', now: deps.now() });
        return 'failure_recorded';
      }
      return 'awaiting_payment'; // completed with a delayed method: async_payment_succeeded follows
    });
  }

  async function applyEvent(event: StripeEvent): Promise<string> {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
      case 'checkout.session.async_payment_failed':
      case 'checkout.session.expired':
        return onSessionEvent(event);
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
        return onSubscription(event);
      case 'invoice.payment_failed':
        return onInvoiceFailed(event);
      default:
        return store.transaction(async (tx) => ((await claimWebhookEvent(tx, PROVIDER, event.id, event.type)) ? 'ignored' : 'duplicate'));
    }
  }

  const routes = new Hono<AppEnv>();

  // Reference "Webhooks": t=…,v1=… over `${t}.${raw body}`, any v1 may match, 300 s tolerance; dedup by
  // event id in the same transaction as the change (a failure rolls both back and Stripe retries).
  routes.post('/v1/webhooks/stripe', async (c) => {
    requireAvailable();
    const { raw } = await readTimestampedWebhook(c, { provider: 'stripe', secret: settings.webhookSecret, header: 'Stripe-Signature' });
    const event = parseWebhookObject(raw) as unknown as StripeEvent;
    if (typeof event.id !== 'string' || !/^evt_\w{1,120}$/.test(event.id) || typeof event.type !== 'string' || unixDate(event.created) === null || typeof event.data?.object !== 'object' || !event.data.object) {
      throw new AppError('validation_error', 'The webhook body is not a Stripe event');
    }
    const outcome = await applyEvent(event);
    log.info('stripe webhook', { request_id: c.get('requestId'), event_id: event.id, event: event.type, outcome });
    return c.json({ received: true, outcome });
  });

  if (sandbox) routes.route('/', sandboxStripeRoutes(sandbox));

  return {
    name: PROVIDER,
    mode: settings.mode,
    routes,
    sandbox,

    async createCheckout(ctx) {
      requireAvailable();
      const stripeCustomer = await ensureStripeCustomer(ctx.customer);
      const recurring = ctx.price.interval !== 'once';
      const metadata = { checkout_id: ctx.checkout.id, customer_id: ctx.customer.id, plan: ctx.plan.id };
      const lineItem: FormInput = ctx.price.stripe_price_id
        ? { price: ctx.price.stripe_price_id, quantity: 1 }
        : {
            price_data: {
              currency: ctx.price.currency.toLowerCase(),
              unit_amount: ctx.price.amount,
              product_data: { name: `${ctx.plan.name} plan`, description: ctx.plan.description, metadata: { plan: ctx.plan.id } },
              recurring: recurring ? { interval: ctx.price.interval } : undefined,
            },
            quantity: 1,
          };
      const uiMode = ctx.request.ui_mode ?? 'hosted_page';
      // A trial is for a first subscription: a customer who has subscribed before pays from day one.
      const trialDays = recurring && ctx.plan.trial_days > 0 && !(await subscribedBefore(store, ctx.customer.id)) ? ctx.plan.trial_days : undefined;
      const cancelUrl = new URL(ctx.returnUrl);
      cancelUrl.searchParams.set('tollgate_canceled', '1');
      const session = await client.createCheckoutSession(
        {
          mode: recurring ? 'subscription' : 'payment',
          ui_mode: uiMode,
          customer: stripeCustomer,
          client_reference_id: ctx.checkout.id,
          metadata,
          line_items: [lineItem],
          subscription_data: recurring ? { metadata, trial_period_days: trialDays } : undefined,
          payment_intent_data: recurring ? undefined : { metadata },
          ...(uiMode === 'hosted_page' ? { success_url: ctx.returnUrl, cancel_url: cancelUrl.toString() } : { return_url: ctx.returnUrl }),
        },
        ctx.idempotencyKey,
      );
      if (uiMode === 'hosted_page') {
        if (!session.url) throw new AppError('upstream_error', 'Stripe returned a hosted session without a URL', { cause: { provider: PROVIDER, code: 'missing_url' } });
        const action: RedirectAction = { type: 'redirect', url: session.url };
        return { providerOrderId: session.id, action, status: 'pending' };
      }
      if (!session.client_secret) throw new AppError('upstream_error', 'Stripe returned an embedded session without a client secret', { cause: { provider: PROVIDER, code: 'missing_client_secret' } });
      const action: StripeEmbeddedAction = {
        type: 'stripe_embedded',
        publishable_key: settings.publishableKey,
        client_secret: session.client_secret,
        ...(sandbox ? { sandbox_url: `${config.publicUrl}/sandbox/stripe/embedded/${encodeURIComponent(session.id)}` } : {}),
      };
      return { providerOrderId: session.id, action, status: 'pending' };
    },

    // A hosted-page return may beat the webhook: ask Stripe (server to server) and settle a paid session.
    async refreshCheckout(checkout) {
      if (settings.mode === 'unavailable' || !checkout.provider_order_id) return;
      try {
        const session = await client.retrieveCheckoutSession(checkout.provider_order_id);
        const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
        if (session.id !== checkout.provider_order_id) return;
        if (session.status === 'complete' && paid) await settleSession(session, checkout, 'stripe_return');
        else if (session.status === 'expired') await markCheckoutExpired(store, { checkoutId: checkout.id, now: deps.now() });
      } catch (err) {
        // The status read still answers from our own state; the webhook settles the checkout later.
        if (!(err instanceof AppError && err.code === 'upstream_error')) throw err;
        log.warn('stripe refresh failed', { checkout_id: checkout.id });
      }
    },

    async portalUrl(customer, returnUrl) {
      if (settings.mode === 'unavailable') return null;
      const stripeCustomer = await providerCustomerId(store, PROVIDER, customer.id);
      if (!stripeCustomer) return null;
      const portal = await client.createPortalSession(
        { customer: stripeCustomer, return_url: returnUrl, configuration: settings.section.portal_configuration },
        `tollgate-portal-${randomUUID()}`,
      );
      return portal.url;
    },

    async hasPortal(customer) {
      if (settings.mode === 'unavailable') return false;
      return (await providerCustomerId(store, PROVIDER, customer.id)) !== null;
    },
  };
}
