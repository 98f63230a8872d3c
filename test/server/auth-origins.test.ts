// External issuers' JWTs (shared secret and JWKS) as customer sessions, and CORS / return URLs limited
// to the configured origins outside sandbox.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { json, LIVE_RAZORPAY_ENV as LIVE_ENV, makeServer, testStore, uniqueId } from './helpers.js';
import { listen } from '../fakes/harness.js';
import type { Store } from '../../server/store/index.js';

describe('external JWTs and origins', () => {
  let store: Store;
  before(async () => {
    store = await testStore();
  });
  after(() => store.close());

  test("a Supabase-style HS256 JWT (shared secret from the env) is the customer's session", async () => {
    const secret = 'supabase-jwt-secret-for-tests-0123456789';
    const server = await makeServer({ store, env: { SUPABASE_JWT_SECRET: secret }, file: { external_jwt: { secret_env: 'SUPABASE_JWT_SECRET', audience: 'authenticated' } } });
    const sub = uniqueId('user');
    const jwt = await new SignJWT({ email: 'k@example.in', role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience('authenticated').setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    const sub1 = await json(await server.request('GET', '/v1/subscription', { token: jwt }));
    assert.equal(sub1.plan, 'free');
    // A read never writes (issue 11): the customer is stored, with the token's email, by the first checkout.
    assert.deepEqual(await store.query('SELECT email FROM customers WHERE id = $1', [sub]), []);
    const wrongAud = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience('anon').setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    assert.equal((await server.request('GET', '/v1/subscription', { token: wrongAud })).status, 401);
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience('authenticated').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(secret));
    const res = await json(await server.request('GET', '/v1/subscription', { token: expired }));
    assert.equal(res.error.code, 'invalid_token');
    assert.match(res.error.message, /expired/);
  });

  test('an RS256 JWT checked against a JWKS URL', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwksApp = new Hono();
    jwksApp.get('/.well-known/jwks.json', (c) => c.json({ keys: [jwk] }));
    const jwks = await listen(jwksApp);
    try {
      const server = await makeServer({ store, file: { external_jwt: { jwks_url: `${jwks.url}/.well-known/jwks.json`, issuer: 'https://issuer.example' } } });
      const sub = uniqueId('u');
      const good = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject(sub).setIssuer('https://issuer.example').setExpirationTime('5m').sign(privateKey);
      assert.equal((await server.request('GET', '/v1/entitlements', { token: good })).status, 200);
      const other = await generateKeyPair('RS256');
      const forged = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject(sub).setIssuer('https://issuer.example').setExpirationTime('5m').sign(other.privateKey);
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token: forged }))).error.code, 'invalid_token');
    } finally {
      await jwks.close();
    }
  });

  test('outside sandbox, CORS answers only configured origins', async () => {
    const server = await makeServer({ store, env: LIVE_ENV, file: { allowed_origins: ['https://app.partner.example'] } });
    const preflight = (origin: string) => server.request('OPTIONS', '/v1/plans', { headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' } });
    assert.equal((await preflight('https://app.partner.example')).headers.get('Access-Control-Allow-Origin'), 'https://app.partner.example');
    assert.equal((await preflight('https://evil.example')).headers.get('Access-Control-Allow-Origin'), null);
    assert.equal((await server.request('POST', '/v1/sandbox/session', { body: {} })).status, 404);
  });

  test('return URLs must be on an allowed origin', async () => {
    const server = await makeServer({ store, env: LIVE_ENV, file: { allowed_origins: ['https://app.partner.example'] } });
    const token = await server.session(uniqueId());
    const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', return_url: 'https://evil.example/steal' } });
    assert.equal(res.status, 400);
    assert.match((await json(res)).error.message, /return_url: https:\/\/evil.example is not an allowed origin/);
    assert.equal((await store.query('SELECT 1 FROM checkouts WHERE customer_id = (SELECT id FROM customers ORDER BY created_at DESC LIMIT 1)')).length, 0);
  });
});
