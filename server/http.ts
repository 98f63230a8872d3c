// Request helpers shared by the routes: JSON bodies validated with the contract's zod schemas into our
// envelope, customer and API-key authentication, client IP.
import type { z } from 'zod';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { requestedLocales } from './locale.js';
import type { CustomerIdentity } from './security/tokens.js';
import { hexEquals, hmacSha256Hex } from './security/signatures.js';

/** Parse the JSON body and validate it; malformed JSON and schema failures become 400 validation_error. */
export async function readJson<S extends z.ZodType>(c: AppContext, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  let value: unknown;
  if (text.trim() === '') value = {};
  else {
    try {
      value = JSON.parse(text, wellFormedJson);
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
  const { config } = c.get('deps');
  const url = requested !== undefined ? httpUrl(requested) : (httpUrl(c.req.header('Origin')) ?? new URL(config.publicUrl));
  if (!url) throw new AppError('validation_error', 'return_url: use an http or https URL');
  const allowed = config.sandbox || url.origin === config.publicUrl || config.file.allowed_origins.some((o) => new URL(o).origin === url.origin);
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

export function clientIp(c: AppContext): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

/** Authenticate the customer session (Bearer). Counts failures against the per-IP limit. */
export async function requireCustomer(c: AppContext, options: { allowScoped?: boolean } = {}): Promise<CustomerIdentity> {
  let identity = c.get('customer');
  if (!identity) {
    const token = bearer(c);
    if (token === null) throw new AppError('unauthenticated', 'Missing Authorization: Bearer <session token>');
    if (token === '') throw new AppError('unauthenticated', 'Malformed Authorization header; use "Bearer <session token>"');
    identity = await c.get('deps').verifyToken(token);
    c.set('customer', identity);
  }
  if (identity.checkoutScope && !options.allowScoped) {
    throw new AppError('forbidden', 'This hand-off token only works for its own checkout');
  }
  return identity;
}

/** Authenticate the partner backend by its API key (constant-time compare). */
export function requireApiKey(c: AppContext): void {
  const token = bearer(c);
  const expected = c.get('deps').config.apiKey;
  if (token === null) throw new AppError('unauthenticated', 'Missing Authorization: Bearer <TOLLGATE_API_KEY>');
  // Compare digests so the compare is constant-time whatever the lengths.
  if (!expected || !token || !hexEquals(hmacSha256Hex('api-key', expected), hmacSha256Hex('api-key', token))) {
    throw new AppError('unauthenticated', 'The API key is not valid');
  }
}
