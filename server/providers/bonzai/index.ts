// Bonzai Business API (docs/upstream/bonzai-business-api.txt): custom checkout → redirect; orders re-read on return and
// on a schedule so entitlements follow has_access; invite/revoke as API-key routes for promotional access.
import type { CheckoutRow } from '../../billing.js';
import { AppError } from '../../errors.js';
import type { Provider, ProviderDeps } from '../types.js';
import { bonzaiAdminRoutes } from './admin.js';
import { BonzaiClient } from './client.js';
import { BONZAI_CAPABILITIES, loadBonzaiSettings, type BonzaiSettings } from './settings.js';
import { startPoller, type Poller, type PollerTimers } from './poller.js';
import { createBonzaiSync, type PollSummary } from './sync.js';

export { BONZAI_DEFAULT_API_BASE } from './settings.js';
export type { PollSummary } from './sync.js';

export interface BonzaiProvider extends Provider {
  /** One poll: link pending grants by email, re-read due orders (ended ones less often), give up on stale unpaid ones. */
  pollOnce(): Promise<PollSummary>;
  /** Stop the scheduled poller (no-op when it is off). */
  stopPolling(): void;
  readonly settings: BonzaiSettings;
}

export interface BonzaiProviderOptions {
  /** Timers for the poller (tests inject their own); the poller runs only when poll_interval_s > 0 and the token is set. */
  timers?: PollerTimers;
  /** Pause before the one retry of a GET. */
  retryDelayMs?: number;
}

const INTERVALS = { month: 'monthly', year: 'yearly' } as const;

export function createBonzaiProvider(deps: ProviderDeps, options: BonzaiProviderOptions = {}): BonzaiProvider {
  const { config, store, log, now } = deps;
  const settings = loadBonzaiSettings(config.file, config.env);
  const client = new BonzaiClient({ provider: 'bonzai', fetch: deps.fetch, timeoutMs: config.file.upstream_timeout_ms, log, apiBase: settings.apiBase, token: settings.token, retryDelayMs: options.retryDelayMs });

  function requireLive(): void {
    if (settings.mode !== 'live') throw new AppError('provider_unavailable', 'Bonzai is not configured on this server (BONZAI_API_TOKEN)');
  }
  function requireProduct(): string {
    if (!settings.productUuid) throw new AppError('provider_unavailable', 'Bonzai has no product configured (providers.bonzai.product_uuid)');
    return settings.productUuid;
  }

  const { refresh, pollOnce } = createBonzaiSync(deps, client, settings);

  let poller: Poller | null = null;
  if (settings.mode === 'live' && settings.pollIntervalMs > 0) {
    poller = startPoller({ name: 'bonzai', intervalMs: settings.pollIntervalMs, tick: pollOnce, log, timers: options.timers });
  }

  const routes = bonzaiAdminRoutes(deps, client, settings, { requireLive, requireProduct });

  return {
    name: 'bonzai',
    mode: settings.mode,
    ...BONZAI_CAPABILITIES,
    routes,
    settings,
    pollOnce,
    stopPolling: () => poller?.stop(),
    close: () => poller?.stop(),

    async createCheckout(ctx) {
      requireLive();
      const product = typeof ctx.price.upstream?.product_uuid === 'string' ? ctx.price.upstream.product_uuid : requireProduct();
      const interval = ctx.price.interval === 'once' ? undefined : INTERVALS[ctx.price.interval];
      const created = await client.createCheckout(product, {
        // docs/upstream/bonzai-business-api.txt: `amount` is a Float in the currency's units; the catalog keeps cents (EUR and USD have two decimals).
        // The total after a promotion code's discount (services/promotions.ts: a subscription's code is one on every payment).
        amount: ctx.priced.total / 100,
        currency: ctx.price.currency,
        is_vat_incl: settings.isVatIncl,
        mode: interval ? 'subscription' : 'one_off',
        ...(interval ? { interval } : {}),
        // "attached to the order and returned both through the order retrieval endpoint": our ids, checked on every read.
        metadata: { tollgate_checkout_id: ctx.checkout.id, tollgate_customer_id: ctx.customer.id },
        ...(ctx.customer.email ? { email: ctx.customer.email } : {}),
        title: ctx.plan.name,
        redirect_url: ctx.returnUrl,
      });
      // "It is recommended to store the order_id in your system": as the checkout's provider order id, and tracked for polling.
      await store.query('INSERT INTO bonzai_orders (checkout_id, order_id, state, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [ctx.checkout.id, created.orderId, 'open', now()]);
      return { providerOrderId: created.orderId, action: { type: 'redirect', url: created.checkoutUrl }, status: 'pending' };
    },

    // GET /v1/checkout/:id calls this when the customer comes back from Bonzai's page and the checkout is not final.
    async refreshCheckout(checkout: CheckoutRow) {
      if (settings.mode !== 'live' || !checkout.provider_order_id) return;
      await refresh(checkout.id, checkout.provider_order_id);
    },
  };
}

export function createBonzaiProviders(deps: ProviderDeps): Provider[] {
  return [createBonzaiProvider(deps)];
}
