// Razorpay Orders API client: plain fetch with an overridable base URL (the `razorpay` SDK hard-codes the
// host), HTTP Basic key_id:key_secret, a timeout on every call (docs/upstream/razorpay.md, "Orders API").
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
  order_id: string;
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
