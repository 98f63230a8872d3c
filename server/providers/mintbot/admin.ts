// The partner's own backend (Tollgate API key) reaching mintbot through this server: orders with cursor
// paging, renewals (docs/upstream/mintbot-partner-api.txt "Renew order": infra-only, no new credit), revenue and the partner profile.
import { Hono } from 'hono';
import { z } from 'zod';
import { checkoutPrice, derivedId, findCheckoutByOrder, type CheckoutRow } from '../../billing.js';
import { insertRenewalCheckout } from '../../store/checkouts.js';
import type { Catalog } from '../../catalog.js';
import type { AppContext, AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import { readJson, requireApiKey } from '../../http.js';
import type { Logger } from '../../log.js';
import { withIdempotency } from '../../security/idempotency.js';
import type { Store } from '../../store/index.js';
import { mintbotIdempotencyKey, upstreamValidationMessage, type MintbotClient } from './client.js';
import { mintbotUpstreamOf } from './settings.js';

export const ORDER_STATUSES = ['awaiting_payment', 'completed', 'deployed', 'deploy_failed', 'expired'] as const;

export const RenewRequest = z
  .object({
    duration_days: z.number().int().min(1).max(365).optional(),
    /** Where mintbot's checkout returns to; `{ORDER_ID}` is added. Defaults to this server's public URL. */
    return_url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  })
  .strict();

export interface MintbotAdminOptions {
  client: MintbotClient;
  store: Store;
  log: Logger;
  now: () => Date;
  catalog: Catalog;
  requireAvailable: () => void;
  buildOrderUrls: (returnUrl: string) => { success_url: string; cancel_url: string };
}

/** Upstream validation errors are the partner's to see here (they sent the query); others stay 502. */
async function passValidation<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const message = upstreamValidationMessage(err);
    if (message) throw new AppError('validation_error', `mintbot: ${message}`);
    throw err;
  }
}

function orderIdParam(c: AppContext): string {
  const id = c.req.param('id') ?? '';
  if (!/^\d{1,18}$/.test(id)) throw new AppError('validation_error', 'id: a mintbot order id is a number');
  return id;
}

export function mintbotAdminRoutes(options: MintbotAdminOptions): Hono<AppEnv> {
  const { client, store, catalog } = options;
  const routes = new Hono<AppEnv>();

  routes.use('/v1/admin/mintbot/*', async (c, next) => {
    requireApiKey(c);
    options.requireAvailable();
    await next();
  });

  // docs/upstream/mintbot-partner-api.txt "List orders": newest first; next_cursor passed back as is.
  routes.get('/v1/admin/mintbot/orders', async (c) => {
    const status = c.req.query('status') || undefined;
    const cursor = c.req.query('cursor') || undefined;
    if (status && !(ORDER_STATUSES as readonly string[]).includes(status)) throw new AppError('validation_error', `status: use one of ${ORDER_STATUSES.join(', ')}`);
    if (cursor && !/^[A-Za-z0-9_-]{1,128}$/.test(cursor)) throw new AppError('validation_error', 'cursor: pass next_cursor from the previous page');
    const page = await passValidation(() => client.listOrders({ status, cursor }));
    return c.json({ items: page.items ?? [], next_cursor: page.next_cursor ?? null });
  });

  routes.get('/v1/admin/mintbot/orders/:id', async (c) => {
    const id = orderIdParam(c);
    const order = await client.getOrder(id);
    const checkout = await findCheckoutByOrder(store, ['mintbot'], id);
    return c.json({ ...order, tollgate_checkout_id: checkout?.id ?? null });
  });

  // A renewal is a new mintbot order with a new checkout URL. When the original came through Tollgate,
  // the renewal gets its own checkout row (same customer and plan), so its webhooks extend the plan like
  // any purchase. Keyed: the caller's Idempotency-Key makes the checkout id and mintbot's key, so a retry
  // creates neither a second row nor a second order.
  routes.post('/v1/admin/mintbot/orders/:id/renew', async (c) => {
    const id = orderIdParam(c);
    return withIdempotency(c, 'api:mintbot_renew', async () => {
      const body = await readJson(c, RenewRequest);
      const key = c.req.header('Idempotency-Key')!;
      const original = await findCheckoutByOrder(store, ['mintbot'], id);
      const renewalId = derivedId('chk', ['mintbot_renew', id, key]);
      // The original checkout's own price (stored with it), not a new look-up in the catalog.
      const originalPrice = original ? checkoutPrice(catalog, original) : null;
      const duration = body.duration_days ?? (originalPrice?.upstream ? mintbotUpstreamOf(originalPrice).duration_days : undefined);
      if (!duration) throw new AppError('validation_error', 'duration_days: give the number of days to extend (1–365)');
      const returnUrl = body.return_url ?? c.get('deps').config.publicUrl;
      const order = await passValidation(() =>
        client.renewOrder(id, { duration_days: duration, ...(original ? { external_id: renewalId } : {}), ...options.buildOrderUrls(returnUrl) }, mintbotIdempotencyKey(renewalId)),
      );
      let checkoutId: string | null = null;
      if (original && originalPrice) {
        const now = options.now();
        const action = { type: 'redirect', url: order.checkout_url };
        // The renewal's own price: what mintbot charges for it, for the original's tier and the renewed days.
        const price = { ...originalPrice, amount: order.amount_cents ?? 0, currency: (order.currency ?? 'usd').toUpperCase(), upstream: { ...originalPrice.upstream, duration_days: duration } };
        await insertRenewalCheckout(store, { id: renewalId, customer_id: original.customer_id, plan: original.plan, interval: original.interval, provider: 'mintbot', amount: price.amount, currency: price.currency, price, provider_order_id: String(order.id), action, now });
        checkoutId = renewalId;
      }
      options.log.info('mintbot order renewed', { request_id: c.get('requestId'), order_id: id, renewal_order_id: order.id, checkout_id: checkoutId });
      return c.json({ ...order, tollgate_checkout_id: checkoutId }, 201);
    });
  });

  // docs/upstream/mintbot-partner-api.txt "Read revenue": totals plus the latest 200 ledger events.
  routes.get('/v1/admin/mintbot/revenue', async (c) => {
    const includePaid = c.req.query('include_paid');
    if (includePaid !== undefined && includePaid !== 'true' && includePaid !== 'false') throw new AppError('validation_error', 'include_paid: use true or false');
    return c.json(await passValidation(() => client.revenue(includePaid === undefined ? undefined : includePaid === 'true')));
  });

  // docs/upstream/mintbot-partner-api.txt "Get profile": the partner profile and unpaid balance.
  routes.get('/v1/admin/mintbot/partner', async (c) => c.json(await client.partner()));

  return routes;
}
