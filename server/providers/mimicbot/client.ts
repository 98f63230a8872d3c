// MimicBot Billing API client (docs/upstream/mimicbot-billing-api.txt): plain fetch with a timeout and the
// customer's upstream Bearer token; its codes (VALIDATION_ERROR, UNAUTHENTICATED, NO_AGENCY, NOT_FOUND,
// RATE_LIMITED) mapped into our envelope. Only the GET is retried: its POSTs take no idempotency key.
import { AppError } from '../../errors.js';
import { readUpstreamJson, upstreamFetch, type UpstreamFailure, type UpstreamOptions } from '../upstream.js';

import { MIMICBOT_DEFAULT_API_BASE, MIMICBOT_PLANS, type MimicbotPaidPlan } from './settings.js';

export { MIMICBOT_DEFAULT_API_BASE, MIMICBOT_PLANS, type MimicbotPaidPlan };

/** docs/upstream/mimicbot-billing-api.txt "The subscription object". */
export interface MimicbotSubscription {
  plan: 'free' | MimicbotPaidPlan;
  status: 'active' | 'trialing' | 'past_due' | 'canceled' | 'unpaid';
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: string | null;
  usage: Record<string, number>;
}

export interface MimicbotClientOptions extends UpstreamOptions {
  apiBase: string;
  /** A 429 on the subscription GET whose Retry-After is at most this many seconds is waited out once. */
  maxRetryAfterS: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * docs/upstream/mimicbot-billing-api.txt links an "Errors" section it does not include: read the code from `{"error":{"code"}}`,
 * `{"error":"CODE"}` or `{"code"}`, whichever comes.
 */
function errorCodeOf(body: unknown): { code?: string; message?: string } {
  const b = body as { error?: unknown; code?: unknown; message?: unknown } | null;
  if (!b || typeof b !== 'object') return {};
  if (b.error && typeof b.error === 'object') {
    const e = b.error as { code?: unknown; message?: unknown };
    return { code: typeof e.code === 'string' ? e.code : undefined, message: typeof e.message === 'string' ? e.message : undefined };
  }
  if (typeof b.error === 'string') return { code: b.error, message: typeof b.message === 'string' ? b.message : undefined };
  return { code: typeof b.code === 'string' ? b.code : undefined, message: typeof b.message === 'string' ? b.message : undefined };
}

export function mimicbotCodeOf(err: unknown): string | undefined {
  const cause = (err as { cause?: UpstreamFailure })?.cause;
  return cause?.provider === 'mimicbot' ? cause.code : undefined;
}

function mapError(options: MimicbotClientOptions, path: string, status: number, body: unknown, retryAfter: string | null): AppError {
  const { code, message } = errorCodeOf(body);
  const cause: UpstreamFailure = { provider: 'mimicbot', status, code, description: message };
  options.log.warn('upstream error', { provider: 'mimicbot', path, upstream_status: status, upstream_code: code ?? null });
  if (code === 'NOT_FOUND' || (status === 404 && !code)) return new AppError('not_found', 'MimicBot has no billing account for this customer yet', { cause });
  if (code === 'RATE_LIMITED' || status === 429) {
    const seconds = Math.max(1, Math.ceil(Number(retryAfter) || 60));
    return new AppError('upstream_error', `MimicBot is rate limiting this server; retry in ${seconds} s`, { status: 503, cause, headers: { 'Retry-After': String(seconds) } });
  }
  if (code === 'UNAUTHENTICATED' || status === 401) return new AppError('upstream_error', 'MimicBot rejected the token linked to this customer; the operator must set a new one', { cause });
  if (code === 'NO_AGENCY' || status === 403) return new AppError('upstream_error', 'The MimicBot account linked to this customer belongs to no agency', { cause });
  return new AppError('upstream_error', 'The MimicBot API rejected the request', { cause });
}

export class MimicbotClient {
  private readonly sleep: (ms: number) => Promise<void>;
  constructor(private readonly options: MimicbotClientOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** docs/upstream/mimicbot-billing-api.txt "Start a checkout". `origin` decides where Stripe returns (`/settings/billing?success=1` on it). */
  checkout(token: string, plan: MimicbotPaidPlan, origin: string): Promise<{ url: string }> {
    return this.call(token, 'POST', '/api/billing/checkout', { plan }, origin);
  }

  /** docs/upstream/mimicbot-billing-api.txt "Open the customer portal": 404 NOT_FOUND until the agency has a Stripe customer. */
  portal(token: string, origin: string): Promise<{ url: string }> {
    return this.call(token, 'POST', '/api/billing/portal', undefined, origin);
  }

  subscription(token: string): Promise<MimicbotSubscription> {
    return this.call(token, 'GET', '/api/billing/subscription');
  }

  private async call<T>(token: string, method: 'GET' | 'POST', path: string, body?: unknown, origin?: string): Promise<T> {
    const url = this.options.apiBase.replace(/\/$/, '') + path;
    // POSTs are sent once (no idempotency key upstream); the GET may be retried once.
    const attempts = method === 'GET' ? 2 : 1;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      let res: Response;
      try {
        res = await upstreamFetch(this.options, url, {
          method,
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: 'application/json',
            ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
            ...(origin ? { Origin: origin } : {}),
          },
          body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
        });
      } catch (err) {
        if (!last && mimicbotCodeOf(err) === undefined && ((err as AppError).cause as UpstreamFailure | undefined)?.code === 'network_error') continue;
        throw err;
      }
      const json = await readUpstreamJson(res);
      if (res.ok && json && typeof json === 'object') return json as T;
      if (!last && res.status === 429) {
        const seconds = Number(res.headers.get('Retry-After'));
        if (Number.isFinite(seconds) && seconds >= 0 && seconds <= this.options.maxRetryAfterS) {
          await this.sleep(seconds * 1000);
          continue;
        }
      }
      if (!last && res.status >= 500) continue;
      throw mapError(this.options, path, res.status, json, res.headers.get('Retry-After'));
    }
  }
}
