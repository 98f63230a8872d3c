// In-memory fake of the MimicBot Billing API (docs/upstream/mimicbot-billing-api.txt): checkout, customer portal, subscription with usage.
import { Hono, type Context } from 'hono';
import { BaseUrl, FaultInjector, SlidingWindowLimiter, bearerToken, listen, randomId, readJsonObject } from './harness.js';

export const MIMICBOT_PLANS = ['free', 'starter', 'pro', 'agency'] as const;
export type MimicbotPlan = (typeof MIMICBOT_PLANS)[number];
export type MimicbotStatus = 'active' | 'trialing' | 'past_due' | 'canceled' | 'unpaid';

/** docs/upstream/mimicbot-billing-api.txt "The subscription object". */
export interface MimicbotUsage {
  messagesUsed: number;
  messagesLimit: number;
  botsUsed: number;
  botsLimit: number;
  pagesUsed: number;
  pagesLimit: number;
  seatsUsed: number;
  seatsLimit: number;
}
export interface MimicbotSubscription {
  plan: MimicbotPlan;
  status: MimicbotStatus;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: string | null;
  usage: MimicbotUsage;
}

/** Per-plan ceilings. Only pro's appear in the doc's sample (10000/10/5000/10); the others are our assumption. */
export const MIMICBOT_PLAN_LIMITS: Record<MimicbotPlan, Pick<MimicbotUsage, 'messagesLimit' | 'botsLimit' | 'pagesLimit' | 'seatsLimit'>> = {
  free: { messagesLimit: 100, botsLimit: 1, pagesLimit: 50, seatsLimit: 1 },
  starter: { messagesLimit: 2000, botsLimit: 3, pagesLimit: 1000, seatsLimit: 3 },
  pro: { messagesLimit: 10000, botsLimit: 10, pagesLimit: 5000, seatsLimit: 10 },
  agency: { messagesLimit: 50000, botsLimit: 50, pagesLimit: 25000, seatsLimit: 50 },
};

export interface MimicbotAgency {
  id: string;
  stripeCustomerId: string | null;
  /** The local subscriptions row; null means none yet, which the API reports as plan free. */
  subscription: { plan: MimicbotPlan; status: MimicbotStatus; cancelAtPeriodEnd: boolean; currentPeriodEnd: string | null } | null;
  usage: Pick<MimicbotUsage, 'messagesUsed' | 'botsUsed' | 'pagesUsed' | 'seatsUsed'>;
}

export interface MimicbotCheckoutRecord {
  sessionId: string;
  agencyId: string;
  plan: Exclude<MimicbotPlan, 'free'>;
  url: string;
  /** docs/upstream/mimicbot-billing-api.txt: "Stripe redirects back to /settings/billing?success=1 on the origin that made the request". */
  successUrl: string | null;
}

export interface MimicbotFakeOptions {
  /** Bearer token → agency id, or null for a user who belongs to no agency (403 NO_AGENCY). Default `{ mb_test_token: 'agency_1' }`. */
  tokens?: Record<string, string | null>;
  /** Requests per window per token before 429 RATE_LIMITED. The doc's "Rate limits" section is not in the seed; off by default. */
  rateLimit?: { perWindow: number; windowMs?: number };
  now?: () => number;
  publicUrl?: string;
}

export interface MimicbotState {
  tokens: Map<string, string | null>;
  agencies: Map<string, MimicbotAgency>;
  checkouts: MimicbotCheckoutRecord[];
  portalSessions: { agencyId: string; customerId: string; url: string }[];
}

type Env = { Variables: { agency: MimicbotAgency } };

/**
 * The seed says "See Errors" but does not include that section; `{"error":{"code","message"}}` is our assumption,
 * with the documented codes (VALIDATION_ERROR, UNAUTHENTICATED, NO_AGENCY, NOT_FOUND, RATE_LIMITED).
 */
function errorResponse(c: Context, status: number, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status as 400);
}

