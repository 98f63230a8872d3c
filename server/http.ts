// Request helpers shared by the routes: JSON bodies validated with the contract's zod schemas into our
// envelope, customer and API-key authentication, the client IP (behind trusted proxies too).
import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { z } from 'zod';
import type { ServerConfig } from './config.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { requestedLocales } from './locale.js';
import type { CustomerIdentity } from './security/tokens.js';
import type { CustomerView } from './store/customer-views.js';
import { usagePeriod } from './store/usage.js';
import { hmacSha256Hex } from './security/signatures.js';

/** Parse the JSON body and validate it; malformed JSON and schema failures become 400 validation_error. */
export async function readJson<S extends z.ZodType>(c: AppContext, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  let value: unknown;
  if (text.trim() === '') value = {};
  else {
    try {
      // Decoded UTF-8 holds no lone surrogate; only a JSON \\u escape can make one, so the reviver runs only then.
      value = text.includes('\\u') ? JSON.parse(text, wellFormedJson) : JSON.parse(text);
    } catch {
      throw new AppError('validation_error', 'The request body is not valid JSON');
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length ? issue.path.join('.') : 'body';
    throw new AppError('validation_error', `${field}: ${issue.message}`);
  }
  // PostgreSQL text cannot hold U+0000: refuse it here rather than fail at the first INSERT (after upstream calls).
  const nul = nulPath(result.data);
  if (nul !== null) throw new AppError('validation_error', `${nul || 'body'}: must not contain the NUL character (U+0000)`);
  return result.data;
}

/** A UTF-16 code unit of a surrogate pair that has no partner. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` with every lone UTF-16 surrogate (JSON's `"\ud83d"` with no low half) as U+FFFD. PostgreSQL
 * cannot hold one: jsonb refuses its escape (`invalid input syntax for type json`) and text gets it
 * mangled, so such a string must be made well-formed before it reaches SQL, as NUL must.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** `text` as PostgreSQL can store it, where refusing is no option (signed events, upstream answers, issuers' claims): NUL and lone surrogates as U+FFFD. */
export function storableText(text: string): string {
  return wellFormed(text).replaceAll('\u0000', '\uFFFD');
}

/** A `JSON.parse` reviver applying `fix` to every string and every object key. */
function reviverOf(fix: (text: string) => string): (key: string, value: unknown) => unknown {
  return (_key, value) => {
    if (typeof value === 'string') return fix(value);
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => fix(k) !== k)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [fix(k), v]));
    }
    return value;
  };
}

/** Reviver for request bodies, whose text reaches SQL and whose NUL {@link readJson} refuses with a 400: {@link wellFormed}. */
export const wellFormedJson = reviverOf(wellFormed);

/** Reviver for JSON whose text reaches SQL and cannot be refused (signed webhooks, upstream answers): {@link storableText}. */
export const storableJson = reviverOf(storableText);

/** The path ("a.b.0") of the first string in a JSON value that holds U+0000, or null when there is none. */
export function nulPath(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = nulPath(item, path ? `${path}.${key}` : key);
      if (found !== null) return found;
    }
  }
  return null;
}

/** `value` as an http(s) URL, or null when it is none (unparseable, the `null` Origin of sandboxed frames, javascript:, a webview's scheme…). */
export function httpUrl(value: string | undefined): URL | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * Where a provider's page may send the customer back (checkout return, billing portal): the requested
 * http(s) URL, else the caller's origin when a page can be returned to (not `Origin: null`), else this
 * server; on an allowed origin (any in sandbox). Anything else is 400 before a row or an upstream call.
 */
export function allowedReturnUrl(c: AppContext, requested: string | undefined): URL {
  return returnUrlFor(c.get('deps').config, requested, c.req.header('Origin'));
}

/** {@link allowedReturnUrl} of a request whose caller's `Origin` header was `origin`. */
export function returnUrlFor(config: ServerConfig, requested: string | undefined, origin: string | undefined): URL {
  const url = requested !== undefined ? httpUrl(requested) : (httpUrl(origin) ?? new URL(config.publicUrl));
  if (!url) throw new AppError('validation_error', 'return_url: use an http or https URL');
  const allowed = config.sandbox || url.origin === config.publicOrigin || config.file.allowed_origins.some((o) => new URL(o).origin === url.origin);
  if (!allowed) throw new AppError('validation_error', `return_url: ${url.origin} is not an allowed origin`);
  return url;
}

/**
 * The catalog language to answer this request in (`?locale=`, then Accept-Language, matched against the
 * catalog's translations), announced in Content-Language; the answer varies with Accept-Language.
 */
export function answerLocale(c: AppContext): string {
  const locale = c.get('deps').catalog.localeFor(requestedLocales(c.req.query('locale'), c.req.header('Accept-Language')));
  c.header('Content-Language', locale);
  c.header('Vary', 'Accept-Language', { append: true });
  return locale;
}

export function bearer(c: AppContext): string | null {
  const header = c.req.header('Authorization');
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : '';
}

/**
 * The client's address: the socket's; behind `trust_proxy` proxies, the right-most hop of their header
 * that is not one of them (hops left of it were written by the client, who can write anything).
 */
