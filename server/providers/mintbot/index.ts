// mintbot Brand Partner API (docs/upstream/mintbot-partner-api.txt): orders priced by a tier and duration, the
// customer redirected to mintbot's checkout, signed webhooks (paid → provisioning → ready/failed →
// expired) applied once each, polling on return, and API-key routes for the partner's own admin page.
import { AppError } from '../../errors.js';
import type { Provider, ProviderDeps } from '../types.js';
import { mintbotAdminRoutes } from './admin.js';
import { MintbotClient, mintbotIdempotencyKey, type MintbotOrder } from './client.js';
import { checkMintbotPrices, MINTBOT_CAPABILITIES, mintbotSettings, mintbotUpstreamOf } from './settings.js';
import { applyOrderObservation, kindOfStatus, parseMintbotTime, type OrderObservation } from './state.js';
import { mintbotWebhookRoutes } from './webhooks.js';

/**
 * A hosted-page return URL with mintbot's `{ORDER_ID}` placeholder added as a query parameter. Built as
 * text: URLSearchParams would percent-encode the braces and mintbot would no longer substitute them.
 */
export function withOrderIdPlaceholder(returnUrl: string, extra = ''): string {
  const hashAt = returnUrl.indexOf('#');
  const base = hashAt < 0 ? returnUrl : returnUrl.slice(0, hashAt);
  const hash = hashAt < 0 ? '' : returnUrl.slice(hashAt);
  return `${base}${base.includes('?') ? '&' : '?'}mintbot_order={ORDER_ID}${extra}${hash}`;
}

export function createMintbotProviders(deps: ProviderDeps): Provider[] {
  const { config, store, log, now } = deps;
  const settings = mintbotSettings(config.env, config.file.providers.mintbot, config.sandbox);
  checkMintbotPrices(deps.catalog);
  const client = new MintbotClient({
    provider: 'mintbot',
    fetch: deps.fetch,
    timeoutMs: config.file.upstream_timeout_ms,
    log,
    apiKey: settings.apiKey,
    apiBase: settings.apiBase,
    maxRetryAfterS: settings.maxRetryAfterS,
    attempts: 3,
  });
  const webhookUrl = `${config.publicUrl}/v1/webhooks/mintbot`;

  function requireAvailable(): void {
    if (settings.mode === 'unavailable') throw new AppError('provider_unavailable', 'mintbot is not configured on this server (MINTBOT_API_KEY, MINTBOT_WEBHOOK_SECRET)');
  }

  const routes = mintbotWebhookRoutes(deps, settings, requireAvailable);
  routes.route('/', mintbotAdminRoutes({ client, store, log, now, catalog: deps.catalog, requireAvailable, buildOrderUrls: (returnUrl) => orderUrls(returnUrl) }));

  function orderUrls(returnUrl: string) {
    return { success_url: withOrderIdPlaceholder(returnUrl), cancel_url: withOrderIdPlaceholder(returnUrl, '&mintbot_cancelled=1') };
  }

  /** Apply a polled order to its checkout (the customer came back before, or without, the webhooks). */
  async function applyPolled(checkoutId: string, order: MintbotOrder): Promise<string> {
    const kind = kindOfStatus(order);
    const at = now();
    const obs: OrderObservation = {
      kind,
      orderId: String(order.id),
      paidAt: parseMintbotTime(order.paid_at),
      panelUrl: order.panel_url,
      expiresAt: parseMintbotTime(order.expires_at),
      // Whole seconds, as a webhook's signed `t`: a webhook sent later in the second of this poll is not older.
      at: new Date(Math.floor(at.getTime() / 1000) * 1000),
      source: 'mintbot_poll',
      eventId: `poll_${order.id}_${order.status}`,
    };
    return store.transaction((tx) => applyOrderObservation(tx, checkoutId, obs, at));
  }

  return [
    {
      name: 'mintbot',
      mode: settings.mode,
      ...MINTBOT_CAPABILITIES,
      routes,

      async createCheckout(ctx) {
        requireAvailable();
        const upstream = mintbotUpstreamOf(ctx.price);
        // The key is a UUID derived from our checkout id: a retry of this checkout replays mintbot's first
        // answer (one order), another checkout gets another key (docs/upstream/mintbot-partner-api.txt "Idempotency").
        const order = await client.createOrder(
          {
            tier: upstream.tier,
            duration_days: upstream.duration_days,
            ...(upstream.credit_usd !== undefined ? { credit_usd: upstream.credit_usd } : {}),
            ...(settings.language ? { language: settings.language } : {}),
            external_id: ctx.checkout.id,
            ...orderUrls(ctx.returnUrl),
            webhook_url: webhookUrl,
          },
          mintbotIdempotencyKey(ctx.checkout.id),
        );
        if (typeof order.id !== 'number' && typeof order.id !== 'string') throw new AppError('upstream_error', 'mintbot answered without an order id');
        if (typeof order.checkout_url !== 'string' || !/^https?:\/\//.test(order.checkout_url)) throw new AppError('upstream_error', 'mintbot answered without a checkout URL');
        if (order.amount_cents !== ctx.price.amount || order.currency?.toUpperCase() !== ctx.price.currency) {
          // mintbot prices the tier itself; the catalog shows what the partner configured. Say so loudly.
          log.warn('mintbot price differs from the catalog', { checkout_id: ctx.checkout.id, plan: ctx.plan.id, catalog_amount: ctx.price.amount, catalog_currency: ctx.price.currency, upstream_amount: order.amount_cents, upstream_currency: order.currency ?? null });
        }
        return { providerOrderId: String(order.id), action: { type: 'redirect', url: order.checkout_url }, status: 'pending' };
      },

      async refreshCheckout(checkout) {
        if (settings.mode === 'unavailable' || !checkout.provider_order_id) return;
        let order: MintbotOrder;
        try {
          order = await client.getOrder(checkout.provider_order_id);
        } catch (err) {
          // The status page keeps showing what the webhooks told us; the failure is in the log.
          log.warn('mintbot refresh failed', { checkout_id: checkout.id, code: err instanceof AppError ? err.code : 'error' });
          return;
        }
        try {
          const outcome = await applyPolled(checkout.id, order);
          log.info('mintbot order polled', { checkout_id: checkout.id, order_status: order.status, outcome });
        } catch (err) {
          if (err instanceof AppError && err.code === 'conflict') log.warn('mintbot poll conflict', { checkout_id: checkout.id, reason: err.message });
          else throw err;
        }
      },
    },
  ];
}
