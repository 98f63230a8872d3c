// mintbot Brand Partner API (seed 000_c852cfb007f19f55.txt): orders priced by a tier and duration, the
// customer redirected to mintbot's checkout, signed webhooks (paid → provisioning → ready/failed →
// expired) applied once each, polling on return, and API-key routes for the partner's own admin page.
import { Hono } from 'hono';
import { claimWebhookEvent, findCheckoutByOrder, getCheckout, type CheckoutRow } from '../../billing.js';
import type { AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import { parseWebhookObject, readTimestampedWebhook } from '../webhooks.js';
import type { Sql } from '../../store/index.js';
import type { ExtraProviderDeps } from '../extra.js';
import type { Provider } from '../types.js';
import { mintbotAdminRoutes } from './admin.js';
import { MintbotClient, mintbotIdempotencyKey, type MintbotOrder } from './client.js';
import { checkMintbotPrices, mintbotSettings, mintbotUpstreamOf } from './config.js';
import { applyOrderObservation, kindOfEvent, kindOfStatus, parseMintbotTime, type OrderObservation } from './state.js';

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

export function createMintbotProviders(deps: ExtraProviderDeps): Provider[] {
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

  /** Our checkout for an order: by the stored order id, else by `external_id` (order.created can overtake our own write of the id). */
  async function checkoutForOrder(sql: Sql, orderId: string, externalId: unknown): Promise<CheckoutRow | undefined> {
    const byOrder = await findCheckoutByOrder(sql, ['mintbot'], orderId);
    if (byOrder) return byOrder;
    if (typeof externalId !== 'string' || !/^chk_[A-Za-z0-9_-]{1,64}$/.test(externalId)) return undefined;
    const row = await getCheckout(sql, externalId);
    return row && row.provider === 'mintbot' && (row.provider_order_id === null || row.provider_order_id === orderId) ? row : undefined;
  }

  const routes = new Hono<AppEnv>();

  // Webhooks (seed 000 "Webhooks"): HMAC over "{t}.{raw body}" checked in constant time within 300 s,
  // dedup on X-Mintbot-Event-Id in the same transaction as the state change (a failure rolls both back
  // and mintbot's retry is processed), the event type from X-Mintbot-Event-Type.
  routes.post('/v1/webhooks/mintbot', async (c) => {
    requireAvailable();
    const { raw, timestamp } = await readTimestampedWebhook(c, { provider: 'mintbot', secret: settings.webhookSecret, header: 'X-Mintbot-Signature' });
    const eventId = c.req.header('X-Mintbot-Event-Id');
    if (!eventId || eventId.length > 200) throw new AppError('validation_error', 'X-Mintbot-Event-Id is missing');
    const type = c.req.header('X-Mintbot-Event-Type') ?? 'unknown';
    const payload = parseWebhookObject(raw);
    const orderId = typeof payload.id === 'number' || typeof payload.id === 'string' ? String(payload.id) : null;
    const kind = kindOfEvent(type);
    const at = new Date(timestamp * 1000);

    const outcome = await store.transaction(async (tx) => {
      if (!(await claimWebhookEvent(tx, 'mintbot', eventId, type))) return 'duplicate';
      if (!kind) return 'ignored';
      if (!orderId) return 'ignored';
      const checkout = await checkoutForOrder(tx, orderId, payload.external_id);
      if (!checkout) return 'unknown_order';
      const obs: OrderObservation = {
        kind,
        orderId,
        paidAt: parseMintbotTime(payload.paid_at),
        panelUrl: typeof payload.panel_url === 'string' ? payload.panel_url : null,
        expiresAt: parseMintbotTime(payload.expires_at),
        at,
        source: `mintbot_webhook:${type}`,
        eventId,
      };
      try {
        return await applyOrderObservation(tx, checkout.id, obs, now());
      } catch (err) {
        // Verified but not applicable (another payment already paid this checkout): acknowledged and
        // logged so mintbot stops retrying; any other error rolls back, dedup row included.
        if (err instanceof AppError && err.code === 'conflict') {
          log.warn('mintbot webhook conflict', { event_id: eventId, event: type, checkout_id: checkout.id, reason: err.message });
          return 'conflict';
        }
        throw err;
      }
    });
    if (type === 'agent.failed') log.warn('mintbot agent failed', { event_id: eventId, order_id: orderId, step: typeof payload.error === 'string' ? payload.error.slice(0, 200) : null });
    log.info('mintbot webhook', { request_id: c.get('requestId'), event_id: eventId, event: type, outcome });
    return c.json({ received: true, outcome });
  });

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
      routes,

      async createCheckout(ctx) {
        requireAvailable();
        const upstream = mintbotUpstreamOf(ctx.price);
        // The key is a UUID derived from our checkout id: a retry of this checkout replays mintbot's first
        // answer (one order), another checkout gets another key (seed 000 "Idempotency").
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
