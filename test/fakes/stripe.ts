// In-memory fake of the slice of the Stripe API Tollgate uses (shared/reference/stripe.md), with signed event delivery.
import { Hono, type Context } from 'hono';
import {
  BaseUrl,
  FaultInjector,
  bearerToken,
  deliverWebhook,
  listen,
  randomId,
  type WebhookDelivery,
} from './harness.js';

/** The API version stamped on events: the one the installed `stripe` SDK pins (node_modules/stripe apiVersion). */
export const STRIPE_FAKE_API_VERSION = STRIPE_API_VERSION;

// The form parser is shared with the server's sandbox: one reading of Stripe's bracket encoding.
export { parseStripeForm, type FormObject } from '../../server/providers/stripe/form.js';
import { parseStripeForm, type FormObject, type FormValue } from '../../server/providers/stripe/form.js';
// The event envelope, its signer and the period lengths are shared with the server's sandbox simulator.
import {
  INTERVAL_SECONDS,
  couponFromParams,
  sessionTax,
  sessionTerms,
  signStripeWebhook,
  updateSubscriptionItems,
  STRIPE_API_VERSION,
  startedSubscription,
  stripeEvent,
  type CheckoutSessionObject,
  type CouponObject,
  type StripeEventObject,
  type SubscriptionObject,
} from '../../server/providers/stripe/sandbox/objects.js';

export { signStripeWebhook };

export interface StripePrice {
  id: string;
  object: 'price';
  active: boolean;
  currency: string;
  unit_amount: number;
  product: string;
  type: 'one_time' | 'recurring';
  recurring: { interval: 'day' | 'week' | 'month' | 'year'; interval_count: number } | null;
  livemode: false;
  metadata: Record<string, string>;
}

export interface StripeCustomer {
  id: string;
  object: 'customer';
  created: number;
  email: string | null;
  name: string | null;
  metadata: Record<string, string>;
  livemode: false;
}

export interface StripeLineItem {
  price: StripePrice;
  quantity: number;
}

export interface StripeCheckoutSession extends CheckoutSessionObject<'payment' | 'subscription' | 'setup', 'hosted_page' | 'embedded_page' | 'elements'> {
  customer_email: string | null;
}

export interface StripeSubscription extends SubscriptionObject<StripePrice, 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'incomplete' | 'incomplete_expired' | 'paused'> {
  start_date: number;
  trial_start: number | null;
}

export type StripeEvent = StripeEventObject;

export interface StripeFakeOptions {
  /** Accepted secret keys; default `['sk_test_tollgate']`. */
  apiKeys?: string[];
  /** Where events are POSTed; events are still recorded in state.events without it. */
  webhookUrl?: string | null;
  /** Endpoint secret that signs Stripe-Signature; default `whsec_test_tollgate`. */
  webhookSecret?: string;
  /** Prices line_items[][price] may reference; default price_starter_monthly, price_pro_monthly, price_one_time. */
  prices?: Array<Pick<StripePrice, 'id' | 'currency' | 'unit_amount'> & { interval?: 'day' | 'week' | 'month' | 'year'; product?: string }>;
  /** Clock in epoch ms. */
  now?: () => number;
  publicUrl?: string;
}

export interface StripeState {
  customers: Map<string, StripeCustomer>;
  /** POST /v1/coupons, by id (sessions' `discounts[0][coupon]` must name one). */
  coupons: Map<string, CouponObject>;
  prices: Map<string, StripePrice>;
  sessions: Map<string, StripeCheckoutSession>;
  /** Line items per session id (Stripe only returns them via expand / a sub-resource). */
  sessionLineItems: Map<string, StripeLineItem[]>;
  /** subscription_data per session id, applied when the session completes. */
  sessionSubscriptionData: Map<string, { trial_period_days: number | null; metadata: Record<string, string> }>;
  subscriptions: Map<string, StripeSubscription>;
  portalSessions: Map<string, Record<string, unknown>>;
  events: StripeEvent[];
  deliveries: WebhookDelivery[];
  /** Every request the fake served, for assertions on what a client sent. */
  requests: { method: string; path: string; params: FormObject; headers: Record<string, string> }[];
}

class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

