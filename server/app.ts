// The Hono app: request ids, CORS, body limit, rate limits, the error envelope, and one sub-app per area.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { Catalog } from './catalog.js';
import { SUBSCRIBED_BEFORE_SQL } from './billing.js';
import type { ServerConfig } from './config.js';
import type { AppDeps, AppEnv } from './context.js';
import { AppError, errorBody, newRequestId } from './errors.js';
import { answerLocale, apiKeyId, bearer, clientIp, isApiKey } from './http.js';
import type { Logger } from './log.js';
import { createProviders } from './providers/index.js';
import { razorpaySimulatorOf } from './providers/razorpay/index.js';
import { ProviderRegistry } from './providers/registry.js';
import type { Provider, ProviderDeps } from './providers/types.js';
import type { FetchLike } from './providers/upstream.js';
import { accountRoutes } from './routes/account.js';
import { checkoutRoutes } from './routes/checkout.js';
import { pageRoutes } from './routes/pages.js';
import { sessionRoutes } from './routes/sessions.js';
import { createRateLimiter, type Limiter } from './security/rate-limit.js';
import { createTokenVerifier } from './security/tokens.js';
import type { Store } from './store/index.js';

export interface CreateAppOptions {
  config: ServerConfig;
  store: Store;
  log: Logger;
  now?: () => Date;
  /** fetch used for live upstream calls (tests inject nothing: the fakes are real HTTP servers). */
  fetch?: FetchLike;
  /** Delay of the sandbox's webhooks after a payment ("a moment later"). */
  sandboxWebhookDelayMs?: number;
  /** Count rate limits in the store (shared by instances); default: on PostgreSQL, not on PGlite (one process). */
  sharedRateLimits?: boolean;
  /** The providers; defaults to all six (providers/index.ts). */
  providers?: (deps: ProviderDeps) => Provider[];
}

export interface TollgateApp {
  app: Hono<AppEnv>;
  deps: AppDeps;
  /** The in-server Razorpay simulator when Razorpay runs in sandbox mode. */
  razorpaySandbox?: ReturnType<typeof razorpaySimulatorOf>;
  /** Stop the providers' background work. */
  close(): Promise<void>;
}

/** The error a body read fails with when the connection closed under it (Node's `aborted`, the adapter's own). */
function clientAbort(err: unknown): boolean {
  return err instanceof Error && ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || err.name === 'AbortError' || /aborted|prematurely closed/i.test(err.message));
}

