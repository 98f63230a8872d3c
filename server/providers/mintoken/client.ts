// Mintoken billing API client (docs/upstream/mintoken-billing-api.txt, "Billing"): create a Razorpay order and
// verify a payment, each forwarded with the customer's own Supabase JWT; Mintoken's errors mapped into ours.
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { readUpstreamJson, upstreamError, upstreamFetch, type UpstreamOptions } from '../upstream.js';

export interface MintokenClientOptions extends UpstreamOptions {
  apiBase: string;
}

/** Step 1 response: `order_id`, `amount` in paise, `currency`, the public `key_id`, `plan`. */
const MintokenOrder = z.object({
  order_id: z.string().min(1).max(64),
  amount: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  key_id: z.string().min(1).max(64),
  plan: z.string().optional(),
});
export type MintokenOrder = z.infer<typeof MintokenOrder>;

/** Step 3 response on success. */
const MintokenVerified = z.object({ message: z.string(), old_plan: z.string().optional(), new_plan: z.string().optional(), payment_id: z.string().optional() });
export type MintokenVerified = z.infer<typeof MintokenVerified>;

/** FastAPI error bodies: `{"detail": "..."}`, or `{"detail": [{loc, msg}]}` for request validation (422). */
interface FastApiError {
  detail?: string | { loc?: (string | number)[]; msg?: string }[];
}

export class MintokenClient {
  constructor(private readonly options: MintokenClientOptions) {}

  /** POST /v1/billing/razorpay/order — creates an order; not idempotent upstream, so never retried. */
  async createOrder(jwt: string, plan: string): Promise<MintokenOrder> {
    const path = '/v1/billing/razorpay/order';
    const json = await this.post(jwt, path, { plan });
    const parsed = MintokenOrder.safeParse(json);
    if (!parsed.success) throw upstreamError(this.options, path, 200, 'bad_response', 'The order response lacks order_id/amount/currency/key_id');
    return parsed.data;
  }

  /** POST /v1/billing/razorpay/verify — Mintoken recomputes the HMAC and upgrades profiles.plan. */
  async verify(jwt: string, body: { plan: string; razorpay_order_id: string; razorpay_payment_id: string; razorpay_signature: string }): Promise<MintokenVerified> {
    const path = '/v1/billing/razorpay/verify';
    const json = await this.post(jwt, path, body);
    const parsed = MintokenVerified.safeParse(json);
    if (!parsed.success) throw upstreamError(this.options, path, 200, 'bad_response', 'The verify response is not JSON');
    return parsed.data;
  }

  private async post(jwt: string, path: string, body: unknown): Promise<unknown> {
    const res = await upstreamFetch(this.options, this.options.apiBase.replace(/\/$/, '') + path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await readUpstreamJson(res)) as FastApiError | null;
    if (res.ok && json) return json;
    throw this.mapError(path, res, json);
  }

  /** docs/upstream/mintoken-billing-api.txt "Errors": 400 unsupported plan, 503 credentials missing upstream, 502 Razorpay rejected; plus the verify 400. */
  private mapError(path: string, res: Response, json: FastApiError | null): AppError {
    const detail = typeof json?.detail === 'string' ? json.detail : undefined;
    const log = this.options.log;
    switch (res.status) {
      case 400:
        log.warn('upstream refused', { provider: 'mintoken', path, upstream_status: 400, upstream_detail: detail?.slice(0, 120) ?? null });
        if (detail === 'Invalid payment signature') return new AppError('invalid_signature', 'Invalid payment signature', { cause: { provider: 'mintoken', status: 400, description: detail } });
        if (detail === 'Unsupported plan slug') return new AppError('validation_error', 'plan: Mintoken does not sell this plan (Unsupported plan slug); check the price\'s upstream.plan', { cause: { provider: 'mintoken', status: 400, description: detail } });
        // Other 400s (an order Mintoken does not know, a plan that does not match it): the request is wrong, not the upstream.
        return new AppError('validation_error', `Mintoken refused the request: ${detail?.slice(0, 120) ?? 'bad request'}`, { cause: { provider: 'mintoken', status: 400, description: detail } });
      case 401:
      case 403:
        // Our own check passed, so Mintoken's Supabase project disagrees (another project, a revoked session).
        log.warn('upstream refused the session', { provider: 'mintoken', path, upstream_status: res.status });
        return new AppError('invalid_token', 'Mintoken did not accept the session token; sign in again', { cause: { provider: 'mintoken', status: res.status, description: detail } });
      case 422: {
        const first = Array.isArray(json?.detail) ? json.detail[0] : undefined;
        const field = first?.loc?.filter((p) => p !== 'body').join('.') || 'body';
        log.warn('upstream validation error', { provider: 'mintoken', path, upstream_status: 422, field });
        return new AppError('validation_error', `${field}: ${first?.msg ?? 'invalid'} (Mintoken)`, { cause: { provider: 'mintoken', status: 422, code: 'validation_error' } });
      }
      case 429: {
        const retryAfter = res.headers.get('Retry-After');
        log.warn('upstream rate limited', { provider: 'mintoken', path, upstream_status: 429 });
        return new AppError('rate_limited', 'Mintoken is busy; try again shortly', { headers: retryAfter && /^\d{1,4}$/.test(retryAfter) ? { 'Retry-After': retryAfter } : { 'Retry-After': '1' } });
      }
      case 503:
        // "Razorpay credentials missing on the server. This is a config issue, not a payment issue."
        log.warn('upstream unavailable', { provider: 'mintoken', path, upstream_status: 503, upstream_detail: detail?.slice(0, 120) ?? null });
        return new AppError('provider_unavailable', 'Mintoken cannot take payments right now (its Razorpay account is not configured)', { cause: { provider: 'mintoken', status: 503, description: detail } });
      default:
        return upstreamError(this.options, path, res.status, res.status === 502 ? 'razorpay_rejected' : undefined, detail);
    }
  }
}
