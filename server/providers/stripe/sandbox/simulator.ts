// A simulated Stripe for sandbox mode: the slice of the API Tollgate calls (customers, Checkout Sessions,
// Billing Portal sessions, subscriptions) as docs/upstream/stripe.md describes it — form-encoded bracket keys,
// Bearer auth, the error envelope, Idempotency-Key replays — plus what happens when a customer pays, with
// real Stripe-format events signed like Stripe-Signature. The server's Stripe client talks to it in-process.
import { Hono, type Context } from 'hono';
import { parseStripeForm, type FormObject, type FormValue } from '../form.js';
import { couponFromParams, sessionTax, sessionTerms, signStripeWebhook, startedSubscription, stripeEvent, stripeRandomId as rid, updateSubscriptionItems, type CheckoutSessionObject, type CouponObject, type SubscriptionObject } from './objects.js';

export { parseStripeForm };

export interface SimPrice {
  id: string;
  object: 'price';
  currency: string;
  unit_amount: number;
  product: string;
  /** Not a Stripe field on the price: the product's name, kept so the simulated page can show it. */
  product_name: string;
  recurring: { interval: string; interval_count: 1 } | null;
  metadata: Record<string, string>;
}

export interface SimSession extends CheckoutSessionObject {
  payment_intent: string | null;
}

export type SimSubscription = SubscriptionObject<SimPrice>;

export interface StripeSimulatorOptions {
  secretKey: string;
  webhookSecret: string;
  /** The server's public URL: hosted pages and portal sessions point at its /sandbox/stripe/… pages. */
  publicUrl: string;
  now: () => Date;
  /** POST a signed event to the server's webhook endpoint. */
  deliver: (delivery: { eventId: string; type: string; body: string; signature: string }) => Promise<void>;
}

class SimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export function createStripeSimulator(options: StripeSimulatorOptions) {
  const nowSec = () => Math.floor(options.now().getTime() / 1000);
  const customers = new Map<string, { id: string; object: 'customer'; email: string | null; name: string | null; metadata: Record<string, string>; created: number }>();
  const sessions = new Map<string, SimSession>();
  const coupons = new Map<string, CouponObject>();
  const lineItems = new Map<string, SimPrice[]>();
  /** Each session's line items' quantities (the seats of a per-seat price), in line order. */
  const lineQuantities = new Map<string, number[]>();
  const subscriptionData = new Map<string, { trialDays: number; metadata: Record<string, string> }>();
  const subscriptions = new Map<string, SimSubscription>();
  const portalSessions = new Map<string, { id: string; customer: string; return_url: string | null; url: string }>();
  const idempotent = new Map<string, { fingerprint: string; body: string }>();
  const pending = new Set<Promise<unknown>>();

  const str = (v: FormValue | undefined) => (typeof v === 'string' ? v : undefined);
  const map = (v: FormValue | undefined, param: string): Record<string, string> => {
    if (v === undefined || v === '') return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw new SimError(400, 'Invalid object', 'parameter_invalid_object', param);
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  };
  const missing = (param: string) => new SimError(400, `Missing required param: ${param}.`, 'parameter_missing', param);

