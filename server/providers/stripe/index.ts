// Stripe, direct: Checkout Sessions (hosted_page → redirect, embedded_page → stripe_embedded) priced from
// the catalog, one Stripe customer per customer, the Billing Portal, and subscriptions mirrored from signed
// webhooks (webhooks.ts; docs/stripe.md). Without keys in sandbox mode the same client talks to an
// in-process simulated Stripe (sandbox/) whose pages send real signed events to our own webhook endpoint.
import { createHash, randomUUID } from 'node:crypto';
import type { RedirectAction, StripeEmbeddedAction } from '../../../src/contract/index.js';
import { linkProviderCustomer, markCheckoutExpired, providerCustomerId, subscribedBefore, type CustomerRow } from '../../billing.js';
import { AppError } from '../../errors.js';
import type { CheckoutContext, Provider, ProviderDeps } from '../types.js';
import { createStripeSandbox } from './sandbox/index.js';
import type { StripeSimulator } from './sandbox/simulator.js';
import { StripeClient } from './client.js';
import type { FormInput } from './form.js';
import { STRIPE_CAPABILITIES, stripeSettings } from './settings.js';
import { PROVIDER, statusOf } from './subscriptions.js';
import { settleSession, stripeWebhookRoutes } from './webhooks.js';

export interface StripeProvider extends Provider {
  /** The in-process simulated Stripe when the provider runs in sandbox mode (tests drive it). */
  readonly sandbox?: StripeSimulator;
}

export function createStripeProviders(deps: ProviderDeps): Provider[] {
  return [createStripeProvider(deps)];
}

