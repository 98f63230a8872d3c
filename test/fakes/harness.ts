// Shared plumbing for the billing-API fakes: listening on an ephemeral port, fault injection, call counting, signed webhook delivery.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';

/** The fault a request was answered with instead of reaching the fake's handler. */
export type InjectedFault = { kind: 'server_error'; status: number } | { kind: 'rate_limited'; retryAfterSeconds: number };

/** Renders an injected fault in the upstream's own error envelope (each upstream shapes errors differently). */
export type FaultRenderer = (c: Context, fault: InjectedFault) => Response | Promise<Response>;

/**
 * Fault injection and call counting shared by every fake. Faults run before auth and idempotency,
 * the way a load balancer or an overloaded upstream fails, so a client retry after the fault reaches
 * the real handler and nothing was cached for it.
 */
export class FaultInjector {
  /** Calls per route, keyed `METHOD /route/pattern` (the Hono pattern, e.g. `GET /api/v1/orders/:order_id`); unmatched paths count under `METHOD <unmatched>`. */
  readonly calls: Record<string, number> = {};
  private serverErrors: { remaining: number; status: number } = { remaining: 0, status: 500 };
  private rateLimits: { remaining: number; retryAfterSeconds: number } = { remaining: 0, retryAfterSeconds: 1 };
  private delay: { ms: number; remaining: number } = { ms: 0, remaining: 0 };

  /** The next `count` requests answer `status` (default 500) in the upstream's error envelope. */
  failNext(count = 1, status = 500): void {
    this.serverErrors = { remaining: count, status };
  }

  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count = 1, retryAfterSeconds = 1): void {
    this.rateLimits = { remaining: count, retryAfterSeconds };
  }

  /** Delay the next `count` responses (default: every response until `reset()`) by `ms`, to exercise client timeouts. */
  delayResponses(ms: number, count = Number.POSITIVE_INFINITY): void {
    this.delay = { ms, remaining: count };
  }

  /** Total calls to one route key, 0 when never called. */
  callCount(routeKey: string): number {
    return this.calls[routeKey] ?? 0;
  }

  /** Clears pending faults, delays and counters. */
  reset(): void {
    this.serverErrors = { remaining: 0, status: 500 };
    this.rateLimits = { remaining: 0, retryAfterSeconds: 1 };
    this.delay = { ms: 0, remaining: 0 };
    for (const key of Object.keys(this.calls)) delete this.calls[key];
  }

  /** The fault hooks every fake's `control` exposes (spread it in; a fake may override `reset`). */
  controls() {
    return {
      faults: this as FaultInjector,
      calls: this.calls,
      failNext: this.failNext.bind(this),
      rateLimitNext: this.rateLimitNext.bind(this),
      delayResponses: this.delayResponses.bind(this),
      callCount: this.callCount.bind(this),
      reset: () => this.reset(),
    };
  }

  /** The middleware that applies this injector; mount it first with `app.use('*', …)`. */
  middleware(render: FaultRenderer): MiddlewareHandler {
    return async (c, next) => {
      const routes = matchedRoutes(c);
      const handlerRoute = [...routes].reverse().find((route) => route.method !== 'ALL');
      const key = `${c.req.method} ${handlerRoute ? handlerRoute.path : '<unmatched>'}`;
      this.calls[key] = (this.calls[key] ?? 0) + 1;

      if (this.delay.remaining > 0 && this.delay.ms > 0) {
        this.delay.remaining -= 1;
        await new Promise((resolve) => setTimeout(resolve, this.delay.ms));
      }
      if (this.serverErrors.remaining > 0) {
        this.serverErrors.remaining -= 1;
        c.res = await render(c, { kind: 'server_error', status: this.serverErrors.status });
        return;
      }
      if (this.rateLimits.remaining > 0) {
        this.rateLimits.remaining -= 1;
        const response = await render(c, { kind: 'rate_limited', retryAfterSeconds: this.rateLimits.retryAfterSeconds });
        response.headers.set('Retry-After', String(this.rateLimits.retryAfterSeconds));
        c.res = response;
        return;
      }
      await next();
    };
  }
}

type ServeOptions = Parameters<typeof serve>[0];

/** A running fake: its base URL and a way to stop it. */
export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves a Hono app on 127.0.0.1 at an ephemeral port. */
export async function listen(app: { fetch: ServeOptions['fetch'] }): Promise<Listening> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            // Keep-alive sockets from fetch() would hold close() open; drop them.
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close((err) => (err ? fail(err) : done()));
          }),
      });
    });
  });
}

/** Lazily resolved public base URL: known only after `listen()`, needed by handlers to mint checkout URLs on the fake itself. */
export class BaseUrl {
  constructor(private value: string) {}
  get(): string {
    return this.value;
  }
  set(url: string): void {
    this.value = url;
  }
}

/** Lower-case hex HMAC-SHA256 of `${t}.${body}` — the scheme both mintbot and Stripe sign webhooks with. */
export function hmacTimestampedHex(secret: string, body: string, t: number): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** One webhook POST the fake made (or tried to make). */
export interface WebhookDelivery {
  eventId: string;
  eventType: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** HTTP status the receiver answered, or null when the request failed (error set). */
  status: number | null;
  error: string | null;
  attempt: number;
}

/** POSTs a raw body with the given headers; never throws — failures are recorded on the delivery. */
export async function deliverWebhook(
  delivery: Omit<WebhookDelivery, 'status' | 'error'>,
  timeoutMs: number,
): Promise<WebhookDelivery> {
  try {
    const res = await fetch(delivery.url, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return { ...delivery, status: res.status, error: null };
  } catch (err) {
    return { ...delivery, status: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Tracks promises the fake started on its own (auto webhooks) so `close()` can wait for them. */
export class PendingWork {
  private readonly pending = new Set<Promise<unknown>>();
  track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
    return promise;
  }
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

/** Sliding-window request log per bucket key, for the documented rolling-window rate limits. */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records a hit when under the limit; otherwise returns the seconds until a slot frees up. */
  take(key: string, nowMs: number): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const recent = (this.hits.get(key) ?? []).filter((at) => at > nowMs - this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      const oldest = recent[0] ?? nowMs;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - nowMs) / 1000)) };
    }
    recent.push(nowMs);
    this.hits.set(key, recent);
    return { allowed: true };
  }

  reset(): void {
    this.hits.clear();
  }
}

/** Random id suffix in the alphabet upstream ids use. */
export function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

export { randomUUID };

/** Reads a JSON object body; undefined when the body is empty, null when it is not a JSON object. */
export async function readJsonObject(c: Context): Promise<{ raw: string; value: Record<string, unknown> | null | undefined }> {
  const raw = await c.req.text();
  if (raw.trim() === '') return { raw, value: undefined };
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { raw, value: parsed as Record<string, unknown> };
    return { raw, value: null };
  } catch {
    return { raw, value: null };
  }
}

/** The bearer token from an Authorization header; null when the header is absent or not `Bearer <token>`. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? (match[1] ?? null) : null;
}
