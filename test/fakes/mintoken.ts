// In-memory fake of Mintoken's Razorpay billing endpoints (docs/upstream/mintoken-billing-api.txt): create order, verify signature, upgrade plan.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { SignJWT, jwtVerify } from 'jose';
import { FaultInjector, bearerToken, listen, randomId, readJsonObject } from './harness.js';

export type MintokenPlan = 'free' | 'pro' | 'team' | 'enterprise';

/** Order amounts in paise. docs/upstream/mintoken-billing-api.txt shows pro = 159900; team's price is not in the seed (399900 is our assumption). */
export const MINTOKEN_ORDERABLE_PLANS: Record<'pro' | 'team', number> = { pro: 159900, team: 399900 };

export interface MintokenOrder {
  order_id: string;
  amount: number;
  currency: 'INR';
  plan: 'pro' | 'team';
  user_id: string;
  created_at: number;
}

/** docs/upstream/mintoken-billing-api.txt "What happens on success": the upgrade is logged with old_plan -> new_plan and the payment id. */
export interface MintokenAuditEntry {
  user_id: string;
  old_plan: MintokenPlan;
  new_plan: MintokenPlan;
  payment_id: string;
  order_id: string;
  at: number;
}

export interface MintokenFakeOptions {
  /** HS256 secret Supabase signs access tokens with; default `supabase-jwt-secret-for-tests-0123456789`. */
  supabaseJwtSecret?: string;
  /** Supabase access tokens carry aud "authenticated"; null disables the audience check. */
  audience?: string | null;
  /** Razorpay credentials; null reproduces the documented 503 "credentials missing on the server". */
  razorpay?: { keyId: string; keySecret: string } | null;
  now?: () => number;
}

export interface MintokenState {
  /** `profiles.plan` per Supabase user id (JWT `sub`); users not listed are on free. */
  profiles: Map<string, { plan: MintokenPlan }>;
  orders: Map<string, MintokenOrder>;
  audit: MintokenAuditEntry[];
  /** Verify attempts, successful or not, for assertions. */
  verifications: { order_id: unknown; payment_id: unknown; ok: boolean }[];
}

type Env = { Variables: { userId: string } };

/** FastAPI's HTTPException renders `{"detail": "..."}`. */
function detail(c: Context, status: number, message: string): Response {
  return c.json({ detail: message }, status as 400);
}

/** FastAPI/pydantic v2 request-validation body for missing fields: 422 `{"detail":[{type,loc,msg,input}]}`. */
function missingFields(c: Context, body: Record<string, unknown> | null | undefined, fields: string[]): Response | null {
  const errors = fields
    .filter((f) => typeof body?.[f] !== 'string')
    .map((f) =>
      body?.[f] === undefined
        ? { type: 'missing', loc: ['body', f], msg: 'Field required', input: body ?? null }
        : { type: 'string_type', loc: ['body', f], msg: 'Input should be a valid string', input: body[f] },
    );
  return errors.length ? c.json({ detail: errors }, 422) : null;
}

/** What Razorpay Checkout returns as razorpay_signature: hex HMAC-SHA256(key_secret, `${order_id}|${payment_id}`). */
export function signRazorpayPayment(keySecret: string, orderId: string, paymentId: string): string {
  return createHmac('sha256', keySecret).update(`${orderId}|${paymentId}`).digest('hex');
}

