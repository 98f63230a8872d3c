// The Hono app's wiring: the providers, the middleware (request id, CORS, body limit, authentication, rate
// limits, the error envelope) and one sub-app per area. What each does lives in middleware/ and routes/.
import { Hono } from 'hono';
import { getPath } from 'hono/utils/url';
import { Catalog } from './catalog.js';
import type { ServerConfig } from './config.js';
import type { AppDeps, AppEnv } from './context.js';
import type { Logger } from './log.js';
import { authenticate } from './middleware/authenticate.js';
import { bodySizeLimit, corsPolicy } from './middleware/edge.js';
import { notFound, onError } from './middleware/errors.js';
import { rateLimits } from './middleware/rate-limits.js';
import { requestLog } from './middleware/request-log.js';
import { createProviders } from './providers/index.js';
import { razorpaySimulatorOf } from './providers/razorpay/index.js';
import { ProviderRegistry } from './providers/registry.js';
import { WebhookInbox } from './providers/webhook-inbox.js';
import type { Provider, ProviderDeps } from './providers/types.js';
import type { FetchLike } from './providers/upstream.js';
import { accountRoutes } from './routes/account.js';
import { portalRoutes } from './routes/portal.js';
import { catalogRoutes } from './routes/catalog.js';
import { checkoutRoutes } from './routes/checkout.js';
import { seatRoutes } from './routes/seats.js';
import { healthRoutes } from './routes/health.js';
import { openApiRoutes } from './routes/openapi.js';
import { pageRoutes } from './routes/pages.js';
import { partnerRoutes } from './routes/partner.js';
import { receiptRoutes } from './routes/receipts.js';
import { jwksRoutes } from './routes/jwks.js';
import { sessionRoutes } from './routes/sessions.js';
import { webhookDeliveryRoutes } from './routes/webhook-deliveries.js';
import { PartnerWebhooks, type PartnerWebhookOptions } from './services/partner-webhooks.js';
import { createTokenVerifier } from './security/tokens.js';
import { EntitlementTokens } from './security/entitlement-tokens.js';
import { CustomerViews } from './store/customer-views.js';
import { syncReceiptSettings } from './store/receipts.js';
import { receiptSettingsOf } from './services/receipts.js';
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
  /** The partner webhooks' retry schedule and sweep (tests: milliseconds rather than hours). */
  partnerWebhooks?: PartnerWebhookOptions;
}

export interface TollgateApp {
  /** The routes, at the root. */
  app: Hono<AppEnv>;
  /** The app's fetch handler (the same as app.fetch): a path under the config's mount path is routed without it. */
  fetch: (request: Request) => Response | Promise<Response>;
  deps: AppDeps;
  /** The in-server Razorpay simulator when Razorpay runs in sandbox mode. */
  razorpaySandbox?: ReturnType<typeof razorpaySimulatorOf>;
  /** Resolves once the store numbers receipts with this config's series, format and seller (store/receipts.ts). */
  receiptsReady: Promise<void>;
  /** Stop the providers' background work. */
  close(): Promise<void>;
}

export function createApp(options: CreateAppOptions): TollgateApp {
  const { config, store, log } = options;
  const now = options.now ?? (() => new Date());
  const fetchFn = options.fetch ?? globalThis.fetch;
  const catalog = new Catalog(config.file);
  // Mounted under a path (`https://app.example/billing`): `/billing/v1/plans` is routed as `/v1/plans`, and so is
  // `/v1/plans` itself, which is what a framework that strips the mount path (Express's app.use, Hono's mount) passes on.
  const app = new Hono<AppEnv>(config.basePath ? { getPath: withoutBasePath(config.basePath) } : {});

  // The sandbox's webhooks go to the server's own endpoint as real signed requests, through the whole app.
  const deliverToSelf = async (path: string, init: RequestInit) => app.fetch(new Request(config.publicUrl + path, init));

  const baseDeps = appBaseDeps(config, store, log, now, catalog, options.partnerWebhooks);

  const providers = (options.providers ?? createProviders)({ ...baseDeps, fetch: fetchFn, deliverToSelf, sandboxWebhookDelayMs: options.sandboxWebhookDelayMs });
  const deps: AppDeps = { ...baseDeps, providers: new ProviderRegistry(providers) };

  app.use('*', requestLog(deps));
  app.use('/v1/*', corsPolicy(config));
  app.use('/sandbox/*', corsPolicy(config));
  app.use('*', bodySizeLimit(config));
  app.use('/v1/*', authenticate());
  app.use('/v1/*', rateLimits({ config, store, log, now, sharedRateLimits: options.sharedRateLimits }));

  app.route('/', healthRoutes);
  app.route('/', openApiRoutes);
  app.route('/', catalogRoutes);
  app.route('/', sessionRoutes);
  app.route('/', checkoutRoutes);
  app.route('/', seatRoutes);
  app.route('/', accountRoutes);
  app.route('/', portalRoutes);
  app.route('/', partnerRoutes);
  app.route('/', receiptRoutes);
  app.route('/', webhookDeliveryRoutes);
  app.route('/', jwksRoutes);
  for (const p of providers) if (p.routes) app.route('/', p.routes);
  app.route('/', pageRoutes);

  app.notFound(notFound);
  app.onError(onError(log));
  // Every provider's endpoint is registered: apply what a crash left stored but not applied, and keep looking.
  deps.webhookInbox.start();
  deps.partnerWebhooks.start();
  const receiptsReady = syncReceiptSettings(store, receiptSettingsOf(config)).catch((err: unknown) => {
    log.error('receipts: the receipts config could not be written to the store; receipts are numbered with the previous one', { error: String(err) });
  });

  return {
    app,
    fetch: app.fetch,
    deps,
    razorpaySandbox: razorpaySimulatorOf(deps.providers),
    receiptsReady,
    async close() {
      await receiptsReady;
      await Promise.all(providers.map((p) => p.close?.()));
      await deps.webhookInbox.close();
      await deps.partnerWebhooks.close();
    },
  };
}

/**
 * What every part of the app is built with, but the providers and their fetch: the config, store, log, catalog,
 * clock, cached customer views, webhook inbox, partner webhooks and token verifier (`tollgate check-config` builds the providers on it).
 */
export function appBaseDeps(config: ServerConfig, store: Store, log: Logger, now: () => Date, catalog = new Catalog(config.file), partnerWebhooks: PartnerWebhookOptions = {}): Omit<AppDeps, 'providers'> {
  return {
    config,
    store,
    log,
    catalog,
    now,
    customerViews: new CustomerViews(store, catalog.freePlan.id),
    webhookInbox: new WebhookInbox({ store, log, acknowledge: config.file.webhooks.acknowledge }),
    partnerWebhooks: new PartnerWebhooks({ store, log, endpoints: config.partnerWebhooks, ...partnerWebhooks }),
    entitlementTokens: new EntitlementTokens({ keys: config.entitlementKeys.keys, issuer: config.publicUrl, audience: config.file.entitlement_tokens.audience, ttlSeconds: config.file.entitlement_tokens.ttl_seconds }),
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
}

/** Hono's path of a request, less a leading mount path (`/billing`, `/billing/…`; not `/billingx`). */
function withoutBasePath(basePath: string): (request: Request) => string {
  return (request) => {
    const path = getPath(request);
    if (!path.startsWith(basePath)) return path;
    if (path.length === basePath.length) return '/';
    return path.charCodeAt(basePath.length) === 47 /* '/' */ ? path.slice(basePath.length) : path;
  };
}