export function clientIp(c: AppContext): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const socket = ipOf(env?.incoming?.socket?.remoteAddress ?? '');
  if (!socket) return 'local';
  const trust = c.get('deps').config.file.trust_proxy;
  if (!trust) return socket;
  const header = c.req.header(trust.header) ?? '';
  return forwardedClient(socket, trust.header === 'forwarded' ? forwardedFor(header) : header.split(','), trustedProxies(trust.proxies));
}

/** Walk the hops right to left from the socket, past trusted proxies; a hop that is no address ends the walk. */
export function forwardedClient(socket: string, hops: string[], trusted: (ip: string) => boolean): string {
  let client = socket;
  for (let i = hops.length - 1; i >= 0 && trusted(client); i--) {
    const hop = ipOf(hops[i]);
    if (!hop) break; // "unknown", an obfuscated RFC 7239 name: the last proxy is as near to the client as we see
    client = hop;
  }
  return client;
}

/** The `for=` of each element of an RFC 7239 Forwarded header, in order. */
export function forwardedFor(header: string): string[] {
  if (!header.trim()) return [];
  return header.split(',').map((element) => element.split(';').map((pair) => pair.trim()).find((pair) => /^for=/i.test(pair))?.slice(4) ?? '');
}

/** An address from a socket or a header hop ("[2001:db8::1]:4711", "\"203.0.113.7\"", "::ffff:10.0.0.1"), or null. */
export function ipOf(raw: string): string | null {
  let value = raw.trim().replace(/^"(.*)"$/, '$1');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) value = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  value = value.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  return isIP(value) ? value.toLowerCase() : null;
}

const proxyLists = new WeakMap<string[], (ip: string) => boolean>();

/** A membership test for the configured proxy addresses and CIDR blocks (built once per config). */
function trustedProxies(proxies: string[]): (ip: string) => boolean {
  let test = proxyLists.get(proxies);
  if (!test) {
    const list = new BlockList();
    for (const entry of proxies) {
      const [address, prefix] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
    test = (ip) => list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
    proxyLists.set(proxies, test);
  }
  return test;
}

/**
 * Authenticate the customer session (Bearer). Counts failures against the per-IP limit. Scoped tokens work
 * only where a route says: `allowScoped` (one checkout's routes: a hand-off token of that checkout, or a
 * billing-portal token, both checked against the checkout's owner), `portal` (the billing portal's routes).
 */
export async function requireCustomer(c: AppContext, options: { allowScoped?: boolean; portal?: boolean } = {}): Promise<CustomerIdentity> {
  let identity = c.get('customer');
  if (!identity) {
    const token = bearer(c);
    if (token === null) throw new AppError('unauthenticated', 'Missing Authorization: Bearer <session token>');
    if (token === '') throw new AppError('unauthenticated', 'Malformed Authorization header; use "Bearer <session token>"');
    identity = await c.get('deps').verifyToken(token);
    c.set('customer', identity);
  }
  // A receipt link's token reads its receipt (routes/receipts.ts) and nothing else.
  if (identity.receiptScope) throw new AppError('forbidden', 'This receipt link’s token only opens its own receipt');
  if (identity.checkoutScope && !options.allowScoped) {
    throw new AppError('forbidden', 'This hand-off token only works for its own checkout');
  }
  if (identity.portalScope && !options.allowScoped && !options.portal) {
    throw new AppError('forbidden', 'This billing-portal token only works on the billing portal');
  }
  return identity;
}

/** Whether `token` is the API key (digests compared, so the compare is constant-time whatever the lengths). */
export function isApiKey(apiKey: string | null, token: string): boolean {
  // A token of another length is not the key (its length is no secret: the format says it); one of the same
  // length is compared in constant time, byte for byte, against the key's bytes made once.
  if (!apiKey || !token || token.length !== apiKey.length) return false;
  if (keyBytes?.key !== apiKey) keyBytes = { key: apiKey, bytes: Buffer.from(apiKey, 'utf8'), id: hmacSha256Hex('tollgate-rate-limit', apiKey).slice(0, 32) };
  const presented = Buffer.from(token, 'utf8');
  return presented.length === keyBytes.bytes.length && timingSafeEqual(presented, keyBytes.bytes);
}
let keyBytes: { key: string; bytes: Buffer; id: string } | undefined;

/** The API key's rate-limit identity: a digest, so neither the store nor a log line ever holds the key (made once per key). */
export function apiKeyId(apiKey: string): string {
  if (keyBytes?.key === apiKey) return keyBytes.id;
  return hmacSha256Hex('tollgate-rate-limit', apiKey).slice(0, 32);
}

/** Authenticate the partner backend by its API key (constant-time compare). */
export function requireApiKey(c: AppContext): void {
  const token = bearer(c);
  if (token === null) throw new AppError('unauthenticated', 'Missing Authorization: Bearer <TOLLGATE_API_KEY>');
  // authenticate() has compared it already when it set the key's identity.
  if (c.get('apiKeyId') === undefined && !isApiKey(c.get('deps').config.apiKey, token)) throw new AppError('unauthenticated', 'The API key is not valid');
}

/** A customer's cached view (store/customer-views.ts) in this period, as of the app's clock: what every read path reads. */
export function customerViewOf(c: AppContext, customer: { id: string; email?: string; name?: string }): Promise<CustomerView> {
  const { customerViews, now } = c.get('deps');
  const at = now();
  return customerViews.get(customer, usagePeriod(at), at);
}
