// In-memory fake of the mintbot Brand Partner API (docs/upstream/mintbot-partner-api.txt) with a lifecycle driver that sends signed webhooks.
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import {
  BaseUrl,
  FaultInjector,
  PendingWork,
  SlidingWindowLimiter,
  bearerToken,
  deliverWebhook,
  hmacTimestampedHex,
  listen,
  randomId,
  randomUUID,
  readJsonObject,
  type WebhookDelivery,
} from './harness.js';

/** docs/upstream/mintbot-partner-api.txt "At a glance": Base URL https://mint.mintbot.ai/api/mintoffice/v1. */
export const MINTBOT_BASE_PATH = '/api/mintoffice/v1';

export const MINTBOT_TIERS = ['trial', 's1', 's2', 's4'] as const;
export type MintbotTier = (typeof MINTBOT_TIERS)[number];

/** docs/upstream/mintbot-partner-api.txt "List orders": the statuses an order can be filtered by. */
export const MINTBOT_ORDER_STATUSES = ['awaiting_payment', 'completed', 'deployed', 'deploy_failed', 'expired'] as const;
export type MintbotOrderStatus = (typeof MINTBOT_ORDER_STATUSES)[number];

/** docs/upstream/mintbot-partner-api.txt "Event types". */
export const MINTBOT_EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.cancelled',
  'agent.provisioning_started',
  'agent.ready',
  'agent.failed',
  'agent.expired',
] as const;
export type MintbotEventType = (typeof MINTBOT_EVENT_TYPES)[number];

/** docs/upstream/mintbot-partner-api.txt "Create order — Response 201": the OrderResponse, field for field and in the documented order. */
export interface MintbotOrderResponse {
  id: number;
  tier: MintbotTier;
  duration_days: number;
  credit_usd: number;
  amount_cents: number;
  currency: string;
  status: MintbotOrderStatus;
  checkout_url: string;
  panel_url: string | null;
  expires_at: string | null;
  language: string | null;
  external_id: string | null;
  created_at: string;
  paid_at: string | null;
}

/** An order as the fake stores it: the public OrderResponse plus what the partner sent and what the driver did. */
export interface MintbotOrderRecord extends MintbotOrderResponse {
  success_url: string;
  cancel_url: string;
  webhook_url: string | null;
  checkout_session_id: string;
  /** Set on orders created by POST /orders/{id}/renew. */
  renews_order_id: number | null;
  /** Set by control.fail(): the step that broke (docs/upstream/mintbot-partner-api.txt "agent.failed"). */
  error: string | null;
  /** Set by control.cancel(): the order is expired and was cancelled rather than run to its TTL. */
  cancelled: boolean;
}

/** docs/upstream/mintbot-partner-api.txt "Revenue — events[]". */
export interface MintbotRevenueEvent {
  id: number;
  order_id: number;
  kind: 'order_paid';
  gross_cents: number;
  partner_cut_cents: number;
  mintbot_cut_cents: number;
  currency: string;
  created_at: string;
  payout_id: string | null;
  payout_at: string | null;
}

/** A webhook event the fake emitted (delivered or not, e.g. when no webhook URL is configured). */
export interface MintbotEmittedEvent {
  eventId: string;
  type: MintbotEventType;
  orderId: number;
  payload: Record<string, unknown>;
}

