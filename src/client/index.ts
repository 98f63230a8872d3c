// `tollgate/client`: a typed client for your backend's calls to the Tollgate server with TOLLGATE_API_KEY
// (customer sessions for the elements, customers' state, checks, usage reports, grants, receipts), the check of the
// events it sends your backend (webhooks.verify) and the offline verifier of entitlement tokens (WebCrypto
// Ed25519). Any runtime with fetch; never ship the key to a browser.

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
  /** Asked for with `{ token: true }` (`?token=1`), while the server signs tokens: verify it with {@link verifyEntitlements}. */
  token?: string;
  token_expires_at?: string;
}

/** What an entitlement token says, once verified: the answer's fields, this period's usage, and the JWT's own claims. */
export interface EntitlementClaims {
  /** The server's public URL. */
  iss: string;
  /** The customer id. */
  sub: string;
  /** Set when the server's config has entitlement_tokens.audience. */
  aud?: string;
  /** Issued at and expires at, in seconds since the epoch (exp − iat ≤ 300). */
  iat: number;
  exp: number;
  plan: string;
  features: string[];
  limits: Record<string, number | null>;
  has_access: boolean;
  /** The usage period (a calendar month, UTC) and each metric's count in it when the token was made. */
  period: string;
  usage: Record<string, number>;
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
/** A receipt's or credit note's id and number. */
export interface ReceiptRef {
  id: string;
  number: string;
}

/** One line of a receipt: amounts in minor units; `discount` and `taxes` are none until checkout prices them. */
export interface ReceiptLine {
  description: string;
  plan: string;
  interval: 'month' | 'year' | 'once';
  quantity: number;
  unit_amount: number;
  discount: { code: string | null; description: string; amount: number } | null;
  taxes: { name: string; rate: number | null; amount: number; inclusive: boolean }[];
  amount: number;
  period_start: string | null;
  period_end: string | null;
}

/** A row of `GET /v1/customers/{id}/receipts` (README "Receipts"); `links` open in a browser for 15 min. */
export interface ReceiptSummary extends ReceiptRef {
  kind: 'receipt' | 'credit_note';
  issued_at: string;
  currency: string;
  total: number;
  total_formatted: string;
  credits: ReceiptRef | null;
  plan: string;
  payment_id: string;
  status: 'paid' | 'refunded';
  links: { html: string; pdf: string; expires_at: string };
}

/** `GET /v1/customers/{id}/receipts/{ref}`: the whole receipt or credit note. */
export interface Receipt extends Omit<ReceiptSummary, 'plan' | 'payment_id' | 'status'> {
  locale: string;
  seller: { legal_name: string | null; address: string | null; email: string | null; gstin: string | null; vat_id: string | null };
  buyer: { customer_id: string; name: string | null; email: string | null; legal_name: string | null; gstin: string | null; address: string | null };
  lines: ReceiptLine[];
  subtotal: number;
  discount_total: number;
  tax_total: number;
  payment: { provider: string; payment_id: string; method: string | null; kind: 'checkout' | 'renewal'; status: 'paid' | 'refunded'; paid_at: string };
  credit_notes: ReceiptRef[];
}

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
    /** `GET /v1/customers/{id}/entitlements` (a customer never seen: the free plan's); `token: true` asks for a signed token too. */
    entitlements(customerId: string, options?: { token?: boolean }): Promise<Entitlements>;
  };
  /** {@link verifyEntitlements} against this server's `/.well-known/jwks.json`. */
  verifyEntitlements(token: string, options?: Omit<VerifyEntitlementsOptions, 'jwks' | 'jwksUrl'>): Promise<EntitlementClaims>;
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
  receipts: {
    /** `GET /v1/customers/{id}/receipts`: receipts and credit notes, newest first; `locale`: `en`, `en-IN` or `hi`. */
    list(customerId: string, options?: { locale?: string }): Promise<ReceiptSummary[]>;
    /** `GET /v1/customers/{id}/receipts/{ref}` by id or number; another customer's is a TollgateError `not_found`. */
    get(customerId: string, ref: string, options?: { locale?: string }): Promise<Receipt>;
  };
}

