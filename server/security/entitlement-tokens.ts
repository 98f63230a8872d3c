// Offline-verifiable entitlements: short-lived EdDSA (Ed25519) JWS tokens of a customer's plan, features,
// limits and usage, the signing keys from TOLLGATE_ENTITLEMENT_KEYS (or one per process in sandbox mode), the
// public keys as the JWKS at /.well-known/jwks.json, and a token cached per customer view until near its exp.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Entitlements, Jwks } from '../../src/contract/index.js';
import { ConfigError } from '../errors.js';
import { memoryAsset, type StaticAsset } from '../static-assets.js';
import type { CustomerView } from '../store/customer-views.js';

export const ENTITLEMENT_KEYS_ENV = 'TOLLGATE_ENTITLEMENT_KEYS';
/** The JWS header's `typ`: a verifier can tell these tokens from any other JWT signed by the same keys. */
export const ENTITLEMENT_TOKEN_TYPE = 'tollgate-entitlements+jwt';
/** The longest a token may live (entitlement_tokens.ttl_seconds), in seconds: the staleness budget's upper bound. */
export const MAX_ENTITLEMENT_TTL_S = 300;

/** A public key as the JWKS publishes it. */
export type PublicJwk = Jwks['keys'][number];

export interface EntitlementKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

export interface EntitlementKeys {
  /** The first signs; every one is published. Empty: tokens are off. */
  keys: EntitlementKey[];
  /** Where they came from: the environment, generated for this process (sandbox), or none (live, unset). */
  source: 'environment' | 'generated' | 'off';
}

/** The claims of a token, beyond iss, sub, aud, iat and exp: the JSON answer's, and this period's usage. */
export interface EntitlementClaims extends Omit<Entitlements, 'token' | 'token_expires_at'> {
  /** The usage period (a calendar month, UTC: `2026-12`) and each metric's count in it when the token was made. */
  period: string;
  usage: Record<string, number>;
}

/** The DER of an Ed25519 PKCS#8 private key up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const KID = /^[A-Za-z0-9._~-]{1,64}$/;

function keyError(detail: string): never {
  throw new ConfigError(`${ENTITLEMENT_KEYS_ENV}: ${detail}; give a JSON array of Ed25519 private JWKs, each with its own "kid", the signing key first (README "Verify tokens offline")`);
}

/** One private JWK of the variable, checked: an Ed25519 private key whose `x` is its own public key. */
function parseKey(jwk: unknown, index: number): EntitlementKey {
  const at = `key [${index}]`;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) keyError(`${at} is not a JWK object`);
  const k = jwk as Record<string, unknown>;
  if (k.kty !== 'OKP' || k.crv !== 'Ed25519') keyError(`${at} is not an Ed25519 key (kty "${String(k.kty)}", crv "${String(k.crv)}"; want kty "OKP", crv "Ed25519")`);
  if (typeof k.kid !== 'string' || !KID.test(k.kid)) keyError(`${at} has no usable "kid" (1 to 64 letters, digits or . _ ~ -)`);
  if (k.alg !== undefined && k.alg !== 'EdDSA') keyError(`${at} ("${k.kid}") has alg "${String(k.alg)}"; Ed25519 keys sign with "EdDSA"`);
  if (typeof k.d !== 'string') keyError(`${at} ("${k.kid}") has no private part ("d"), which the server signs with (the JWKS it serves holds only the public part)`);
  // From `d` alone (PKCS#8 around the 32-byte seed), so that `x` is derived, then compared with the one given.
  const seed = Buffer.from(k.d, 'base64url');
  if (seed.length !== 32 || seed.toString('base64url') !== k.d) keyError(`${at} ("${k.kid}") is not a valid Ed25519 private key ("d" is not 32 bytes in base64url)`);
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const x = (createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string }).x;
  if (k.x !== undefined && k.x !== x) keyError(`${at} ("${k.kid}"): its "x" is not the public key of its "d"`);
  return { kid: k.kid, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid: k.kid, alg: 'EdDSA', use: 'sig' } };
}

