// Partner-backend routes (API key): customer sessions and usage reports; and the sandbox-only demo session.
import { Hono } from 'hono';
import { z } from 'zod';
import { SessionRequest, UsageReport, type SessionResponse, type UsageAnswer } from '../../src/contract/index.js';
import type { AppContext, AppEnv } from '../context.js';
import { entitlementsOf } from '../billing.js';
import { AppError } from '../errors.js';
import { clientIp, customerViewOf, readJson, requireApiKey } from '../http.js';
import { API_KEY_SCOPE, withIdempotency, withOptionalIdempotency } from '../security/idempotency.js';
import { issueSessionToken } from '../security/tokens.js';
import { ensureCustomer } from '../store/customers.js';
import { recordUsage, usagePeriod } from '../store/usage.js';

export const sessionRoutes = new Hono<AppEnv>();

async function mint(c: AppContext, input: SessionRequest): Promise<SessionResponse> {
  const { store, catalog, config, now } = c.get('deps');
  await ensureCustomer(store, catalog.freePlan.id, { id: input.customer_id, email: input.email, name: input.name, contact: input.contact, currency: input.currency });
  const { token, expiresAt } = await issueSessionToken(
    config.sessionSecret,
    { customerId: input.customer_id, email: input.email, name: input.name },
    config.file.session_ttl_seconds,
    Math.floor(now().getTime() / 1000),
  );
  return { token, expires_at: expiresAt.toISOString() };
}

sessionRoutes.post('/v1/sessions', async (c) => {
  requireApiKey(c);
  const body = await readJson(c, SessionRequest);
  return c.json(await mint(c, body), 201);
});

/** `POST /v1/sandbox/session`'s body: a demo customer, `demo` by default. */
export const SandboxSessionRequest = z.object({ customer_id: SessionRequest.shape.customer_id.default('demo'), email: z.email().optional(), name: z.string().max(200).optional() });

// Sandbox only: the demo pages get a session for a demo customer without the API key.
sessionRoutes.post('/v1/sandbox/session', async (c) => {
  if (!c.get('deps').config.sandbox) throw new AppError('not_found', 'Not found');
  return withIdempotency(c, `ip:${clientIp(c)}`, async () => {
    const body = await readJson(c, SandboxSessionRequest);
    return c.json(await mint(c, { customer_id: body.customer_id, email: body.email ?? `${body.customer_id}@example.com`, name: body.name ?? 'Demo Customer' }), 201);
  });
});

// Usage counters for the current period (the partner's backend reports what the customer used). A retry
// counts once with the same Idempotency-Key (the answer is kept) or the same event_id (kept in SQL per
// customer, on every instance); a negative quantity is a correction, audited, and stops the count at 0.
sessionRoutes.post('/v1/usage', async (c) => {
  requireApiKey(c);
  return withOptionalIdempotency(c, API_KEY_SCOPE, async () => {
    const body = await readJson(c, UsageReport);
    const { store, catalog, config, now } = c.get('deps');
    if (!catalog.metrics.some((m) => m.id === body.metric)) throw new AppError('validation_error', `metric: unknown metric "${body.metric}"; known: ${catalog.metrics.map((m) => m.id).join(', ')}`);
    await ensureCustomer(store, catalog.freePlan.id, { id: body.customer_id });
    const at = now();
    // The limit the count is against, for usage.threshold_reached: read only when an endpoint may want the event.
    let limit: number | null = null;
    if (config.partnerWebhooks.length > 0) {
      const view = await customerViewOf(c, { id: body.customer_id });
      limit = entitlementsOf(catalog, view.customer, at, view.grants).limits[body.metric] ?? null;
    }
    const result = await recordUsage(store, {
      customerId: body.customer_id, metric: body.metric, period: usagePeriod(at), quantity: body.quantity, limit, eventId: body.event_id, reason: body.reason, requestId: c.get('requestId'),
    });
    // The counter is an SQL integer: a report that would take it past 2^31 - 1 is refused, not an overflow (500).
    if ('error' in result && result.error === 'overflow') throw new AppError('validation_error', `quantity: this period's ${body.metric} count would pass 2147483647`);
    if ('error' in result) throw new AppError('idempotency_key_mismatch', `event_id: "${body.event_id}" was already counted with another metric or quantity`);
    return c.json({
      customer_id: body.customer_id, metric: body.metric, used: result.used, ...(body.event_id !== undefined ? { event_id: body.event_id, duplicate: result.duplicate } : {}),
    } satisfies UsageAnswer);
  });
});
