// Mintoken billing, forward mode (docs/upstream/mintoken-billing-api.txt): for teams white-labelling Mintoken,
// the order and the verify are forwarded with the customer's own Supabase JWT, already checked by us.
import type { RazorpayAction } from '../../../src/contract/index.js';
import { checkoutPrice } from '../../billing.js';
import { AppError } from '../../errors.js';
import type { CustomerIdentity } from '../../security/tokens.js';
import { RAZORPAY_CHECKOUT_JS } from '../razorpay/index.js';
import type { Provider, ProviderDeps } from '../types.js';
import { MintokenClient } from './client.js';
import { MINTOKEN_CAPABILITIES, mintokenPlanSlug, mintokenSettings } from './settings.js';

export { MINTOKEN_DEFAULT_API_BASE, mintokenPlanSlug } from './settings.js';

/** Only a verified external JWT can be forwarded: our own session tokens mean nothing to Mintoken. */
function forwardableJwt(identity: CustomerIdentity): string {
  if (identity.source !== 'external') {
    throw new AppError('forbidden', 'Mintoken plans need the Supabase session token of a signed-in user, not a Tollgate session token');
  }
  return identity.token;
}

export function createMintokenProviders(deps: ProviderDeps): Provider[] {
  const { config, log, catalog } = deps;
  const { section, apiBase, mode } = mintokenSettings(config);
  const client = new MintokenClient({ provider: 'mintoken', fetch: deps.fetch, timeoutMs: config.file.upstream_timeout_ms, log, apiBase });
  const businessName = section.name ?? config.file.name;
  const themeColor = section.theme_color ?? config.file.providers.razorpay?.theme_color;

  const provider: Provider = {
    name: 'mintoken',
    mode,
    ...MINTOKEN_CAPABILITIES,
    // The order and the verify are forwarded with the customer's own Supabase JWT (docs/upstream/mintoken-billing-api.txt "Authentication"),
    // which the system browser of a hand-off never has: its link could only be refused.
    handoffUnsupported: 'Mintoken plans cannot be paid by hand-off: Mintoken needs the customer\'s own Supabase session, which the hand-off page in the system browser does not have',

    async createCheckout(ctx) {
      if (mode === 'unavailable') throw new AppError('provider_unavailable', 'Mintoken is not configured on this server (external_jwt)');
      const jwt = forwardableJwt(ctx.identity);
      const order = await client.createOrder(jwt, mintokenPlanSlug(ctx.price, ctx.plan.id));
      // The browser never sets a price, and the plan picker showed the catalog's: refuse an order Mintoken prices otherwise.
      if (order.amount !== ctx.price.amount || order.currency !== ctx.price.currency) {
        log.warn('mintoken price mismatch', { checkout_id: ctx.checkout.id, plan: ctx.plan.id, upstream_amount: order.amount, upstream_currency: order.currency, catalog_amount: ctx.price.amount, catalog_currency: ctx.price.currency });
        throw new AppError('upstream_error', 'Mintoken prices this plan differently from this server\'s catalog; the order was not opened', {
          cause: { provider: 'mintoken', code: 'amount_mismatch', description: `${order.amount} ${order.currency} ≠ ${ctx.price.amount} ${ctx.price.currency}` },
        });
      }
      const action: RazorpayAction = {
        type: 'razorpay',
        key_id: order.key_id,
        order_id: order.order_id,
        amount: order.amount,
        currency: order.currency,
        name: businessName,
        description: `${ctx.plan.name} plan, monthly`,
        prefill: {
          ...(ctx.customer.name ? { name: ctx.customer.name } : {}),
          ...(ctx.customer.email ? { email: ctx.customer.email } : {}),
          ...(ctx.customer.contact ? { contact: ctx.customer.contact } : {}),
        },
        // Mintoken's order is a real Razorpay order: Razorpay's own checkout.js opens it (docs/upstream/mintoken-billing-api.txt, step 2).
        script_url: RAZORPAY_CHECKOUT_JS,
        ...(themeColor ? { theme_color: themeColor } : {}),
        verify_path: '/v1/razorpay/verify',
      };
      return { providerOrderId: order.order_id, action, status: 'pending' };
    },

    // Called by POST /v1/razorpay/verify; the route marks our checkout paid once this returns.
    async verifyPayment({ checkout, body, identity }) {
      if (mode === 'unavailable') throw new AppError('provider_unavailable', 'Mintoken is not configured on this server (external_jwt)');
      const jwt = forwardableJwt(identity);
      // docs/upstream/mintoken-billing-api.txt: "plan — The plan you originally created the order for. Must match.": the slug of the price
      // the checkout stored; the stored order id, never the browser's.
      const verified = await client.verify(jwt, {
        plan: mintokenPlanSlug(checkoutPrice(catalog, checkout), checkout.plan),
        razorpay_order_id: checkout.provider_order_id!,
        razorpay_payment_id: body.razorpay_payment_id,
        razorpay_signature: body.razorpay_signature,
      });
      log.info('mintoken verified', { checkout_id: checkout.id, upstream_new_plan: verified.new_plan ?? null });
    },
  };
  return [provider];
}
