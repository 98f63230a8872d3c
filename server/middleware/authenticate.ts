// Authentication of /v1 requests: who is calling (the partner's API key, a customer session, or nobody),
// set on the context for the rate limiter and the routes. A bad token is not refused here: the route that
// needs a caller answers 401 (requireCustomer, requireApiKey in server/http.ts), and the call counts per IP.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import { apiKeyId, bearer, isApiKey } from '../http.js';

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Webhooks are signed, not authenticated; a preflight carries no credentials.
    if (c.req.path.startsWith('/v1/webhooks/') || c.req.method === 'OPTIONS') return next();
    const token = bearer(c);
    if (token && isApiKey(c.get('deps').config.apiKey, token)) c.set('apiKeyId', apiKeyId(token));
    else if (token) {
      try {
        c.set('customer', await c.get('deps').verifyToken(token));
      } catch {
        // counted against the IP; the route answers 401
      }
    }
    await next();
  };
}
