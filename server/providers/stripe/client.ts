// Stripe API client: plain fetch through upstreamFetch (timeout, 502 mapping), form-encoded bodies, a pinned
// Stripe-Version, Idempotency-Key on every POST, one retry only where it is safe (docs/upstream/stripe.md).
import { AppError } from '../../errors.js';
import { readUpstreamJson, upstreamError, upstreamFetch, type UpstreamFailure, type UpstreamOptions } from '../upstream.js';
import { encodeStripeForm, type FormInput } from './form.js';

/**
 * The API version we speak: the 2026 `ui_mode` names (hosted_page/embedded_page) need 2026-03-25 or later,
 * and subscription periods live on the items since 2025-03-31. Same version the installed `stripe` SDK pins.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

export interface StripeClientOptions extends UpstreamOptions {
  secretKey: string;
  apiBase: string;
  apiVersion?: string;
  /** Pause before the one retry of a safe call (GET, or a POST with an Idempotency-Key). */
  retryDelayMs?: number;
}

export interface StripePriceObject {
  id: string;
  currency?: string;
  unit_amount?: number | null;
  recurring?: { interval?: string } | null;
  metadata?: Record<string, string>;
}

export interface StripeSessionObject {
  id: string;
  object?: string;
  mode?: 'payment' | 'subscription' | 'setup';
  status?: 'open' | 'complete' | 'expired' | null;
  payment_status?: 'paid' | 'unpaid' | 'no_payment_required';
  url?: string | null;
  client_secret?: string | null;
  customer?: string | { id: string } | null;
  subscription?: string | { id: string } | null;
  payment_intent?: string | { id: string } | null;
  client_reference_id?: string | null;
  metadata?: Record<string, string> | null;
  created?: number;
  /** What the session charges after discounts and tax; `total_details.amount_tax` is Stripe Tax's (README "Taxes"). */
  amount_total?: number | null;
  total_details?: { amount_discount?: number; amount_tax?: number } | null;
  automatic_tax?: { enabled: boolean; status?: string | null } | null;
}

export interface StripeSubscriptionObject {
  id: string;
  object?: string;
  customer?: string | { id: string };
  status?: string;
  cancel_at_period_end?: boolean;
  cancel_at?: number | null;
  canceled_at?: number | null;
  created?: number;
  /** Older API versions only; newer ones carry the period on each item. */
  current_period_end?: number;
  items?: { data?: { id?: string; price?: StripePriceObject; quantity?: number; current_period_end?: number }[] };
  metadata?: Record<string, string> | null;
}

export interface StripeCustomerObject {
  id: string;
}

export interface StripePortalSessionObject {
  id: string;
  url: string;
}

interface StripeErrorBody {
  error?: { type?: string; code?: string; message?: string; param?: string };
}

/** The id of an expandable field (a string, or the expanded object). */
export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

export class StripeClient {
  constructor(private readonly options: StripeClientOptions) {}

  createCustomer(params: Record<string, FormInput>, idempotencyKey: string): Promise<StripeCustomerObject> {
    return this.call('POST', '/v1/customers', params, idempotencyKey);
  }

  createCheckoutSession(params: Record<string, FormInput>, idempotencyKey: string): Promise<StripeSessionObject> {
    return this.call('POST', '/v1/checkout/sessions', params, idempotencyKey);
  }

  /** POST /v1/coupons (a promotion code's coupon, services/promotions.ts); `id` is ours, so a second create is `resource_already_exists`. */
  createCoupon(params: Record<string, FormInput>, idempotencyKey: string): Promise<{ id: string; object: 'coupon' }> {
    return this.call('POST', '/v1/coupons', params, idempotencyKey);
  }

  retrieveCheckoutSession(id: string): Promise<StripeSessionObject> {
    return this.call('GET', `/v1/checkout/sessions/${encodeURIComponent(id)}`);
  }

  retrieveSubscription(id: string): Promise<StripeSubscriptionObject> {
    return this.call('GET', `/v1/subscriptions/${encodeURIComponent(id)}`);
  }

  /**
   * POST /v1/subscriptions/{id}: here a seat change, `items[0][id]` and `items[0][quantity]` with a `proration_behavior`
   * (Stripe's "Update a subscription" reference); Stripe answers the subscription and sends customer.subscription.updated.
   */
  updateSubscription(id: string, params: Record<string, FormInput>, idempotencyKey: string): Promise<StripeSubscriptionObject> {
    return this.call('POST', `/v1/subscriptions/${encodeURIComponent(id)}`, params, idempotencyKey);
  }

  createPortalSession(params: Record<string, FormInput>, idempotencyKey: string): Promise<StripePortalSessionObject> {
    return this.call('POST', '/v1/billing_portal/sessions', params, idempotencyKey);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, params?: Record<string, FormInput>, idempotencyKey?: string): Promise<T> {
    // Retrying is safe for a GET and for a POST that carries an Idempotency-Key (Stripe replays the first
    // result); 4xx answers are final, 429 and 5xx and a refused connection get one more try. A timeout is
    // not retried: the caller already waited the whole budget.
    const retryable = method === 'GET' || Boolean(idempotencyKey);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, params, idempotencyKey);
      } catch (err) {
        const cause = (err instanceof AppError ? err.cause : undefined) as UpstreamFailure | undefined;
        const transient = cause && (cause.code === 'network_error' || (cause.status !== undefined && (cause.status >= 500 || cause.status === 429)));
        if (!retryable || attempt >= 2 || !transient) throw err;
        await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 250));
      }
    }
  }

  private async once<T>(method: 'GET' | 'POST', path: string, params?: Record<string, FormInput>, idempotencyKey?: string): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.options.secretKey}`,
      'Stripe-Version': this.options.apiVersion ?? STRIPE_API_VERSION,
    };
    if (method === 'POST') headers['Content-Type'] = 'application/x-www-form-urlencoded';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    const res = await upstreamFetch(this.options, this.options.apiBase.replace(/\/$/, '') + path, {
      method,
      headers,
      body: method === 'POST' ? encodeStripeForm(params ?? {}) : undefined,
    });
    const json = (await readUpstreamJson(res)) as (T & StripeErrorBody) | null;
    if (!res.ok || !json || typeof json !== 'object') {
      // Stripe's envelope: {"error":{"type","code","message","param"}}; `code` is absent for some types (api_error).
      const code = json?.error?.code ?? json?.error?.type ?? (res.ok ? 'invalid_json' : undefined);
      const description = [json?.error?.message, json?.error?.param ? `param ${json.error.param}` : null, res.headers.get('request-id')].filter(Boolean).join('; ');
      throw upstreamError(this.options, path.replace(/\/(cs|sub|cus)_[A-Za-z0-9_]+/, '/$1_…'), res.status, code, description || undefined);
    }
    return json;
  }
}
