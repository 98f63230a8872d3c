// MimicBot Billing API (docs/upstream/mimicbot-billing-api.txt): checkout {plan} → redirect, the customer portal,
// and MimicBot's own subscription view served as our /v1/subscription and mirrored into the customer row
// so /v1/entitlements agrees. The upstream token (one configured, or one per customer) never leaves the server.
import { checkoutPrice, markCheckoutPaid, type CheckoutRow, type CustomerRow } from '../../billing.js';
import { AppError } from '../../errors.js';
import type { Provider, ProviderDeps } from '../types.js';
import { mimicbotAdminRoutes } from './admin.js';
import { MimicbotClient, type MimicbotPaidPlan, type MimicbotSubscription } from './client.js';
import { MIMICBOT_CAPABILITIES, mimicbotPlanMap, mimicbotSettings, MimicbotUpstream } from './settings.js';
import { mimicbotMirror } from './subscription.js';
import { MimicbotTokenStore } from './tokens.js';

export function createMimicbotProviders(deps: ProviderDeps): Provider[] {
  const { config, store, log, now, catalog } = deps;
  const { section, sharedToken, mode, apiBase } = mimicbotSettings(config);
  const catalogPlanOf = mimicbotPlanMap(catalog);

  /** The MimicBot plan a checkout bought: from the price stored with it. */
  function upstreamPlanOf(checkout: CheckoutRow): MimicbotPaidPlan {
    return MimicbotUpstream.parse(checkoutPrice(catalog, checkout).upstream ?? {}).plan;
  }

  const client = new MimicbotClient({ provider: 'mimicbot', fetch: deps.fetch, timeoutMs: config.file.upstream_timeout_ms, log, apiBase, maxRetryAfterS: section.max_retry_after_s });
  const tokens = new MimicbotTokenStore(store, config.sessionSecret);

  function requireAvailable(): void {
    if (mode === 'unavailable') throw new AppError('provider_unavailable', 'MimicBot is not configured on this server (MIMICBOT_TOKEN, or providers.mimicbot.customer_tokens)');
  }

  /** The customer's own token when one was set, else the configured one. */
  async function tokenFor(customerId: string): Promise<string | null> {
    if (section.customer_tokens) {
      const own = await tokens.get(customerId);
      if (own) return own;
    }
    return sharedToken;
  }

  const { isPaid, mirror, view } = mimicbotMirror(deps, catalogPlanOf);
  const routes = mimicbotAdminRoutes(deps, { client, tokens, customerTokens: section.customer_tokens, view });

  return [
    {
      name: 'mimicbot',
      mode,
      ...MIMICBOT_CAPABILITIES,
      routes,

      async createCheckout(ctx) {
        requireAvailable();
        const token = await tokenFor(ctx.customer.id);
        if (!token) throw new AppError('provider_unavailable', 'No MimicBot account is linked to this customer yet');
        const plan = MimicbotUpstream.parse(ctx.price.upstream ?? {}).plan;
        // MimicBot changes plans only in its portal (docs/upstream/mimicbot-billing-api.txt intro): a second checkout would start a second
        // Stripe subscription, and a later read could not tell which one was paid for. The same answer as
        // assertPlanChangeAllowed() gives a subscriber we know of (README "Changing plans"), for one bought elsewhere.
        const current = await client.subscription(token);
        if (isPaid(current)) {
          throw new AppError('subscription_exists', `This account already has the MimicBot ${current.plan} plan; change plans in the billing portal`);
        }
        const { url } = await client.checkout(token, plan, new URL(ctx.returnUrl).origin);
        if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new AppError('upstream_error', 'MimicBot answered without a checkout URL');
        // MimicBot has no order ids; the checkout id stands in (unique per checkout).
        return { providerOrderId: `mimicbot_${ctx.checkout.id}`, action: { type: 'redirect', url }, status: 'pending' };
      },

      // On return from the hosted page: MimicBot's Stripe webhook has set the plan when the payment went
      // through, so a paid subscription of the checkout's plan (none existed when it started) is its payment.
      async refreshCheckout(checkout) {
        if (mode === 'unavailable') return;
        const token = await tokenFor(checkout.customer_id);
        if (!token) return;
        let sub: MimicbotSubscription;
        try {
          sub = await client.subscription(token);
        } catch (err) {
          log.warn('mimicbot refresh failed', { checkout_id: checkout.id, code: err instanceof AppError ? err.code : 'error' });
          return;
        }
        if (!isPaid(sub) || sub.plan !== upstreamPlanOf(checkout)) return;
        try {
          const result = await store.transaction(async (tx) => {
            // One upstream subscription pays one checkout: another checkout of this customer that was
            // started earlier and already counted it keeps it (abandoned tabs stay pending).
            const claimed = await tx.query("SELECT 1 FROM checkouts WHERE customer_id = $1 AND provider = 'mimicbot' AND status = 'paid' AND id <> $2 AND paid_at >= $3 LIMIT 1", [checkout.customer_id, checkout.id, checkout.created_at]);
            if (claimed.length) return null;
            return markCheckoutPaid(tx, { checkoutId: checkout.id, paymentId: `mimicbot_${checkout.id}`, source: 'mimicbot_poll', now: now() });
          });
          if (!result) return;
          log.info('mimicbot checkout paid', { checkout_id: checkout.id, plan: sub.plan, changed: result.changed });
        } catch (err) {
          if (err instanceof AppError && err.code === 'conflict') return;
          throw err;
        }
        await mirror(checkout.customer_id, sub, checkout.id);
      },

      async subscription(customer: CustomerRow) {
        if (mode === 'unavailable') return null;
        const token = await tokenFor(customer.id);
        if (!token) return null;
        const sub = await client.subscription(token);
        await mirror(customer.id, sub);
        return view(sub);
      },

      hasPortal(customer) {
        return mode !== 'unavailable' && customer.billing_provider === 'mimicbot' && customer.plan !== catalog.freePlan.id;
      },

      async portalUrl(customer, returnUrl) {
        // Only for customers MimicBot bills: with a shared token, everyone else must not reach its portal.
        if (mode === 'unavailable' || customer.billing_provider !== 'mimicbot') return null;
        const token = await tokenFor(customer.id);
        if (!token) return null;
        let origin: string;
        try {
          origin = new URL(returnUrl).origin;
        } catch {
          origin = config.publicUrl;
        }
        try {
          return (await client.portal(token, origin)).url;
        } catch (err) {
          if (err instanceof AppError && err.code === 'not_found') return null; // docs/upstream/mimicbot-billing-api.txt: no Stripe customer yet
          throw err;
        }
      },
    },
  ];
}
