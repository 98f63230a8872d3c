// Rate limits of /v1 requests: per customer for customer sessions, per API key for the partner's backend,
// per IP for unauthenticated and failed-auth calls, counting the caller that authenticate() found.
// Webhooks are exempt (providers retry on 429 and their signatures are checked anyway).
import type { MiddlewareHandler } from 'hono';
import type { ServerConfig } from '../config.js';
import type { AppEnv } from '../context.js';
import { clientIp } from '../http.js';
import type { Logger } from '../log.js';
import { createRateLimiter } from '../security/rate-limit.js';
import type { Store } from '../store/index.js';

export function rateLimits(options: { config: ServerConfig; store: Store; log: Logger; now: () => Date; sharedRateLimits?: boolean }): MiddlewareHandler<AppEnv> {
  const { config, store, log, now } = options;
  const clockMs = () => now().getTime();
  // On PostgreSQL several instances may share the store: count there, so the limits hold across them.
  const shared = options.sharedRateLimits ?? store.engine === 'postgres';
  const limiter = (bucket: keyof ServerConfig['file']['rate_limits']) =>
    createRateLimiter({ bucket, limit: config.file.rate_limits[bucket].limit, windowS: config.file.rate_limits[bucket].window_s, shared, sql: store, now: clockMs, log });
  const customerLimit = limiter('customer');
  const apiKeyLimit = limiter('api_key');
  const ipLimit = limiter('ip');
  return async (c, next) => {
    if (c.req.path.startsWith('/v1/webhooks/') || c.req.method === 'OPTIONS') return next();
    const apiKey = c.get('apiKeyId');
    const customer = c.get('customer');
    if (apiKey) await apiKeyLimit.hit(`api_key:${apiKey}`);
    else if (customer) await customerLimit.hit(`customer:${customer.customerId}`);
    else await ipLimit.hit(`ip:${clientIp(c)}`);
    await next();
  };
}