const localeQuery = (locale: string | undefined) => (locale ? `?locale=${encodeURIComponent(locale)}` : '');

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
      entitlements: (id, o = {}) => call<Entitlements>('GET', `${customer(id)}/entitlements${o.token ? '?token=1' : ''}`),
    },
    verifyEntitlements: (token, o = {}) => verifyEntitlements(token, { fetch: fetchFn, ...o, jwksUrl: `${base}/.well-known/jwks.json` }),
    check: ((request: FeatureCheckRequest | MetricCheckRequest, o: { idempotencyKey?: string } = {}) => post('/v1/check', request, o.idempotencyKey)) as TollgateClient['check'],
    track: (report, o = {}) => post<UsageAnswer>('/v1/usage', report, o.idempotencyKey),
    grants: {
      create: (id, grant, o = {}) =>
        post<Grant>(`${customer(id)}/grants`, { ...grant, until: grant.until instanceof Date ? grant.until.toISOString() : grant.until }, o.idempotencyKey ?? crypto.randomUUID()),
      delete: (id, grantId) => call<Grant>('DELETE', `${customer(id)}/grants/${encodeURIComponent(grantId)}`),
    },
    receipts: {
      list: (id, o = {}) => call<{ receipts: ReceiptSummary[] }>('GET', `${customer(id)}/receipts${localeQuery(o.locale)}`).then((r) => r.receipts),
      get: (id, ref, o = {}) => call<Receipt>('GET', `${customer(id)}/receipts/${encodeURIComponent(ref)}${localeQuery(o.locale)}`),
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
export interface VerifyEntitlementsOptions {
  /** The server's public keys, as `/.well-known/jwks.json` serves them; or `jwksUrl` to fetch them (once, then on an unknown kid). */
  jwks?: { keys: JsonWebKey[] };
  jwksUrl?: string;
  /** The server's public URL (TOLLGATE_PUBLIC_URL): refuse tokens of any other issuer. */
  issuer?: string;
  /** The config's entitlement_tokens.audience: refuse tokens for any other. */
  audience?: string;
  /** How far the two clocks may disagree, in seconds; default 30. */
  clockToleranceSeconds?: number;
  /** Default: the global fetch (for jwksUrl). */
  fetch?: typeof fetch;
  /** The clock, in ms since the epoch; default Date.now. */
  now?: () => number;
}

/** Why a token was refused. */
export class EntitlementTokenError extends Error {
  constructor(
    readonly code: 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'wrong_issuer' | 'wrong_audience' | 'jwks_unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'EntitlementTokenError';
  }
}

/** The JWS header's `typ` of Tollgate's entitlement tokens. */
export const ENTITLEMENT_TOKEN_TYPE = 'tollgate-entitlements+jwt';
/** An unknown kid makes a JWKS fetched at most this often (a stream of forged kids cannot hammer the server). */
const JWKS_REFETCH_MS = 30_000;
/** A fetched JWKS is fetched again at its next use after this (keys taken out of it stop verifying). */
const JWKS_MAX_AGE_MS = 10 * 60_000;
/** Tokens whose signature verified, per key set: a backend sees the same token on every request until it renews it. */
const VERIFIED_CAPACITY = 10_000;

/** One key set (a URL's or an object's): its imported keys, and the tokens that verified against them. */
interface KeySet {
  keys: Map<string, Promise<CryptoKey>>;
  fetchedAt: number;
  /** When the last fetch started (rate-limits refetches), and the fetch in flight. */
  triedAt: number;
  loading?: Promise<void>;
  verified: Map<string, { header: Record<string, unknown>; payload: Record<string, unknown> }>;
}

const urlKeySets = new Map<string, KeySet>();
const objectKeySets = new WeakMap<object, KeySet>();

function importKeys(jwks: { keys?: unknown }): Map<string, Promise<CryptoKey>> {
  const keys = new Map<string, Promise<CryptoKey>>();
  for (const jwk of Array.isArray(jwks.keys) ? (jwks.keys as (JsonWebKey & { kid?: string })[]) : []) {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.kid !== 'string' || typeof jwk.x !== 'string') continue;
    const imported = crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
    imported.catch(() => {}); // a bad key refuses its own tokens when used, not the set
    keys.set(jwk.kid, imported);
  }
  return keys;
}

function keySetOf(options: VerifyEntitlementsOptions): KeySet {
  if (options.jwks) {
    let set = objectKeySets.get(options.jwks);
    if (!set) objectKeySets.set(options.jwks, (set = { keys: importKeys(options.jwks), fetchedAt: Infinity, triedAt: Infinity, verified: new Map() }));
    return set;
  }
  if (!options.jwksUrl) throw new TypeError('verifyEntitlements: give jwks or jwksUrl');
  let set = urlKeySets.get(options.jwksUrl);
  if (!set) {
    if (urlKeySets.size >= 64) urlKeySets.delete(urlKeySets.keys().next().value!);
    urlKeySets.set(options.jwksUrl, (set = { keys: new Map(), fetchedAt: -Infinity, triedAt: -Infinity, verified: new Map() }));
  }
  return set;
}

