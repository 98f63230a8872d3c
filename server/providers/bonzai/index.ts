// Bonzai Business API (seed 003_78991bd53736f300.txt): custom checkout → redirect; orders re-read on return and
// on a schedule so entitlements follow has_access; invite/revoke as API-key routes for promotional access.
import { Hono } from 'hono';
import { z } from 'zod';
import { effectivePlan, ensureCustomer, type CheckoutRow, type CustomerRow } from '../../billing.js';
import type { AppContext, AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import { readJson, requireApiKey } from '../../http.js';
import { withIdempotency } from '../../security/idempotency.js';
import type { ExtraProviderDeps } from '../extra.js';
import type { Provider } from '../types.js';
import { BonzaiClient } from './client.js';
import { loadBonzaiSettings, type BonzaiSettings } from './config.js';
import { startPoller, type Poller, type PollerTimers } from './poller.js';
import { applyGrant, applyOrderObservation, settleAfterRevoke, type GrantRow, type TrackedOrder } from './state.js';

export { BONZAI_DEFAULT_API_BASE } from './config.js';

const CustomerId = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:@-]+$/, 'letters, digits and _ . : @ - only');
const InviteRequest = z.object({
  email: z.email().max(254),
  name: z.string().min(1).max(200).optional(),
  code: z.string().min(1).max(191).optional(),
  customer_id: CustomerId.optional(),
});
const RevokeRequest = z
  .object({ email: z.email().max(254).optional(), user_id: z.string().min(1).max(191).optional(), code: z.string().min(1).max(191).optional() })
  .refine((v) => v.email || v.user_id || v.code, { message: 'give at least one of email, user_id or code' });

export interface PollSummary {
  checked: number;
  failed: number;
  outcomes: Record<string, number>;
  linkedGrants: number;
  abandoned: number;
}

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

