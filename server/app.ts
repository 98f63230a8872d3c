// The Hono app's wiring: the providers, the middleware (request id, CORS, body limit, authentication, rate
// limits, the error envelope) and one sub-app per area. What each does lives in middleware/ and routes/.
import { Hono } from 'hono';
import { Catalog } from './catalog.js';
import type { ServerConfig } from './config.js';
import type { AppDeps, AppEnv } from './context.js';
import type { Logger } from './log.js';
import { authenticate } from './middleware/authenticate.js';
import { bodySizeLimit, corsPolicy } from './middleware/edge.js';
import { notFound, onError } from './middleware/errors.js';
import { rateLimits } from './middleware/rate-limits.js';
import { requestLog } from './middleware/request-log.js';
import { createRazorpayProvider, RAZORPAY_CHECKOUT_JS } from './providers/razorpay/index.js';
import { ProviderRegistry } from './providers/registry.js';
import type { Provider } from './providers/types.js';
import type { FetchLike } from './providers/upstream.js';
import { extraProviders as defaultExtraProviders, type ExtraProviderDeps } from './providers/extra.js';
import { accountRoutes } from './routes/account.js';
import { catalogRoutes } from './routes/catalog.js';
import { checkoutRoutes } from './routes/checkout.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/pages.js';
import { sessionRoutes } from './routes/sessions.js';
import { createRazorpaySimulator, type RazorpaySimulator } from './sandbox/razorpay-simulator.js';
import { sandboxRazorpayRoutes } from './sandbox/routes.js';
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
  /** Providers beyond Razorpay (Stripe, the seed backends); defaults to every module in providers/extra.ts. */
  extraProviders?: (deps: ExtraProviderDeps) => Provider[];
}

export interface TollgateApp {
  app: Hono<AppEnv>;
  deps: AppDeps;
  /** The in-server Razorpay simulator when Razorpay runs in sandbox mode. */
  razorpaySandbox?: RazorpaySimulator;
  /** Stop the providers' background work. */
  close(): Promise<void>;
}

export function createApp(options: CreateAppOptions): TollgateApp {
  const { config, store, log } = options;
  const now = options.now ?? (() => new Date());
  const fetchFn = options.fetch ?? globalThis.fetch;
  const catalog = new Catalog(config.file);
  const app = new Hono<AppEnv>();

  // The sandbox's webhooks go to the server's own endpoint as real signed requests, through the whole app.
  const deliverToSelf = async (path: string, init: RequestInit) => app.fetch(new Request(config.publicUrl + path, init));

  let razorpaySandbox: RazorpaySimulator | undefined;
  let razorpayFetch = fetchFn;
  const razorpaySecrets = { ...config.razorpay };
  if (config.razorpay.mode === 'sandbox') {
    razorpaySandbox = createRazorpaySimulator({
      keyId: razorpaySecrets.keyId,
      keySecret: razorpaySecrets.keySecret,
      webhookSecret: razorpaySecrets.webhookSecret,
      webhookDelayMs: options.sandboxWebhookDelayMs ?? 1500,
      deliver: async (d) => {
        const res = await deliverToSelf('/v1/webhooks/razorpay', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Razorpay-Signature': d.signature, 'X-Razorpay-Event-Id': d.eventId },
          body: d.body,
        });
        if (!res.ok) log.warn('sandbox webhook rejected', { event_id: d.eventId, status: res.status });
      },
    });
    // Same client code as live, talking to the simulated API in-process.
    razorpaySecrets.apiBase = 'http://razorpay.sandbox.invalid';
    const api = razorpaySandbox.api;
    razorpayFetch = async (input, init) => api.fetch(new Request(input, init));
  }

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

  const providers: Provider[] = [
    createRazorpayProvider({
      secrets: razorpaySecrets,
      businessName: config.file.name,
      themeColor: config.file.providers.razorpay?.theme_color,
      store,
      log,
      now,
      timeoutMs: config.file.upstream_timeout_ms,
      fetch: razorpayFetch,
      scriptUrl: config.razorpay.mode === 'sandbox' ? `${config.publicUrl}/sandbox/razorpay/checkout.js` : RAZORPAY_CHECKOUT_JS,
    }),
    ...(options.extraProviders ?? defaultExtraProviders)({ ...baseDeps, fetch: fetchFn, deliverToSelf }),
  ];
  const deps: AppDeps = { ...baseDeps, providers: new ProviderRegistry(providers) };

  app.use('*', requestLog(deps));
  app.use('/v1/*', corsPolicy(config));
  app.use('/sandbox/*', corsPolicy(config));
  app.use('*', bodySizeLimit(config));
  app.use('/v1/*', authenticate());
  app.use('/v1/*', rateLimits({ config, store, log, now, sharedRateLimits: options.sharedRateLimits }));

  app.route('/', healthRoutes);
  app.route('/', catalogRoutes);
  app.route('/', sessionRoutes);
  app.route('/', checkoutRoutes);
  app.route('/', accountRoutes);
  for (const p of providers) if (p.routes) app.route('/', p.routes);
  if (razorpaySandbox) app.route('/', sandboxRazorpayRoutes(razorpaySandbox, razorpaySecrets.keyId));
  app.route('/', pageRoutes);

  app.notFound(notFound);
  app.onError(onError(log));

  return {
    app,
    deps,
    razorpaySandbox,
    async close() {
      await Promise.all(providers.map((p) => p.close?.()));
    },
  };
}
