// What every route can reach: the run-time config, the store, the logger, the providers and the clock.
import type { Context } from 'hono';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import type { Store } from './store/index.js';
import type { CustomerIdentity } from './security/tokens.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { Catalog } from './catalog.js';
import type { CustomerViews } from './store/customer-views.js';
import type { WebhookInbox } from './providers/webhook-inbox.js';
import type { PartnerWebhooks } from './services/partner-webhooks.js';
import type { EntitlementTokens } from './security/entitlement-tokens.js';

export interface AppDeps {
  config: ServerConfig;
  store: Store;
  log: Logger;
  catalog: Catalog;
  providers: ProviderRegistry;
  verifyToken: (token: string) => Promise<CustomerIdentity>;
  now: () => Date;
  /** The read paths' cached customer views (store/customer-views.ts). */
  customerViews: CustomerViews;
  /** Verified webhooks, stored before they are acknowledged and applied once (providers/webhook-inbox.ts). */
  webhookInbox: WebhookInbox;
  /** Events to the partner's backend, delivered from the outbox (services/partner-webhooks.ts). */
  partnerWebhooks: PartnerWebhooks;
  /** Signed entitlement tokens and their JWKS (security/entitlement-tokens.ts). */
  entitlementTokens: EntitlementTokens;
}

export type AppEnv = {
  Variables: {
    requestId: string;
    deps: AppDeps;
    /** The verified customer session, once authenticate() (server/middleware/) or a route has checked it. */
    customer?: CustomerIdentity;
    /** The API key's rate-limit identity (apiKeyId in server/http.ts) when the partner's backend calls. */
    apiKeyId?: string;
  };
};

export type AppContext = Context<AppEnv>;
