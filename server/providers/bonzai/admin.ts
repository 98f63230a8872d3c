// Bonzai's API-key routes for the partner's backend (docs/upstream/bonzai-business-api.txt "Product Invitation", "Product Revocation"):
// promotional access without checkout, mirrored as grants of `grant_plan` in our entitlements.
import { Hono } from 'hono';
import { z } from 'zod';
import { ensureCustomer } from '../../billing.js';
import type { AppContext, AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import { readJson, requireApiKey } from '../../http.js';
import { withIdempotency } from '../../security/idempotency.js';
import type { ProviderDeps } from '../types.js';
import type { BonzaiClient } from './client.js';
import type { BonzaiSettings } from './settings.js';
import { applyGrant, settleAfterRevoke, type GrantRow } from './state.js';

const CustomerId = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:@-]+$/, 'letters, digits and _ . : @ - only');
export const InviteRequest = z.object({
  email: z.email().max(254),
  name: z.string().min(1).max(200).optional(),
  code: z.string().min(1).max(191).optional(),
  customer_id: CustomerId.optional(),
});
export const RevokeRequest = z
  .object({ email: z.email().max(254).optional(), user_id: z.string().min(1).max(191).optional(), code: z.string().min(1).max(191).optional() })
  .refine((v) => v.email || v.user_id || v.code, { message: 'give at least one of email, user_id or code' });

export function bonzaiAdminRoutes(deps: ProviderDeps, client: BonzaiClient, settings: BonzaiSettings, guards: { requireLive(): void; requireProduct(): string }): Hono<AppEnv> {
  const { store, log, catalog, now } = deps;
  const { requireLive, requireProduct } = guards;
  const stateDeps = { catalog, log };
  const routes = new Hono<AppEnv>();


  /** Partner-backend POSTs may carry an Idempotency-Key; with one, a retry replays the first answer. */
  const maybeIdempotent = (c: AppContext, handler: () => Promise<Response>) => (c.req.header('Idempotency-Key') ? withIdempotency(c, 'api:bonzai', handler) : handler());

  // docs/upstream/bonzai-business-api.txt "Product Invitation": access without checkout, mirrored as a grant of `grant_plan` in our entitlements.
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

  // docs/upstream/bonzai-business-api.txt "Product Revocation": by user_id, email or code (a shared code revokes everyone who has it).
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

  return routes;
}
