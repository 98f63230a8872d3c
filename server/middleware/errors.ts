// The error envelope for everything that fails: unknown routes, AppError, Hono's HTTPException, and a generic 500.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../context.js';
import { AppError, errorBody } from '../errors.js';
import type { Logger } from '../log.js';

/** The error a body read fails with when the connection closed under it (Node's `aborted`, the adapter's own). */
function clientAbort(err: unknown): boolean {
  return err instanceof Error && ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || err.name === 'AbortError' || /aborted|prematurely closed/i.test(err.message));
}

export function notFound(c: Context<AppEnv>): Response {
  return c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`, c.get('requestId')), 404);
}

export function onError(log: Logger): (err: Error, c: Context<AppEnv>) => Response {
  return (err, c) => {
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
  };
}