  const api = new Hono();
  const respond = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'request-id': `req_${rid(14)}` } });

  function route(method: 'GET' | 'POST', pattern: string, handler: (params: FormObject, c: Context) => unknown) {
    (method === 'GET' ? api.get.bind(api) : api.post.bind(api))(pattern, async (c) => {
      const raw = method === 'POST' ? await c.req.text() : '';
      try {
        const auth = /^Bearer (\S+)$/.exec(c.req.header('Authorization') ?? '')?.[1];
        if (auth !== options.secretKey) throw new SimError(401, 'Invalid API Key provided', 'api_key_invalid');
        const key = method === 'POST' ? c.req.header('Idempotency-Key') : undefined;
        const fingerprint = `${c.req.path}\n${raw}`;
        const cached = key ? idempotent.get(key) : undefined;
        if (cached) {
          if (cached.fingerprint !== fingerprint) throw new SimError(400, `Keys for idempotent requests can only be used with the same parameters they were first used with.`, 'idempotency_error');
          return new Response(cached.body, { status: 200, headers: { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' } });
        }
        const body = JSON.stringify(handler(parseStripeForm(raw), c));
        if (key) idempotent.set(key, { fingerprint, body });
        return new Response(body, { status: 200, headers: { 'Content-Type': 'application/json', 'request-id': `req_${rid(14)}` } });
      } catch (err) {
        if (!(err instanceof SimError)) throw err;
        return respond(err.status, { error: { type: err.status === 401 ? 'invalid_request_error' : err.code === 'idempotency_error' ? 'idempotency_error' : 'invalid_request_error', message: err.message, ...(err.code ? { code: err.code } : {}), ...(err.param ? { param: err.param } : {}) } });
      }
    });
  }

  route('POST', '/v1/coupons', (p) => {
    const coupon = couponFromParams(p, coupons, nowSec());
    if ('error' in coupon) throw new SimError(400, coupon.error.message, coupon.error.code, coupon.error.param);
    coupons.set(coupon.id, coupon);
    return coupon;
  });

  route('POST', '/v1/customers', (p) => {
    const customer = { id: `cus_${rid(14)}`, object: 'customer' as const, email: str(p.email) ?? null, name: str(p.name) ?? null, metadata: map(p.metadata, 'metadata'), created: nowSec() };
    customers.set(customer.id, customer);
    return customer;
  });

  route('POST', '/v1/checkout/sessions', (p) => {
    const mode = str(p.mode);
    if (mode !== 'payment' && mode !== 'subscription') throw new SimError(400, 'Invalid mode: must be one of payment, setup, or subscription', undefined, 'mode');
    const uiMode = str(p.ui_mode) ?? 'hosted_page';
    if (uiMode !== 'hosted_page' && uiMode !== 'embedded_page') throw new SimError(400, 'Invalid ui_mode: must be one of hosted_page, embedded_page, or elements', undefined, 'ui_mode');
    if (uiMode === 'hosted_page' && !str(p.success_url)) throw missing('success_url');
    if (uiMode === 'embedded_page' && !str(p.return_url)) throw missing('return_url');
    const customer = str(p.customer);
    if (customer && !customers.has(customer)) throw new SimError(400, `No such customer: '${customer}'`, 'resource_missing', 'customer');
    if (!Array.isArray(p.line_items) || p.line_items.length === 0) throw missing('line_items');
    const prices = p.line_items.map((li, i) => {
      if (typeof li !== 'object' || Array.isArray(li)) throw new SimError(400, 'Invalid object', undefined, `line_items[${i}]`);
      const data = li.price_data;
      if (typeof data !== 'object' || Array.isArray(data)) {
        // The simulator has no price catalogue of its own: configured stripe_price_ids need live keys.
        throw new SimError(400, `No such price: '${str(li.price) ?? ''}' (the sandbox only knows price_data)`, 'resource_missing', `line_items[${i}][price]`);
      }
      const recurring = data.recurring;
      const interval = typeof recurring === 'object' && !Array.isArray(recurring) ? str(recurring.interval) : undefined;
      const product = data.product_data;
      const price: SimPrice = {
        id: `price_${rid(14)}`,
        object: 'price',
        currency: str(data.currency) ?? 'usd',
        unit_amount: Number(str(data.unit_amount) ?? 0),
        product: `prod_${rid(14)}`,
        product_name: (typeof product === 'object' && !Array.isArray(product) ? str(product.name) : undefined) ?? 'Subscription',
        recurring: interval ? { interval, interval_count: 1 } : null,
        metadata: {},
      };
      return price;
    });
    if (mode === 'subscription' && !prices.some((x) => x.recurring)) throw new SimError(400, 'You must provide at least one recurring price in `subscription` mode when using prices.', undefined, 'line_items');
    const quantities = p.line_items.map((li) => {
      const q = typeof li === 'object' && !Array.isArray(li) ? Number(str(li.quantity) ?? 1) : 1;
      return Number.isInteger(q) && q >= 1 ? q : 1;
    });
    const sd = p.subscription_data;
    const subtotal = prices.reduce((s, x, i) => s + x.unit_amount * quantities[i]!, 0);
    const terms = sessionTerms(p, coupons, subtotal, prices[0]?.currency ?? null, nowSec());
    if ('error' in terms) throw new SimError(400, terms.error.message, terms.error.code, terms.error.param);
    const tax = sessionTax(p, subtotal - terms.amountDiscount);
    if ('error' in tax) throw new SimError(400, tax.error.message, tax.error.code, tax.error.param);
    const id = `cs_test_${rid(58)}`;
    const session: SimSession = {
      id,
      object: 'checkout.session',
      mode,
      ui_mode: uiMode,
      status: 'open',
      payment_status: 'unpaid',
      url: uiMode === 'hosted_page' ? `${options.publicUrl}/sandbox/stripe/checkout/${id}` : null,
      client_secret: uiMode === 'embedded_page' ? `${id}_secret_${rid(24)}` : null,
      success_url: str(p.success_url) ?? null,
      cancel_url: str(p.cancel_url) ?? null,
      return_url: str(p.return_url) ?? null,
      customer: customer ?? null,
      subscription: null,
      payment_intent: null,
      client_reference_id: str(p.client_reference_id) ?? null,
      metadata: map(p.metadata, 'metadata'),
      amount_subtotal: subtotal,
      amount_total: subtotal - terms.amountDiscount + tax.amountTax,
      total_details: { amount_discount: terms.amountDiscount, amount_shipping: 0, amount_tax: tax.amountTax },
      automatic_tax: tax.automatic_tax,
      discounts: terms.discounts,
      currency: prices[0]?.currency ?? null,
      created: nowSec(),
      expires_at: terms.expiresAt,
      livemode: false,
    };
    sessions.set(id, session);
    lineItems.set(id, prices);
    lineQuantities.set(id, quantities);
    subscriptionData.set(id, {
      trialDays: typeof sd === 'object' && !Array.isArray(sd) ? Number(str(sd.trial_period_days) ?? 0) : 0,
      metadata: typeof sd === 'object' && !Array.isArray(sd) ? map(sd.metadata, 'subscription_data[metadata]') : {},
    });
    return session;
  });

  route('GET', '/v1/checkout/sessions/:id', (_p, c) => {
    const session = sessions.get(c.req.param('id')!);
    if (!session) throw new SimError(404, `No such checkout.session: '${c.req.param('id')}'`, 'resource_missing');
    return session;
  });

  route('GET', '/v1/subscriptions/:id', (_p, c) => {
    const sub = subscriptions.get(c.req.param('id')!);
    if (!sub) throw new SimError(404, `No such subscription: '${c.req.param('id')}'`, 'resource_missing');
    return sub;
  });

  // A seat change: the item's quantity, then customer.subscription.updated a moment later (settle() waits for it).
  route('POST', '/v1/subscriptions/:id', (p, c) => {
    const sub = subscriptions.get(c.req.param('id')!);
    if (!sub) throw new SimError(404, `No such subscription: '${c.req.param('id')}'`, 'resource_missing');
    const updated = updateSubscriptionItems(sub, p);
    if ('error' in updated) throw new SimError(400, updated.error.message, updated.error.code, updated.error.param);
    if (Object.keys(updated.previous).length > 0) void sendEvent('customer.subscription.updated', sub, updated.previous).catch(() => undefined);
    return sub;
  });

  route('POST', '/v1/billing_portal/sessions', (p) => {
    const customer = str(p.customer);
    if (!customer) throw missing('customer');
    if (!customers.has(customer)) throw new SimError(400, `No such customer: '${customer}'`, 'resource_missing', 'customer');
    const id = `bps_${rid(24)}`;
    const portal = { id, object: 'billing_portal.session', customer, return_url: str(p.return_url) ?? null, url: `${options.publicUrl}/sandbox/stripe/portal/${id}`, created: nowSec(), livemode: false };
    portalSessions.set(id, portal);
    return portal;
  });

  api.all('*', (c) => respond(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${c.req.method}: ${c.req.path}).` } }));

  async function sendEvent(type: string, object: unknown, previous?: Record<string, unknown>): Promise<void> {
    const created = nowSec();
    const event = stripeEvent(type, object, { created, previous });
    const body = JSON.stringify(event);
    const work = options.deliver({ eventId: event.id, type, body, signature: signStripeWebhook(options.webhookSecret, body, created) });
    pending.add(work);
    try {
      await work;
    } finally {
      pending.delete(work);
    }
  }

  return {
    api,
    sessions,
    coupons,
    subscriptions,
    customers,
    portalSessions,
    lineItems,
    trialDaysOf: (id: string) => subscriptionData.get(id)?.trialDays ?? 0,
    /** The customer paid (or started a trial): the session completes and Stripe's events go out, in Stripe's order. */
    async completeSession(id: string): Promise<SimSession> {
      const session = sessions.get(id);
      if (!session) throw new Error(`no sandbox session ${id}`);
      if (session.status !== 'open') return session;
      const data = subscriptionData.get(id) ?? { trialDays: 0, metadata: {} };
      const start = nowSec();
      session.status = 'complete';
      session.payment_status = session.mode === 'subscription' && data.trialDays > 0 ? 'no_payment_required' : 'paid';
      if (session.mode === 'payment') session.payment_intent = `pi_${rid(24)}`;
      if (session.mode === 'subscription' && session.customer) {
        const trialEnd = data.trialDays > 0 ? start + data.trialDays * 86_400 : null;
        const sub: SimSubscription = startedSubscription({ customer: session.customer, start, trialEnd, items: (lineItems.get(id) ?? []).map((price, i) => ({ price, quantity: lineQuantities.get(id)?.[i] ?? 1 })), metadata: data.metadata });
        subscriptions.set(sub.id, sub);
        session.subscription = sub.id;
        await sendEvent('customer.subscription.created', sub);
      }
      await sendEvent('checkout.session.completed', session);
      return session;
    },
    /** The customer left the hosted page: the session expires (Stripe sends checkout.session.expired later). */
    async expireSession(id: string): Promise<void> {
      const session = sessions.get(id);
      if (!session || session.status !== 'open') return;
      session.status = 'expired';
      await sendEvent('checkout.session.expired', session);
    },
    /** Portal actions: cancel at period end, resume, or cancel now. */
    async changeSubscription(id: string, change: 'cancel_at_period_end' | 'resume' | 'cancel_now'): Promise<SimSubscription> {
      const sub = subscriptions.get(id);
      if (!sub) throw new Error(`no sandbox subscription ${id}`);
      if (change === 'cancel_now') {
        sub.status = 'canceled';
        sub.canceled_at = nowSec();
        await sendEvent('customer.subscription.deleted', sub);
      } else {
        const previous = { cancel_at_period_end: sub.cancel_at_period_end };
        sub.cancel_at_period_end = change === 'cancel_at_period_end';
        sub.cancel_at = sub.cancel_at_period_end ? (sub.items.data[0]?.current_period_end ?? null) : null;
        await sendEvent('customer.subscription.updated', sub, previous);
      }
      return sub;
    },
    /** Wait for deliveries in flight. */
    async settle(): Promise<void> {
      await Promise.allSettled([...pending]);
    },
  };
}

export type StripeSimulator = ReturnType<typeof createStripeSimulator>;
