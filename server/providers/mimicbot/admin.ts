// MimicBot's API-key routes for the partner's backend: link a customer to their own MimicBot account (a
// per-customer token, checked against MimicBot first) or unlink it. Only with providers.mimicbot.customer_tokens.
import { Hono } from 'hono';
import { z } from 'zod';
import { SessionRequest, type Subscription } from '../../../src/contract/index.js';
import { ensureCustomer } from '../../billing.js';
import type { AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import { readJson, requireApiKey } from '../../http.js';
import type { ProviderDeps } from '../types.js';
import { mimicbotCodeOf, type MimicbotClient, type MimicbotSubscription } from './client.js';
import type { MimicbotTokenStore } from './tokens.js';

export const TokenRequest = z.object({ token: z.string().min(8).max(4096).regex(/^\S+$/, 'a bearer token has no spaces') }).strict();

export function mimicbotAdminRoutes(deps: ProviderDeps, ctx: { client: MimicbotClient; tokens: MimicbotTokenStore; customerTokens: boolean; view(sub: MimicbotSubscription): Subscription }): Hono<AppEnv> {
  const { store, log, catalog } = deps;
  const { client, tokens, view } = ctx;
  const routes = new Hono<AppEnv>();
  routes.use('/v1/admin/mimicbot/*', async (c, next) => {
    requireApiKey(c);
    if (!ctx.customerTokens) throw new AppError('not_found', 'Per-customer MimicBot tokens are off; set providers.mimicbot.customer_tokens to true');
    await next();
  });

  function customerIdParam(value: string | undefined): string {
    const parsed = SessionRequest.shape.customer_id.safeParse(value);
    if (!parsed.success) throw new AppError('validation_error', `customer_id: ${parsed.error.issues[0].message}`);
    return parsed.data;
  }

  // The partner's backend links a customer to their own MimicBot account. The token is checked against
  // MimicBot first, so a wrong one fails here rather than at the customer's checkout.
  routes.put('/v1/admin/mimicbot/customers/:customer_id/token', async (c) => {
    const customerId = customerIdParam(c.req.param('customer_id'));
    const { token } = await readJson(c, TokenRequest);
    let sub: MimicbotSubscription;
    try {
      sub = await client.subscription(token);
    } catch (err) {
      const code = mimicbotCodeOf(err);
      if (code === 'UNAUTHENTICATED') throw new AppError('validation_error', 'token: MimicBot rejected this token (UNAUTHENTICATED)');
      if (code === 'NO_AGENCY') throw new AppError('validation_error', 'token: this MimicBot user belongs to no agency (NO_AGENCY)');
      throw err;
    }
    await ensureCustomer(store, catalog.freePlan.id, { id: customerId });
    await tokens.set(customerId, token);
    log.info('mimicbot token set', { request_id: c.get('requestId'), customer: customerId });
    return c.json({ customer_id: customerId, linked: true, plan: view(sub).plan });
  });

  routes.delete('/v1/admin/mimicbot/customers/:customer_id/token', async (c) => {
    const customerId = customerIdParam(c.req.param('customer_id'));
    if (!(await tokens.remove(customerId))) throw new AppError('not_found', 'No MimicBot token is set for this customer');
    return c.json({ customer_id: customerId, linked: false });
  });

  return routes;
}
