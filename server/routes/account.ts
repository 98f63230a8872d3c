// The customer's own state: subscription (MimicBot's shape), entitlements, and the billing portal's link (the
// provider's, or Tollgate's own for providers without one: routes/portal.ts).
import { Hono } from 'hono';
import { EntitlementTokenAsk, PortalRequest, type Entitlements, type PortalResponse, type Subscription } from '../../src/contract/index.js';
import { entitlementsOf, subscriptionOf } from '../billing.js';
import type { AppContext, AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { allowedReturnUrl, answerLocale, customerViewOf, readJson, requireCustomer } from '../http.js';
import { withIdempotency } from '../security/idempotency.js';
import { portalLink, selfPortalProvider } from '../services/portal.js';
import type { CustomerView } from '../store/customer-views.js';
import { usagePeriod } from '../store/usage.js';

export const accountRoutes = new Hono<AppEnv>();

/** The signed-in customer as the read paths see them: one statement, cached, and no write (store/customer-views.ts). */
async function customerView(c: AppContext): Promise<CustomerView> {
  const identity = await requireCustomer(c);
  return customerViewOf(c, { id: identity.customerId, email: identity.email, name: identity.name });
}

/**
 * `GET /v1/entitlements`' answer for a customer's view: the customer session's and the API key's (`GET
 * /v1/customers/{id}/entitlements`, routes/partner.ts). With `?token=1`, also a signed token of it (and of this
 * period's usage) to verify offline, while tokens are on (security/entitlement-tokens.ts); asked for only, so
 * the widgets' calls stay as small and as cheap as before.
 */
export async function entitlementsAnswer(c: AppContext, view: CustomerView): Promise<Response> {
  const { catalog, now, entitlementTokens } = c.get('deps');
  const at = now();
  const entitlements = entitlementsOf(catalog, view.customer, at, view.grants);
  const ask = c.req.query('token');
  if (ask !== undefined && !EntitlementTokenAsk.safeParse(ask).success) throw new AppError('validation_error', `token: use token=1 to ask for a signed token (or 0 for none), not "${ask}"`);
  if (ask !== '1' && ask !== 'true') return c.json(entitlements);
  const period = usagePeriod(at);
  const usage = Object.fromEntries(catalog.metrics.map((m) => [m.id, view.usage.find((u) => u.metric === m.id)?.used ?? 0]));
  const signed = await entitlementTokens.tokenFor(view, { ...entitlements, period, usage }, at);
  if (!signed) return c.json(entitlements);
  return c.json({ ...entitlements, token: signed.token, token_expires_at: new Date(signed.exp * 1000).toISOString() } satisfies Entitlements);
}

/** Providers that bill this customer and have a portal, asked in order; else Tollgate's own portal, for a provider without one. */
function hasPortal(c: AppContext, view: CustomerView): boolean {
  const deps = c.get('deps');
  return deps.providers.all().some((p) => p.hasPortal?.(view.customer, view.linked) ?? false) || selfPortalProvider(deps, view.customer) !== undefined;
}

accountRoutes.get('/v1/subscription', async (c) => {
  const view = await customerView(c);
  const { customer } = view;
  const { catalog, providers, now } = c.get('deps');
  // A provider that keeps the subscription itself (MimicBot) answers for the customers it bills.
  const billing = customer.billing_provider ? providers.get(customer.billing_provider as never) : undefined;
  const upstream = billing?.subscription ? await billing.subscription(customer, c.get('customer')!) : null;
  const subscription = upstream ?? subscriptionOf(catalog, customer, view.usage, now(), hasPortal(c, view), view.grants);
  const locale = answerLocale(c);
  return c.json({
    ...subscription,
    planName: catalog.planName(subscription.plan, locale) ?? subscription.planName,
    canUpgrade: catalog.canUpgradeFrom(subscription.plan),
    metricLabels: Object.fromEntries(catalog.publicMetrics(locale).map((m) => [m.id, m.label])),
  } satisfies Subscription);
});

accountRoutes.get('/v1/entitlements', async (c) => entitlementsAnswer(c, await customerView(c)));

accountRoutes.post('/v1/portal', async (c) => {
  const identity = await requireCustomer(c);
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const body = await readJson(c, PortalRequest);
    // The portal links back here: the same allowed origins as a checkout's return.
    const returnUrl = allowedReturnUrl(c, body.return_url).toString();
    const { customer } = await customerView(c);
    // Billed by a provider without a portal of its own (Razorpay, Mintoken, Bonzai, mintbot): Tollgate's own.
    if (selfPortalProvider(c.get('deps'), customer)) {
      const link = await portalLink(c.get('deps'), identity, returnUrl);
      return c.json({ url: link.url, expires_at: link.expiresAt.toISOString() } satisfies PortalResponse);
    }
    for (const p of c.get('deps').providers.all()) {
      if (!p.portalUrl) continue;
      const url = await p.portalUrl(customer, returnUrl);
      if (url) return c.json({ url });
    }
    throw new AppError('not_found', 'No billing account yet: the portal opens after a first subscription');
  });
});
