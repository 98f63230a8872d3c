// Razorpay Orders and Subscriptions API client: plain fetch with an overridable base URL (the `razorpay` SDK hard-codes the
// host), HTTP Basic key_id:key_secret, a timeout on every call (docs/upstream/razorpay.md, "Orders API"; razorpay-subscriptions.md).
import { upstreamError, upstreamFetch, readUpstreamJson, type UpstreamOptions } from '../upstream.js';

export interface RazorpayOrder {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  offer_id: null;
  status: 'created' | 'attempted' | 'paid';
  attempts: number;
  notes: Record<string, string> | [];
  created_at: number;
}

export interface RazorpayPayment {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';
  order_id: string | null;
  /** Set on a subscription's charges. */
  invoice_id?: string | null;
  subscription_id?: string | null;
  method: string;
  amount_refunded: number;
  refund_status: null | 'partial' | 'full';
  captured: boolean;
  email: string | null;
  contact: string | null;
  notes: Record<string, string> | [];
  error_code: string | null;
  error_description: string | null;
  error_source: string | null;
  error_step: string | null;
  error_reason: string | null;
  created_at: number;
}

export interface RazorpayRefund {
  id: string;
  entity: 'refund';
  amount: number;
  currency: string;
  payment_id: string;
  notes: [];
  receipt: null;
  status: 'processed';
  speed_processed: 'normal';
  created_at: number;
}

/** A Plan: the price template of subscriptions (razorpay-subscriptions.md, "Plans"); never edited. */
export interface RazorpayPlan {
  id: string;
  entity: 'plan';
  period: 'daily' | 'weekly' | 'monthly' | 'yearly';
  interval: number;
  item: { id: string; name: string; amount: number; currency: string; active?: boolean };
  notes: Record<string, string> | [];
  created_at: number;
}

export type RazorpaySubscriptionStatus = 'created' | 'authenticated' | 'active' | 'pending' | 'halted' | 'cancelled' | 'completed' | 'expired' | 'paused';

export interface RazorpaySubscription {
  id: string;
  entity: 'subscription';
  plan_id: string;
  customer_id: string | null;
  status: RazorpaySubscriptionStatus;
  current_start: number | null;
  current_end: number | null;
  ended_at: number | null;
  quantity: number;
  notes: Record<string, string> | [];
  charge_at: number | null;
  start_at: number | null;
  end_at: number | null;
  auth_attempts: number;
  total_count: number;
  paid_count: number;
  customer_notify: boolean;
  created_at: number;
  expire_by: number | null;
  short_url: string | null;
  has_scheduled_changes: boolean;
  change_scheduled_at: number | null;
  remaining_count: number;
  /** Set by a cancel at the cycle end where the API reports it. */
  cancel_at_cycle_end?: boolean | number;
  payment_method?: string | null;
}

export interface RazorpayInvoice {
  id: string;
  entity: 'invoice';
  subscription_id: string;
  payment_id: string | null;
  amount: number;
  currency: string;
  status: string;
  billing_start: number | null;
  billing_end: number | null;
  short_url: string | null;
}

export interface RazorpayClientOptions extends UpstreamOptions {
  keyId: string;
  keySecret: string;
  apiBase: string;
}

interface RazorpayErrorBody {
  error?: { code?: string; description?: string; field?: string };
}

export class RazorpayClient {
  private readonly auth: string;
  constructor(private readonly options: RazorpayClientOptions) {
    this.auth = 'Basic ' + Buffer.from(`${options.keyId}:${options.keySecret}`).toString('base64');
  }

  createOrder(input: { amount: number; currency: string; receipt: string; notes: Record<string, string> }): Promise<RazorpayOrder> {
    return this.call<RazorpayOrder>('POST', '/v1/orders', input);
  }

  createPlan(input: { period: 'monthly' | 'yearly'; interval: 1; item: { name: string; amount: number; currency: string; description?: string }; notes: Record<string, string> }): Promise<RazorpayPlan> {
    return this.call<RazorpayPlan>('POST', '/v1/plans', input);
  }

  createSubscription(input: { plan_id: string; total_count: number; quantity: number; customer_notify: boolean; start_at?: number; expire_by?: number; offer_id?: string; notes: Record<string, string> }): Promise<RazorpaySubscription> {
    return this.call<RazorpaySubscription>('POST', '/v1/subscriptions', input);
  }

  fetchSubscription(id: string): Promise<RazorpaySubscription> {
    return this.call<RazorpaySubscription>('GET', `/v1/subscriptions/${encodeURIComponent(id)}`);
  }

  cancelSubscription(id: string, cancelAtCycleEnd: boolean): Promise<RazorpaySubscription> {
    return this.call<RazorpaySubscription>('POST', `/v1/subscriptions/${encodeURIComponent(id)}/cancel`, { cancel_at_cycle_end: cancelAtCycleEnd });
  }

  updateSubscription(id: string, input: { plan_id?: string; quantity?: number; schedule_change_at: 'now' | 'cycle_end'; customer_notify?: boolean }): Promise<RazorpaySubscription> {
    return this.call<RazorpaySubscription>('PATCH', `/v1/subscriptions/${encodeURIComponent(id)}`, input);
  }

  pauseSubscription(id: string): Promise<RazorpaySubscription> {
    return this.call<RazorpaySubscription>('POST', `/v1/subscriptions/${encodeURIComponent(id)}/pause`, { pause_at: 'now' });
  }

  resumeSubscription(id: string): Promise<RazorpaySubscription> {
    return this.call<RazorpaySubscription>('POST', `/v1/subscriptions/${encodeURIComponent(id)}/resume`, { resume_at: 'now' });
  }

  async listInvoices(subscriptionId: string): Promise<RazorpayInvoice[]> {
    return (await this.call<{ items: RazorpayInvoice[] }>('GET', `/v1/invoices?subscription_id=${encodeURIComponent(subscriptionId)}`)).items ?? [];
  }

  fetchInvoice(invoiceId: string): Promise<RazorpayInvoice> {
    return this.call<RazorpayInvoice>('GET', `/v1/invoices/${encodeURIComponent(invoiceId)}`);
  }

  fetchPayment(paymentId: string): Promise<RazorpayPayment> {
    return this.call<RazorpayPayment>('GET', `/v1/payments/${encodeURIComponent(paymentId)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await upstreamFetch(this.options, this.options.apiBase.replace(/\/$/, '') + path, {
      method,
      headers: { Authorization: this.auth, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await readUpstreamJson(res)) as (T & RazorpayErrorBody) | null;
    if (!res.ok || !json) throw upstreamError(this.options, path, res.status, json?.error?.code, json?.error?.description);
    return json;
  }
}