const missing = (param: string) => new StripeError(400, 'invalid_request_error', `Missing required param: ${param}.`, 'parameter_missing', param);
const noSuch = (kind: string, id: string, param?: string) =>
  // A missing object referenced from params is 400 on real Stripe; a missing object in the URL path is 404.
  new StripeError(param ? 400 : 404, 'invalid_request_error', `No such ${kind}: '${id}'`, 'resource_missing', param);

function asString(value: FormValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asStringMap(value: FormValue | undefined, param: string): Record<string, string> {
  if (value === undefined || value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new StripeError(400, 'invalid_request_error', `Invalid object`, 'parameter_invalid_object', param);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new StripeError(400, 'invalid_request_error', `Invalid string: metadata values must be strings`, undefined, `${param}[${k}]`);
    out[k] = v;
  }
  return out;
}

function asPositiveInt(value: FormValue | undefined, param: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1) {
    throw new StripeError(400, 'invalid_request_error', `Invalid integer: ${String(value)}`, 'parameter_invalid_integer', param);
  }
  return Number(value);
}

const UI_MODES = ['hosted_page', 'embedded_page', 'elements'] as const;

/** Builds the fake's Hono app and the handles its driver needs. */
export function createStripeApp(options: StripeFakeOptions = {}) {
  const now = options.now ?? Date.now;
  const nowSec = () => Math.floor(now() / 1000);
  const apiKeys = options.apiKeys ?? ['sk_test_tollgate'];
  const webhookSecret = options.webhookSecret ?? 'whsec_test_tollgate';
  let webhookUrl = options.webhookUrl ?? null;
  const baseUrl = new BaseUrl(options.publicUrl ?? 'http://stripe.fake');
  const faults = new FaultInjector();
  const idempotency = new Map<string, { fingerprint: string; status: number; body: string; requestId: string }>();

  const makePrice = (p: NonNullable<StripeFakeOptions['prices']>[number]): StripePrice => ({
    id: p.id,
    object: 'price',
    active: true,
    currency: p.currency,
    unit_amount: p.unit_amount,
    product: p.product ?? `prod_${p.id}`,
    type: p.interval ? 'recurring' : 'one_time',
    recurring: p.interval ? { interval: p.interval, interval_count: 1 } : null,
    livemode: false,
    metadata: {},
  });
  const state: StripeState = {
    customers: new Map(),
    coupons: new Map(),
    prices: new Map(
      (
        options.prices ?? [
          { id: 'price_starter_monthly', currency: 'usd', unit_amount: 900, interval: 'month' },
          { id: 'price_pro_monthly', currency: 'usd', unit_amount: 2900, interval: 'month' },
          { id: 'price_one_time', currency: 'usd', unit_amount: 4900 },
        ]
      ).map((p) => [p.id, makePrice(p)]),
    ),
    sessions: new Map(),
    sessionLineItems: new Map(),
    sessionSubscriptionData: new Map(),
    subscriptions: new Map(),
    portalSessions: new Map(),
    events: [],
    deliveries: [],
    requests: [],
  };

  /** Reference "Errors": `{"error":{"type","code","message","param","doc_url"}}`; absent fields are omitted, as Stripe does. */
  function errorBody(err: StripeError): string {
    const error: Record<string, string> = { type: err.type, message: err.message };
    if (err.code) {
      error.code = err.code;
      error.doc_url = `https://stripe.com/docs/error-codes/${err.code.replaceAll('_', '-')}`;
    }
    if (err.param) error.param = err.param;
    return JSON.stringify({ error });
  }

  function respond(c: Context, status: number, body: string, requestId: string): Response {
    return new Response(body, { status, headers: { 'Content-Type': 'application/json', 'request-id': requestId } });
  }

  const app = new Hono();

  app.use(
    '*',
    faults.middleware((c, fault) => {
      const requestId = `req_${randomId(14)}`;
      return fault.kind === 'rate_limited'
        ? respond(c, 429, errorBody(new StripeError(429, 'invalid_request_error', 'Too many requests. Please retry later.', 'rate_limit')), requestId)
        : respond(c, fault.status, errorBody(new StripeError(fault.status, 'api_error', 'An unknown error occurred.')), requestId);
    }),
  );

  // Stand-in for checkout.stripe.com / billing.stripe.com pages.
  app.get('/c/pay/:id', (c) => {
    const session = state.sessions.get(c.req.param('id'));
    return session ? c.html(`<!doctype html><title>Fake Stripe Checkout</title><p>${session.id}</p>`) : c.text('Not found', 404);
  });
  app.get('/p/session/:id', (c) => c.html(`<!doctype html><title>Fake billing portal</title><p>${c.req.param('id')}</p>`));

  type Handler = (params: FormObject, path: Record<string, string>) => unknown | Promise<unknown>;
  const routes: { method: 'GET' | 'POST'; pattern: string; handler: Handler }[] = [];

  /** Wraps a handler with auth, form parsing, idempotency and the error envelope, the way every Stripe endpoint behaves. */
  function route(method: 'GET' | 'POST', pattern: string, handler: Handler): void {
    routes.push({ method, pattern, handler });
    const register = method === 'GET' ? app.get.bind(app) : app.post.bind(app);
    register(pattern, async (c) => {
      const requestId = `req_${randomId(14)}`;
      const raw = method === 'POST' ? await c.req.text() : new URL(c.req.url).search.slice(1);
      const params = parseStripeForm(raw);
      const headers: Record<string, string> = {};
      c.req.raw.headers.forEach((v, k) => {
        headers[k] = v;
      });
      state.requests.push({ method, path: c.req.path, params, headers });
      try {
        const key = bearerToken(c.req.header('Authorization'));
        if (key === null) {
          throw new StripeError(401, 'invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').');
        }
        if (!apiKeys.includes(key)) {
          throw new StripeError(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`, 'api_key_invalid');
        }
        const idemKey = method === 'POST' ? c.req.header('Idempotency-Key') : undefined;
        const fingerprint = `${c.req.path}\n${raw}`;
        if (idemKey) {
          const cached = idempotency.get(`${key}:${idemKey}`);
          if (cached) {
            if (cached.fingerprint !== fingerprint) {
              throw new StripeError(
                400,
                'idempotency_error',
                `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`,
              );
            }
            const replay = respond(c, cached.status, cached.body, cached.requestId);
            replay.headers.set('Idempotent-Replayed', 'true');
            replay.headers.set('Original-Request', cached.requestId);
            return replay;
          }
        }
        const result = await handler(params, c.req.param() as Record<string, string>);
        const body = JSON.stringify(result);
        // Stripe saves a result only once the endpoint ran; parameter validation failures are not saved.
        if (idemKey) idempotency.set(`${key}:${idemKey}`, { fingerprint, status: 200, body, requestId });
        const res = respond(c, 200, body, requestId);
        if (idemKey) res.headers.set('Idempotency-Key', idemKey);
        return res;
      } catch (err) {
        if (err instanceof StripeError) return respond(c, err.status, errorBody(err), requestId);
        throw err;
      }
    });
  }

  function createCustomer(fields: { email?: string | null; name?: string | null; metadata?: Record<string, string> }): StripeCustomer {
    const customer: StripeCustomer = {
      id: `cus_${randomId(14)}`,
      object: 'customer',
      created: nowSec(),
      email: fields.email ?? null,
      name: fields.name ?? null,
      metadata: fields.metadata ?? {},
      livemode: false,
    };
    state.customers.set(customer.id, customer);
    return customer;
  }

  route('POST', '/v1/coupons', (params) => {
    const coupon = couponFromParams(params, state.coupons, nowSec());
    if ('error' in coupon) throw new StripeError(400, 'invalid_request_error', coupon.error.message, coupon.error.code, coupon.error.param);
    state.coupons.set(coupon.id, coupon);
    return coupon;
  });

  route('POST', '/v1/customers', (params) =>
    createCustomer({ email: asString(params.email), name: asString(params.name), metadata: asStringMap(params.metadata, 'metadata') }),
  );

  route('GET', '/v1/customers/:id', (_params, path) => {
    const customer = state.customers.get(path.id!);
    if (!customer) throw noSuch('customer', path.id!);
    return customer;
  });

  route('GET', '/v1/prices/:id', (_params, path) => {
    const price = state.prices.get(path.id!);
    if (!price) throw noSuch('price', path.id!);
    return price;
  });

  function parseLineItems(params: FormObject, mode: StripeCheckoutSession['mode']): StripeLineItem[] {
    const raw = params.line_items;
    if (raw === undefined) {
      if (mode === 'setup') return [];
      throw missing('line_items');
    }
    if (!Array.isArray(raw)) throw new StripeError(400, 'invalid_request_error', 'Invalid array', 'parameter_invalid_array', 'line_items');
    return raw.map((entry, i) => {
      const param = `line_items[${i}]`;
      if (typeof entry !== 'object' || Array.isArray(entry)) throw new StripeError(400, 'invalid_request_error', 'Invalid object', undefined, param);
      const quantity = asPositiveInt(entry.quantity, `${param}[quantity]`);
      if (quantity === undefined) throw missing(`${param}[quantity]`);
      const priceId = asString(entry.price);
      if (priceId !== undefined) {
        const price = state.prices.get(priceId);
        if (!price) throw noSuch('price', priceId, `${param}[price]`);
        return { price, quantity };
      }
      const data = entry.price_data;
      if (typeof data !== 'object' || Array.isArray(data)) {
        throw new StripeError(400, 'invalid_request_error', `You must specify either \`price\` or \`price_data\` in ${param}.`, 'parameter_missing', `${param}[price]`);
      }
      const currency = asString(data.currency);
      if (!currency) throw missing(`${param}[price_data][currency]`);
      const unitAmount = asString(data.unit_amount);
      if (unitAmount === undefined || !/^\d+$/.test(unitAmount)) throw missing(`${param}[price_data][unit_amount]`);
      const productData = data.product_data;
      const product = asString(data.product) ?? (typeof productData === 'object' && !Array.isArray(productData) ? `prod_${randomId(14)}` : undefined);
      if (!product) throw missing(`${param}[price_data][product]`);
      const recurring = data.recurring;
      const interval = typeof recurring === 'object' && !Array.isArray(recurring) ? asString(recurring.interval) : undefined;
      if (recurring !== undefined && !(interval && interval in INTERVAL_SECONDS)) {
        throw new StripeError(400, 'invalid_request_error', 'Invalid recurring[interval]: must be one of day, week, month, or year', undefined, `${param}[price_data][recurring][interval]`);
      }
      const price = makePrice({ id: `price_${randomId(14)}`, currency, unit_amount: Number(unitAmount), product, interval: interval as 'month' | undefined });
      state.prices.set(price.id, price);
      return { price, quantity };
    });
  }

  route('POST', '/v1/checkout/sessions', (params) => {
    const mode = asString(params.mode);
    if (!mode) throw missing('mode');
    if (mode !== 'payment' && mode !== 'subscription' && mode !== 'setup') {
      throw new StripeError(400, 'invalid_request_error', 'Invalid mode: must be one of payment, setup, or subscription', undefined, 'mode');
    }
    const uiMode = asString(params.ui_mode) ?? 'hosted_page';
    // Reference: since 2026-03-25 (dahlia) the names are hosted_page/embedded_page/elements; hosted/embedded/custom are rejected.
    if (!(UI_MODES as readonly string[]).includes(uiMode)) {
      throw new StripeError(400, 'invalid_request_error', `Invalid ui_mode: must be one of hosted_page, embedded_page, or elements`, undefined, 'ui_mode');
    }
    const successUrl = asString(params.success_url) ?? null;
    const cancelUrl = asString(params.cancel_url) ?? null;
    const returnUrl = asString(params.return_url) ?? null;
    if (uiMode === 'hosted_page') {
      if (!successUrl) throw missing('success_url');
      if (returnUrl) throw new StripeError(400, 'invalid_request_error', 'You may only specify return_url when ui_mode is `embedded_page` or `elements`.', undefined, 'return_url');
    } else {
      if (successUrl || cancelUrl) {
        const param = successUrl ? 'success_url' : 'cancel_url';
        throw new StripeError(400, 'invalid_request_error', `You may only specify ${param} when ui_mode is \`hosted_page\`.`, undefined, param);
      }
      if (!returnUrl) throw missing('return_url');
    }
    const customerId = asString(params.customer);
    const customerEmail = asString(params.customer_email);
    if (customerId && customerEmail) {
      throw new StripeError(400, 'invalid_request_error', 'You may only specify one of these parameters: customer, customer_email.', undefined, 'customer_email');
    }
    if (customerId && !state.customers.has(customerId)) throw noSuch('customer', customerId, 'customer');
    const lineItems = parseLineItems(params, mode);
    const recurring = lineItems.filter((li) => li.price.recurring);
    if (mode === 'subscription' && recurring.length === 0) {
      throw new StripeError(400, 'invalid_request_error', 'You must provide at least one recurring price in `subscription` mode when using prices.', undefined, 'line_items');
    }
    if (mode === 'payment' && recurring.length > 0) {
      throw new StripeError(400, 'invalid_request_error', 'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', undefined, 'line_items');
    }
    const subscriptionData = params.subscription_data;
    let trialDays: number | null = null;
    let subscriptionMetadata: Record<string, string> = {};
    if (subscriptionData !== undefined) {
      if (mode !== 'subscription') {
        throw new StripeError(400, 'invalid_request_error', 'You can only specify `subscription_data` in `subscription` mode.', undefined, 'subscription_data');
      }
      if (typeof subscriptionData === 'object' && !Array.isArray(subscriptionData)) {
        trialDays = asPositiveInt(subscriptionData.trial_period_days, 'subscription_data[trial_period_days]') ?? null;
        subscriptionMetadata = asStringMap(subscriptionData.metadata, 'subscription_data[metadata]');
      }
    }
    const subtotal = lineItems.reduce((sum, li) => sum + li.price.unit_amount * li.quantity, 0);
    const terms = sessionTerms(params, state.coupons, subtotal, lineItems[0]?.price.currency ?? null, nowSec());
    if ('error' in terms) throw new StripeError(400, 'invalid_request_error', terms.error.message, terms.error.code, terms.error.param);
    const tax = sessionTax(params, subtotal - terms.amountDiscount);
    if ('error' in tax) throw new StripeError(400, 'invalid_request_error', tax.error.message, tax.error.code, tax.error.param);
    const id = `cs_test_${randomId(58)}`;
    const session: StripeCheckoutSession = {
      id,
      object: 'checkout.session',
      mode,
      ui_mode: uiMode as StripeCheckoutSession['ui_mode'],
      status: 'open',
      payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
      url: uiMode === 'hosted_page' ? `${baseUrl.get()}/c/pay/${id}` : null,
      client_secret: uiMode === 'hosted_page' ? null : `${id}_secret_${randomId(24)}`,
      success_url: successUrl,
      cancel_url: cancelUrl,
      return_url: returnUrl,
      customer: customerId ?? null,
      customer_email: customerEmail ?? null,
      subscription: null,
      client_reference_id: asString(params.client_reference_id) ?? null,
      metadata: asStringMap(params.metadata, 'metadata'),
      amount_subtotal: subtotal,
      amount_total: subtotal - terms.amountDiscount + tax.amountTax,
      total_details: { amount_discount: terms.amountDiscount, amount_shipping: 0, amount_tax: tax.amountTax },
      automatic_tax: tax.automatic_tax,
      discounts: terms.discounts,
      currency: lineItems[0]?.price.currency ?? null,
      created: nowSec(),
      expires_at: terms.expiresAt,
      livemode: false,
    };
    state.sessions.set(id, session);
    state.sessionLineItems.set(id, lineItems);
    state.sessionSubscriptionData.set(id, { trial_period_days: trialDays, metadata: subscriptionMetadata });
    return session;
  });

  route('GET', '/v1/checkout/sessions/:id', (_params, path) => {
    const session = state.sessions.get(path.id!);
    if (!session) throw noSuch('checkout.session', path.id!);
    return session;
  });

  route('POST', '/v1/billing_portal/sessions', (params) => {
    const customer = asString(params.customer);
    if (!customer) throw missing('customer');
    if (!state.customers.has(customer)) throw noSuch('customer', customer, 'customer');
    const id = `bps_${randomId(24)}`;
    const session = {
      id,
      object: 'billing_portal.session',
      configuration: asString(params.configuration) ?? `bpc_${randomId(14)}`,
      created: nowSec(),
      customer,
      flow: null,
      livemode: false,
      locale: asString(params.locale) ?? null,
      on_behalf_of: null,
      return_url: asString(params.return_url) ?? null,
      url: `${baseUrl.get()}/p/session/${id}`,
    };
    state.portalSessions.set(id, session);
    return session;
  });

  route('GET', '/v1/subscriptions/:id', (_params, path) => {
    const subscription = state.subscriptions.get(path.id!);
    if (!subscription) throw noSuch('subscription', path.id!);
    return subscription;
  });

  // Update a subscription (the seat change: items[i][id] + items[i][quantity], proration_behavior): the item's new
  // quantity, and customer.subscription.updated with previous_attributes.items, delivered before the answer.
  route('POST', '/v1/subscriptions/:id', async (params, path) => {
    const subscription = state.subscriptions.get(path.id!);
    if (!subscription) throw noSuch('subscription', path.id!);
    const updated = updateSubscriptionItems(subscription, params);
    if ('error' in updated) throw new StripeError(400, 'invalid_request_error', updated.error.message, updated.error.code, updated.error.param);
    if (Object.keys(updated.previous).length > 0) await sendEvent('customer.subscription.updated', subscription, updated.previous);
    return subscription;
  });

  app.all('*', (c) =>
    respond(c, 404, errorBody(new StripeError(404, 'invalid_request_error', `Unrecognized request URL (${c.req.method}: ${c.req.path}).`)), `req_${randomId(14)}`),
  );

  /** Records an event and, when a webhook URL is configured, POSTs it signed with Stripe-Signature. */
  async function sendEvent(type: string, object: unknown, previousAttributes?: Record<string, unknown>): Promise<StripeEvent> {
    const event = stripeEvent(type, object, { created: nowSec(), previous: previousAttributes, pendingWebhooks: webhookUrl ? 1 : 0 });
    state.events.push(event);
    if (webhookUrl) {
      const body = JSON.stringify(event, null, 2);
      const delivery = await deliverWebhook(
        {
          eventId: event.id,
          eventType: type,
          url: webhookUrl,
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'Stripe-Signature': signStripeWebhook(webhookSecret, body, event.created),
          },
          body,
          attempt: 1,
        },
        10_000,
      );
      state.deliveries.push(delivery);
    }
    return event;
  }

  /** A renewal invoice of `subscription` (billing_reason subscription_cycle, amount_due = Σ unit_amount × quantity), before its outcome. */
  function subscriptionInvoice(subscription: StripeSubscription) {
    const item = subscription.items.data[0];
    const amount = subscription.items.data.reduce((sum, i) => sum + i.price.unit_amount * i.quantity, 0);
    const invoice = {
      id: `in_${randomId(14)}`,
      object: 'invoice',
      customer: subscription.customer,
      billing_reason: 'subscription_cycle',
      amount_due: amount,
      currency: item?.price.currency ?? 'usd',
      created: nowSec(),
      parent: { type: 'subscription_details', subscription_details: { subscription: subscription.id, metadata: subscription.metadata } },
      livemode: false,
    };
    return { item, amount, invoice };
  }

  function requireSubscription(id: string): StripeSubscription {
    const subscription = state.subscriptions.get(id);
    if (!subscription) throw new Error(`stripe fake: no subscription ${id}`);
    return subscription;
  }

  const control = {
    ...faults.controls(),
    setWebhookUrl(url: string | null): void {
      webhookUrl = url;
    },
    /** Sends an arbitrary event (e.g. invoice.paid) through the same signing path. */
    sendEvent,
    /**
     * The customer paid: status complete; payment_status paid (no_payment_required for setup mode or a trial, as Stripe
     * reports when nothing is charged today); subscription mode creates the customer if needed and a `sub_…`.
     * Sends customer.subscription.created (subscription mode) then checkout.session.completed.
     */
    async completeSession(id: string): Promise<StripeCheckoutSession> {
      const session = state.sessions.get(id);
      if (!session) throw new Error(`stripe fake: no session ${id}`);
      if (session.status !== 'open') throw new Error(`stripe fake: session ${id} is ${session.status}`);
      if (!session.customer && session.mode !== 'payment') session.customer = createCustomer({ email: session.customer_email }).id;
      const subscriptionData = state.sessionSubscriptionData.get(id) ?? { trial_period_days: null, metadata: {} };
      session.status = 'complete';
      session.payment_status = session.mode === 'setup' || subscriptionData.trial_period_days ? 'no_payment_required' : 'paid';
      if (session.mode === 'subscription' && session.customer) {
        const start = nowSec();
        const lineItems = state.sessionLineItems.get(id) ?? [];
        const trialEnd = subscriptionData.trial_period_days ? start + subscriptionData.trial_period_days * 86_400 : null;
        const subscription: StripeSubscription = {
          ...startedSubscription({ customer: session.customer, start, trialEnd, items: lineItems, metadata: subscriptionData.metadata }),
          start_date: start,
          trial_start: trialEnd ? start : null,
        };
        state.subscriptions.set(subscription.id, subscription);
        session.subscription = subscription.id;
        await sendEvent('customer.subscription.created', subscription);
      }
      await sendEvent('checkout.session.completed', session);
      return session;
    },
    /**
     * The session passed its `expires_at` unpaid (Stripe's default is 24 h): status expired, url null,
     * and checkout.session.expired is sent. It can no longer be completed.
     */
    async expireSession(id: string): Promise<StripeCheckoutSession> {
      const session = state.sessions.get(id);
      if (!session) throw new Error(`stripe fake: no session ${id}`);
      if (session.status !== 'open') throw new Error(`stripe fake: session ${id} is ${session.status}`);
      session.status = 'expired';
      session.url = null;
      await sendEvent('checkout.session.expired', session);
      return session;
    },
    /** Applies top-level changes and sends customer.subscription.updated with previous_attributes. */
    async updateSubscription(id: string, changes: Partial<Omit<StripeSubscription, 'id' | 'object'>>): Promise<StripeSubscription> {
      const subscription = requireSubscription(id);
      const previous: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(changes)) {
        previous[key] = (subscription as unknown as Record<string, unknown>)[key];
        (subscription as unknown as Record<string, unknown>)[key] = value;
      }
      await sendEvent('customer.subscription.updated', subscription, previous);
      return subscription;
    },
    /** Cancels immediately: status canceled, customer.subscription.deleted sent. */
    async deleteSubscription(id: string): Promise<StripeSubscription> {
      const subscription = requireSubscription(id);
      subscription.status = 'canceled';
      subscription.canceled_at = nowSec();
      await sendEvent('customer.subscription.deleted', subscription);
      return subscription;
    },
    /**
     * A renewal charged: the subscription's items move one period on and invoice.paid is sent for the new period
     * (billing_reason subscription_cycle, amount_paid = Σ unit_amount × quantity), with its hosted invoice page.
     */
    async invoicePaid(subscriptionId: string): Promise<StripeEvent> {
      const subscription = requireSubscription(subscriptionId);
      const { item, amount, invoice } = subscriptionInvoice(subscription);
      const start = item?.current_period_end ?? nowSec();
      const end = start + (item?.current_period_end && item.current_period_start ? item.current_period_end - item.current_period_start : 30 * 86_400);
      for (const i of subscription.items.data) Object.assign(i, { current_period_start: start, current_period_end: end });
      return sendEvent('invoice.paid', {
        ...invoice,
        status: 'paid',
        amount_paid: amount,
        amount_remaining: 0,
        hosted_invoice_url: `${baseUrl.get()}/i/${invoice.id}`,
        period_start: start,
        period_end: end,
        status_transitions: { paid_at: nowSec() },
        lines: { object: 'list', data: [{ quantity: item?.quantity ?? 1, period: { start, end } }] },
      });
    },
    /**
     * A renewal charge failed: invoice.payment_failed (the invoice names its subscription under
     * parent.subscription_details, as API versions since 2025-03-31 do), then the subscription goes past_due with
     * customer.subscription.updated — the pair Stripe sends.
     */
    async invoicePaymentFailed(subscriptionId: string): Promise<StripeEvent> {
      const subscription = requireSubscription(subscriptionId);
      const { item, amount, invoice } = subscriptionInvoice(subscription);
      const event = await sendEvent('invoice.payment_failed', {
        ...invoice,
        status: 'open',
        amount_paid: 0,
        amount_remaining: amount,
        attempt_count: 1,
        attempted: true,
        period_start: item?.current_period_start ?? nowSec(),
        period_end: item?.current_period_end ?? nowSec(),
      });
      await control.updateSubscription(subscriptionId, { status: 'past_due' });
      return event;
    },
  };

  return { app, state, control, baseUrl, routes };
}

export type StripeControl = ReturnType<typeof createStripeApp>['control'];

/** Starts the Stripe fake on 127.0.0.1; point the SDK at it with `{host:'127.0.0.1', port, protocol:'http'}`. */
export async function startStripeFake(options: StripeFakeOptions = {}): Promise<{
  url: string;
  port: number;
  close(): Promise<void>;
  state: StripeState;
  control: StripeControl;
}> {
  const fake = createStripeApp(options);
  const server = await listen(fake.app);
  fake.baseUrl.set(server.url);
  return { url: server.url, port: Number(new URL(server.url).port), state: fake.state, control: fake.control, close: server.close };
}
