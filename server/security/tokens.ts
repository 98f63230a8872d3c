// Customer session tokens (HS256 JWTs that the widgets send as Bearer) and optional external issuers (Supabase…).
import { SignJWT, jwtVerify, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import { AppError } from '../errors.js';
import { storableText } from '../http.js';

const ISSUER = 'tollgate';
const AUDIENCE = 'tollgate-widget';
/** How far ahead of our clock an issuer's `iat`/`nbf` may be (its clock running fast), in seconds. */
export const CLOCK_SKEW_S = 60;
/** Hand-off tokens (a checkout link for the system browser) live 30 min, whatever session_ttl_seconds says. */
export const HANDOFF_TTL_S = 30 * 60;
/** Billing-portal links (Tollgate's own portal page, routes/portal.ts) live 15 min: long enough to act, short enough to leak little. */
export const PORTAL_TTL_S = 15 * 60;
/** Receipt links (README "Receipts": a receipt's HTML and PDF opened in a browser) carry a token that lives 15 min. */
export const RECEIPT_LINK_TTL_S = 15 * 60;

export interface CustomerIdentity {
  customerId: string;
  email?: string;
  name?: string;
  /** Set on hand-off tokens: the token may only act on this checkout. */
  checkoutScope?: string;
  /** Set on billing-portal tokens: the token works on the portal's routes (and on this customer's checkouts), nowhere else. */
  portalScope?: boolean;
  /** Set on receipt-link tokens: the token may only read this receipt (routes/receipts.ts), nothing else. */
  receiptScope?: string;
  source: 'session' | 'external';
  /** The raw bearer token (forwarded to upstreams that take the customer's own JWT, e.g. Mintoken). */
  token: string;
}

export interface TokenVerifierOptions {
  sessionSecret: Uint8Array;
  /** The longest a session token may live (exp − iat): the config's session_ttl_seconds. */
  sessionTtlSeconds: number;
  /** The app's clock (tests move it); exp, nbf and iat are checked against it. */
  now?: () => Date;
  external?: {
    secret?: Uint8Array;
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
    customerClaim: string;
    emailClaim: string;
  };
}

export async function issueSessionToken(
  secret: Uint8Array,
  claims: { customerId: string; email?: string; name?: string; checkoutScope?: string; portalScope?: boolean; receiptScope?: string },
  ttlSeconds: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<{ token: string; expiresAt: Date }> {
  const exp = nowSeconds + Math.min(ttlSeconds, 3600);
  const payload: JWTPayload = {};
  if (claims.email) payload.email = claims.email;
  if (claims.name) payload.name = claims.name;
  if (claims.checkoutScope) payload.chk = claims.checkoutScope;
  if (claims.portalScope) payload.scp = 'portal';
  if (claims.receiptScope) payload.rct = claims.receiptScope;
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.customerId)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(exp)
    .sign(secret);
  return { token, expiresAt: new Date(exp * 1000) };
}

/** How many verified tokens are remembered (a widget sends the same one on every call until it expires). */
const VERIFIED_CACHE_SIZE = 10_000;

export function createTokenVerifier(options: TokenVerifierOptions) {
  const jwks = options.external?.jwksUrl ? createRemoteJWKSet(new URL(options.external.jwksUrl), { timeoutDuration: 5000 }) : undefined;
  const now = options.now ?? (() => new Date());
  // The HMAC keys imported once (jose imports a raw secret again on every verify otherwise).
  const hmacKey = (secret: Uint8Array, hash: string) => crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash }, false, ['verify']);
  const sessionKey = hmacKey(options.sessionSecret, 'SHA-256');
  const externalKey = options.external?.secret
    ? { HS256: hmacKey(options.external.secret, 'SHA-256'), HS384: hmacKey(options.external.secret, 'SHA-384'), HS512: hmacKey(options.external.secret, 'SHA-512') }
    : undefined;
  /**
   * Tokens that verified, with their expiry: the same token again is the same identity until `exp` (checked
   * on every use against the app's clock), without the signature check. Bounded; the oldest entry goes first.
   */
  const verified = new Map<string, { identity: CustomerIdentity; exp: number }>();
  const remember = (token: string, identity: CustomerIdentity, exp: unknown) => {
    if (typeof exp !== 'number') return;
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, { identity, exp });
  };

  return async function verifyCustomerToken(token: string): Promise<CustomerIdentity> {
    const known = verified.get(token);
    if (known) {
      if (known.exp > Math.floor(now().getTime() / 1000)) return known.identity;
      verified.delete(token); // expired: verified again below, which says so
    }
    return verifyUncached(token);
  };

  async function verifyUncached(token: string): Promise<CustomerIdentity> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new AppError('invalid_token', 'The session token is malformed');
    }
    const currentDate = now();
    // jose's tolerance lets an nbf up to CLOCK_SKEW_S ahead through; checkTimes() then holds exp to the second.
    const timing = { currentDate, clockTolerance: CLOCK_SKEW_S };
    // Our own tokens first; anything else may be an external issuer's.
    try {
      const { payload } = await jwtVerify(token, await sessionKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], ...timing });
      const lifetime =
        payload.rct !== undefined
          ? { seconds: RECEIPT_LINK_TTL_S, name: 'a receipt link' }
          : payload.chk !== undefined
            ? { seconds: HANDOFF_TTL_S, name: 'a hand-off token' }
            : payload.scp !== undefined
              ? { seconds: PORTAL_TTL_S, name: 'a billing-portal link' }
            : { seconds: options.sessionTtlSeconds, name: 'session_ttl_seconds' };
      checkTimes(payload, currentDate, { lifetime, requireIat: true, renew: 'ask your backend for a new one' });
      const identity = identityFrom(payload, 'sub', 'email', 'session', token);
      remember(token, identity, payload.exp);
      return identity;
    } catch (err) {
      if (err instanceof AppError) throw err;
      // Signed with our secret and from us, but its times are wrong: no other issuer can make it right.
      if (isTimingError(err)) throw timingError(err, 'ask your backend for a new one');
      if (!options.external) throw new AppError('invalid_token', 'The session token is not valid');
    }
    const ext = options.external;
    try {
      const verifyOptions = { issuer: ext.issuer, audience: ext.audience, ...timing };
      const hs = externalKey && Object.hasOwn(externalKey, header.alg ?? '') ? await externalKey[header.alg as keyof typeof externalKey] : undefined;
      const { payload } = ext.secret
        ? await jwtVerify(token, hs ?? ext.secret, { ...verifyOptions, algorithms: ['HS256', 'HS384', 'HS512'] })
        : await jwtVerify(token, jwks!, { ...verifyOptions, algorithms: header.alg === 'HS256' ? [] : undefined });
      // The issuer sets its own lifetime (Supabase: 1 h by default); exp is required, and the clocks must agree.
      checkTimes(payload, currentDate, { requireIat: false, renew: 'sign in again' });
      const identity = identityFrom(payload, ext.customerClaim, ext.emailClaim, 'external', token);
      remember(token, identity, payload.exp);
      return identity;
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (isTimingError(err)) throw timingError(err, 'sign in again');
      throw new AppError('invalid_token', 'The session token is not valid');
    }
  }
}

