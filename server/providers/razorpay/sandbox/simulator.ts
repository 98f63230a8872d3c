// A simulated Razorpay: the Orders/Payments REST API as docs/upstream/razorpay.md describes it (Basic auth,
// amount ≥ 100, the error envelope) and the Subscriptions API (subscriptions.ts), plus what happens in
// Razorpay's checkout when a customer pays or fails, with real signatures and real signed webhooks, on a
// clock tests can move. Sandbox mode runs it inside the server; the tests' fake Razorpay serves the same app over HTTP.
import { Hono } from 'hono';
import { signRazorpayPayment, signRazorpayWebhook } from '../../../security/signatures.js';
import type { RazorpayOrder, RazorpayPayment, RazorpayRefund } from '../client.js';
import { createSubscriptionSimulator } from './subscriptions.js';
import { checkoutFailure, declinePayment, notesProblem, notesValue, rid, rzpError } from './wire.js';

export type { RazorpayOrder, RazorpayPayment, RazorpayRefund };
export type {
  RazorpayInvoice,
  RazorpayPlan,
  RazorpaySubscription,
  RazorpaySubscriptionPayment,
  SubscriptionCheckoutFailure,
  SubscriptionCheckoutSuccess,
  SubscriptionPayer,
  SubscriptionStatus,
} from './subscriptions.js';

export interface WebhookDelivery {
  eventId: string;
  event: string;
  body: string;
  signature: string;
}

export interface RazorpaySimulatorOptions {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** Sends a signed webhook; the sandbox posts it to the server's own endpoint. */
  deliver?: (delivery: WebhookDelivery) => Promise<void>;
  /** How long after a payment its webhooks go out ("a moment after payment"). */
  webhookDelayMs?: number;
  now?: () => number;
}

export interface CheckoutSuccess {
  razorpay_payment_id: string;
  razorpay_order_id: string;
  razorpay_signature: string;
}

export interface CheckoutFailure {
  error: { code: string; description: string; source: string; step: string; reason: string; metadata: { order_id: string; payment_id: string } };
}