/**
 * The signing keys from TOLLGATE_ENTITLEMENT_KEYS (a JSON array of private JWKs, or one JWK): checked, the
 * first to sign. Unset: in sandbox mode one key made for this process (its tokens die with it), live none.
 */
export function entitlementKeysFrom(env: Record<string, string | undefined>, sandbox: boolean): EntitlementKeys {
  const text = env[ENTITLEMENT_KEYS_ENV]?.trim();
  if (!text) {
    if (!sandbox) return { keys: [], source: 'off' };
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = { ...(privateKey.export({ format: 'jwk' }) as object), kid: `sandbox-${randomBytes(6).toString('hex')}` };
    return { keys: [parseKey(jwk, 0)], source: 'generated' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return keyError(`not valid JSON (${(err as Error).message})`);
  }
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.length) keyError('the array is empty');
  const keys = list.map(parseKey);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key.kid)) keyError(`the kid "${key.kid}" is used twice; a verifier picks the key by kid, so give each key its own`);
    seen.add(key.kid);
  }
  return { keys, source: 'environment' };
}

/** One line for `tollgate check-config`: whether tokens are signed, with which key, from where. */
export function describeEntitlementKeys(keys: EntitlementKeys, ttlSeconds: number): string {
  if (keys.source === 'off') return `off (live mode, ${ENTITLEMENT_KEYS_ENV} unset): /v1/entitlements answers without a token`;
  const from = keys.source === 'generated' ? `a key made for this process (sandbox; ${ENTITLEMENT_KEYS_ENV} unset): tokens die with it` : `${keys.keys.length} key${keys.keys.length > 1 ? 's' : ''} from ${ENTITLEMENT_KEYS_ENV}`;
  return `signed with kid ${keys.keys[0].kid}, ${from}; ${ttlSeconds} s each`;
}

interface Cached {
  /** The claims it carries (the answer and usage as JSON): a view whose claims changed with the clock signs again. */
  claims: string;
  token: string;
  exp: number;
}

/**
 * Signs a customer's entitlements with the first key and serves the public keys. A token is kept with the
 * customer view it was made from (a WeakMap: it goes when store/customer-views.ts drops the view, on any write
 * or at its TTL) and handed out again while more than half its lifetime is left and its claims are the same.
 */
export class EntitlementTokens {
  private readonly cache = new WeakMap<CustomerView, Cached>();
  private readonly signer: EntitlementKey | undefined;
  /** The JWKS as an asset (ETag, compressed once): the keys never change while the process runs. */
  readonly jwks: StaticAsset;

  constructor(private readonly options: { keys: EntitlementKey[]; issuer: string; audience?: string; ttlSeconds: number }) {
    this.signer = options.keys[0];
    const body = JSON.stringify({ keys: options.keys.map((k) => k.publicJwk) } satisfies Jwks);
    this.jwks = memoryAsset(new TextEncoder().encode(body), 'application/json');
  }

  get enabled(): boolean {
    return this.signer !== undefined;
  }

  /** A token of `claims` for the view's customer, valid from `now` for ttl_seconds; undefined when tokens are off. */
  async tokenFor(view: CustomerView, claims: EntitlementClaims, now: Date): Promise<{ token: string; exp: number } | undefined> {
    const signer = this.signer;
    if (!signer) return undefined;
    const nowS = Math.floor(now.getTime() / 1000);
    const ttl = Math.min(this.options.ttlSeconds, MAX_ENTITLEMENT_TTL_S);
    const text = JSON.stringify(claims);
    const cached = this.cache.get(view);
    if (cached && cached.claims === text && cached.exp - nowS > ttl / 2) return cached;
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: ENTITLEMENT_TOKEN_TYPE })
      .setIssuer(this.options.issuer)
      .setSubject(view.customer.id)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + ttl);
    if (this.options.audience) jwt.setAudience(this.options.audience);
    const made = { claims: text, token: await jwt.sign(signer.privateKey), exp: nowS + ttl };
    this.cache.set(view, made);
    return made;
  }
}
