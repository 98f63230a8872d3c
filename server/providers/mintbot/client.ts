// mintbot Brand Partner API client (docs/upstream/mintbot-partner-api.txt): plain fetch with a timeout, Bearer
// partner key, a name-based UUID Idempotency-Key on every POST, short 429s waited out and a 5xx retried once
// (only GETs and keyed POSTs exist here, so every retry is safe), and mintbot's error codes mapped into our envelope.
import { createHash } from 'node:crypto';
import { AppError } from '../../errors.js';
import { readUpstreamJson, upstreamFetch, type UpstreamFailure, type UpstreamOptions } from '../upstream.js';

export { MINTBOT_DEFAULT_API_BASE } from './settings.js';

/** The namespace of Tollgate's name-based mintbot keys (a fixed random UUID: keys are stable across releases). */
const KEY_NAMESPACE = 'b33c26a6-f40f-4c9f-abf1-aef010379571';

/**
 * The Idempotency-Key for one of our requests (docs/upstream/mintbot-partner-api.txt: "Idempotency-Key: <uuid> on every POST"): a
 * name-based UUID (version 5, RFC 9562 §5.5) of what the request is for, e.g. the checkout id. The same
 * checkout always sends the same key, so a retry (a timeout, a hand-off restart, the browser's retry)
 * gets mintbot's first answer back; another checkout gets another key.
 */