export function createRazorpaySimulator(options: RazorpaySimulatorOptions) {
  /** The simulator's clock: the injected `now` plus what `advance` moved it; while a due charge runs, that charge's time. */
  let offsetMs = 0;
  let pinned: number | undefined;
  const clockMs = () => (options.now ?? Date.now)() + offsetMs;
  const now = () => pinned ?? Math.floor(clockMs() / 1000);
  const orders = new Map<string, RazorpayOrder>();
  const payments = new Map<string, RazorpayPayment>();
  const refunds = new Map<string, RazorpayRefund>();
  const deliveries: WebhookDelivery[] = [];
  const pending = new Set<Promise<void>>();

  function event(name: string, entities: Record<string, unknown>): WebhookDelivery {
    const body = JSON.stringify({
      entity: 'event',
      account_id: 'acc_sandbox0000001',
      event: name,
      contains: Object.keys(entities),
      payload: Object.fromEntries(Object.entries(entities).map(([k, v]) => [k, { entity: v }])),
      created_at: now(),
    });
    return { eventId: rid('evt'), event: name, body, signature: signRazorpayWebhook(options.webhookSecret, body) };
  }

  /** Queue webhooks the way Razorpay sends them: a moment later, at least once. */
  function emit(...events: WebhookDelivery[]) {
    deliveries.push(...events);
    if (!options.deliver) return;
    const run = (async () => {
      await new Promise((r) => setTimeout(r, options.webhookDelayMs ?? 0));
      for (const e of events) await options.deliver!(e).catch(() => {});
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
  }

  const api = new Hono();

  // Basic key_id:key_secret on every API call (reference: "header exactly Authorization: Basic <base64>").
  api.use('/v1/*', async (c, next) => {
    const expected = 'Basic ' + Buffer.from(`${options.keyId}:${options.keySecret}`).toString('base64');
    if (c.req.header('Authorization') !== expected) return c.json(rzpError('Authentication failed'), 401);
    await next();
  });

  api.post('/v1/orders', async (c) => {
    let body: Record<string, unknown>;
    try {
      body = await c.req.json();
    } catch {
      return c.json(rzpError('The request body is not valid JSON'), 400);
    }
    const { amount, currency, receipt, notes } = body as { amount?: unknown; currency?: unknown; receipt?: unknown; notes?: unknown };
    if (amount === undefined) return c.json(rzpError('The amount field is required.', 'amount'), 400);
    if (typeof amount !== 'number' || !Number.isInteger(amount)) return c.json(rzpError('The amount must be an integer.', 'amount'), 400);
    if (amount < 100) return c.json(rzpError('The amount must be at least INR 1.00', 'amount'), 400);
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return c.json(rzpError('The currency field is required.', 'currency'), 400);
    if (receipt !== undefined && (typeof receipt !== 'string' || receipt.length > 40)) return c.json(rzpError('The receipt may not be greater than 40 characters.', 'receipt'), 400);
    const notesWrong = notesProblem(notes);
    if (notesWrong) return c.json(rzpError(notesWrong, 'notes'), 400);
    const noteValues = notesValue(notes);
    const order: RazorpayOrder = {
      id: rid('order'),
      entity: 'order',
      amount,
      amount_paid: 0,
      amount_due: amount,
      currency,
      receipt: (receipt as string | undefined) ?? null,
      offer_id: null,
      status: 'created',
      attempts: 0,
      notes: noteValues,
      created_at: now(),
    };
    orders.set(order.id, order);
    return c.json(order);
  });

  api.get('/v1/orders/:id', (c) => {
    const order = orders.get(c.req.param('id'));
    return order ? c.json(order) : c.json(rzpError('The id provided does not exist'), 400);
  });

  api.get('/v1/orders/:id/payments', (c) => {
    const order = orders.get(c.req.param('id'));
    if (!order) return c.json(rzpError('The id provided does not exist'), 400);
    const items = [...payments.values()].filter((p) => p.order_id === order.id);
    return c.json({ entity: 'collection', count: items.length, items });
  });

  api.get('/v1/payments/:id', (c) => {
    const payment = payments.get(c.req.param('id'));
    return payment ? c.json(payment) : c.json(rzpError('The id provided does not exist'), 400);
  });

  function newPayment(order: RazorpayOrder, contact: { email?: string; contact?: string }): RazorpayPayment {
    order.attempts += 1;
    if (order.status === 'created') order.status = 'attempted';
    const payment: RazorpayPayment = {
      id: rid('pay'),
      entity: 'payment',
      amount: order.amount,
      currency: order.currency,
      status: 'created',
      order_id: order.id,
      method: 'upi',
      amount_refunded: 0,
      refund_status: null,
      captured: false,
      email: contact.email ?? null,
      contact: contact.contact ?? null,
      notes: order.notes,
      error_code: null,
      error_description: null,
      error_source: null,
      error_step: null,
      error_reason: null,
      created_at: now(),
    };
    payments.set(payment.id, payment);
    return payment;
  }

  /** The customer pays in the modal: captured payment, paid order, the handler's signed response, webhooks. */
  function pay(orderId: string, contact: { email?: string; contact?: string } = {}): CheckoutSuccess {
    const order = orders.get(orderId);
    if (!order) throw new Error(`no such order ${orderId}`);
    if (order.status === 'paid') throw new Error(`order ${orderId} is already paid`);
    const payment = newPayment(order, contact);
    payment.status = 'captured';
    payment.captured = true;
    order.status = 'paid';
    order.amount_paid = order.amount;
    order.amount_due = 0;
    emit(event('payment.captured', { payment }), event('order.paid', { payment, order }));
    return { razorpay_payment_id: payment.id, razorpay_order_id: order.id, razorpay_signature: signRazorpayPayment(options.keySecret, order.id, payment.id) };
  }

  /** The customer's payment fails in the modal: what `rzp.on('payment.failed')` receives, and the webhook. */
  function fail(orderId: string, contact: { email?: string; contact?: string } = {}): CheckoutFailure {
    const order = orders.get(orderId);
    if (!order) throw new Error(`no such order ${orderId}`);
    const payment = newPayment(order, contact);
    declinePayment(payment);
    emit(event('payment.failed', { payment }));
    return checkoutFailure(payment, { order_id: order.id, payment_id: payment.id });
  }

  /** A refund from the dashboard: `refund.created` (full by default). */
  function refund(paymentId: string, amount?: number): RazorpayRefund {
    const payment = payments.get(paymentId);
    if (!payment || payment.status !== 'captured') throw new Error(`payment ${paymentId} cannot be refunded`);
    const value = amount ?? payment.amount - payment.amount_refunded;
    payment.amount_refunded += value;
    payment.refund_status = payment.amount_refunded >= payment.amount ? 'full' : 'partial';
    if (payment.refund_status === 'full') payment.status = 'refunded';
    const r: RazorpayRefund = { id: rid('rfnd'), entity: 'refund', amount: value, currency: payment.currency, payment_id: payment.id, notes: [], receipt: null, status: 'processed', speed_processed: 'normal', created_at: now() };
    refunds.set(r.id, r);
    emit(event('refund.created', { refund: r, payment }));
    return r;
  }

  const { runDue, ...subscriptions } = createSubscriptionSimulator({
    api,
    keySecret: options.keySecret,
    now,
    at: (seconds, fn) => {
      pinned = seconds;
      try {
        return fn();
      } finally {
        pinned = undefined;
      }
    },
    payments,
    event,
    emit,
  });

  /** Run every renewal, retry and cycle-end change due by the clock; the webhooks that were sent. */
  function tick(): WebhookDelivery[] {
    const before = deliveries.length;
    runDue();
    return deliveries.slice(before);
  }

  return {
    api,
    orders,
    payments,
    deliveries,
    pay,
    fail,
    refund,
    ...subscriptions,
    /** The simulator's clock in milliseconds (the injected `now` plus every `advance`). */
    clock: clockMs,
    /** Move the simulator's clock forward by `ms` and run everything that fell due (see `tick`); returns the webhooks that sent. */
    advance(ms: number): WebhookDelivery[] {
      if (!(ms >= 0)) throw new RangeError('advance: ms must be ≥ 0');
      offsetMs += ms;
      return tick();
    },
    /** Run every renewal, retry and cycle-end change due by the clock (after the test moved the injected `now`); returns the webhooks that sent. */
    tick,
    /** Wait for queued webhooks to be delivered. */
    async settle() {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}

export type RazorpaySimulator = ReturnType<typeof createRazorpaySimulator>;
