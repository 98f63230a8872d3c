// MimicBot Billing API (seed 001_63b29bd425c81fd4.txt): checkout {plan} → redirect, the customer portal,
// and MimicBot's own subscription view served as our /v1/subscription and mirrored into the customer row
// so /v1/entitlements agrees. The upstream token (one configured, or one per customer) never leaves the server.
import { Hono } from 'hono';
import { z } from 'zod';
import { SessionRequest, type Subscription, type SubscriptionStatus } from '../../../src/contract/index.js';
import { applySubscriptionState, checkoutPrice, ensureCustomer, markCheckoutPaid, newId, type CheckoutRow, type CustomerRow } from '../../billing.js';
import { ConfigError, configErrors, parseConfigSection, providerSecrets } from '../../config.js';
import type { AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import { readJson, requireApiKey } from '../../http.js';
import type { ExtraProviderDeps } from '../extra.js';
import type { Provider } from '../types.js';
import { MIMICBOT_DEFAULT_API_BASE, MIMICBOT_PLANS, MimicbotClient, mimicbotCodeOf, type MimicbotPaidPlan, type MimicbotSubscription } from './client.js';
import { MimicbotTokenStore } from './tokens.js';

/** `providers.mimicbot` in TOLLGATE_CONFIG. */
const MimicbotSection = z
  .object({
    /** Accept per-customer tokens (PUT /v1/admin/mimicbot/customers/:id/token), with or without MIMICBOT_TOKEN. */
    customer_tokens: z.boolean().default(false),
    max_retry_after_s: z.number().int().min(0).max(10).default(2),
  })
  .strict();

const MimicbotUpstream = z.object({ plan: z.enum(MIMICBOT_PLANS, { error: 'set plan to one of "starter", "pro", "agency"' }) }).strict();

const TokenRequest = z.object({ token: z.string().min(8).max(4096).regex(/^\S+$/, 'a bearer token has no spaces') }).strict();

const STATUSES: readonly SubscriptionStatus[] = ['active', 'trialing', 'past_due', 'canceled', 'unpaid'];

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`;
}

export function createMimicbotProviders(deps: ExtraProviderDeps): Provider[] {
  const { config, store, log, now, catalog } = deps;
  const section = { data: parseConfigSection(MimicbotSection, config.file.providers.mimicbot, 'providers.mimicbot') };
  const secrets = providerSecrets(config.env, ['MIMICBOT_TOKEN'], config.sandbox);
  const sharedToken = secrets.mode === 'live' ? secrets.values.MIMICBOT_TOKEN : null;
  // No simulated MimicBot: usable with the shared token, or when per-customer tokens are turned on.
  const mode = sharedToken || section.data.customer_tokens ? 'live' : 'unavailable';
  const apiBase = config.env.MIMICBOT_API_BASE ?? MIMICBOT_DEFAULT_API_BASE;
  try {
    new URL(apiBase);
  } catch {
    throw new ConfigError(`MIMICBOT_API_BASE=${apiBase} is not a URL; use e.g. ${MIMICBOT_DEFAULT_API_BASE}`);
  }

  // Catalog plan ↔ MimicBot plan, from each mimicbot price's `upstream.plan`, checked at start-up.
  const catalogPlanOf = new Map<string, string>([['free', catalog.freePlan.id]]);
  catalog.file.plans.forEach((plan, i) =>
    plan.prices.forEach((price, j) => {
      if (price.provider !== 'mimicbot') return;
      const parsed = MimicbotUpstream.safeParse(price.upstream ?? {}, configErrors);
      if (!parsed.success) throw new ConfigError(`plans[${i}].prices[${j}].upstream (plan "${plan.id}", mimicbot): ${issueText(parsed.error)}; e.g. "upstream": {"plan": "pro"}`);
      const taken = catalogPlanOf.get(parsed.data.plan);
      if (taken && taken !== plan.id) throw new ConfigError(`plans[${i}].prices[${j}].upstream.plan: MimicBot plan "${parsed.data.plan}" is already sold as plan "${taken}"; map each MimicBot plan to one catalog plan`);
      catalogPlanOf.set(parsed.data.plan, plan.id);
    }),
  );
  /** The MimicBot plan a checkout bought: from the price stored with it. */
  function upstreamPlanOf(checkout: CheckoutRow): MimicbotPaidPlan {
    return MimicbotUpstream.parse(checkoutPrice(catalog, checkout).upstream ?? {}).plan;
  }

  const client = new MimicbotClient({ provider: 'mimicbot', fetch: deps.fetch, timeoutMs: config.file.upstream_timeout_ms, log, apiBase, maxRetryAfterS: section.data.max_retry_after_s });
  const tokens = new MimicbotTokenStore(store, config.sessionSecret);

  function requireAvailable(): void {
    if (mode === 'unavailable') throw new AppError('provider_unavailable', 'MimicBot is not configured on this server (MIMICBOT_TOKEN, or providers.mimicbot.customer_tokens)');
  }

  /** The customer's own token when one was set, else the configured one. */
  async function tokenFor(customerId: string): Promise<string | null> {
    if (section.data.customer_tokens) {
      const own = await tokens.get(customerId);
      if (own) return own;
    }
    return sharedToken;
  }

  const isPaid = (sub: MimicbotSubscription) => sub.plan !== 'free' && (sub.status === 'active' || sub.status === 'trialing' || sub.status === 'past_due');

  /**
   * Mirror MimicBot's subscription into the customer row (stateAt = now: each read is the newest truth).
   * The period end is kept only when the subscription ends there: a renewing Stripe subscription rolls on
   * upstream, and effectivePlan() would otherwise lapse it locally between two reads.
   */
  async function mirror(customerId: string, sub: MimicbotSubscription, checkoutId?: string): Promise<void> {
    const at = now();
    const status = STATUSES.includes(sub.status) ? sub.status : 'active';
    const plan = catalogPlanOf.get(sub.plan) ?? catalog.freePlan.id;
    const ends = sub.cancelAtPeriodEnd || status === 'canceled' || status === 'unpaid';
    const periodEnd = ends && sub.currentPeriodEnd && !Number.isNaN(Date.parse(sub.currentPeriodEnd)) ? new Date(sub.currentPeriodEnd) : null;
    await store.transaction((tx) =>
      applySubscriptionState(tx, {
        customerId,
        provider: 'mimicbot',
        plan,
        status,
        cancelAtPeriodEnd: Boolean(sub.cancelAtPeriodEnd),
        currentPeriodEnd: periodEnd,
        stateAt: at,
        source: 'mimicbot_sync',
        eventId: newId('sync'),
        checkoutId,
        now: at,
      }),
    );
  }

  function view(sub: MimicbotSubscription): Subscription {
    const planId = catalogPlanOf.get(sub.plan);
    const plan = planId ? catalog.plan(planId) : undefined;
    return {
      plan: plan?.id ?? sub.plan,
      planName: plan?.name ?? sub.plan.charAt(0).toUpperCase() + sub.plan.slice(1),
      status: STATUSES.includes(sub.status) ? sub.status : 'active',
      cancelAtPeriodEnd: Boolean(sub.cancelAtPeriodEnd),
      currentPeriodEnd: sub.currentPeriodEnd ?? null,
      usage: Object.fromEntries(Object.entries(sub.usage ?? {}).filter(([, v]) => typeof v === 'number' || v === null)),
      // A MimicBot portal needs a Stripe customer, which only a checkout creates: none on the default free plan.
      hasPortal: sub.plan !== 'free',
    };
  }

  const routes = new Hono<AppEnv>();
  routes.use('/v1/admin/mimicbot/*', async (c, next) => {
    requireApiKey(c);
    if (!section.data.customer_tokens) throw new AppError('not_found', 'Per-customer MimicBot tokens are off; set providers.mimicbot.customer_tokens to true');
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

  return [
    {
      name: 'mimicbot',
      mode,
      routes,

      async createCheckout(ctx) {
        requireAvailable();
        const token = await tokenFor(ctx.customer.id);
        if (!token) throw new AppError('provider_unavailable', 'No MimicBot account is linked to this customer yet');
        const plan = MimicbotUpstream.parse(ctx.price.upstream ?? {}).plan;
        // MimicBot changes plans only in its portal (seed 001 intro): a second checkout would start a second
        // Stripe subscription, and a later read could not tell which one was paid for. The same answer as
        // assertPlanChangeAllowed() gives a subscriber we know of (README "Changing plans"), for one bought elsewhere.
        const current = await client.subscription(token);
        if (isPaid(current)) {
          throw new AppError('subscription_exists', `This account already has the MimicBot ${current.plan} plan; change plans in the billing portal`);
        }
        const { url } = await client.checkout(token, plan, new URL(ctx.returnUrl).origin);
        if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new AppError('upstream_error', 'MimicBot answered without a checkout URL');
        // MimicBot has no order ids; the checkout id stands in (unique per checkout).
        return { providerOrderId: `mimicbot_${ctx.checkout.id}`, action: { type: 'redirect', url }, status: 'pending' };
      },

      // On return from the hosted page: MimicBot's Stripe webhook has set the plan when the payment went
      // through, so a paid subscription of the checkout's plan (none existed when it started) is its payment.
      async refreshCheckout(checkout) {
        if (mode === 'unavailable') return;
        const token = await tokenFor(checkout.customer_id);
        if (!token) return;
        let sub: MimicbotSubscription;
        try {
          sub = await client.subscription(token);
        } catch (err) {
          log.warn('mimicbot refresh failed', { checkout_id: checkout.id, code: err instanceof AppError ? err.code : 'error' });
          return;
        }
        if (!isPaid(sub) || sub.plan !== upstreamPlanOf(checkout)) return;
        try {
          const result = await store.transaction(async (tx) => {
            // One upstream subscription pays one checkout: another checkout of this customer that was
            // started earlier and already counted it keeps it (abandoned tabs stay pending).
            const claimed = await tx.query("SELECT 1 FROM checkouts WHERE customer_id = $1 AND provider = 'mimicbot' AND status = 'paid' AND id <> $2 AND paid_at >= $3 LIMIT 1", [checkout.customer_id, checkout.id, checkout.created_at]);
            if (claimed.length) return null;
            return markCheckoutPaid(tx, { checkoutId: checkout.id, paymentId: `mimicbot_${checkout.id}`, source: 'mimicbot_poll', now: now() });
          });
          if (!result) return;
          log.info('mimicbot checkout paid', { checkout_id: checkout.id, plan: sub.plan, changed: result.changed });
        } catch (err) {
          if (err instanceof AppError && err.code === 'conflict') return;
          throw err;
        }
        await mirror(checkout.customer_id, sub, checkout.id);
      },

      async subscription(customer: CustomerRow) {
        if (mode === 'unavailable') return null;
        const token = await tokenFor(customer.id);
        if (!token) return null;
        const sub = await client.subscription(token);
        await mirror(customer.id, sub);
        return view(sub);
      },

      async hasPortal(customer) {
        return mode !== 'unavailable' && customer.billing_provider === 'mimicbot' && customer.plan !== catalog.freePlan.id;
      },

      async portalUrl(customer, returnUrl) {
        // Only for customers MimicBot bills: with a shared token, everyone else must not reach its portal.
        if (mode === 'unavailable' || customer.billing_provider !== 'mimicbot') return null;
        const token = await tokenFor(customer.id);
        if (!token) return null;
        let origin: string;
        try {
          origin = new URL(returnUrl).origin;
        } catch {
          origin = config.publicUrl;
        }
        try {
          return (await client.portal(token, origin)).url;
        } catch (err) {
          if (err instanceof AppError && err.code === 'not_found') return null; // seed 001: no Stripe customer yet
          throw err;
        }
      },
    },
  ];
}
