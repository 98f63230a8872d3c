// `tollgate/client`: a typed client for your backend's calls to the Tollgate server with TOLLGATE_API_KEY
// (customer sessions for the elements, customers' state, checks, usage reports, grants), and the check of the
// events it sends your backend (webhooks.verify). Any runtime with fetch; never ship the key to a browser.

/** `POST /v1/sessions` (README "API"): who the session is for; a new customer starts on the free plan. */
export interface SessionRequest {
  customer_id: string;
  email?: string;
  name?: string;
  contact?: string;
  /** ISO 4217 (`INR`): the routing rule picks the provider by it. */
  currency?: string;
}

export interface SessionResponse {
  /** The customer session (a JWT, at most `session_ttl_seconds`). */
  token: string;
  expires_at: string;
}

export interface ClientOptions {
  /** The Tollgate server, with its mount path if any: `https://billing.example.com`, `https://app.example.com/billing`. */
  baseUrl: string;
  /** TOLLGATE_API_KEY. */
  apiKey: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface UsageReport {
  customer_id: string;
  metric: string;
  /** Negative to correct (audited; the count stops at 0). */
  quantity: number;
  /** Your id of this event: the same event_id again (a retry, from any of your instances) counts once. */
  event_id?: string;
  /** Why a correction was made, kept with its audit row. */
  reason?: string;
}

export interface UsageAnswer {
  customer_id: string;
  metric: string;
  /** This period's count after the report (after its first report, for a repeated event_id). */
  used: number;
  event_id?: string;
  /** True when the event_id had been counted already. */
  duplicate?: boolean;
}

/** `GET /v1/customers/{id}`: the plan in force (paid or granted), its state, this period's usage, when it last changed. */
export interface CustomerState {
  customer_id: string;
  plan: string;
  status: 'active' | 'trialing' | 'past_due' | 'canceled' | 'unpaid';
  has_access: boolean;
  features: string[];
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  interval: 'month' | 'year' | 'once' | null;
  /** The usage period, a calendar month (UTC): `2026-12`. */
  period: string;
  /** Per metric: this period's count and the plan's limit (null: unlimited). */
  usage: Record<string, { used: number; limit: number | null }>;
  provider: string | null;
  /** The grant in force when the plan is a granted one. */
  grant: { grant_id: string; plan: string; until: string } | null;
  updated_at: string;
}

/** `GET /v1/customers/{id}/entitlements`: what `GET /v1/entitlements` answers the customer's session. */
export interface Entitlements {
  plan: string;
  features: string[];
  limits: Record<string, number | null>;
  has_access: boolean;
}

export interface FeatureCheckRequest {
  customer_id: string;
  feature: string;
}
export interface FeatureCheck {
  allowed: boolean;
  plan: string;
  reason: 'included' | 'not_included';
}

export interface MetricCheckRequest {
  customer_id: string;
  metric: string;
  /** Default 1. */
  quantity?: number;
  /** Record the quantity, only if it fits within the limit (atomically). */
  consume?: boolean;
}
export interface MetricCheck {
  allowed: boolean;
  /** This period's count (after the consume, when it fitted). */
  used: number;
  /** null: unlimited. */
  limit: number | null;
  remaining: number | null;
}

export interface GrantRequest {
  plan: string;
  /** When it ends: an ISO 8601 time with an offset, or a Date. */
  until: string | Date;
  reason: string;
}
export interface Grant {
  grant_id: string;
  customer_id: string;
  plan: string;
  until: string;
  reason: string;
  created_at: string;
  revoked_at: string | null;
}

/** A Tollgate error answer: the envelope's code and message, the HTTP status and the request id to quote. */
export class TollgateError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'TollgateError';
  }
}

export interface TollgateClient {
  sessions: {
    /** `POST /v1/sessions`: a customer session token for the elements (`session` attribute or `configure({ session })`). */
    create(request: SessionRequest, options?: { idempotencyKey?: string }): Promise<SessionResponse>;
  };
  customers: {
    /** `GET /v1/customers/{id}`; a customer never seen is a TollgateError `not_found` (404). */
    get(customerId: string): Promise<CustomerState>;
    /** `GET /v1/customers/{id}/entitlements` (a customer never seen: the free plan's). */
    entitlements(customerId: string): Promise<Entitlements>;
  };
  /**
   * `POST /v1/check`: a feature (`{customer_id, feature}`), or a metric (`{customer_id, metric, quantity?,
   * consume?}`); with `idempotencyKey`, a retried consume counts once.
   */
  check(request: FeatureCheckRequest): Promise<FeatureCheck>;
  check(request: MetricCheckRequest, options?: { idempotencyKey?: string }): Promise<MetricCheck>;
  /** `POST /v1/usage`: add to this period's usage counter of a metric (`event_id` or `idempotencyKey`: a retry counts once). */
  track(report: UsageReport, options?: { idempotencyKey?: string }): Promise<UsageAnswer>;
  grants: {
    /** `POST /v1/customers/{id}/grants`: the plan until `until` (never below a better paid plan), audited. */
    create(customerId: string, grant: GrantRequest, options?: { idempotencyKey?: string }): Promise<Grant>;
    /** `DELETE /v1/customers/{id}/grants/{grant_id}`: ends it now. */
    delete(customerId: string, grantId: string): Promise<Grant>;
  };
}