interface CachedResponse {
  fingerprint: string;
  storedAtMs: number;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface MintbotFakeOptions {
  /** Partner API key; default `mo_test_` + 32 random characters. */
  apiKey?: string;
  /** Secret that signs X-Mintbot-Signature; default `mintbot_whsec_test`. */
  webhookSecret?: string;
  /** Partner-level webhook URL (orders may override it with `webhook_url`). */
  webhookUrl?: string | null;
  partnerId?: number;
  partnerEmail?: string;
  /** Items per GET /orders page; the doc does not say, 20 is our pick. */
  pageSize?: number;
  /** docs/upstream/mintbot-partner-api.txt "Rate limits": 120 / 60 s per partner, 60 / 60 s per IP for unauthenticated and failed-auth requests. */
  rateLimit?: { partnerPerWindow?: number; ipPerWindow?: number; windowMs?: number };
  /** Clock in epoch ms; inject to test the 24 h idempotency window. */
  now?: () => number;
  /** Send order.created when POST /orders succeeds, as the real service does; default true. */
  sendOrderCreatedWebhook?: boolean;
  /** docs/upstream/mintbot-partner-api.txt "Delivery & retries": receivers must answer within 10 s. */
  webhookTimeoutMs?: number;
  /** Price of 30 days per tier, in cents. The doc only shows s1/30 days/credit 10 → 1200 cents; the rest is our assumption. */
  tierMonthlyCents?: Partial<Record<MintbotTier, number>>;
  /** Partner cut of gross in basis points; 1667 reproduces the doc's 1200 → 200/1000 split. */
  partnerCutBps?: number;
  /** Public base URL used in checkout URLs before `start…` knows its port (in-process use). */
  publicUrl?: string;
}

export interface MintbotState {
  partner: {
    id: number;
    email: string;
    pricing_currency: string;
    webhook_url: string | null;
    apiKey: string;
    webhookSecret: string;
  };
  orders: Map<number, MintbotOrderRecord>;
  revenueEvents: MintbotRevenueEvent[];
  idempotency: Map<string, CachedResponse>;
  events: MintbotEmittedEvent[];
  deliveries: WebhookDelivery[];
}

/** Signs a webhook body the way docs/upstream/mintbot-partner-api.txt "Verifying the signature" checks it: `t=<unix>,v1=<hex hmac-sha256(secret, "{t}.{raw body}")>`. */
export function signMintbotWebhook(secret: string, body: string, t: number): string {
  return `t=${t},v1=${hmacTimestampedHex(secret, body, t)}`;
}

/** mintbot timestamps look like `2026-05-16 09:58:00` (docs/upstream/mintbot-partner-api.txt samples): UTC, second precision, no zone. */
export function formatMintbotTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** An RFC 9562 UUID in its text form (any version), as `uuidgen` and `uuid.uuid4()` in docs/upstream/mintbot-partner-api.txt's samples print it. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const DEFAULT_TIER_MONTHLY_CENTS: Record<MintbotTier, number> = { trial: 0, s1: 200, s2: 400, s4: 800 };

type Env = { Variables: { requestId: string; partnerId: number } };

/** Builds the fake's Hono app and the handles its driver needs. */
export function createMintbotApp(options: MintbotFakeOptions = {}) {
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 20;
  const windowMs = options.rateLimit?.windowMs ?? 60_000;
  const partnerLimiter = new SlidingWindowLimiter(options.rateLimit?.partnerPerWindow ?? 120, windowMs);
  const ipLimiter = new SlidingWindowLimiter(options.rateLimit?.ipPerWindow ?? 60, windowMs);
  const tierMonthlyCents = { ...DEFAULT_TIER_MONTHLY_CENTS, ...options.tierMonthlyCents };
  const partnerCutBps = options.partnerCutBps ?? 1667;
  const baseUrl = new BaseUrl(options.publicUrl ?? 'http://mintbot.fake');
  const faults = new FaultInjector();
  const pending = new PendingWork();
  let checkoutFailures = 0;
  let nextOrderId = 1;
  let nextRevenueEventId = 1;

  const state: MintbotState = {
    partner: {
      id: options.partnerId ?? 12,
      email: options.partnerEmail ?? 'partner@tollgate.test',
      pricing_currency: 'usd',
      webhook_url: options.webhookUrl ?? null,
      apiKey: options.apiKey ?? `mo_test_${randomId(32)}`,
      webhookSecret: options.webhookSecret ?? 'mintbot_whsec_test',
    },
    orders: new Map(),
    revenueEvents: [],
    idempotency: new Map(),
    events: [],
    deliveries: [],
  };

  /** docs/upstream/mintbot-partner-api.txt "Errors": `{"error":{"code","message","request_id"}}`, request_id echoing X-Request-Id. */
  function errorResponse(c: Context<Env>, status: number, code: string, message: string): Response {
    return c.json({ error: { code, message, request_id: c.get('requestId') } }, status as 400);
  }

  function toResponse(order: MintbotOrderRecord): MintbotOrderResponse {
    return {
      id: order.id,
      tier: order.tier,
      duration_days: order.duration_days,
      credit_usd: order.credit_usd,
      amount_cents: order.amount_cents,
      currency: order.currency,
      status: order.status,
      checkout_url: order.checkout_url,
      panel_url: order.panel_url,
      expires_at: order.expires_at,
      language: order.language,
      external_id: order.external_id,
      created_at: order.created_at,
      paid_at: order.paid_at,
    };
  }

  function clientIp(c: Context<Env>): string {
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      // In-process app.request() has no socket.
      return 'in-process';
    }
  }

  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    c.set('requestId', randomUUID());
    await next();
    c.res.headers.set('X-Request-Id', c.get('requestId'));
  });

  app.use(
    '*',
    faults.middleware((c, fault) =>
      fault.kind === 'rate_limited'
        ? errorResponse(c as Context<Env>, 429, 'rate_limited', 'Rate limit exceeded. Retry after the Retry-After interval.')
        : // The doc lists no 5xx code; `internal_error` is our assumption.
          errorResponse(c as Context<Env>, fault.status, 'internal_error', 'Internal server error.'),
    ),
  );

  // Stand-in for the Stripe Checkout page the real checkout_url points at: lets a browser-driven test click through.
  app.get('/c/pay/:session', (c) => {
    const order = [...state.orders.values()].find((o) => o.checkout_session_id === c.req.param('session'));
    if (!order) return c.text('Checkout session not found', 404);
    return c.html(
      `<!doctype html><title>Fake checkout</title><h1>Order ${order.id}</h1>` +
        `<p>${order.amount_cents} ${order.currency}</p>` +
        `<a id="success" href="${order.success_url}">Pay</a> <a id="cancel" href="${order.cancel_url}">Cancel</a>`,
    );
  });

  const api = new Hono<Env>();

  // docs/upstream/mintbot-partner-api.txt "Authentication" + "Rate limits": missing/malformed header → unauthenticated, unknown key → invalid_api_key;
  // both count against the per-IP bucket, valid keys against the per-partner bucket.
  api.use('*', async (c, next) => {
    const header = c.req.header('Authorization');
    const token = bearerToken(header);
    if (token === null || token !== state.partner.apiKey) {
      const limited = ipLimiter.take(clientIp(c), now());
      if (!limited.allowed) {
        const res = errorResponse(c, 429, 'rate_limited', 'Too many unauthenticated requests from this IP.');
        res.headers.set('Retry-After', String(limited.retryAfterSeconds));
        return res;
      }
      return token === null
        ? errorResponse(c, 401, 'unauthenticated', 'Missing or malformed Authorization header.')
        : errorResponse(c, 401, 'invalid_api_key', 'API key is unknown or revoked.');
    }
    const limited = partnerLimiter.take(`partner:${state.partner.id}`, now());
    if (!limited.allowed) {
      const res = errorResponse(c, 429, 'rate_limited', 'Per-partner rate limit exceeded.');
      res.headers.set('Retry-After', String(limited.retryAfterSeconds));
      return res;
    }
    c.set('partnerId', state.partner.id);
    await next();
  });

  // docs/upstream/mintbot-partner-api.txt "Idempotency": required on every POST; 24 h replay with Idempotent-Replay: true; other body → 409.
  api.use('*', async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const key = c.req.header('Idempotency-Key');
    if (!key) return errorResponse(c, 400, 'missing_idempotency_key', 'POST requests require an Idempotency-Key header.');
    // "Idempotency-Key: <uuid>" / "Any UUID per distinct request works": a strict reading refuses anything else
    // (the code and status are our assumption; the doc lists no error for it).
    if (!UUID.test(key)) return errorResponse(c, 400, 'validation_error', 'Idempotency-Key must be a UUID.');
    const raw = await c.req.text();
    // The fingerprint is the path plus the raw body bytes: a retry sends the same bytes.
    const fingerprint = `${c.req.path}\n${raw}`;
    const storeKey = `${c.get('partnerId')}:${key}`;
    const cached = state.idempotency.get(storeKey);
    if (cached && now() - cached.storedAtMs < 24 * 60 * 60 * 1000) {
      if (cached.fingerprint !== fingerprint) {
        return errorResponse(c, 409, 'idempotency_key_mismatch', 'Idempotency-Key was already used with a different request body.');
      }
      const headers = new Headers(cached.headers);
      headers.set('Idempotent-Replay', 'true');
      return new Response(cached.body, { status: cached.status, headers });
    }
    await next();
    // 5xx and 429 are not cached so the client's retry with the same key can still succeed (doc is silent).
    if (c.res.status < 500 && c.res.status !== 429) {
      const body = await c.res.clone().text();
      const headers: Record<string, string> = {};
      c.res.headers.forEach((value, name) => {
        headers[name] = value;
      });
      state.idempotency.set(storeKey, { fingerprint, storedAtMs: now(), status: c.res.status, headers, body });
    }
  });

  type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

  function isHttpUrl(value: unknown): value is string {
    if (typeof value !== 'string') return false;
    try {
      const url = new URL(value.replaceAll('{ORDER_ID}', '0'));
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }

  function parseDuration(value: unknown): Parsed<number> {
    return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 365
      ? { ok: true, value }
      : { ok: false, message: 'duration_days must be an integer in the range 1–365.' };
  }

  function optionalString(body: Record<string, unknown>, field: string): Parsed<string | null> {
    const value = body[field];
    if (value === undefined || value === null) return { ok: true, value: null };
    return typeof value === 'string' ? { ok: true, value } : { ok: false, message: `${field} must be a string.` };
  }

  function parseUrls(body: Record<string, unknown>): Parsed<{ success_url: string; cancel_url: string; webhook_url: string | null }> {
    // success_url/cancel_url are not marked Optional in docs/upstream/mintbot-partner-api.txt (credit_usd, language, external_id, webhook_url are).
    for (const field of ['success_url', 'cancel_url'] as const) {
      if (!isHttpUrl(body[field])) return { ok: false, message: `${field} is required and must be an http(s) URL.` };
    }
    const webhook = body.webhook_url;
    if (webhook !== undefined && webhook !== null && !isHttpUrl(webhook)) return { ok: false, message: 'webhook_url must be an http(s) URL.' };
    return {
      ok: true,
      value: {
        success_url: body.success_url as string,
        cancel_url: body.cancel_url as string,
        webhook_url: typeof webhook === 'string' ? webhook : null,
      },
    };
  }

  function priceCents(tier: MintbotTier, days: number, creditUsd: number): number {
    return Math.round((tierMonthlyCents[tier] * days) / 30) + Math.round(creditUsd * 100);
  }

  function mintOrder(fields: {
    tier: MintbotTier;
    duration_days: number;
    credit_usd: number;
    language: string | null;
    external_id: string | null;
    success_url: string;
    cancel_url: string;
    webhook_url: string | null;
    renews_order_id: number | null;
  }): MintbotOrderRecord {
    const id = nextOrderId++;
    const sessionId = `cs_test_${randomId(24)}`;
    const substitute = (url: string) => url.replaceAll('{ORDER_ID}', String(id));
    const order: MintbotOrderRecord = {
      id,
      tier: fields.tier,
      duration_days: fields.duration_days,
      credit_usd: fields.credit_usd,
      amount_cents: priceCents(fields.tier, fields.duration_days, fields.credit_usd),
      currency: state.partner.pricing_currency,
      status: 'awaiting_payment',
      checkout_url: `${baseUrl.get()}/c/pay/${sessionId}`,
      panel_url: null,
      expires_at: null,
      language: fields.language,
      external_id: fields.external_id,
      created_at: formatMintbotTimestamp(now()),
      paid_at: null,
      success_url: substitute(fields.success_url),
      cancel_url: substitute(fields.cancel_url),
      webhook_url: fields.webhook_url,
      checkout_session_id: sessionId,
      renews_order_id: fields.renews_order_id,
      error: null,
      cancelled: false,
    };
    state.orders.set(id, order);
    if (options.sendOrderCreatedWebhook ?? true) pending.track(emit(order, 'order.created'));
    return order;
  }

  async function readBody(c: Context<Env>): Promise<Record<string, unknown> | Response> {
    const { value } = await readJsonObject(c);
    if (!value) return errorResponse(c, 400, 'validation_error', 'Request body must be a JSON object.');
    return value;
  }

  function takeCheckoutFailure(c: Context<Env>): Response | null {
    if (checkoutFailures <= 0) return null;
    checkoutFailures -= 1;
    // Status for payment_gateway_error is not documented; 502 (bad upstream) is our assumption.
    return errorResponse(c, 502, 'payment_gateway_error', 'Stripe rejected the Checkout session creation.');
  }

  api.post('/orders', async (c) => {
    const body = await readBody(c);
    if (body instanceof Response) return body;
    if (typeof body.tier !== 'string' || !(MINTBOT_TIERS as readonly string[]).includes(body.tier)) {
      return errorResponse(c, 400, 'validation_error', 'tier must be one of trial, s1, s2, s4.');
    }
    const duration = parseDuration(body.duration_days);
    if (!duration.ok) return errorResponse(c, 400, 'validation_error', duration.message);
    const credit = body.credit_usd;
    if (credit !== undefined && credit !== null && (typeof credit !== 'number' || !Number.isFinite(credit) || credit < 0)) {
      return errorResponse(c, 400, 'validation_error', 'credit_usd must be a non-negative number.');
    }
    const language = optionalString(body, 'language');
    if (!language.ok) return errorResponse(c, 400, 'validation_error', language.message);
    const externalId = optionalString(body, 'external_id');
    if (!externalId.ok) return errorResponse(c, 400, 'validation_error', externalId.message);
    const urls = parseUrls(body);
    if (!urls.ok) return errorResponse(c, 400, 'validation_error', urls.message);
    const gatewayFailure = takeCheckoutFailure(c);
    if (gatewayFailure) return gatewayFailure;
    const order = mintOrder({
      tier: body.tier as MintbotTier,
      duration_days: duration.value,
      // Omitted credit is 0 (the doc's sample always sends it).
      credit_usd: typeof credit === 'number' ? credit : 0,
      language: language.value,
      external_id: externalId.value,
      ...urls.value,
      renews_order_id: null,
    });
    return c.json(toResponse(order), 201);
  });

  function findOrder(idParam: string): MintbotOrderRecord | undefined {
    return /^\d+$/.test(idParam) ? state.orders.get(Number(idParam)) : undefined;
  }

  api.get('/orders/:id', (c) => {
    const order = findOrder(c.req.param('id'));
    if (!order) return errorResponse(c, 404, 'not_found', 'Order not found.');
    return c.json(toResponse(order));
  });

  // docs/upstream/mintbot-partner-api.txt "List orders": newest first; next_cursor is the id of the last item on the page (our reading of "37"),
  // and the next page holds the orders older than it.
  api.get('/orders', (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !(MINTBOT_ORDER_STATUSES as readonly string[]).includes(status)) {
      return errorResponse(c, 400, 'validation_error', 'status must be one of awaiting_payment, completed, deployed, deploy_failed, expired.');
    }
    const cursor = c.req.query('cursor');
    if (cursor !== undefined && cursor !== '' && !/^\d+$/.test(cursor)) {
      return errorResponse(c, 400, 'validation_error', 'cursor must be a next_cursor value from a previous page.');
    }
    const matching = [...state.orders.values()]
      .filter((o) => status === undefined || o.status === status)
      .filter((o) => !cursor || o.id < Number(cursor))
      .sort((a, b) => b.id - a.id);
    const page = matching.slice(0, pageSize);
    const last = page[page.length - 1];
    return c.json({
      items: page.map(toResponse),
      next_cursor: matching.length > pageSize && last ? String(last.id) : null,
    });
  });

  api.post('/orders/:id/renew', async (c) => {
    const original = findOrder(c.req.param('id'));
    if (!original) return errorResponse(c, 404, 'not_found', 'Order not found.');
    const body = await readBody(c);
    if (body instanceof Response) return body;
    const duration = parseDuration(body.duration_days);
    if (!duration.ok) return errorResponse(c, 400, 'validation_error', duration.message);
    const externalId = optionalString(body, 'external_id');
    if (!externalId.ok) return errorResponse(c, 400, 'validation_error', externalId.message);
    const urls = parseUrls(body);
    if (!urls.ok) return errorResponse(c, 400, 'validation_error', urls.message);
    // "Extends an existing agent": an order that was never paid has no agent to extend (error code is our assumption).
    if (original.paid_at === null) {
      return errorResponse(c, 400, 'validation_error', 'Only a paid order can be renewed.');
    }
    const gatewayFailure = takeCheckoutFailure(c);
    if (gatewayFailure) return gatewayFailure;
    const order = mintOrder({
      tier: original.tier,
      duration_days: duration.value,
      credit_usd: 0, // "Infra-only — no fresh chat credit is bundled."
      language: original.language,
      // Not sent → inherit the original's external_id and webhook override (assumption; the doc is silent).
      external_id: body.external_id === undefined ? original.external_id : externalId.value,
      success_url: urls.value.success_url,
      cancel_url: urls.value.cancel_url,
      webhook_url: urls.value.webhook_url ?? original.webhook_url,
      renews_order_id: original.id,
    });
    return c.json(toResponse(order), 201);
  });

  function unpaidCents(): number {
    return state.revenueEvents.filter((e) => e.payout_id === null).reduce((sum, e) => sum + e.partner_cut_cents, 0);
  }

  // docs/upstream/mintbot-partner-api.txt "Read revenue": lifetime totals plus the latest 200 events; include_paid=false filters the events only.
  api.get('/revenue', (c) => {
    const includePaidParam = c.req.query('include_paid');
    if (includePaidParam !== undefined && includePaidParam !== 'true' && includePaidParam !== 'false') {
      return errorResponse(c, 400, 'validation_error', 'include_paid must be true or false.');
    }
    const includePaid = includePaidParam !== 'false';
    const sum = (field: 'gross_cents' | 'partner_cut_cents' | 'mintbot_cut_cents') =>
      state.revenueEvents.reduce((total, e) => total + e[field], 0);
    const events = state.revenueEvents
      .filter((e) => includePaid || e.payout_id === null)
      .sort((a, b) => b.id - a.id)
      .slice(0, 200);
    return c.json({
      currency: state.partner.pricing_currency,
      gross_cents: sum('gross_cents'),
      partner_cut_cents: sum('partner_cut_cents'),
      mintbot_cut_cents: sum('mintbot_cut_cents'),
      unpaid_cents: unpaidCents(),
      events,
    });
  });

  api.get('/partner', (c) =>
    c.json({
      id: state.partner.id,
      email: state.partner.email,
      pricing_currency: state.partner.pricing_currency,
      balance_unpaid_cents: unpaidCents(),
      webhook_url: state.partner.webhook_url,
      // The doc's sample `mo_live_a12b` is the key's first 12 characters.
      api_key_prefix: state.partner.apiKey.slice(0, 12),
    }),
  );

  api.all('*', (c) => errorResponse(c, 404, 'not_found', 'No such route.'));
  app.route(MINTBOT_BASE_PATH, api);
  app.all('*', (c) => errorResponse(c, 404, 'not_found', 'No such route.'));

  /**
   * docs/upstream/mintbot-partner-api.txt "Sample payload — order.paid": the order's id, tier, duration_days, credit_usd, amount_cents, currency,
   * status, external_id and paid_at. agent.ready adds panel_url and expires_at ("Payload contains panel_url and
   * expires_at"), agent.failed adds error; agent.expired also carries panel_url/expires_at (our assumption).
   */
  function webhookPayload(order: MintbotOrderRecord, type: MintbotEventType): Record<string, unknown> {
    const payload: Record<string, unknown> = {
      id: order.id,
      tier: order.tier,
      duration_days: order.duration_days,
      credit_usd: order.credit_usd,
      amount_cents: order.amount_cents,
      currency: order.currency,
      status: order.status,
      external_id: order.external_id,
      paid_at: order.paid_at,
    };
    if (type === 'agent.ready' || type === 'agent.expired') {
      payload.panel_url = order.panel_url;
      payload.expires_at = order.expires_at;
    }
    if (type === 'agent.failed') payload.error = order.error;
    return payload;
  }

  const webhookTimeoutMs = options.webhookTimeoutMs ?? 10_000;

  /** Signs and POSTs one event with the headers of docs/upstream/mintbot-partner-api.txt "Request headers"; null when no webhook URL is configured. */
  async function emit(order: MintbotOrderRecord, type: MintbotEventType): Promise<WebhookDelivery | null> {
    const ms = now();
    const eventId = `evt_${order.id}_${type}_${ms}`;
    const payload = webhookPayload(order, type);
    state.events.push({ eventId, type, orderId: order.id, payload });
    const url = order.webhook_url ?? state.partner.webhook_url;
    if (!url) return null;
    const body = JSON.stringify(payload);
    const t = Math.floor(ms / 1000);
    const delivery = await deliverWebhook(
      {
        eventId,
        eventType: type,
        url,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'mintbot-webhook/1.0',
          'X-Mintbot-Signature': signMintbotWebhook(state.partner.webhookSecret, body, t),
          'X-Mintbot-Event-Id': eventId,
          'X-Mintbot-Event-Type': type,
        },
        body,
        attempt: 1,
      },
      webhookTimeoutMs,
    );
    state.deliveries.push(delivery);
    return delivery;
  }

  function requireOrder(orderId: number, allowed: readonly MintbotOrderStatus[], action: string): MintbotOrderRecord {
    const order = state.orders.get(orderId);
    if (!order) throw new Error(`mintbot fake: no order ${orderId}`);
    if (!allowed.includes(order.status)) {
      throw new Error(`mintbot fake: cannot ${action} order ${orderId} in status ${order.status}`);
    }
    return order;
  }

  const control = {
    ...faults.controls(),
    /** The next `count` order creations/renewals answer 502 payment_gateway_error. */
    failCheckoutCreation(count = 1): void {
      checkoutFailures = count;
    },
    /** Rotation "revokes the previous one atomically" (docs/upstream/mintbot-partner-api.txt "Authentication"). */
    rotateApiKey(newKey: string): void {
      state.partner.apiKey = newKey;
    },
    setWebhookUrl(url: string | null): void {
      state.partner.webhook_url = url;
    },
    /** Stripe confirmed payment: awaiting_payment → completed, revenue event recorded, order.paid sent. */
    async pay(orderId: number): Promise<WebhookDelivery | null> {
      const order = requireOrder(orderId, ['awaiting_payment'], 'pay');
      const ms = now();
      order.status = 'completed';
      order.paid_at = formatMintbotTimestamp(ms);
      const partnerCut = Math.round((order.amount_cents * partnerCutBps) / 10_000);
      state.revenueEvents.push({
        id: nextRevenueEventId++,
        order_id: order.id,
        kind: 'order_paid',
        gross_cents: order.amount_cents,
        partner_cut_cents: partnerCut,
        mintbot_cut_cents: order.amount_cents - partnerCut,
        currency: order.currency,
        created_at: formatMintbotTimestamp(ms),
        payout_id: null,
        payout_at: null,
      });
      return emit(order, 'order.paid');
    },
    /** Deploy pipeline started; the status list has no "provisioning", so the order stays completed. */
    async provision(orderId: number): Promise<WebhookDelivery | null> {
      return emit(requireOrder(orderId, ['completed'], 'provision'), 'agent.provisioning_started');
    },
    /** Deploy succeeded: → deployed with panel_url and expires_at, agent.ready sent. */
    async ready(orderId: number, panelUrl: string, expiresAt: string | Date): Promise<WebhookDelivery | null> {
      const order = requireOrder(orderId, ['completed', 'deploy_failed'], 'mark ready');
      order.status = 'deployed';
      order.panel_url = panelUrl;
      order.expires_at = expiresAt instanceof Date ? formatMintbotTimestamp(expiresAt.getTime()) : expiresAt;
      order.error = null;
      return emit(order, 'agent.ready');
    },
    /** Deploy errored: → deploy_failed, agent.failed sent with `error`. */
    async fail(orderId: number, error: string): Promise<WebhookDelivery | null> {
      const order = requireOrder(orderId, ['completed'], 'fail');
      order.status = 'deploy_failed';
      order.error = error;
      return emit(order, 'agent.failed');
    },
    /** Agent TTL elapsed: deployed → expired, agent.expired sent. */
    async expire(orderId: number): Promise<WebhookDelivery | null> {
      const order = requireOrder(orderId, ['deployed'], 'expire');
      order.status = 'expired';
      return emit(order, 'agent.expired');
    },
    /**
     * Checkout timed out or was cancelled: order.cancelled sent. The status list has no "cancelled"; we use
     * expired (assumption) and flag the record `cancelled: true`.
     */
    async cancel(orderId: number): Promise<WebhookDelivery | null> {
      const order = requireOrder(orderId, ['awaiting_payment'], 'cancel');
      order.status = 'expired';
      order.cancelled = true;
      return emit(order, 'order.cancelled');
    },
    /** Re-sends the exact same delivery (same headers, signature and body), as a mintbot retry reuses the event id. */
    async redeliver(eventId: string): Promise<WebhookDelivery> {
      const previous = [...state.deliveries].reverse().find((d) => d.eventId === eventId);
      if (!previous) throw new Error(`mintbot fake: no delivery for ${eventId}`);
      const delivery = await deliverWebhook({ ...previous, attempt: previous.attempt + 1 }, webhookTimeoutMs);
      state.deliveries.push(delivery);
      return delivery;
    },
    /** Marks every unpaid revenue event as paid out. */
    payout(payoutId = `po_${randomId(10)}`): void {
      const at = formatMintbotTimestamp(now());
      for (const event of state.revenueEvents) {
        if (event.payout_id === null) {
          event.payout_id = payoutId;
          event.payout_at = at;
        }
      }
    },
    /** Clears fault injection, counters and rate-limit buckets (state is kept). */
    reset(): void {
      faults.reset();
      partnerLimiter.reset();
      ipLimiter.reset();
      checkoutFailures = 0;
    },
    /** Waits for webhooks the fake sent on its own (order.created). */
    settle: () => pending.settle(),
  };

  return { app, state, control, baseUrl };
}

export type MintbotControl = ReturnType<typeof createMintbotApp>['control'];

/** Starts the mintbot fake on 127.0.0.1; `url` is the origin, the API lives under `url + MINTBOT_BASE_PATH`. */
export async function startMintbotFake(options: MintbotFakeOptions = {}): Promise<{
  url: string;
  apiBaseUrl: string;
  close(): Promise<void>;
  state: MintbotState;
  control: MintbotControl;
}> {
  const fake = createMintbotApp(options);
  const server = await listen(fake.app);
  fake.baseUrl.set(server.url);
  return {
    url: server.url,
    apiBaseUrl: `${server.url}${MINTBOT_BASE_PATH}`,
    state: fake.state,
    control: fake.control,
    close: async () => {
      await fake.control.settle();
      await server.close();
    },
  };
}
