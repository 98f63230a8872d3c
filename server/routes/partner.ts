// The partner backend's API-key routes for its own requests: a customer's state, their entitlements, checks
// of a feature or a metric (and consuming a metric only if it fits), and manual plan grants. Reads never
// write: they read the cached customer view (store/customer-views.ts); an unknown customer reads as new, on
// the free plan (GET /v1/customers/{id} answers 404 for one). Also a customer's receipts (routes/receipts.ts answers them).
import { Hono } from 'hono';
import { CheckRequest, GrantRequest, SessionRequest, type CustomerState, type FeatureCheck, type Grant, type MetricCheck } from '../../src/contract/index.js';
import { effectivePlan, entitlementsOf, subscriptionOf } from '../billing.js';
import type { AppContext, AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { customerViewOf, readJson, requireApiKey } from '../http.js';
import { API_KEY_SCOPE, withIdempotency, withOptionalIdempotency } from '../security/idempotency.js';
import { iso } from '../store/checkouts.js';
import { ensureCustomer } from '../store/customers.js';
import { createGrant, revokeGrant, type GrantRow } from '../store/grants.js';
import { storableDate } from '../store/index.js';
import { consumeUsageBatched, usagePeriod } from '../store/usage.js';
import { entitlementsAnswer } from './account.js';
import { ownReceipt, receiptAnswer, receiptListAnswer, renderedReceipt } from './receipts.js';

export const partnerRoutes = new Hono<AppEnv>();

/** A customer id from the path, checked as POST /v1/sessions checks one. */
function customerIdParam(c: AppContext): string {
  const parsed = SessionRequest.shape.customer_id.safeParse(c.req.param('id'));
  if (!parsed.success) throw new AppError('validation_error', `customer_id: ${parsed.error.issues[0].message}`);
  return parsed.data;
}


partnerRoutes.get('/v1/customers/:id', async (c) => {
  requireApiKey(c);
  const id = customerIdParam(c);
  const view = await customerViewOf(c, { id });
  if (!view.stored) throw new AppError('not_found', `No customer "${id}"`);
  const { catalog, now } = c.get('deps');
  const at = now();
  // The subscription and the entitlements as the customer's own routes answer them: one rule for all.
  const subscription = subscriptionOf(catalog, view.customer, view.usage, at, false, view.grants);
  const entitlements = entitlementsOf(catalog, view.customer, at, view.grants);
  const { grant } = effectivePlan(view.customer, catalog, at, view.grants);
  const changed = Math.max(new Date(view.customer.updated_at).getTime(), view.grantsChangedAt?.getTime() ?? 0);
  return c.json({
    customer_id: id,
    plan: subscription.plan,
    status: subscription.status,
    has_access: entitlements.has_access,
    features: entitlements.features,
    current_period_end: subscription.currentPeriodEnd,
    cancel_at_period_end: subscription.cancelAtPeriodEnd,
    interval: subscription.interval ?? null,
    period: usagePeriod(at),
    usage: Object.fromEntries(catalog.metrics.map((m) => [m.id, { used: subscription.usage[`${m.id}Used`] ?? 0, limit: entitlements.limits[m.id] ?? null }])),
    provider: view.customer.billing_provider,
    grant: grant ? { grant_id: grant.id, plan: grant.plan, until: grant.until.toISOString() } : null,
    seats: view.customer.seats && entitlements.limits.seats === view.customer.seats && subscription.plan === view.customer.plan && !grant ? view.customer.seats : null,
    updated_at: new Date(changed).toISOString(),
  } satisfies CustomerState);
});

// What GET /v1/entitlements answers a customer session, for the API key: the same function on the same view.
partnerRoutes.get('/v1/customers/:id/entitlements', async (c) => {
  requireApiKey(c);
  return entitlementsAnswer(c, await customerViewOf(c, { id: customerIdParam(c) }));
});

partnerRoutes.post('/v1/check', async (c) => {
  requireApiKey(c);
  return withOptionalIdempotency(c, API_KEY_SCOPE, async () => {
    const body = await readJson(c, CheckRequest);
    const { catalog, store, now } = c.get('deps');
    const view = await customerViewOf(c, { id: body.customer_id });
    const at = now();
    const entitlements = entitlementsOf(catalog, view.customer, at, view.grants);
    if (body.feature !== undefined) {
      if (!catalog.file.plans.some((p) => p.features.some((f) => f.id === body.feature))) {
        throw new AppError('validation_error', `feature: unknown feature "${body.feature}"; known: ${[...new Set(catalog.file.plans.flatMap((p) => p.features.map((f) => f.id)))].join(', ')}`);
      }
      const allowed = entitlements.features.includes(body.feature);
      return c.json({ allowed, plan: entitlements.plan, reason: allowed ? 'included' : 'not_included' } satisfies FeatureCheck);
    }
    const metric = body.metric!;
    if (!catalog.metrics.some((m) => m.id === metric)) throw new AppError('validation_error', `metric: unknown metric "${metric}"; known: ${catalog.metrics.map((m) => m.id).join(', ')}`);
    const quantity = body.quantity ?? 1;
    const limit = entitlements.limits[metric] ?? null;
    const answer = (allowed: boolean, used: number) => c.json({ allowed, used, limit, remaining: limit === null ? null : Math.max(limit - used, 0) } satisfies MetricCheck);
    if (!body.consume) {
      const used = view.usage.find((u) => u.metric === metric)?.used ?? 0;
      return answer(limit === null || used + quantity <= limit, used);
    }
    // A new customer is made (as POST /v1/usage makes one) only when there is something to record.
    if (!view.stored) {
      if (limit !== null && quantity > limit) return answer(false, 0);
      await ensureCustomer(store, catalog.freePlan.id, { id: body.customer_id });
    }
    const period = usagePeriod(at);
    const result = await consumeUsageBatched(store, { customerId: body.customer_id, metric, period, quantity, limit });
    c.get('deps').customerViews.noteUsage(body.customer_id, period, metric, result.used);
    if (!result.allowed && limit === null) throw new AppError('validation_error', `quantity: this period's ${metric} count would pass 2147483647`);
    return answer(result.allowed, result.used);
  });
});

function grantAnswer(row: GrantRow): Grant {
  return {
    grant_id: row.id,
    customer_id: row.customer_id,
    plan: row.plan,
    until: iso(row.until)!,
    reason: row.reason,
    created_at: iso(row.created_at)!,
    revoked_at: iso(row.revoked_at),
  };
}

// A manual grant (support, a promotion): audited; a retry with the same Idempotency-Key makes one.
partnerRoutes.post('/v1/customers/:id/grants', async (c) => {
  requireApiKey(c);
  return withIdempotency(c, API_KEY_SCOPE, async () => {
    const customerId = customerIdParam(c);
    const body = await readJson(c, GrantRequest);
    const { catalog, store, now } = c.get('deps');
    const plan = catalog.plan(body.plan);
    if (!plan || plan.id === catalog.freePlan.id) {
      throw new AppError('validation_error', `plan: "${body.plan}" cannot be granted; grant one of ${catalog.file.plans.filter((p) => p.id !== catalog.freePlan.id).map((p) => p.id).join(', ')}`);
    }
    const at = now();
    const until = storableDate(Date.parse(body.until));
    if (!until) throw new AppError('validation_error', 'until: not a time the store can hold');
    if (until <= at) throw new AppError('validation_error', 'until: must be in the future');
    const grant = await createGrant(store, catalog.freePlan.id, { customerId, plan: plan.id, until, reason: body.reason, now: at });
    return c.json(grantAnswer(grant), 201);
  });
});

// Deleting a grant ends it now (audited once); deleting it again answers the same.
partnerRoutes.delete('/v1/customers/:id/grants/:grant_id', async (c) => {
  requireApiKey(c);
  const customerId = customerIdParam(c);
  const grantId = c.req.param('grant_id');
  const { store, now } = c.get('deps');
  const grant = /^[A-Za-z0-9_-]{1,64}$/.test(grantId) ? await revokeGrant(store, { customerId, grantId, now: now() }) : null;
  if (!grant) throw new AppError('not_found', `No grant "${grantId.slice(0, 64)}" for customer "${customerId}"`);
  return c.json(grantAnswer(grant));
});

// The customer's receipts and credit notes (README "Receipts"), as GET /v1/receipts answers the customer.
partnerRoutes.get('/v1/customers/:id/receipts', async (c) => {
  requireApiKey(c);
  return receiptListAnswer(c, customerIdParam(c));
});
partnerRoutes.get('/v1/customers/:id/receipts/:ref', async (c) => {
  requireApiKey(c);
  return receiptAnswer(c, await ownReceipt(c, customerIdParam(c), c.req.param('ref')));
});
partnerRoutes.get('/v1/customers/:id/receipts/:ref/html', async (c) => {
  requireApiKey(c);
  return renderedReceipt(c, await ownReceipt(c, customerIdParam(c), c.req.param('ref')), 'html');
});
partnerRoutes.get('/v1/customers/:id/receipts/:ref/pdf', async (c) => {
  requireApiKey(c);
  return renderedReceipt(c, await ownReceipt(c, customerIdParam(c), c.req.param('ref')), 'pdf');
});