export function createClient(options: ClientOptions): TollgateClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchFn = options.fetch ?? globalThis.fetch;
  async function call<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${options.apiKey}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    const response = await fetchFn(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = (await response.json().catch(() => undefined)) as { error?: { code: string; message: string; request_id?: string } } | undefined;
    if (!response.ok) {
      const error = answer?.error;
      throw new TollgateError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status}`, error?.request_id ?? response.headers.get('X-Request-Id') ?? undefined);
    }
    return answer as T;
  }
  const post = <T>(path: string, body: unknown, idempotencyKey?: string) => call<T>('POST', path, body, idempotencyKey);
  const customer = (id: string) => `/v1/customers/${encodeURIComponent(id)}`;
  return {
    sessions: { create: (request, o = {}) => post<SessionResponse>('/v1/sessions', request, o.idempotencyKey ?? crypto.randomUUID()) },
    customers: {
      get: (id) => call<CustomerState>('GET', customer(id)),
      entitlements: (id) => call<Entitlements>('GET', `${customer(id)}/entitlements`),
    },
    check: ((request: FeatureCheckRequest | MetricCheckRequest, o: { idempotencyKey?: string } = {}) => post('/v1/check', request, o.idempotencyKey)) as TollgateClient['check'],
    track: (report, o = {}) => post<UsageAnswer>('/v1/usage', report, o.idempotencyKey),
    grants: {
      create: (id, grant, o = {}) =>
        post<Grant>(`${customer(id)}/grants`, { ...grant, until: grant.until instanceof Date ? grant.until.toISOString() : grant.until }, o.idempotencyKey ?? crypto.randomUUID()),
      delete: (id, grantId) => call<Grant>('DELETE', `${customer(id)}/grants/${encodeURIComponent(grantId)}`),
    },
  };
}

/** An event Tollgate sent to your backend (README "Events to your backend"): its type, when it happened, its data. */
export interface TollgateEvent<D = Record<string, unknown>> {
  type: string;
  timestamp: string;
  data: D;
}

/** Why {@link webhooks}.verify refused a delivery. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly code: 'missing_headers' | 'timestamp_out_of_range' | 'invalid_signature' | 'invalid_secret' | 'invalid_json',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function headerOf(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/** Standard Webhooks verification with WebCrypto (Node ≥ 20, Deno, Bun, edge runtimes), no dependency. */
export const webhooks = {
  /**
   * Check a delivery's `webhook-signature` (any of its `v1,` signatures) against the raw body and its
   * `webhook-id` and `webhook-timestamp`, with your endpoint's `whsec_…` secret, and refuse a timestamp more
   * than `toleranceSeconds` (default 300) from now; then the parsed event. Dedupe on `webhook-id`.
   */
  async verify<D = Record<string, unknown>>(rawBody: string | Uint8Array, headers: HeaderSource, secret: string, options: { toleranceSeconds?: number; nowSeconds?: number } = {}): Promise<TollgateEvent<D>> {
    const id = headerOf(headers, 'webhook-id');
    const timestamp = headerOf(headers, 'webhook-timestamp');
    const signatures = headerOf(headers, 'webhook-signature');
    if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
    const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
    const sent = /^\d+$/.test(timestamp) ? Number(timestamp) : NaN;
    if (!(Math.abs(now - sent) <= (options.toleranceSeconds ?? 300))) throw new WebhookVerificationError('timestamp_out_of_range', 'webhook-timestamp is too far from now');
    let key: Uint8Array<ArrayBuffer>;
    try {
      key = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0));
    } catch {
      throw new WebhookVerificationError('invalid_secret', 'the secret is not whsec_ followed by base64');
    }
    const body = typeof rawBody === 'string' ? new TextEncoder().encode(rawBody) : rawBody;
    const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
    const signed = new Uint8Array(prefix.length + body.length);
    signed.set(prefix);
    signed.set(body, prefix.length);
    const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const expected = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, signed));
    const matches = signatures.split(' ').some((entry) => {
      const [version, value] = entry.split(',', 2);
      if (version !== 'v1' || !value) return false;
      let given: Uint8Array;
      try {
        given = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
      } catch {
        return false;
      }
      // Constant time over the signature's length (which is no secret: it is SHA-256's).
      let diff = given.length ^ expected.length;
      for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ (given[i] ?? 0);
      return diff === 0;
    });
    if (!matches) throw new WebhookVerificationError('invalid_signature', 'no webhook-signature matches the body');
    try {
      return JSON.parse(new TextDecoder().decode(body)) as TollgateEvent<D>;
    } catch {
      throw new WebhookVerificationError('invalid_json', 'the body is not JSON');
    }
  },
};
