// Offline-verifiable entitlements over real HTTP: the tokens of GET /v1/entitlements?token=1 and of the API
// key's /v1/customers/{id}/entitlements?token=1, judged by jose (createRemoteJWKSet + jwtVerify against the
// server's /.well-known/jwks.json) and by node:crypto's verify on the raw JWS; a key rotation, tampering, the
// cache dropped by a plan change, the key configs refused at start; and tollgate/client's verifyEntitlements.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify as cryptoVerify, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import type { z } from 'zod';
import { ConfigError, DEFAULT_CONFIG, loadServerConfig, parseConfig, type ConfigFile } from '../../server/config.js';
import { checkConfig } from '../../server/cli/check-config.js';
import { signRazorpayPayment } from '../../server/security/signatures.js';
import type { Store } from '../../server/store/index.js';
import { usagePeriod } from '../../server/store/usage.js';
import { createClient, EntitlementTokenError, verifyEntitlements } from '../../src/client/index.js';
import { engines, json, LIVE_RAZORPAY_ENV, makeServer, testStore, TEST_ENV, uniqueId, type TestServer } from './helpers.js';

const API_KEY = TEST_ENV.TOLLGATE_API_KEY;
const ISSUER = TEST_ENV.TOLLGATE_PUBLIC_URL;
const TYP = 'tollgate-entitlements+jwt';

const FILE: Partial<z.input<typeof ConfigFile>> = {
  metrics: [{ id: 'messages', label: 'Messages' }],
  plans: [
    { id: 'free', name: 'Free', features: [{ id: 'basic', label: 'Basic' }], limits: { messages: 20 } },
    {
      id: 'pro',
      name: 'Pro',
      features: [{ id: 'basic', label: 'Basic' }, { id: 'export', label: 'Export' }],
      limits: { messages: 100 },
      prices: [{ provider: 'razorpay', currency: 'INR', amount: 99900, interval: 'month' }],
    },
    { id: 'team', name: 'Team', features: [{ id: 'sso', label: 'SSO' }], prices: [{ provider: 'razorpay', currency: 'INR', amount: 299900, interval: 'month' }] },
  ],
  rate_limits: { customer: { limit: 10_000, window_s: 60 }, ip: { limit: 10_000, window_s: 60 }, api_key: { limit: 10_000, window_s: 60 } },
};

/** A private Ed25519 JWK with its kid, as TOLLGATE_ENTITLEMENT_KEYS holds them. */
function privateJwk(kid: string): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { ...(privateKey.export({ format: 'jwk' }) as Record<string, string>), kid };
}

async function listen(server: TestServer): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer(getRequestListener(server.fetch));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** jose's verdict on a token against a server's JWKS over HTTP (a fresh key set each time: nothing cached between servers). */
async function joseVerify(url: string, token: string, options: { audience?: string } = {}) {
  const jwks = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
  return jwtVerify(token, jwks, { issuer: ISSUER, algorithms: ['EdDSA'], typ: TYP, ...options });
}

