// Razorpay, direct: orders priced from the catalog, payment signatures checked against the stored order,
// and signed webhooks (webhooks.ts); in sandbox mode the simulator runs in-process (sandbox/).
import type { RazorpayAction } from '../../../src/contract/index.js';
import { AppError } from '../../errors.js';
import { verifyRazorpayPayment } from '../../security/signatures.js';
import type { ProviderRegistry } from '../registry.js';
import type { Provider, ProviderDeps } from '../types.js';
import { createRazorpaySandbox } from './sandbox/index.js';
import type { RazorpaySimulator } from './sandbox/simulator.js';
import { RazorpayClient } from './client.js';
import { RAZORPAY_CAPABILITIES } from './settings.js';
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

  const routes = razorpayWebhookRoutes({ secrets, client, store, log, webhookInbox: deps.webhookInbox, now: deps.now, requireAvailable });
  if (sandbox) routes.route('/', sandbox.routes);

  return {
    name: 'razorpay',
    mode: secrets.mode,
    ...RAZORPAY_CAPABILITIES,
    routes,
    sandbox: sandbox?.simulator,

    async createCheckout(ctx) {
      requireAvailable();
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
        description: `${ctx.plan.name} plan, ${ctx.price.interval === 'year' ? 'yearly' : ctx.price.interval === 'month' ? 'monthly' : 'one-off'}`,
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
      // The order id stored on the server, never the one the browser sent back.
      if (!verifyRazorpayPayment(secrets.keySecret, checkout.provider_order_id!, body.razorpay_payment_id, body.razorpay_signature)) {
        throw new AppError('invalid_signature', 'Invalid payment signature');
      }
    },
  };
}
