// Token time rules: exp required and within the configured lifetime, iat/nbf no further ahead than the clock
// skew, for our session tokens and for external issuers' JWTs, checked against the app's own clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, type JWTPayload } from 'jose';
import { engines, json, makeServer, testStore, TEST_ENV, uniqueId, type TestServer } from './helpers.js';
import { CLOCK_SKEW_S, HANDOFF_TTL_S } from '../../server/security/tokens.js';
import type { Store } from '../../server/store/index.js';

const DAY_S = 86_400;
const SESSION_SECRET = new TextEncoder().encode(TEST_ENV.TOLLGATE_SESSION_SECRET);
const SUPABASE_SECRET = 'supabase-jwt-secret-for-token-tests-0123';

/** A session-shaped token signed with the server's real secret, with exactly the times given (none unless given). */
function sessionJwt(sub: string, times: { iat?: number; exp?: number; nbf?: number }, extra: JWTPayload = {}): Promise<string> {
  return new SignJWT({ ...extra, ...times }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer('tollgate').setAudience('tollgate-widget').setSubject(sub).sign(SESSION_SECRET);
}

function supabaseJwt(sub: string, times: { iat?: number; exp?: number; nbf?: number }): Promise<string> {
  return new SignJWT({ role: 'authenticated', ...times }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setAudience('authenticated').setSubject(sub).sign(new TextEncoder().encode(SUPABASE_SECRET));
}

async function refused(server: TestServer, token: string, message: RegExp): Promise<void> {
  const res = await server.request('GET', '/v1/entitlements', { token });
  const body = await json(res);
  assert.equal(res.status, 401, JSON.stringify(body));
  assert.equal(body.error.code, 'invalid_token');
  assert.match(body.error.message, message);
}

async function accepted(server: TestServer, token: string): Promise<void> {
  const res = await server.request('GET', '/v1/entitlements', { token });
  assert.equal(res.status, 200, JSON.stringify(await res.clone().json()));
}

for (const engine of engines()) {
  describe(`token times (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    // The app's clock, a day ahead of the machine's: every check must follow it, not Date.now().
    const clockMs = Date.now() + DAY_S * 1000;
    const nowS = Math.floor(clockMs / 1000);
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({
        store,
        now: () => new Date(clockMs),
        env: { SUPABASE_JWT_SECRET: SUPABASE_SECRET },
        file: { session_ttl_seconds: 600, external_jwt: { secret_env: 'SUPABASE_JWT_SECRET', audience: 'authenticated' } },
      });
    });
    after(async () => {
      await server.close();
      await store.close();
    });

    test('a session token signed with the real secret but without exp is refused', async () => {
      await refused(server, await sessionJwt(uniqueId(), { iat: nowS }), /no expiry \("exp" claim\)/);
    });

    test('a session token that lives longer than session_ttl_seconds is refused', async () => {
      await refused(server, await sessionJwt(uniqueId(), { iat: nowS, exp: nowS + 30 * DAY_S }), /lives longer than this server allows \(600 s, session_ttl_seconds\)/);
      await refused(server, await sessionJwt(uniqueId(), { iat: nowS, exp: nowS + 601 }), /lives longer/);
      await refused(server, await sessionJwt(uniqueId(), { exp: nowS + 300 }), /no issue time \("iat" claim\)/);
      await accepted(server, await sessionJwt(uniqueId(), { iat: nowS, exp: nowS + 600 }));
    });

    test('iat or nbf a day ahead is refused; within the clock skew is accepted', async () => {
      await refused(server, await sessionJwt(uniqueId(), { iat: nowS + DAY_S, exp: nowS + DAY_S + 600 }), /issued in the future/);
      await refused(server, await sessionJwt(uniqueId(), { iat: nowS, nbf: nowS + DAY_S, exp: nowS + 600 }), /not valid yet/);
      await accepted(server, await sessionJwt(uniqueId(), { iat: nowS + CLOCK_SKEW_S - 5, nbf: nowS + CLOCK_SKEW_S - 5, exp: nowS + 300 }));
    });

    test("expiry follows the app's clock: a token minted by the machine's clock has expired there", async () => {
      await refused(server, await server.session(uniqueId(), { ttlSeconds: 600 }), /has expired; ask your backend for a new one/);
      await accepted(server, await server.session(uniqueId(), { ttlSeconds: 600, nowSeconds: nowS }));
      await accepted(server, await json(await server.request('POST', '/v1/sessions', { headers: { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}` }, body: { customer_id: uniqueId() } })).then((r) => r.token));
    });

    test('hand-off tokens keep their own 30 min lifetime, above a shorter session_ttl_seconds', async () => {
      const customer = uniqueId();
      const token = await server.session(customer, { ttlSeconds: 600, nowSeconds: nowS });
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', mode: 'handoff' } });
      const body = await json(res);
      assert.equal(res.status, 201, JSON.stringify(body));
      const handoff = new URL(body.action.url).hash.replace('#token=', '');
      const [, payload] = handoff.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      assert.equal(claims.exp - claims.iat, HANDOFF_TTL_S);
      const status = await server.request('GET', `/v1/checkout/${body.checkout_id}`, { token: handoff });
      assert.equal(status.status, 200, JSON.stringify(await status.clone().json()));
      // A scoped token is still bounded: by the hand-off lifetime.
      await refused(server, await sessionJwt(customer, { iat: nowS, exp: nowS + HANDOFF_TTL_S + 60 }, { chk: body.checkout_id }), /lives longer than this server allows \(1800 s, a hand-off token\)/);
    });

    test("an external issuer's JWT needs exp, and its iat/nbf may not be a day ahead", async () => {
      const sub = uniqueId('user');
      await refused(server, await supabaseJwt(sub, { iat: nowS }), /no expiry/);
      await refused(server, await supabaseJwt(sub, { iat: nowS + DAY_S, exp: nowS + DAY_S + 3600 }), /issued in the future/);
      await refused(server, await supabaseJwt(sub, { iat: nowS, nbf: nowS + DAY_S, exp: nowS + 3600 }), /not valid yet/);
      await refused(server, await supabaseJwt(sub, { iat: nowS - 7200, exp: nowS - 3600 }), /has expired; sign in again/);
      await accepted(server, await supabaseJwt(sub, { iat: nowS - 10, exp: nowS + 3600 }));
    });
  });
}
