// Customer session tokens (HS256 JWTs that the widgets send as Bearer) and optional external issuers (Supabase…).
import { SignJWT, jwtVerify, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import { AppError } from '../errors.js';
import { storableText } from '../http.js';

const ISSUER = 'tollgate';
const AUDIENCE = 'tollgate-widget';

export interface CustomerIdentity {
  customerId: string;
  email?: string;
  name?: string;
  /** Set on hand-off tokens: the token may only act on this checkout. */
  checkoutScope?: string;
  source: 'session' | 'external';
  /** The raw bearer token (forwarded to upstreams that take the customer's own JWT, e.g. Mintoken). */
  token: string;
}

export interface TokenVerifierOptions {
  sessionSecret: Uint8Array;
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
  claims: { customerId: string; email?: string; name?: string; checkoutScope?: string },
  ttlSeconds: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<{ token: string; expiresAt: Date }> {
  const exp = nowSeconds + Math.min(ttlSeconds, 3600);
  const payload: JWTPayload = {};
  if (claims.email) payload.email = claims.email;
  if (claims.name) payload.name = claims.name;
  if (claims.checkoutScope) payload.chk = claims.checkoutScope;
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

export function createTokenVerifier(options: TokenVerifierOptions) {
  const jwks = options.external?.jwksUrl ? createRemoteJWKSet(new URL(options.external.jwksUrl), { timeoutDuration: 5000 }) : undefined;

  return async function verifyCustomerToken(token: string): Promise<CustomerIdentity> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new AppError('invalid_token', 'The session token is malformed');
    }
    // Our own tokens first; anything else may be an external issuer's.
    try {
      const { payload } = await jwtVerify(token, options.sessionSecret, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      return identityFrom(payload, 'sub', 'email', 'session', token);
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new AppError('invalid_token', 'The session token has expired; ask your backend for a new one');
      if (!options.external) throw new AppError('invalid_token', 'The session token is not valid');
    }
    const ext = options.external;
    try {
      const verifyOptions = { issuer: ext.issuer, audience: ext.audience };
      const { payload } = ext.secret
        ? await jwtVerify(token, ext.secret, { ...verifyOptions, algorithms: ['HS256', 'HS384', 'HS512'] })
        : await jwtVerify(token, jwks!, { ...verifyOptions, algorithms: header.alg === 'HS256' ? [] : undefined });
      return identityFrom(payload, ext.customerClaim, ext.emailClaim, 'external', token);
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AppError('invalid_token', 'The session token has expired; sign in again');
      throw new AppError('invalid_token', 'The session token is not valid');
    }
  };
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
    source,
    token,
  };
}
