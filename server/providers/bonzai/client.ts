// Bonzai Business API client (docs/upstream/bonzai-business-api.txt): custom checkout, order retrieval, invite and
// revoke, with the bearer token; Laravel validation errors named by field; only GET is retried.
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { readUpstreamJson, upstreamError, upstreamFetch, type UpstreamOptions } from '../upstream.js';

export interface BonzaiClientOptions extends UpstreamOptions {
  apiBase: string;
  token: string;
  /** Pause before the one retry of a GET (tests make it short). */
  retryDelayMs?: number;
}

export interface BonzaiCheckoutInput {
  amount: number;
  currency: string;
  is_vat_incl: boolean;
  mode: 'one_off' | 'subscription';
  interval?: 'monthly' | 'yearly';
  metadata: Record<string, string>;
  email?: string;
  title: string;
  redirect_url: string;
}

/** "the response will contain the newly created order details": `order_id` (a number in the sample) and `checkout_url`. */
const CheckoutCreated = z.object({ order_id: z.union([z.number().int(), z.string().min(1).max(64)]), checkout_url: z.url() });

/** docs/upstream/bonzai-business-api.txt "Retrieve an order"; only the fields entitlements depend on are required. */
export const BonzaiOrder = z.object({
  id: z.union([z.number().int(), z.string()]),
  mode: z.string().nullable().optional(),
  interval: z.string().nullable().optional(),
  intent_status: z.string().nullable().optional(),
  subscription_status: z.string().nullable().optional(),
  subscription_ends_at: z.string().nullable().optional(),
  has_access: z.boolean(),
  metadata: z.unknown().optional(),
  accesses: z.array(z.object({ id: z.union([z.number(), z.string()]), deleted_at: z.string().nullable().optional() })).optional(),
});
export type BonzaiOrder = z.infer<typeof BonzaiOrder>;

/** The invite response is not documented; `user_id` is what revoke takes ("As provided in the invite request response"). */
const Invited = z.object({ user_id: z.union([z.string(), z.number()]).nullable().optional() }).passthrough();

interface LaravelError {
  message?: string;
  errors?: Record<string, string[]>;
}

export class BonzaiClient {
  constructor(private readonly options: BonzaiClientOptions) {}

  async createCheckout(productUuid: string, input: BonzaiCheckoutInput): Promise<{ orderId: string; checkoutUrl: string }> {
    const path = `/products/${encodeURIComponent(productUuid)}/checkout`;
    const json = await this.call('POST', path, input);
    const parsed = CheckoutCreated.safeParse(json);
    if (!parsed.success) throw upstreamError(this.options, path, 200, 'bad_response', 'The checkout response lacks order_id/checkout_url');
    return { orderId: String(parsed.data.order_id), checkoutUrl: parsed.data.checkout_url };
  }

  /** GET /orders/{id}; null when Bonzai does not know the order. Retried once: a GET is safe to repeat. */
  async getOrder(orderId: string): Promise<BonzaiOrder | null> {
    const path = `/orders/${encodeURIComponent(orderId)}`;
    const json = await this.call('GET', path, undefined, { retry: true, notFoundAsNull: true });
    if (json === null) return null;
    const parsed = BonzaiOrder.safeParse(json);
    if (!parsed.success) throw upstreamError(this.options, path, 200, 'bad_response', 'The order response lacks has_access');
    return parsed.data;
  }

  async invite(productUuid: string, input: { email: string; name?: string; code?: string }): Promise<{ userId: string | null }> {
    const json = await this.call('POST', `/products/${encodeURIComponent(productUuid)}/invite`, input);
    const parsed = Invited.safeParse(json);
    const userId = parsed.success ? parsed.data.user_id : null;
    return { userId: userId === null || userId === undefined ? null : String(userId) };
  }

  async revoke(productUuid: string, filter: { email?: string; user_id?: string; code?: string }): Promise<void> {
    await this.call('POST', `/products/${encodeURIComponent(productUuid)}/revoke`, filter);
  }

  private async call(method: 'GET' | 'POST', path: string, body: unknown, opts: { retry?: boolean; notFoundAsNull?: boolean } = {}): Promise<unknown> {
    const url = this.options.apiBase + path;
    const init: RequestInit = {
      method,
      headers: { Authorization: `Bearer ${this.options.token}`, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    };
    for (let attempt = 0; ; attempt++) {
      const canRetry = opts.retry === true && attempt === 0;
      let res: Response;
      try {
        res = await upstreamFetch(this.options, url, init);
      } catch (err) {
        if (canRetry) {
          await sleep(this.options.retryDelayMs ?? 250);
          continue;
        }
        throw err;
      }
      const json = (await readUpstreamJson(res)) as LaravelError | null;
      if (res.ok && json !== null) return json;
      if (res.status === 404 && opts.notFoundAsNull) return null;
      const retryAfter = Number(res.headers.get('Retry-After') ?? '1');
      if (canRetry && (res.status >= 500 || (res.status === 429 && retryAfter <= 2))) {
        await sleep(res.status === 429 ? retryAfter * 1000 : (this.options.retryDelayMs ?? 250));
        continue;
      }
      throw this.mapError(path, res, json);
    }
  }

  private mapError(path: string, res: Response, json: LaravelError | null): AppError {
    const { log } = this.options;
    if ((res.status === 422 || res.status === 400) && json?.errors && typeof json.errors === 'object') {
      // Laravel: {"message": "...", "errors": {"currency": ["The currency field is required."]}} → name the field.
      const [field, messages] = Object.entries(json.errors)[0] ?? ['body', []];
      log.warn('upstream validation error', { provider: 'bonzai', path, upstream_status: res.status, field });
      return new AppError('validation_error', `${field}: ${messages?.[0] ?? json.message ?? 'invalid'} (Bonzai)`, { cause: { provider: 'bonzai', status: res.status, code: 'validation_error', description: json.message } });
    }
    if (res.status === 429) {
      const retryAfter = res.headers.get('Retry-After');
      log.warn('upstream rate limited', { provider: 'bonzai', path, upstream_status: 429 });
      return new AppError('rate_limited', 'Bonzai is busy; try again shortly', { headers: { 'Retry-After': retryAfter && /^\d{1,4}$/.test(retryAfter) ? retryAfter : '1' } });
    }
    // 401 (a wrong BONZAI_API_TOKEN), 404 (a wrong product_uuid), 5xx: the customer cannot fix these; the log says which.
    const code = res.status === 401 ? 'unauthenticated' : res.status === 404 ? 'not_found' : undefined;
    return upstreamError(this.options, path, res.status, code, json?.message);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