export function createApp(options: CreateAppOptions): TollgateApp {
  const { config, store, log } = options;
  const now = options.now ?? (() => new Date());
  const fetchFn = options.fetch ?? globalThis.fetch;
  const catalog = new Catalog(config.file);
  const app = new Hono<AppEnv>();

  // The sandbox's webhooks go to the server's own endpoint as real signed requests, through the whole app.
  const deliverToSelf = async (path: string, init: RequestInit) => app.fetch(new Request(config.publicUrl + path, init));

  const baseDeps = {
    config,
    store,
    log,
    catalog,
    now,
    verifyToken: createTokenVerifier({
      sessionSecret: config.sessionSecret,
      sessionTtlSeconds: config.file.session_ttl_seconds,
      now,
      external: config.file.external_jwt
        ? {
            secret: config.externalJwtSecret,
            jwksUrl: config.file.external_jwt.jwks_url,
            issuer: config.file.external_jwt.issuer,
            audience: config.file.external_jwt.audience,
            customerClaim: config.file.external_jwt.customer_claim,
            emailClaim: config.file.external_jwt.email_claim,
          }
        : undefined,
    }),
  };

  const providers = (options.providers ?? createProviders)({ ...baseDeps, fetch: fetchFn, deliverToSelf, sandboxWebhookDelayMs: options.sandboxWebhookDelayMs });
  const deps: AppDeps = { ...baseDeps, providers: new ProviderRegistry(providers) };

  const clockMs = () => now().getTime();
  // On PostgreSQL several instances may share the store: count there, so the limits hold across them.
  const sharedLimits = options.sharedRateLimits ?? store.engine === 'postgres';
  const limiter = (bucket: keyof ServerConfig['file']['rate_limits']) =>
    createRateLimiter({ bucket, limit: config.file.rate_limits[bucket].limit, windowS: config.file.rate_limits[bucket].window_s, shared: sharedLimits, sql: store, now: clockMs, log });
  const customerLimit = limiter('customer');
  const apiKeyLimit = limiter('api_key');
  const ipLimit = limiter('ip');

  app.use('*', async (c, next) => {
    const requestId = newRequestId();
    c.set('requestId', requestId);
    c.set('deps', deps);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    c.res.headers.set('X-Request-Id', requestId);
    // The path only: queries can carry tokens (EventSource), and no header or body is ever logged.
    log.info('request', { request_id: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), customer: c.get('customer')?.customerId });
  });

  // One CORS policy for every route a partner page's scripts call: the API, and the sandbox's routes that
  // the simulated checkout modal posts to from the partner's origin.
  const corsPolicy = cors({
    origin: (origin) => (config.sandbox || config.file.allowed_origins.some((o) => new URL(o).origin === origin) ? origin : null),
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Accept-Language'],
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    exposeHeaders: ['X-Request-Id', 'Idempotent-Replay', 'Retry-After'],
    maxAge: 600,
  });
  app.use('/v1/*', corsPolicy);
  app.use('/sandbox/*', corsPolicy);

  app.use(
    '*',
    bodyLimit({
      maxSize: config.file.body_limit_bytes,
      // The connection closes after the 413 (server/serve.ts reads off the rest of the body first, so the
      // client reads the answer rather than a reset).
      onError: () => {
        throw new AppError('payload_too_large', `The request body is larger than ${config.file.body_limit_bytes} bytes`, { headers: { Connection: 'close' } });
      },
    }),
  );

  // Rate limits: per customer for customer sessions, per API key for the partner's backend, per IP for
  // unauthenticated and failed-auth calls. Webhooks are exempt (providers retry on 429 and their signatures
  // are checked anyway).
  app.use('/v1/*', async (c, next) => {
    if (c.req.path.startsWith('/v1/webhooks/') || c.req.method === 'OPTIONS') return next();
    const token = bearer(c);
    let charged: [Limiter, string] | null = null;
    if (token && isApiKey(config.apiKey, token)) charged = [apiKeyLimit, `api_key:${apiKeyId(token)}`];
    else if (token) {
      try {
        const identity = await deps.verifyToken(token);
        c.set('customer', identity);
        charged = [customerLimit, `customer:${identity.customerId}`];
      } catch {
        // counted against the IP below; the route answers 401
      }
    }
    const [limit, key] = charged ?? [ipLimit, `ip:${clientIp(c)}`];
    await limit.hit(key);
    await next();
  });

  app.get('/healthz', async (c) => {
    let storeOk = true;
    try {
      await store.query('SELECT 1');
    } catch {
      storeOk = false;
    }
    return c.json({ ok: storeOk, store: store.engine, sandbox: config.sandbox, providers: deps.providers.modes() }, storeOk ? 200 : 503);
  });

  // `charge` follows ?currency=, else the signed-in customer's currency, else the default; the text
  // follows ?locale= or Accept-Language where the catalog has a translation. A signed-in
  // customer who has subscribed before is offered no trial (the checkout gives none either).
  app.get('/v1/plans', async (c) => {
    let currency = c.req.query('currency');
    let trialUsed = false;
    if (c.get('customer')) {
      const [row] = await store.query<{ currency: string | null; subscribed_before: boolean }>(
        `SELECT currency, ${SUBSCRIBED_BEFORE_SQL} AS subscribed_before FROM customers WHERE id = $1`,
        [c.get('customer')!.customerId],
      );
      currency ||= row?.currency ?? undefined;
      trialUsed = Boolean(row?.subscribed_before);
    }
    const locale = answerLocale(c);
    const plans = catalog.publicPlans(currency && /^[A-Z]{3}$/.test(currency) ? currency : null, locale);
    return c.json({ plans: trialUsed ? plans.map((plan) => (plan.trial_days ? { ...plan, trial_days: 0 } : plan)) : plans, metrics: catalog.publicMetrics(locale) });
  });

  app.route('/', sessionRoutes);
  app.route('/', checkoutRoutes);
  app.route('/', accountRoutes);
  for (const p of providers) if (p.routes) app.route('/', p.routes);
  app.route('/', pageRoutes);

  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`, c.get('requestId')), 404));

  app.onError((err, c) => {
    const requestId = c.get('requestId') ?? 'unknown';
    // The client went away mid-body (an aborted upload, a request timed out in server/serve.ts): reading the
    // body failed, nobody reads an answer and nothing went wrong here. 499 is the status nginx logs for it.
    if (c.req.raw.signal.aborted && clientAbort(err)) {
      log.info('client went away', { request_id: requestId, method: c.req.method, path: c.req.path, error: err instanceof Error ? err.message : String(err) });
      return c.body(null, 499 as 400);
    }
    if (err instanceof AppError) {
      if (err.status >= 500) log.warn('request failed', { request_id: requestId, code: err.code, cause_code: (err.cause as { code?: string } | undefined)?.code ?? null });
      return c.json(errorBody(err.code, err.message, requestId), err.status as 400, err.headers);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthenticated' : 'validation_error';
      return c.json(errorBody(code, err.message || 'Bad request', requestId), status);
    }
    log.error('unhandled error', { request_id: requestId, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), stack: err instanceof Error ? err.stack?.split('\n').slice(0, 4).join(' | ') : undefined });
    return c.json(errorBody('internal_error', 'Something went wrong on our side; it has been logged', requestId), 500);
  });

  return {
    app,
    deps,
    razorpaySandbox: razorpaySimulatorOf(deps.providers),
    async close() {
      await Promise.all(providers.map((p) => p.close?.()));
    },
  };
}
