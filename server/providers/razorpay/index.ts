// Razorpay, direct: orders (and, for recurring prices, subscriptions: subscriptions.ts) priced from the catalog, payment signatures checked against the stored order,
// and signed webhooks (webhooks.ts); in sandbox mode the simulator runs in-process (sandbox/).
import type { RazorpayAction } from '../../../src/contract/index.js';
import { AppError } from '../../errors.js';
import { verifyRazorpayPayment } from '../../security/signatures.js';
import { seatTopUpDescription } from '../../services/pricing.js';
import type { ProviderRegistry } from '../registry.js';
import type { Provider, ProviderDeps } from '../types.js';
import { createRazorpaySandbox } from './sandbox/index.js';
import type { RazorpaySimulator } from './sandbox/simulator.js';
import { RazorpayClient } from './client.js';
import { RAZORPAY_CAPABILITIES } from './settings.js';
import { createRazorpaySubscriptions } from './subscriptions.js';
import { razorpayWebhookRoutes } from './webhooks.js';

export const RAZORPAY_CHECKOUT_JS = 'https://checkout.razorpay.com/v1/checkout.js';

export interface RazorpayProvider extends Provider {
  /** The in-server simulator when Razorpay runs in sandbox mode. */
  readonly sandbox?: RazorpaySimulator;
}

export function createRazorpayProviders(deps: ProviderDeps): Provider[] {
  return [createRazorpayProvider(deps)];
}

/** The Razorpay simulator of a server in sandbox mode (tests drive payments through it). */
export function razorpaySimulatorOf(providers: ProviderRegistry): RazorpaySimulator | undefined {
  return (providers.get('razorpay') as RazorpayProvider | undefined)?.sandbox;
}

export function createRazorpayProvider(deps: ProviderDeps): RazorpayProvider {
  const { config, store, log } = deps;
  const secrets = { ...config.razorpay };
  const sandbox = secrets.mode === 'sandbox' ? createRazorpaySandbox(deps, secrets) : undefined;
  if (sandbox) secrets.apiBase = sandbox.apiBase;
  const client = new RazorpayClient({ provider: 'razorpay', fetch: sandbox?.fetch ?? deps.fetch, timeoutMs: config.file.upstream_timeout_ms, log, keyId: secrets.keyId, keySecret: secrets.keySecret, apiBase: secrets.apiBase });
  const scriptUrl = sandbox?.scriptUrl ?? RAZORPAY_CHECKOUT_JS;
  const themeColor = config.file.providers.razorpay?.theme_color;

  function requireAvailable() {
    if (secrets.mode === 'unavailable') throw new AppError('provider_unavailable', 'Razorpay is not configured on this server (RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET)');
  }

  const subscriptions = createRazorpaySubscriptions({ config, catalog: deps.catalog, store, client, secrets, log, now: deps.now, scriptUrl });
  const routes = razorpayWebhookRoutes({ secrets, client, store, log, webhookInbox: deps.webhookInbox, now: deps.now, requireAvailable, subscriptions });
  if (sandbox) routes.route('/', sandbox.routes);

  return {
    name: 'razorpay',
    mode: secrets.mode,
    ...RAZORPAY_CAPABILITIES,
    routes,
    sandbox: sandbox?.simulator,
    subscriptionControls: subscriptions.controls,

    async createCheckout(ctx) {
      requireAvailable();
      // A recurring price is a Razorpay Subscription (subscriptions.ts); any other an order for one period.
      if (ctx.price.recurring) return subscriptions.createCheckout(ctx);
      const order = await client.createOrder({
        amount: ctx.priced.total, // after a promotion code's discount (services/promotions.ts)
        currency: ctx.price.currency,
        receipt: ctx.checkout.id,
        notes: { customer_id: ctx.customer.id, plan: ctx.plan.id, checkout_id: ctx.checkout.id },
      });
      const action: RazorpayAction = {
        type: 'razorpay',
        key_id: secrets.keyId,
        order_id: order.id,
        amount: order.amount,
        currency: order.currency,
        name: config.file.name,
        // A seat top-up says what it is (services/seats.ts): "Team · 2 more seats, prorated to 1 Jan 2027".
        description:
          ctx.checkout.kind === 'seats'
            ? seatTopUpDescription(ctx.plan.name, ctx.checkout.quantity, ctx.checkout.prorated_until ? new Date(ctx.checkout.prorated_until) : null)
            : `${ctx.plan.name} plan, ${ctx.price.interval === 'year' ? 'yearly' : ctx.price.interval === 'month' ? 'monthly' : 'one-off'}`,
        prefill: {
          ...(ctx.customer.name ? { name: ctx.customer.name } : {}),
          ...(ctx.customer.email ? { email: ctx.customer.email } : {}),
          ...(ctx.customer.contact ? { contact: ctx.customer.contact } : {}),
        },
        script_url: scriptUrl,
        ...(themeColor ? { theme_color: themeColor } : {}),
        verify_path: '/v1/razorpay/verify',
      };
      return { providerOrderId: order.id, action, status: 'pending' };
    },

    async verifyPayment({ checkout, body }) {
      requireAvailable();
      // A subscription's signature is over payment_id|subscription_id (the reverse order); its checkout is paid there.
      if (checkout.price?.recurring) return subscriptions.verify(checkout, body);
      if (body.razorpay_order_id === undefined) throw new AppError('validation_error', 'razorpay_order_id: this checkout is an order; send the order id checkout.js answered');
      // The order id stored on the server, never the one the browser sent back.
      if (!verifyRazorpayPayment(secrets.keySecret, checkout.provider_order_id!, body.razorpay_payment_id, body.razorpay_signature)) {
        throw new AppError('invalid_signature', 'Invalid payment signature');
      }
    },
  };
}
