// mintbot's webhooks (docs/upstream/mintbot-partner-api.txt "Webhooks"): HMAC over "{t}.{raw body}" checked in constant time within
// 300 s, the id from X-Mintbot-Event-Id and the type from X-Mintbot-Event-Type; each order event becomes an
// observation applied once by providers/webhooks.ts, in the transaction that claims the event id.
import type { Hono } from 'hono';
import { findCheckoutByOrder, getCheckout, type CheckoutRow } from '../../billing.js';
import type { AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import type { Sql } from '../../store/index.js';
import type { ProviderDeps } from '../types.js';
import { parseWebhookObject, verifyTimestampedWebhook, webhookRoutes, type WebhookHandler } from '../webhooks.js';
import type { MintbotSettings } from './settings.js';
import { applyOrderObservation, KIND_OF_EVENT, parseMintbotTime, type OrderObservation } from './state.js';

interface MintbotEvent {
  body: Record<string, unknown>;
  /** The signed timestamp: when mintbot observed the order so. */
  at: Date;
}

/** Our checkout for an order: by the stored order id, else by `external_id` (order.created can overtake our own write of the id). */
export async function checkoutForOrder(sql: Sql, orderId: string, externalId: unknown): Promise<CheckoutRow | undefined> {
  const byOrder = await findCheckoutByOrder(sql, ['mintbot'], orderId);
  if (byOrder) return byOrder;
  if (typeof externalId !== 'string' || !/^chk_[A-Za-z0-9_-]{1,64}$/.test(externalId)) return undefined;
  const row = await getCheckout(sql, externalId);
  return row && row.provider === 'mintbot' && (row.provider_order_id === null || row.provider_order_id === orderId) ? row : undefined;
}

export function mintbotWebhookRoutes(deps: ProviderDeps, settings: MintbotSettings, requireAvailable: () => void): Hono<AppEnv> {
  const { log, now } = deps;

  const onOrderEvent: WebhookHandler<MintbotEvent> = async ({ id, type, payload: { body, at } }) => {
    const kind = KIND_OF_EVENT[type];
    const orderId = typeof body.id === 'number' || typeof body.id === 'string' ? String(body.id) : null;
    if (!orderId) return 'ignored';
    // The look-up runs in the transaction: it reads what the claim's transaction sees.
    const step = {
      checkoutId: undefined as string | undefined,
      apply: async (tx: Sql) => {
        const checkout = await checkoutForOrder(tx, orderId, body.external_id);
        if (!checkout) return 'unknown_order';
        step.checkoutId = checkout.id;
        const obs: OrderObservation = {
          kind,
          orderId,
          paidAt: parseMintbotTime(body.paid_at),
          panelUrl: typeof body.panel_url === 'string' ? body.panel_url : null,
          expiresAt: parseMintbotTime(body.expires_at),
          at,
          source: `mintbot_webhook:${type}`,
          eventId: id,
        };
        return applyOrderObservation(tx, checkout.id, obs, now());
      },
    };
    return step;
  };

  return webhookRoutes(deps, {
    provider: 'mintbot',
    path: '/v1/webhooks/mintbot',
    requireAvailable,
    read(c, raw) {
      const timestamp = verifyTimestampedWebhook(c, raw, { provider: 'mintbot', secret: settings.webhookSecret, header: 'X-Mintbot-Signature' });
      const id = c.req.header('X-Mintbot-Event-Id');
      if (!id || id.length > 200) throw new AppError('validation_error', 'X-Mintbot-Event-Id is missing');
      const type = c.req.header('X-Mintbot-Event-Type') ?? 'unknown';
      return { id, type, payload: { body: parseWebhookObject(raw), at: new Date(timestamp * 1000) } };
    },
    handlers: Object.fromEntries(Object.keys(KIND_OF_EVENT).map((type) => [type, onOrderEvent])),
    // The inbox stores JSON: the signed time comes back as text.
    restore: (stored) => ({ body: (stored as MintbotEvent).body, at: new Date((stored as { at: string }).at) }),
    after({ id, type, payload: { body } }) {
      if (type === 'agent.failed') log.warn('mintbot agent failed', { event_id: id, order_id: typeof body.id === 'number' || typeof body.id === 'string' ? String(body.id) : null, step: typeof body.error === 'string' ? body.error.slice(0, 200) : null });
    },
  });
}