/** jose's errors about exp and nbf (the signature, issuer and audience were fine). */
function isTimingError(err: unknown): err is joseErrors.JWTClaimValidationFailed {
  return err instanceof joseErrors.JWTExpired || (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf');
}

function timingError(err: joseErrors.JWTClaimValidationFailed, renew: string): AppError {
  if (err instanceof joseErrors.JWTExpired) return new AppError('invalid_token', `The session token has expired; ${renew}`);
  return new AppError('invalid_token', `The session token is not valid yet (its "nbf" is more than ${CLOCK_SKEW_S} s ahead of this server's clock); check the issuer's clock`);
}

/**
 * The rules jose leaves to us: `exp` is required and strict (jose let it through by the skew), `iat` may not
 * be ahead of our clock by more than CLOCK_SKEW_S, and a session lives at most its configured lifetime.
 */
export function checkTimes(payload: JWTPayload, currentDate: Date, rules: { lifetime?: { seconds: number; name: string }; requireIat: boolean; renew: string }): void {
  const nowS = Math.floor(currentDate.getTime() / 1000);
  if (typeof payload.exp !== 'number') throw new AppError('invalid_token', 'The session token has no expiry ("exp" claim); tokens without one are refused');
  if (payload.exp <= nowS) throw new AppError('invalid_token', `The session token has expired; ${rules.renew}`);
  if (payload.iat === undefined && rules.requireIat) throw new AppError('invalid_token', 'The session token has no issue time ("iat" claim)');
  if (typeof payload.iat === 'number' && payload.iat > nowS + CLOCK_SKEW_S) {
    throw new AppError('invalid_token', `The session token is issued in the future (its "iat" is more than ${CLOCK_SKEW_S} s ahead of this server's clock); check the issuer's clock`);
  }
  if (rules.lifetime) {
    const from = typeof payload.iat === 'number' ? payload.iat : nowS;
    if (payload.exp - from > rules.lifetime.seconds) throw new AppError('invalid_token', `The session token lives longer than this server allows (${rules.lifetime.seconds} s, ${rules.lifetime.name}); ${rules.renew}`);
  }
}

function identityFrom(payload: JWTPayload, customerClaim: string, emailClaim: string, source: CustomerIdentity['source'], token: string): CustomerIdentity {
  const customerId = payload[customerClaim];
  if (typeof customerId !== 'string' || !/^[A-Za-z0-9_.:@-]{1,128}$/.test(customerId)) {
    throw new AppError('invalid_token', `The session token has no usable "${customerClaim}" claim`);
  }
  const email = payload[emailClaim];
  return {
    customerId,
    // An issuer's claims reach the customer row and the checkout's jsonb: stored as PostgreSQL can hold them.
    email: typeof email === 'string' ? storableText(email) : undefined,
    name: typeof payload.name === 'string' ? storableText(payload.name) : undefined,
    checkoutScope: typeof payload.chk === 'string' ? payload.chk : undefined,
    // Only our own tokens carry a scope: an external issuer's `scp` claim means something else to it.
    portalScope: source === 'session' && payload.scp === 'portal' ? true : undefined,
    receiptScope: source === 'session' && typeof payload.rct === 'string' ? payload.rct : undefined,
    source,
    token,
  };
}