/** Builds the fake's Hono app and the handles its driver needs. */
export function createMintokenApp(options: MintokenFakeOptions = {}) {
  const now = options.now ?? Date.now;
  const jwtSecret = new TextEncoder().encode(options.supabaseJwtSecret ?? 'supabase-jwt-secret-for-tests-0123456789');
  const audience = options.audience === undefined ? 'authenticated' : options.audience;
  let razorpay = options.razorpay === undefined ? { keyId: 'rzp_test_tollgate', keySecret: 'rzp_secret_tollgate' } : options.razorpay;
  let orderFailures = 0;
  const faults = new FaultInjector();
  const state: MintokenState = { profiles: new Map(), orders: new Map(), audit: [], verifications: [] };
  const planOf = (userId: string): MintokenPlan => state.profiles.get(userId)?.plan ?? 'free';

  const app = new Hono<Env>();
  app.use(
    '*',
    faults.middleware((c, fault) =>
      fault.kind === 'rate_limited' ? detail(c, 429, 'Too many requests') : detail(c, fault.status, 'Internal Server Error'),
    ),
  );

  // docs/upstream/mintoken-billing-api.txt: "Authentication: Supabase JWT (the access_token from POST /v1/auth/login)".
  app.use('/v1/billing/razorpay/*', async (c, next) => {
    const token = bearerToken(c.req.header('Authorization'));
    if (token === null) return detail(c, 401, 'Not authenticated');
    try {
      const { payload } = await jwtVerify(token, jwtSecret, {
        algorithms: ['HS256'],
        ...(audience ? { audience } : {}),
        currentDate: new Date(now()),
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') return detail(c, 401, 'Invalid token: missing sub');
      c.set('userId', payload.sub);
    } catch {
      return detail(c, 401, 'Invalid or expired token');
    }
    await next();
  });

  app.post('/v1/billing/razorpay/order', async (c) => {
    const { value } = await readJsonObject(c);
    const invalid = missingFields(c, value, ['plan']);
    if (invalid) return invalid;
    const plan = value!.plan as string;
    if (plan !== 'pro' && plan !== 'team') return detail(c, 400, 'Unsupported plan slug');
    if (!razorpay) return detail(c, 503, 'Razorpay credentials are not configured');
    if (orderFailures > 0) {
      orderFailures -= 1;
      return detail(c, 502, 'Razorpay order creation failed');
    }
    // Razorpay order ids are `order_` + 14 base62 characters.
    const order: MintokenOrder = {
      order_id: `order_${randomId(14)}`,
      amount: MINTOKEN_ORDERABLE_PLANS[plan],
      currency: 'INR',
      plan,
      user_id: c.get('userId'),
      created_at: now(),
    };
    state.orders.set(order.order_id, order);
    return c.json({ order_id: order.order_id, amount: order.amount, currency: order.currency, key_id: razorpay.keyId, plan: order.plan });
  });

  app.post('/v1/billing/razorpay/verify', async (c) => {
    const { value } = await readJsonObject(c);
    const invalid = missingFields(c, value, ['plan', 'razorpay_order_id', 'razorpay_payment_id', 'razorpay_signature']);
    if (invalid) return invalid;
    const body = value as Record<string, string>;
    if (!razorpay) return detail(c, 503, 'Razorpay credentials are not configured');
    const expected = Buffer.from(signRazorpayPayment(razorpay.keySecret, body.razorpay_order_id!, body.razorpay_payment_id!), 'utf8');
    const given = Buffer.from(body.razorpay_signature!, 'utf8');
    const ok = expected.length === given.length && timingSafeEqual(expected, given);
    state.verifications.push({ order_id: body.razorpay_order_id, payment_id: body.razorpay_payment_id, ok });
    if (!ok) return detail(c, 400, 'Invalid payment signature');
    // docs/upstream/mintoken-billing-api.txt: plan "Must match" the order; the rejection messages below are our assumption.
    const order = state.orders.get(body.razorpay_order_id!);
    if (!order || order.user_id !== c.get('userId')) return detail(c, 400, 'Unknown order');
    if (order.plan !== body.plan) return detail(c, 400, 'Plan does not match order');
    const userId = c.get('userId');
    const oldPlan = planOf(userId);
    state.profiles.set(userId, { plan: order.plan });
    state.audit.push({ user_id: userId, old_plan: oldPlan, new_plan: order.plan, payment_id: body.razorpay_payment_id!, order_id: order.order_id, at: now() });
    return c.json({ message: 'Plan upgraded', old_plan: oldPlan, new_plan: order.plan, payment_id: body.razorpay_payment_id });
  });

  app.all('*', (c) => detail(c, 404, 'Not Found'));

  const control = {
    ...faults.controls(),
    reset(): void {
      faults.reset();
      orderFailures = 0;
    },
    /** The next `count` order creations answer 502 ("Razorpay upstream rejected the order creation"). */
    failOrderCreation(count = 1): void {
      orderFailures = count;
    },
    /** null drops the credentials (→ 503). */
    setRazorpay(credentials: { keyId: string; keySecret: string } | null): void {
      razorpay = credentials;
    },
    /** A fresh Razorpay payment id, `pay_` + 14 base62 characters. */
    newPaymentId: (): string => `pay_${randomId(14)}`,
    /** The razorpay_signature a real Razorpay Checkout hands the browser for this order and payment. */
    signPayment(orderId: string, paymentId: string): string {
      if (!razorpay) throw new Error('mintoken fake: no Razorpay credentials configured');
      return signRazorpayPayment(razorpay.keySecret, orderId, paymentId);
    },
    /** A Supabase-style access token for `sub`, signed with the configured secret. */
    async issueJwt(sub: string, claims: { expiresInSeconds?: number; email?: string } = {}): Promise<string> {
      const iat = Math.floor(now() / 1000);
      return new SignJWT({ role: 'authenticated', ...(claims.email ? { email: claims.email } : {}) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setAudience(audience ?? 'authenticated')
        .setIssuedAt(iat)
        .setExpirationTime(iat + (claims.expiresInSeconds ?? 3600))
        .sign(jwtSecret);
    },
    setPlan(userId: string, plan: MintokenPlan): void {
      state.profiles.set(userId, { plan });
    },
  };

  return { app, state, control };
}

export type MintokenControl = ReturnType<typeof createMintokenApp>['control'];

/** Starts the Mintoken fake on 127.0.0.1; endpoints live under `url + /v1/billing/razorpay`. */
export async function startMintokenFake(options: MintokenFakeOptions = {}): Promise<{
  url: string;
  close(): Promise<void>;
  state: MintokenState;
  control: MintokenControl;
}> {
  const fake = createMintokenApp(options);
  const server = await listen(fake.app);
  return { url: server.url, state: fake.state, control: fake.control, close: server.close };
}