export function mintbotIdempotencyKey(name: string): string {
  const hash = createHash('sha1').update(Buffer.from(KEY_NAMESPACE.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** docs/upstream/mintbot-partner-api.txt "Create order — Response 201" (the OrderResponse every order route returns). */
export interface MintbotOrder {
  id: number;
  tier: string;
  duration_days: number;
  credit_usd: number;
  amount_cents: number;
  currency: string;
  status: 'awaiting_payment' | 'completed' | 'deployed' | 'deploy_failed' | 'expired';
  checkout_url: string;
  panel_url: string | null;
  expires_at: string | null;
  language: string | null;
  external_id: string | null;
  created_at: string;
  paid_at: string | null;
}

export interface MintbotCreateOrder {
  tier: string;
  duration_days: number;
  credit_usd?: number;
  language?: string;
  external_id: string;
  success_url: string;
  cancel_url: string;
  webhook_url: string;
}

export interface MintbotRenewOrder {
  duration_days: number;
  external_id?: string;
  success_url: string;
  cancel_url: string;
}

export interface MintbotClientOptions extends UpstreamOptions {
  apiKey: string;
  apiBase: string;
  /** A 429 whose Retry-After is at most this many seconds is waited out and retried (docs/upstream/mintbot-partner-api.txt "Rate limits"). */
  maxRetryAfterS: number;
  /** Attempts per call in all; 1 disables retries. Short 429s may use them all, a 5xx or network failure is retried once. */
  attempts: number;
  sleep?: (ms: number) => Promise<void>;
}

interface MintbotErrorBody {
  error?: { code?: string; message?: string; request_id?: string };
}

/** Our error for one of mintbot's (docs/upstream/mintbot-partner-api.txt "Errors"), with its status and code in `cause` (logged, never returned). */
function mapError(options: MintbotClientOptions, path: string, status: number, body: MintbotErrorBody | null, retryAfter: string | null): AppError {
  const code = body?.error?.code;
  const cause: UpstreamFailure = { provider: 'mintbot', status, code, description: body?.error?.message };
  options.log.warn('upstream error', { provider: 'mintbot', path, upstream_status: status, upstream_code: code ?? null, upstream_request_id: body?.error?.request_id ?? null });
  switch (code) {
    case 'not_found':
      return new AppError('not_found', 'mintbot has no such order for this partner', { cause });
    case 'idempotency_key_mismatch':
      // The same checkout was started again with other details (another return URL): the first order stands.
      return new AppError('conflict', 'This checkout was already started with other details; start a new checkout', { cause });
    case 'rate_limited': {
      const seconds = Math.max(1, Math.ceil(Number(retryAfter) || 60));
      return new AppError('upstream_error', `mintbot is rate limiting this server; retry in ${seconds} s`, { status: 503, cause, headers: { 'Retry-After': String(seconds) } });
    }
    case 'payment_gateway_error':
      return new AppError('upstream_error', "mintbot's payment gateway could not open a checkout; try again", { cause });
    case 'unauthenticated':
    case 'invalid_api_key':
      return new AppError('upstream_error', 'mintbot rejected this server\'s partner API key (MINTBOT_API_KEY); the operator must update it', { cause });
    default:
      return new AppError('upstream_error', 'The mintbot API rejected the request', { cause });
  }
}

/** A validation_error from mintbot carries a hint the partner's own backend may see (admin routes only). */
export function upstreamValidationMessage(err: unknown): string | null {
  const cause = (err as { cause?: UpstreamFailure })?.cause;
  return cause?.provider === 'mintbot' && cause.code === 'validation_error' ? (cause.description ?? 'mintbot rejected the request') : null;
}

export class MintbotClient {
  private readonly sleep: (ms: number) => Promise<void>;
  constructor(private readonly options: MintbotClientOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  createOrder(input: MintbotCreateOrder, idempotencyKey: string): Promise<MintbotOrder> {
    return this.call<MintbotOrder>('POST', '/orders', input, idempotencyKey);
  }

  getOrder(id: string): Promise<MintbotOrder> {
    return this.call<MintbotOrder>('GET', `/orders/${encodeURIComponent(id)}`);
  }

  listOrders(query: { cursor?: string; status?: string }): Promise<{ items: MintbotOrder[]; next_cursor: string | null }> {
    const params = new URLSearchParams();
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.status) params.set('status', query.status);
    const qs = params.toString();
    return this.call('GET', `/orders${qs ? `?${qs}` : ''}`);
  }

  renewOrder(id: string, input: MintbotRenewOrder, idempotencyKey: string): Promise<MintbotOrder> {
    return this.call<MintbotOrder>('POST', `/orders/${encodeURIComponent(id)}/renew`, input, idempotencyKey);
  }

  revenue(includePaid: boolean | undefined): Promise<Record<string, unknown>> {
    return this.call('GET', includePaid === undefined ? '/revenue' : `/revenue?include_paid=${includePaid}`);
  }

  partner(): Promise<Record<string, unknown>> {
    return this.call('GET', '/partner');
  }

  /**
   * One call with retries. Safe to repeat: GETs are idempotent and every POST carries the same
   * Idempotency-Key and the same body bytes, so mintbot replays the first answer (docs/upstream/mintbot-partner-api.txt "Idempotency").
   */
  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    const url = this.options.apiBase.replace(/\/$/, '') + path;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const logPath = path.split('?')[0];
    let serverRetried = false;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.options.attempts;
      let res: Response;
      try {
        res = await upstreamFetch(this.options, url, {
          method,
          headers: {
            Authorization: `Bearer ${this.options.apiKey}`,
            Accept: 'application/json',
            ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
          },
          body: payload,
        });
      } catch (err) {
        // A network failure may be retried; a timeout is not (the caller already waited the whole timeout).
        const code = ((err as AppError).cause as UpstreamFailure | undefined)?.code;
        if (!last && !serverRetried && code === 'network_error') {
          serverRetried = true;
          continue;
        }
        throw err;
      }
      const json = (await readUpstreamJson(res)) as (T & MintbotErrorBody) | null;
      if (res.ok && json) return json;
      if (!last && res.status === 429) {
        const seconds = Number(res.headers.get('Retry-After'));
        if (Number.isFinite(seconds) && seconds >= 0 && seconds <= this.options.maxRetryAfterS) {
          await this.sleep(seconds * 1000);
          continue;
        }
      }
      if (!last && !serverRetried && res.status >= 500 && res.status !== 501 && json?.error?.code !== 'payment_gateway_error') {
        serverRetried = true;
        continue;
      }
      throw mapError(this.options, logPath, res.status, json, res.headers.get('Retry-After'));
    }
  }
}