export function createBonzaiProvider(deps: ExtraProviderDeps, options: BonzaiProviderOptions = {}): BonzaiProvider {
  const { config, store, log, catalog, now } = deps;
  const settings = loadBonzaiSettings(config.file, config.env);
  const client = new BonzaiClient({ provider: 'bonzai', fetch: deps.fetch, timeoutMs: config.file.upstream_timeout_ms, log, apiBase: settings.apiBase, token: settings.token, retryDelayMs: options.retryDelayMs });
  const stateDeps = { catalog, log };

  function requireLive(): void {
    if (settings.mode !== 'live') throw new AppError('provider_unavailable', 'Bonzai is not configured on this server (BONZAI_API_TOKEN)');
  }
  function requireProduct(): string {
    if (!settings.productUuid) throw new AppError('provider_unavailable', 'Bonzai has no product configured (providers.bonzai.product_uuid)');
    return settings.productUuid;
  }

  /** Read one order upstream and apply it; the observation time is taken when Bonzai answered. */
  async function refresh(checkoutId: string, orderId: string): Promise<string> {
    const order = await client.getOrder(orderId);
    const observedAt = now();
    if (!order) {
      log.warn('bonzai order not found', { checkout_id: checkoutId, order_id: orderId });
      await store.query('UPDATE bonzai_orders SET checked_at = $2 WHERE checkout_id = $1', [checkoutId, observedAt]);
      return 'not_found';
    }
    const outcome = await applyOrderObservation(store, stateDeps, { checkoutId, order, observedAt, now: observedAt });
    if (outcome !== 'unchanged' && outcome !== 'stale') log.info('bonzai order applied', { checkout_id: checkoutId, order_id: orderId, outcome, has_access: order.has_access });
    return outcome;
  }

  /** Grants made before their customer existed: link them by email once the customer shows up. */
  async function linkPendingGrants(): Promise<number> {
    const pending = await store.query<{ grant_id: number; customer_id: string }>(
      `SELECT g.id AS grant_id, MIN(c.id) AS customer_id FROM bonzai_grants g JOIN customers c ON lower(c.email) = lower(g.email)
       WHERE g.customer_id IS NULL AND g.revoked_at IS NULL GROUP BY g.id HAVING COUNT(c.id) = 1 LIMIT 100`,
    );
    for (const p of pending) {
      await store.transaction(async (tx) => {
        const [grant] = await tx.query<GrantRow>('UPDATE bonzai_grants SET customer_id = $2 WHERE id = $1 AND customer_id IS NULL AND revoked_at IS NULL RETURNING *', [p.grant_id, p.customer_id]);
        if (grant) await applyGrant(tx, stateDeps, grant, now());
      });
    }
    return pending.length;
  }

  async function pollOnce(): Promise<PollSummary> {
    const summary: PollSummary = { checked: 0, failed: 0, outcomes: {}, linkedGrants: 0, abandoned: 0 };
    if (settings.mode !== 'live') return summary;
    summary.linkedGrants = await linkPendingGrants();
    const at = now();
    const cutoff = new Date(at.getTime() - settings.pendingTtlMs);
    const abandoned = await store.query("UPDATE bonzai_orders SET state = 'abandoned', checked_at = $2 WHERE state = 'open' AND created_at < $1 RETURNING checkout_id", [cutoff, at]);
    summary.abandoned = abandoned.length;
    const due = await store.query<TrackedOrder>(
      "SELECT * FROM bonzai_orders WHERE state IN ('open', 'active', 'cancelling') ORDER BY checked_at ASC NULLS FIRST LIMIT $1",
      [settings.pollBatch],
    );
    for (const row of due) await pollOrder(row, summary);
    if (settings.endedPollIntervalMs > 0) {
      // Access that ended may come back ("If the user later regains access, a new access object will be
      // created", seed 003): paid orders whose access ended are read again, less often, while their customer
      // is on no other paid plan (a regained order never takes over a later purchase).
      const ended = await store.query<TrackedOrder & { customer_id: string }>(
        `SELECT b.*, k.customer_id FROM bonzai_orders b JOIN checkouts k ON k.id = b.checkout_id
         WHERE b.state = 'ended' AND k.status = 'paid' AND (b.checked_at IS NULL OR b.checked_at <= $1)
         ORDER BY b.checked_at ASC NULLS FIRST LIMIT $2`,
        [new Date(at.getTime() - settings.endedPollIntervalMs), settings.pollBatch],
      );
      for (const row of ended) {
        const [customer] = await store.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [row.customer_id]);
        if (effectivePlan(customer, catalog, at).planId === catalog.freePlan.id) await pollOrder(row, summary);
        else await store.query('UPDATE bonzai_orders SET checked_at = $2 WHERE checkout_id = $1', [row.checkout_id, at]);
      }
    }
    return summary;
  }

  /** Re-read one tracked order into `summary`; a failure is counted and logged, never thrown. */
  async function pollOrder(row: TrackedOrder, summary: PollSummary): Promise<void> {
    try {
      const outcome = await refresh(row.checkout_id, row.order_id);
      summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
      summary.checked += 1;
    } catch (err) {
      // One failing order never stops the others; it is retried on the next tick.
      summary.failed += 1;
      await store.query('UPDATE bonzai_orders SET checked_at = $2 WHERE checkout_id = $1', [row.checkout_id, now()]);
      log.warn('bonzai poll failed', { checkout_id: row.checkout_id, order_id: row.order_id, code: err instanceof AppError ? err.code : 'error' });
    }
  }

  let poller: Poller | null = null;
  if (settings.mode === 'live' && settings.pollIntervalMs > 0) {
    poller = startPoller({ name: 'bonzai', intervalMs: settings.pollIntervalMs, tick: pollOnce, log, timers: options.timers });
  }

  const routes = new Hono<AppEnv>();

  /** Partner-backend POSTs may carry an Idempotency-Key; with one, a retry replays the first answer. */
  const maybeIdempotent = (c: AppContext, handler: () => Promise<Response>) => (c.req.header('Idempotency-Key') ? withIdempotency(c, 'api:bonzai', handler) : handler());

  // Seed 003 "Product Invitation": access without checkout, mirrored as a grant of `grant_plan` in our entitlements.
  routes.post('/v1/admin/bonzai/invite', async (c) => {
    requireApiKey(c);
    return maybeIdempotent(c, async () => {
      const body = await readJson(c, InviteRequest);
      requireLive();
      const product = requireProduct();
      if (!settings.grantPlan) throw new AppError('provider_unavailable', 'Bonzai invitations need a plan to give (providers.bonzai.grant_plan)');
      const { userId } = await client.invite(product, { email: body.email, ...(body.name ? { name: body.name } : {}), ...(body.code ? { code: body.code } : {}) });
      const at = now();
      const result = await store.transaction(async (tx) => {
        let customerId: string | null = null;
        if (body.customer_id) customerId = (await ensureCustomer(tx, catalog.freePlan.id, { id: body.customer_id, email: body.email, name: body.name })).id;
        else {
          const matches = await tx.query<{ id: string }>('SELECT id FROM customers WHERE lower(email) = lower($1) LIMIT 2', [body.email]);
          if (matches.length === 1) customerId = matches[0].id;
        }
        const [grant] = await tx.query<GrantRow>(
          `INSERT INTO bonzai_grants (customer_id, email, name, code, bonzai_user_id, plan, granted_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
          [customerId, body.email, body.name ?? null, body.code ?? null, userId, settings.grantPlan, at],
        );
        const status = customerId ? await applyGrant(tx, stateDeps, grant, at) : 'pending_customer';
        return { grant, status };
      });
      log.info('bonzai invite', { request_id: c.get('requestId'), grant_id: result.grant.id, customer_id: result.grant.customer_id, status: result.status });
      return c.json({ grant_id: result.grant.id, user_id: userId, customer_id: result.grant.customer_id, plan: result.grant.plan, status: result.status }, 201);
    });
  });

  // Seed 003 "Product Revocation": by user_id, email or code (a shared code revokes everyone who has it).
  routes.post('/v1/admin/bonzai/revoke', async (c) => {
    requireApiKey(c);
    return maybeIdempotent(c, async () => {
      const body = await readJson(c, RevokeRequest);
      requireLive();
      const product = requireProduct();
      await client.revoke(product, { ...(body.user_id ? { user_id: body.user_id } : {}), ...(body.email ? { email: body.email } : {}), ...(body.code ? { code: body.code } : {}) });
      const at = now();
      const result = await store.transaction(async (tx) => {
        const revoked = await tx.query<GrantRow>(
          `UPDATE bonzai_grants SET revoked_at = $1
           WHERE revoked_at IS NULL AND ($2::text IS NULL OR lower(email) = lower($2)) AND ($3::text IS NULL OR bonzai_user_id = $3) AND ($4::text IS NULL OR code = $4)
           RETURNING *`,
          [at, body.email ?? null, body.user_id ?? null, body.code ?? null],
        );
        const customers: Record<string, string> = {};
        for (const customerId of new Set(revoked.map((g) => g.customer_id).filter((id): id is string => id !== null))) {
          customers[customerId] = await settleAfterRevoke(tx, stateDeps, customerId, revoked.filter((g) => g.customer_id === customerId), at);
        }
        return { revoked: revoked.length, customers };
      });
      log.info('bonzai revoke', { request_id: c.get('requestId'), revoked: result.revoked });
      return c.json(result);
    });
  });

  return {
    name: 'bonzai',
    mode: settings.mode,
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
        // Seed 003: `amount` is a Float in the currency's units; the catalog keeps cents (EUR and USD have two decimals).
        amount: ctx.price.amount / 100,
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

export function createBonzaiProviders(deps: ExtraProviderDeps): Provider[] {
  return [createBonzaiProvider(deps)];
}
