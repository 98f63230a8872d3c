// The customer's own state: subscription (MimicBot's shape), entitlements, and the billing portal.
import { Hono } from 'hono';
import { PortalRequest, type Subscription } from '../../src/contract/index.js';
import { entitlementsOf, subscriptionOf } from '../billing.js';
import type { AppContext, AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { allowedReturnUrl, answerLocale, readJson, requireCustomer } from '../http.js';
import { withIdempotency } from '../security/idempotency.js';
import { ensureCustomer, type CustomerRow } from '../store/customers.js';

export const accountRoutes = new Hono<AppEnv>();

async function currentCustomer(c: AppContext): Promise<CustomerRow> {
  const identity = await requireCustomer(c);
  const { store, catalog } = c.get('deps');
  return ensureCustomer(store, catalog.freePlan.id, { id: identity.customerId, email: identity.email, name: identity.name });
}

/** Providers that bill this customer and have a portal, asked in order. */
async function hasPortal(c: AppContext, customer: CustomerRow): Promise<boolean> {
  for (const p of c.get('deps').providers.all()) if (p.hasPortal && (await p.hasPortal(customer))) return true;
  return false;
}

accountRoutes.get('/v1/subscription', async (c) => {
  const customer = await currentCustomer(c);
  const { store, catalog, providers, now } = c.get('deps');
  // A provider that keeps the subscription itself (MimicBot) answers for the customers it bills.
  const billing = customer.billing_provider ? providers.get(customer.billing_provider as never) : undefined;
  const upstream = billing?.subscription ? await billing.subscription(customer, c.get('customer')!) : null;
  const subscription = upstream ?? (await subscriptionOf(store, catalog, customer, now(), await hasPortal(c, customer)));
  const locale = answerLocale(c);
  return c.json({
    ...subscription,
    planName: catalog.planName(subscription.plan, locale) ?? subscription.planName,
    canUpgrade: catalog.canUpgradeFrom(subscription.plan),
    metricLabels: Object.fromEntries(catalog.publicMetrics(locale).map((m) => [m.id, m.label])),
  } satisfies Subscription);
});

accountRoutes.get('/v1/entitlements', async (c) => {
  const customer = await currentCustomer(c);
  const { catalog, now } = c.get('deps');
  return c.json(entitlementsOf(catalog, customer, now()));
});

accountRoutes.post('/v1/portal', async (c) => {
  const identity = await requireCustomer(c);
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const body = await readJson(c, PortalRequest);
    // The portal links back here: the same allowed origins as a checkout's return.
    const returnUrl = allowedReturnUrl(c, body.return_url).toString();
    const customer = await currentCustomer(c);
    for (const p of c.get('deps').providers.all()) {
      if (!p.portalUrl) continue;
      const url = await p.portalUrl(customer, returnUrl);
      if (url) return c.json({ url });
    }
    throw new AppError('not_found', 'No billing account yet: the portal opens after a first subscription');
  });
});
