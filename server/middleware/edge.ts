// The request's edge: one CORS policy for the partner page's scripts, and the body size limit.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { ServerConfig } from '../config.js';
import type { AppEnv } from '../context.js';
import { AppError } from '../errors.js';

/**
 * One CORS policy for every route a partner page's scripts call: the API, and the sandbox's routes that
 * the simulated checkout modal posts to from the partner's origin.
 */
export function corsPolicy(config: ServerConfig): MiddlewareHandler<AppEnv> {
  const policy = cors({
    origin: (origin) => (config.sandbox || config.file.allowed_origins.some((o) => new URL(o).origin === origin) ? origin : null),
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Accept-Language'],
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    exposeHeaders: ['X-Request-Id', 'Idempotent-Replay', 'Retry-After'],
    maxAge: 600,
  });
  // A request without Origin (a server, curl, a same-origin GET) needs no CORS headers: only Vary, so that a
  // shared cache keeps it apart from a cross-origin answer. Setting headers on the finished response would
  // take @hono/node-server off its fast path.
  return (c, next) => {
    if (c.req.header('Origin') === undefined && c.req.method !== 'OPTIONS') {
      c.header('Vary', 'Origin');
      return next();
    }
    return policy(c, next);
  };
}

/** Methods whose requests carry no body here: the limit has nothing to count (and reading `body` builds a whole Request). */
const BODILESS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function bodySizeLimit(config: ServerConfig): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new AppError('payload_too_large', `The request body is larger than ${config.file.body_limit_bytes} bytes`, { headers: { Connection: 'close' } });
  };
  const limit = bodyLimit({
    maxSize: config.file.body_limit_bytes,
    // The connection closes after the 413 (server/serve.ts reads off the rest of the body first, so the
    // client reads the answer rather than a reset).
    onError: () => tooLarge(),
  });
  return (c, next) => {
    const length = c.req.header('Content-Length');
    const chunked = c.req.header('Transfer-Encoding') !== undefined;
    // A GET with a body (Content-Length or Transfer-Encoding) is still counted.
    if (BODILESS.has(c.req.method) && length === undefined && !chunked) return next();
    // A declared length is checked as Hono's bodyLimit checks it, but without reading `c.req.raw.body`, which
    // builds a whole WHATWG Request and its stream for every POST: @hono/node-server then reads the body
    // straight off the socket when the route asks for it (readJson's c.req.text()). Node's parser holds the
    // body to its Content-Length. A chunked body is counted as it streams, by Hono's bodyLimit.
    if (length !== undefined && !chunked) return parseInt(length, 10) > config.file.body_limit_bytes ? tooLarge() : next();
    return limit(c, next);
  };
}