export function createStripeProvider(deps: ProviderDeps): StripeProvider {
  const { store, log, config } = deps;
  const settings = stripeSettings(config.env, config.file, config.sandbox);
  const sandbox = settings.mode === 'sandbox' ? createStripeSandbox(deps, settings) : undefined;
  const client = new StripeClient({
    provider: PROVIDER,
    fetch: sandbox?.fetch ?? deps.fetch,
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

  /**
   * The Stripe coupon of a checkout's promotion code: the configured `stripe_coupon_id`, else one made once per
   * code, currency, amount and duration with our id (a second create answers `resource_already_exists`). It
   * takes off `amount_off`, the discount priced by services/promotions.ts, so Stripe charges what was shown.
   */
  async function couponFor(checkout: CheckoutContext): Promise<string> {
    const promo = checkout.priced.promotion!;
    if (promo.stripe_coupon_id) return promo.stripe_coupon_id;
    const months = promo.duration === 'repeating' ? promo.duration_periods! * (checkout.price.interval === 'year' ? 12 : 1) : undefined;
    const currency = checkout.priced.currency.toLowerCase();
    const id = `tollgate_${promo.code}_${currency}_${checkout.priced.discount}_${promo.duration}${months ?? ''}`;
    const params: Record<string, FormInput> = { id, amount_off: checkout.priced.discount, currency, duration: promo.duration, duration_in_months: months, name: promo.code.slice(0, 40), metadata: { promotion_code: promo.code } };
    try {
      await client.createCoupon(params, `tollgate-coupon-${id}`);
    } catch (err) {
      const code = err instanceof AppError ? (err.cause as { code?: string } | undefined)?.code : undefined;
      if (code !== 'resource_already_exists') throw err;
    }
    return id;
  }

  const ctx = { deps, client };
  const routes = stripeWebhookRoutes(ctx, settings, requireAvailable);
  if (sandbox) routes.route('/', sandbox.routes);

  return {
    name: PROVIDER,
    mode: settings.mode,
    ...STRIPE_CAPABILITIES,
    routes,
    sandbox: sandbox?.simulator,

    async createCheckout(ctx) {
      requireAvailable();
      const stripeCustomer = await ensureStripeCustomer(ctx.customer);
      const recurring = ctx.price.interval !== 'once';
      const metadata = { checkout_id: ctx.checkout.id, customer_id: ctx.customer.id, plan: ctx.plan.id };
      // The seats as the line item's quantity (README "Seats"): Stripe charges unit × quantity, the same subtotal we priced.
      const { quantity, tax } = ctx.priced;
      const stripeTax = tax?.computed_by === 'stripe';
      const lineItem: FormInput = ctx.price.stripe_price_id
        ? { price: ctx.price.stripe_price_id, quantity }
        : {
            price_data: {
              currency: ctx.price.currency.toLowerCase(),
              unit_amount: ctx.price.amount,
              product_data: { name: `${ctx.plan.name} plan`, description: ctx.plan.description, metadata: { plan: ctx.plan.id } },
              recurring: recurring ? { interval: ctx.price.interval } : undefined,
              // Stripe Tax adds its tax on top of our amount (the checkout's total before it, README "Taxes").
              tax_behavior: stripeTax ? 'exclusive' : undefined,
            },
            quantity,
          };
      // An exclusive tax is a line item of its own at the amount we priced (README "Taxes"), so the session's total
      // is ours to the cent (services/checkout.ts assertProviderTaxes refuses a code that ends on a recurring one,
      // whose fixed line would not follow it). A Stripe Tax price has no line of ours: Stripe computes the tax.
      const taxItem: FormInput | undefined =
        tax && !tax.inclusive && tax.amount !== null
          ? {
              price_data: {
                currency: ctx.price.currency.toLowerCase(),
                unit_amount: tax.amount,
                product_data: { name: `${tax.name} ${tax.rate} %`, metadata: { tollgate_tax: tax.country } },
                recurring: recurring ? { interval: ctx.price.interval } : undefined,
              },
              quantity: 1,
            }
          : undefined;
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
          line_items: taxItem ? [lineItem, taxItem] : [lineItem],
          subscription_data: recurring ? { metadata, trial_period_days: trialDays } : undefined,
          payment_intent_data: recurring ? undefined : { metadata },
          // Stripe Tax: Stripe prices the tax from the buyer's address, which Checkout collects and saves on the customer.
          ...(stripeTax ? { automatic_tax: { enabled: true }, billing_address_collection: 'required', customer_update: { address: 'auto' } } : {}),
          // A promotion code: Stripe's coupon, and a session that ends with the code's hold (config promotion_hold_ttl_s).
          ...(ctx.priced.promotion ? { discounts: [{ coupon: await couponFor(ctx) }], expires_at: Math.floor(deps.now().getTime() / 1000) + config.file.promotion_hold_ttl_s } : {}),
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
        if (session.status === 'complete' && paid) await store.transaction(await settleSession(ctx, session, checkout, 'stripe_return'));
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

    /**
     * Seats (README "Seats and taxes"): the subscription item's new quantity. More seats are invoiced now, prorated
     * (`always_invoice`), and only if that invoice is paid (`pending_if_incomplete`); fewer seats credit the unused
     * time on the next invoice (`create_prorations`). Either way the seats limit follows customer.subscription.updated.
     */
    async changeSeats(customer, { quantity, idempotencyKey }) {
      requireAvailable();
      // The subscription a paid subscription-mode checkout stands for (its payment id, settleSession's paymentIdOf).
      const [paid] = await store.query<{ payment_id: string | null }>(
        "SELECT payment_id FROM checkouts WHERE customer_id = $1 AND provider = 'stripe' AND status = 'paid' AND interval <> 'once' AND kind = 'plan' ORDER BY paid_at DESC LIMIT 1",
        [customer.id],
      );
      if (!paid?.payment_id?.startsWith('sub_')) throw new AppError('conflict', 'There is no live Stripe subscription to change the seats of');
      const sub = await client.retrieveSubscription(paid.payment_id);
      const status = statusOf(sub.status);
      if (status !== 'active' && status !== 'trialing') throw new AppError('conflict', `This Stripe subscription is ${sub.status ?? 'not active'}; its seats cannot change now`);
      const items = sub.items?.data ?? [];
      // An exclusive tax is a fixed line of its own (createCheckout): it would no longer match the seats.
      if (items.length !== 1 || !items[0]?.id) throw new AppError('conflict', 'This Stripe subscription has a tax line of its own; change its seats in the Stripe billing portal');
      const current = items[0].quantity ?? 1;
      if (quantity === current) return { current, unchanged: true };
      const more = quantity > current;
      const key = `tollgate-seats-${createHash('sha256').update(JSON.stringify([customer.id, idempotencyKey])).digest('hex').slice(0, 32)}`;
      await client.updateSubscription(
        sub.id,
        { items: [{ id: items[0].id, quantity }], proration_behavior: more ? 'always_invoice' : 'create_prorations', payment_behavior: more ? 'pending_if_incomplete' : undefined },
        key,
      );
      return { current, unchanged: false };
    },

    hasPortal(_customer, linked) {
      return settings.mode !== 'unavailable' && linked.includes(PROVIDER);
    },
  };
}