/** Builds the fake's Hono app and the handles its driver needs. */
export function createMimicbotApp(options: MimicbotFakeOptions = {}) {
  const now = options.now ?? Date.now;
  const baseUrl = new BaseUrl(options.publicUrl ?? 'http://mimicbot.fake');
  const faults = new FaultInjector();
  const limiter = options.rateLimit ? new SlidingWindowLimiter(options.rateLimit.perWindow, options.rateLimit.windowMs ?? 60_000) : null;
  const state: MimicbotState = {
    tokens: new Map(Object.entries(options.tokens ?? { mb_test_token: 'agency_1' })),
    agencies: new Map(),
    checkouts: [],
    portalSessions: [],
  };

  function agencyFor(id: string): MimicbotAgency {
    let agency = state.agencies.get(id);
    if (!agency) {
      agency = { id, stripeCustomerId: null, subscription: null, usage: { messagesUsed: 0, botsUsed: 0, pagesUsed: 0, seatsUsed: 1 } };
      state.agencies.set(id, agency);
    }
    return agency;
  }
  for (const agencyId of state.tokens.values()) if (agencyId) agencyFor(agencyId);

  function subscriptionView(agency: MimicbotAgency): MimicbotSubscription {
    // docs/upstream/mimicbot-billing-api.txt: plan "Defaults to free when no subscription row exists"; we report such an agency as active.
    const row = agency.subscription ?? { plan: 'free' as const, status: 'active' as const, cancelAtPeriodEnd: false, currentPeriodEnd: null };
    const limits = MIMICBOT_PLAN_LIMITS[row.plan];
    return {
      plan: row.plan,
      status: row.status,
      cancelAtPeriodEnd: row.cancelAtPeriodEnd,
      currentPeriodEnd: row.currentPeriodEnd,
      usage: {
        messagesUsed: agency.usage.messagesUsed,
        messagesLimit: limits.messagesLimit,
        botsUsed: agency.usage.botsUsed,
        botsLimit: limits.botsLimit,
        pagesUsed: agency.usage.pagesUsed,
        pagesLimit: limits.pagesLimit,
        seatsUsed: agency.usage.seatsUsed,
        seatsLimit: limits.seatsLimit,
      },
    };
  }

  const app = new Hono<Env>();
  app.use(
    '*',
    faults.middleware((c, fault) =>
      fault.kind === 'rate_limited'
        ? errorResponse(c, 429, 'RATE_LIMITED', 'Too many requests.')
        : errorResponse(c, fault.status, 'INTERNAL_ERROR', 'Internal server error.'),
    ),
  );

  app.get('/c/pay/:session', (c) => c.html(`<!doctype html><title>Fake Stripe Checkout</title><p>${c.req.param('session')}</p>`));
  app.get('/p/session/:session', (c) => c.html(`<!doctype html><title>Fake billing portal</title><p>${c.req.param('session')}</p>`));

  // Error order per docs/upstream/mimicbot-billing-api.txt's lists: 401 UNAUTHENTICATED, then 403 NO_AGENCY, then 429 / validation.
  app.use('/api/billing/*', async (c, next) => {
    const token = bearerToken(c.req.header('Authorization'));
    if (token === null || !state.tokens.has(token)) return errorResponse(c, 401, 'UNAUTHENTICATED', 'Missing or invalid bearer token.');
    const agencyId = state.tokens.get(token);
    if (!agencyId) return errorResponse(c, 403, 'NO_AGENCY', 'This user does not belong to an agency.');
    if (limiter) {
      const taken = limiter.take(token, now());
      if (!taken.allowed) {
        const res = errorResponse(c, 429, 'RATE_LIMITED', 'Too many requests.');
        res.headers.set('Retry-After', String(taken.retryAfterSeconds));
        return res;
      }
    }
    c.set('agency', agencyFor(agencyId));
    await next();
  });

  app.post('/api/billing/checkout', async (c) => {
    const { value } = await readJsonObject(c);
    const plan = value?.plan;
    if (plan !== 'starter' && plan !== 'pro' && plan !== 'agency') {
      return errorResponse(c, 400, 'VALIDATION_ERROR', 'plan must be one of starter, pro, agency.');
    }
    const sessionId = `cs_test_${randomId(58)}`;
    const origin = c.req.header('Origin');
    const record: MimicbotCheckoutRecord = {
      sessionId,
      agencyId: c.get('agency').id,
      plan,
      url: `${baseUrl.get()}/c/pay/${sessionId}`,
      successUrl: origin ? `${origin}/settings/billing?success=1` : null,
    };
    state.checkouts.push(record);
    return c.json({ url: record.url });
  });

  app.post('/api/billing/portal', (c) => {
    const agency = c.get('agency');
    if (!agency.stripeCustomerId) return errorResponse(c, 404, 'NOT_FOUND', 'No Stripe customer for this agency yet. Run a checkout first.');
    const url = `${baseUrl.get()}/p/session/${randomId(24)}`;
    state.portalSessions.push({ agencyId: agency.id, customerId: agency.stripeCustomerId, url });
    return c.json({ url });
  });

  app.get('/api/billing/subscription', (c) => c.json(subscriptionView(c.get('agency'))));

  app.all('*', (c) => errorResponse(c, 404, 'NOT_FOUND', 'No such route.'));

  function agencyOfToken(token: string): MimicbotAgency {
    const agencyId = state.tokens.get(token);
    if (!agencyId) throw new Error(`mimicbot fake: token ${token} has no agency`);
    return agencyFor(agencyId);
  }

  const control = {
    ...faults.controls(),
    reset(): void {
      faults.reset();
      limiter?.reset();
    },
    /** What MimicBot's Stripe webhook does after a paid checkout: customer created, plan set; starter trials 14 days. */
    completeCheckout(token: string, plan: Exclude<MimicbotPlan, 'free'>): MimicbotSubscription {
      const agency = agencyOfToken(token);
      agency.stripeCustomerId ??= `cus_${randomId(14)}`;
      const trial = plan === 'starter';
      agency.subscription = {
        plan,
        status: trial ? 'trialing' : 'active',
        cancelAtPeriodEnd: false,
        currentPeriodEnd: new Date(now() + (trial ? 14 : 30) * 86_400_000).toISOString(),
      };
      return subscriptionView(agency);
    },
    /** Mirrors a Stripe subscription change (portal plan change, cancellation, past_due…). */
    setSubscription(token: string, partial: Partial<NonNullable<MimicbotAgency['subscription']>>): MimicbotSubscription {
      const agency = agencyOfToken(token);
      agency.subscription = { plan: 'free', status: 'active', cancelAtPeriodEnd: false, currentPeriodEnd: null, ...agency.subscription, ...partial };
      return subscriptionView(agency);
    },
    setUsage(token: string, partial: Partial<MimicbotAgency['usage']>): MimicbotSubscription {
      const agency = agencyOfToken(token);
      Object.assign(agency.usage, partial);
      return subscriptionView(agency);
    },
    setToken(token: string, agencyId: string | null): void {
      state.tokens.set(token, agencyId);
    },
  };

  return { app, state, control, baseUrl };
}

export type MimicbotControl = ReturnType<typeof createMimicbotApp>['control'];

/** Starts the MimicBot fake on 127.0.0.1; endpoints live under `url + /api/billing`. */
export async function startMimicbotFake(options: MimicbotFakeOptions = {}): Promise<{
  url: string;
  close(): Promise<void>;
  state: MimicbotState;
  control: MimicbotControl;
}> {
  const fake = createMimicbotApp(options);
  const server = await listen(fake.app);
  fake.baseUrl.set(server.url);
  return { url: server.url, state: fake.state, control: fake.control, close: server.close };
}