/** node:crypto's verdict on the raw JWS: the signature over `header.payload` with the JWKS key of its kid. */
async function nodeVerify(url: string, token: string): Promise<boolean> {
  const { keys } = await json<{ keys: (NodeJsonWebKey & { kid: string })[] }>(await fetch(`${url}/.well-known/jwks.json`));
  const [header, payload, signature] = token.split('.');
  const jwk = keys.find((k) => k.kid === decodeProtectedHeader(token).kid);
  assert.ok(jwk, 'the kid is in the JWKS');
  return cryptoVerify(null, Buffer.from(`${header}.${payload}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(signature, 'base64url'));
}

/** The token with its payload replaced by `change(payload)` and the original signature kept. */
function tampered(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  change(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** The claims the JSON answer stands for (what the token must carry of it). */
const answerPart = (body: Record<string, unknown>) => ({ plan: body.plan, features: body.features, limits: body.limits, has_access: body.has_access });
const claimsPart = (p: JWTPayload) => ({ plan: p.plan, features: p.features, limits: p.limits, has_access: p.has_access });

for (const engine of engines()) {
  describe(`entitlement tokens (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let http: { url: string; close(): Promise<void> };
    const oldKey = privateJwk('2026-11');
    const newKey = privateJwk('2026-12');

    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1', TOLLGATE_ENTITLEMENT_KEYS: JSON.stringify([oldKey]) }, file: FILE });
      http = await listen(server);
    });
    after(async () => {
      await http.close();
      await server.close();
      await store.close();
    });

    const get = (path: string, token: string) => fetch(http.url + path, { headers: { Authorization: `Bearer ${token}` } });

    test('the session route: a token only when asked; jose and node:crypto verify it; its claims are the answer; exp ≤ 300 s', async () => {
      const id = uniqueId();
      const session = await server.session(id);
      const plain = await json(await get('/v1/entitlements', session));
      assert.equal(plain.token, undefined, 'no token unless asked: the widgets\' answer is unchanged');
      assert.deepEqual(Object.keys(plain).sort(), ['features', 'has_access', 'limits', 'plan']);

      const periodBefore = usagePeriod(new Date());
      const body = await json(await get('/v1/entitlements?token=1', session));
      const periods = [periodBefore, usagePeriod(new Date())]; // a month may turn during the request
      assert.equal(typeof body.token, 'string');
      const { payload, protectedHeader } = await joseVerify(http.url, body.token);
      assert.deepEqual(protectedHeader, { alg: 'EdDSA', kid: '2026-11', typ: TYP });
      assert.equal(payload.sub, id);
      assert.equal(payload.iss, ISSUER);
      assert.equal(payload.aud, undefined, 'no audience unless configured');
      assert.deepEqual(claimsPart(payload), answerPart(body));
      assert.deepEqual(answerPart(body), answerPart(plain));
      assert.ok(periods.includes(payload.period as string), `period ${payload.period}`);
      assert.deepEqual(payload.usage, { messages: 0 });
      assert.ok(payload.exp! - payload.iat! <= 300 && payload.exp! - payload.iat! > 0, `lifetime ${payload.exp! - payload.iat!}`);
      assert.ok(payload.exp! <= Math.floor(Date.now() / 1000) + 300);
      assert.equal(body.token_expires_at, new Date(payload.exp! * 1000).toISOString());
      assert.equal(await nodeVerify(http.url, body.token), true, 'node:crypto agrees');

      const wrong = await get('/v1/entitlements?token=yes', session);
      assert.equal(wrong.status, 400);
      assert.equal((await json(wrong)).error.code, 'validation_error');
      assert.equal((await json(await get('/v1/entitlements?token=0', session))).token, undefined);
    });

    test('the API key route gives the same claims as the session route, with the usage counted so far', async () => {
      const id = uniqueId();
      const used = await fetch(`${http.url}/v1/usage`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ customer_id: id, metric: 'messages', quantity: 3 }),
      });
      assert.equal(used.status, 200, await used.clone().text());
      const byKey = await json(await get(`/v1/customers/${id}/entitlements?token=1`, API_KEY));
      const bySession = await json(await get('/v1/entitlements?token=1', await server.session(id)));
      const a = (await joseVerify(http.url, byKey.token)).payload;
      const b = (await joseVerify(http.url, bySession.token)).payload;
      const { iat: _a1, exp: _a2, ...claimsA } = a;
      const { iat: _b1, exp: _b2, ...claimsB } = b;
      assert.deepEqual(claimsA, claimsB);
      assert.equal(a.sub, id);
      assert.deepEqual(a.usage, { messages: 3 });
      assert.deepEqual(claimsPart(a), answerPart(byKey));
    });

    test('a tampered token fails with jose, node:crypto and the client', async () => {
      const { token } = await json(await get(`/v1/customers/${uniqueId()}/entitlements?token=1`, API_KEY));
      const forged = tampered(token, (p) => {
        p.plan = 'team';
        p.features = ['sso'];
      });
      await assert.rejects(joseVerify(http.url, forged), joseErrors.JWSSignatureVerificationFailed);
      assert.equal(await nodeVerify(http.url, forged), false);
      await assert.rejects(verifyEntitlements(forged, { jwksUrl: `${http.url}/.well-known/jwks.json` }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'bad_signature');
      // A signature cut short, and a header naming another algorithm, fail too.
      await assert.rejects(joseVerify(http.url, token.slice(0, -4)));
      const [, payload, signature] = token.split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: TYP, kid: '2026-11' })).toString('base64url')}.${payload}.${signature}`;
      await assert.rejects(joseVerify(http.url, none));
      await assert.rejects(verifyEntitlements(none, { jwksUrl: `${http.url}/.well-known/jwks.json` }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'malformed');
    });

    test('the same token again while its claims hold; a grant or a sandbox payment drops it: the next token has the new plan', async () => {
      const id = uniqueId();
      const first = await json(await get(`/v1/customers/${id}/entitlements?token=1`, API_KEY));
      const again = await json(await get(`/v1/customers/${id}/entitlements?token=1`, API_KEY));
      assert.equal(again.token, first.token, 'cached with the customer view');
      assert.equal((await joseVerify(http.url, first.token)).payload.plan, 'free');

      const until = new Date(Date.now() + 86_400_000).toISOString();
      const grant = await fetch(`${http.url}/v1/customers/${id}/grants`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json', 'Idempotency-Key': `grant-${id}` },
        body: JSON.stringify({ plan: 'team', until, reason: 'support' }),
      });
      assert.equal(grant.status, 201, await grant.clone().text());
      const granted = await json(await get(`/v1/customers/${id}/entitlements?token=1`, API_KEY));
      assert.notEqual(granted.token, first.token);
      const claims = (await joseVerify(http.url, granted.token)).payload;
      assert.equal(claims.plan, 'team');
      assert.deepEqual(claims.features, ['sso']);

      // A sandbox payment (Razorpay simulated): checkout, then the signed verify upgrades the customer.
      const payer = uniqueId();
      const session = await server.session(payer);
      assert.equal((await joseVerify(http.url, (await json(await get('/v1/entitlements?token=1', session))).token)).payload.plan, 'free');
      const checkout = await server.request('POST', '/v1/checkout', { token: session, body: { plan: 'pro' } });
      assert.equal(checkout.status, 201, await checkout.clone().text());
      const orderId = (await json(checkout)).action.order_id as string;
      const paymentId = `pay_${payer}`;
      const signature = signRazorpayPayment(server.deps.config.razorpay.keySecret, orderId, paymentId);
      const paid = await server.request('POST', '/v1/razorpay/verify', { token: session, body: { plan: 'pro', razorpay_order_id: orderId, razorpay_payment_id: paymentId, razorpay_signature: signature } });
      assert.equal(paid.status, 200, await paid.clone().text());
      const upgraded = (await joseVerify(http.url, (await json(await get('/v1/entitlements?token=1', session))).token)).payload;
      assert.equal(upgraded.plan, 'pro');
      assert.equal(upgraded.has_access, true);
    });

    test('a rotation: the new key signs, the JWKS holds both, and a token signed before it still verifies', async () => {
      const id = uniqueId();
      const before = (await json(await get(`/v1/customers/${id}/entitlements?token=1`, API_KEY))).token as string;
      // The restart with the new key first: the same store, TOLLGATE_ENTITLEMENT_KEYS = [new, old].
      const rotated = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1', TOLLGATE_ENTITLEMENT_KEYS: JSON.stringify([newKey, oldKey]) }, file: FILE });
      const rotatedHttp = await listen(rotated);
      try {
        const jwks = await json(await fetch(`${rotatedHttp.url}/.well-known/jwks.json`));
        assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid), ['2026-12', '2026-11']);
        const after = (await json(await fetch(`${rotatedHttp.url}/v1/customers/${id}/entitlements?token=1`, { headers: { Authorization: `Bearer ${API_KEY}` } }))).token as string;
        assert.equal(decodeProtectedHeader(after).kid, '2026-12');
        assert.equal(decodeProtectedHeader(before).kid, '2026-11');
        for (const token of [before, after]) {
          assert.equal((await joseVerify(rotatedHttp.url, token)).payload.sub, id);
          assert.equal(await nodeVerify(rotatedHttp.url, token), true);
          assert.equal((await verifyEntitlements(token, { jwksUrl: `${rotatedHttp.url}/.well-known/jwks.json`, issuer: ISSUER })).sub, id);
        }
        // The old server's JWKS does not know the new key.
        await assert.rejects(joseVerify(http.url, after), joseErrors.JWKSNoMatchingKey);
      } finally {
        await rotatedHttp.close();
        await rotated.close();
      }
    });

    test('the JWKS: public parts only, cacheable with an ETag, any origin; under the mount path too', async () => {
      const res = await fetch(`${http.url}/.well-known/jwks.json`, { headers: { Origin: 'https://anywhere.example' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.match(res.headers.get('cache-control')!, /max-age=300/);
      assert.match(res.headers.get('content-type')!, /^application\/json/);
      const etag = res.headers.get('etag')!;
      assert.ok(etag);
      const { keys } = await json(res);
      assert.deepEqual(keys, [{ kty: 'OKP', crv: 'Ed25519', x: oldKey.x, kid: '2026-11', alg: 'EdDSA', use: 'sig' }]);
      assert.equal((await fetch(`${http.url}/.well-known/jwks.json`, { headers: { 'If-None-Match': etag } })).status, 304);

      const mounted = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1', TOLLGATE_PUBLIC_URL: 'http://tollgate.test/billing', TOLLGATE_ENTITLEMENT_KEYS: JSON.stringify([oldKey]) }, file: FILE });
      try {
        const under = await mounted.request('GET', '/billing/.well-known/jwks.json');
        assert.equal(under.status, 200);
        assert.deepEqual((await json(under)).keys.map((k: { kid: string }) => k.kid), ['2026-11']);
        const answer = await json(await mounted.request('GET', `/billing/v1/customers/${uniqueId()}/entitlements?token=1`, { token: API_KEY }));
        const jwks = { keys } as { keys: JsonWebKey[] };
        assert.equal((await verifyEntitlements(answer.token, { jwks, issuer: 'http://tollgate.test/billing' })).iss, 'http://tollgate.test/billing');
      } finally {
        await mounted.close();
      }
    });

    test('entitlement_tokens.ttl_seconds and audience; sandbox without keys: one generated key; live without keys: no token', async () => {
      const configured = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: { ...FILE, entitlement_tokens: { ttl_seconds: 60, audience: 'my-backend' } } });
      const configuredHttp = await listen(configured);
      try {
        const { token } = await json(await fetch(`${configuredHttp.url}/v1/customers/${uniqueId()}/entitlements?token=1`, { headers: { Authorization: `Bearer ${API_KEY}` } }));
        const { payload, protectedHeader } = await joseVerify(configuredHttp.url, token, { audience: 'my-backend' });
        assert.equal(payload.exp! - payload.iat!, 60);
        assert.match(String(protectedHeader.kid), /^sandbox-[0-9a-f]{12}$/, 'a key made for this process');
        await assert.rejects(joseVerify(configuredHttp.url, token, { audience: 'someone-else' }), joseErrors.JWTClaimValidationFailed);
      } finally {
        await configuredHttp.close();
        await configured.close();
      }
      assert.throws(() => parseConfig({ ...DEFAULT_CONFIG, entitlement_tokens: { ttl_seconds: 301 } }), /entitlement_tokens\.ttl_seconds: entitlement tokens live at most 5 min \(300\)/);

      const live = await makeServer({ store, env: { ...LIVE_RAZORPAY_ENV }, file: FILE });
      try {
        const answer = await json(await live.request('GET', `/v1/customers/${uniqueId()}/entitlements?token=1`, { token: API_KEY }));
        assert.equal(answer.plan, 'free');
        assert.equal(answer.token, undefined, 'live mode without keys: tokens are off');
        assert.deepEqual(await json(await live.request('GET', '/.well-known/jwks.json')), { keys: [] });
      } finally {
        await live.close();
      }
    });

    test('tollgate/client: verifyEntitlements against the real JWKS, fetched once; refuses tampered, expired and unknown-kid tokens', async () => {
      let fetches = 0;
      const counting: typeof fetch = (input, init) => {
        if (String(input).includes('/.well-known/jwks.json')) fetches++;
        return fetch(input, init);
      };
      // A URL of its own (a query the server ignores) so that no other test's key set is reused.
      const jwksUrl = `${http.url}/.well-known/jwks.json?client-test=${uniqueId()}`;
      const client = createClient({ baseUrl: http.url, apiKey: API_KEY });
      const id = uniqueId();
      const answer = await client.customers.entitlements(id, { token: true });
      const claims = await verifyEntitlements(answer.token!, { jwksUrl, issuer: ISSUER, fetch: counting });
      const judged = (await joseVerify(http.url, answer.token!)).payload;
      assert.deepEqual(claims, judged, 'the client reads what jose reads');
      assert.deepEqual({ plan: claims.plan, features: claims.features, limits: claims.limits, has_access: claims.has_access }, answerPart(answer as never));
      assert.equal(claims.sub, id);
      const other = (await client.customers.entitlements(uniqueId(), { token: true })).token!;
      assert.equal((await verifyEntitlements(other, { jwksUrl, fetch: counting })).plan, 'free');
      assert.equal(fetches, 1, 'the JWKS is fetched once');
      assert.equal((await client.verifyEntitlements(answer.token!, { issuer: ISSUER })).sub, id, "the client's own shortcut, with the server's JWKS");

      await assert.rejects(verifyEntitlements(answer.token!, { jwksUrl, issuer: 'https://elsewhere.example', fetch: counting }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'wrong_issuer');
      await assert.rejects(verifyEntitlements(answer.token!, { jwksUrl, audience: 'my-backend', fetch: counting }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'wrong_audience');
      // Expired: the same token ten minutes on (past exp ≤ 300 s plus the 30 s tolerance), and one from a server whose clock is behind.
      await assert.rejects(verifyEntitlements(answer.token!, { jwksUrl, fetch: counting, now: () => Date.now() + 10 * 60_000 }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'expired');
      const behind = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1', TOLLGATE_ENTITLEMENT_KEYS: JSON.stringify([oldKey]) }, file: FILE, now: () => new Date(Date.now() - 10 * 60_000) });
      try {
        const old = (await json(await behind.request('GET', `/v1/customers/${uniqueId()}/entitlements?token=1`, { token: API_KEY }))).token;
        await assert.rejects(joseVerify(http.url, old), joseErrors.JWTExpired);
        await assert.rejects(verifyEntitlements(old, { jwksUrl, fetch: counting }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'expired');
      } finally {
        await behind.close();
      }
      // Unknown kid: signed by another server's key. One refetch to look for it, then none for 30 s.
      const stranger = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: FILE });
      try {
        const foreign = (await json(await stranger.request('GET', `/v1/customers/${uniqueId()}/entitlements?token=1`, { token: API_KEY }))).token;
        await assert.rejects(joseVerify(http.url, foreign), joseErrors.JWKSNoMatchingKey);
        await assert.rejects(verifyEntitlements(foreign, { jwksUrl, fetch: counting, now: () => Date.now() + 31_000 }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'unknown_key');
        assert.equal(fetches, 2, 'an unknown kid fetches the JWKS again');
        await assert.rejects(verifyEntitlements(foreign, { jwksUrl, fetch: counting, now: () => Date.now() + 32_000 }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'unknown_key');
        assert.equal(fetches, 2, 'at most once per 30 s');
        await assert.rejects(verifyEntitlements(tampered(answer.token!, (p) => (p.plan = 'team')), { jwksUrl, fetch: counting }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'bad_signature');
        // A JWKS given as an object: the same verdicts, no fetch.
        const jwks = await json(await fetch(`${http.url}/.well-known/jwks.json`));
        assert.equal((await verifyEntitlements(answer.token!, { jwks })).sub, id);
        await assert.rejects(verifyEntitlements(foreign, { jwks }), (err: unknown) => err instanceof EntitlementTokenError && err.code === 'unknown_key');
      } finally {
        await stranger.close();
      }
    });
  });
}

test('bad TOLLGATE_ENTITLEMENT_KEYS are refused at start with what is wrong', () => {
  const load = (keys: string) => () => loadServerConfig({ ...TEST_ENV, TOLLGATE_SANDBOX: '1', TOLLGATE_ENTITLEMENT_KEYS: keys }, parseConfig(DEFAULT_CONFIG));
  const refused = (keys: string, message: RegExp) => assert.throws(load(keys), (err: unknown) => err instanceof ConfigError && message.test(err.message) && /^TOLLGATE_ENTITLEMENT_KEYS: /.test(err.message) && !err.message.includes('"d":'));
  const key = privateJwk('a');
  refused('[{"kty":"OKP",', /not valid JSON/);
  refused('[]', /the array is empty/);
  refused('["x"]', /key \[0\] is not a JWK object/);
  const rsa = { ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as object), kid: 'r' };
  refused(JSON.stringify([rsa]), /key \[0\] is not an Ed25519 key \(kty "RSA"/);
  const p256 = { ...(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as object), kid: 'e' };
  refused(JSON.stringify([key, p256]), /key \[1\] is not an Ed25519 key \(kty "EC", crv "P-256"/);
  const { d: _d, ...publicOnly } = key;
  refused(JSON.stringify([publicOnly]), /key \[0\] \("a"\) has no private part \("d"\)/);
  refused(JSON.stringify([key, { ...privateJwk('a') }]), /the kid "a" is used twice/);
  refused(JSON.stringify([{ ...key, kid: undefined }]), /key \[0\] has no usable "kid"/);
  refused(JSON.stringify([{ ...key, x: privateJwk('b').x }]), /its "x" is not the public key of its "d"/);
  refused(JSON.stringify([{ ...key, d: 'AAAA' }]), /is not a valid Ed25519 private key/);
  // Without "x" it is derived from "d"; one JWK (not in an array); the signing key first.
  const { x, ...noX } = key;
  assert.equal(load(JSON.stringify([noX]))().entitlementKeys.keys[0].publicJwk.x, x);
  assert.equal(load(JSON.stringify(key))().entitlementKeys.keys[0].kid, 'a');
  const two = load(JSON.stringify([privateJwk('new'), key]))().entitlementKeys;
  assert.deepEqual({ source: two.source, kids: two.keys.map((k) => k.kid) }, { source: 'environment', kids: ['new', 'a'] });
});

test('check-config says whether tokens are signed, with which kid, from where', async () => {
  const lineOf = async (env: Record<string, string>) => {
    let out = '';
    await checkConfig({ ...TEST_ENV, ...env }, (text) => (out += text));
    return out.split('\n').find((l) => l.startsWith('  entitlements: '));
  };
  assert.match((await lineOf({ TOLLGATE_SANDBOX: '1' }))!, /^ {2}entitlements: tokens signed with kid sandbox-[0-9a-f]{12}, a key made for this process .*; 300 s each$/);
  assert.equal(await lineOf({ TOLLGATE_SANDBOX: '1', TOLLGATE_ENTITLEMENT_KEYS: JSON.stringify([privateJwk('k2'), privateJwk('k1')]) }), '  entitlements: tokens signed with kid k2, 2 keys from TOLLGATE_ENTITLEMENT_KEYS; 300 s each');
  assert.match((await lineOf({ ...LIVE_RAZORPAY_ENV }))!, /^ {2}entitlements: tokens off \(live mode, TOLLGATE_ENTITLEMENT_KEYS unset\)/);
});