/** Fetch the URL's key set again (one fetch at a time); a failure keeps the keys it had. */
function refetch(set: KeySet, options: VerifyEntitlementsOptions, now: number): Promise<void> {
  if (set.loading) return set.loading;
  set.triedAt = now;
  set.loading = (async () => {
    try {
      const response = await (options.fetch ?? globalThis.fetch)(options.jwksUrl!, { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      set.keys = importKeys((await response.json()) as { keys?: unknown });
      set.fetchedAt = now;
      set.verified.clear(); // a key taken out of the set stops verifying now
    } catch (err) {
      if (!set.keys.size) throw new EntitlementTokenError('jwks_unavailable', `The JWKS at ${options.jwksUrl} could not be fetched (${(err as Error).message})`);
    } finally {
      set.loading = undefined;
    }
  })();
  return set.loading;
}

async function keyFor(set: KeySet, kid: string, options: VerifyEntitlementsOptions, now: number): Promise<CryptoKey> {
  if (options.jwksUrl && !options.jwks) {
    const stale = now - set.fetchedAt >= JWKS_MAX_AGE_MS;
    if ((stale || !set.keys.has(kid)) && now - set.triedAt >= JWKS_REFETCH_MS) await refetch(set, options, now);
    else if (set.loading) await set.loading;
  }
  const key = set.keys.get(kid);
  if (!key && !set.keys.size && options.jwksUrl && !options.jwks) throw new EntitlementTokenError('jwks_unavailable', `The JWKS at ${options.jwksUrl} holds no key, or could not be fetched; tried again after 30 s`);
  if (!key) throw new EntitlementTokenError('unknown_key', `No key "${kid}" in the JWKS; the token was not signed by this server's keys`);
  return key;
}

function base64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new EntitlementTokenError('malformed', 'The token is not a JWS (compact serialisation)');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function jsonPart(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(base64url(text)));
  } catch (err) {
    if (err instanceof EntitlementTokenError) throw err;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new EntitlementTokenError('malformed', 'The token is not a JWS (compact serialisation)');
  return value as Record<string, unknown>;
}

/** The signature check (EdDSA with the header's kid), remembered per key set for the token's life. */
async function verifiedParts(token: string, options: VerifyEntitlementsOptions, now: number) {
  const set = keySetOf(options);
  const known = set.verified.get(token);
  if (known) return known;
  const parts = token.split('.');
  if (parts.length !== 3) throw new EntitlementTokenError('malformed', 'The token is not a JWS (compact serialisation)');
  const header = jsonPart(parts[0]);
  if (header.alg !== 'EdDSA' || header.typ !== ENTITLEMENT_TOKEN_TYPE || typeof header.kid !== 'string' || header.crit !== undefined) {
    throw new EntitlementTokenError('malformed', `Not an entitlement token (want alg "EdDSA", typ "${ENTITLEMENT_TOKEN_TYPE}" and a kid)`);
  }
  const key = await keyFor(set, header.kid, options, now);
  const signature = base64url(parts[2]);
  const ok = await crypto.subtle.verify({ name: 'Ed25519' }, await key, signature, new TextEncoder().encode(`${parts[0]}.${parts[1]}`)).catch(() => false);
  if (!ok) throw new EntitlementTokenError('bad_signature', 'The token\'s signature does not verify: it was altered, or not signed by this key');
  const verified = { header, payload: jsonPart(parts[1]) };
  if (set.verified.size >= VERIFIED_CAPACITY) set.verified.delete(set.verified.keys().next().value!);
  set.verified.set(token, verified);
  return verified;
}

/**
 * Verify an entitlement token (`GET /v1/entitlements?token=1`) with no call to the server: the EdDSA signature
 * against the JWKS (given, or fetched from `jwksUrl` once and again on an unknown kid, at most every 30 s),
 * `exp` and `iat` within the clock tolerance, and the issuer and audience when given. A token is as good
 * as its claims until `exp` (at most 5 min), even if the plan changed meanwhile: the partner webhook
 * `customer.plan_changed` says when to ask for a new one. Throws EntitlementTokenError.
 */
export async function verifyEntitlements(token: string, options: VerifyEntitlementsOptions): Promise<EntitlementClaims> {
  const now = (options.now ?? Date.now)();
  const { payload } = await verifiedParts(token, options, now);
  const tolerance = options.clockToleranceSeconds ?? 30;
  const nowS = now / 1000;
  const { iss, sub, aud, iat, exp } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sub !== 'string' || typeof iss !== 'string') throw new EntitlementTokenError('malformed', 'The token lacks iss, sub, iat or exp');
  if (exp + tolerance <= nowS) throw new EntitlementTokenError('expired', `The token expired at ${new Date(exp * 1000).toISOString()}; ask for a new one`);
  if (iat - tolerance > nowS) throw new EntitlementTokenError('not_yet_valid', `The token is issued in the future (${new Date(iat * 1000).toISOString()}); check the clocks`);
  if (options.issuer !== undefined && iss !== options.issuer) throw new EntitlementTokenError('wrong_issuer', `The token is issued by "${iss}", not "${options.issuer}"`);
  if (options.audience !== undefined && aud !== options.audience) throw new EntitlementTokenError('wrong_audience', `The token is for ${aud === undefined ? 'no audience' : `"${String(aud)}"`}, not "${options.audience}"`);
  return { ...payload } as unknown as EntitlementClaims;
}
