// Every request: a request id (in X-Request-Id and the error envelope), the deps on the context, one log line.
import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../context.js';
import { newRequestId } from '../errors.js';

export function requestLog(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = newRequestId();
    c.set('requestId', requestId);
    c.set('deps', deps);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    // Set before next(), so c.json() builds its answer with it; a Response a handler built itself (a
    // replay, a static file) gets it here. Reading a cached response's headers does not rebuild it.
    if (!c.res.headers.has('X-Request-Id')) c.res.headers.set('X-Request-Id', requestId);
    // The path only: queries can carry tokens (EventSource), and no header or body is ever logged.
    deps.log.info('request', { request_id: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), customer: c.get('customer')?.customerId });
  };
}
