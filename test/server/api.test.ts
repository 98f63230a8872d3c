// The contract around the payment routes: sessions and tokens, the error envelope, Idempotency-Key,
// rate limits, CORS, body limits, plans, subscription, entitlements, usage, health, and logs without secrets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SignJWT } from 'jose';
import { engines, json, makeServer, testStore, TEST_ENV, uniqueId, type TestServer } from './helpers.js';
import type { Sql, Store } from '../../server/store/index.js';
import { HEALTH_CHECK_KEEP_MS, storeReachable } from '../../server/store/health.js';

const API_KEY = TEST_ENV.TOLLGATE_API_KEY;

function assertEnvelope(body: any, code: string) {
  assert.equal(body.error?.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
  assert.match(body.error.request_id, /^req_/);
}

for (const engine of engines()) {
  describe(`API contract (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, sandboxWebhookDelayMs: 0, file: { rate_limits: { customer: { limit: 1000, window_s: 60 }, ip: { limit: 1000, window_s: 60 } } } });
    });
    after(() => store.close());

    describe('sessions', () => {
      test('POST /v1/sessions with the API key mints a ≤ 1 h token and creates the customer on free', async () => {
        const id = uniqueId();
        const res = await server.request('POST', '/v1/sessions', { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: id, email: 'r@example.in', name: 'Ravi' } });
        assert.equal(res.status, 201);
        const body = await json(res);
        const ttl = new Date(body.expires_at).getTime() - Date.now();
        assert.ok(ttl > 3500_000 && ttl <= 3600_000, `ttl ${ttl}`);
        const [row] = await store.query<any>('SELECT plan, email, name FROM customers WHERE id = $1', [id]);
        assert.deepEqual(row, { plan: 'free', email: 'r@example.in', name: 'Ravi' });
        const sub = await json(await server.request('GET', '/v1/subscription', { token: body.token }));
        assert.equal(sub.plan, 'free');
      });

      test('a missing or wrong API key is 401; a bad body is 400 validation_error naming the field', async () => {
        assertEnvelope(await json(await server.request('POST', '/v1/sessions', { body: { customer_id: 'x' } })), 'unauthenticated');
        const wrong = await server.request('POST', '/v1/sessions', { headers: { Authorization: 'Bearer nope' }, body: { customer_id: 'x' } });
        assert.equal(wrong.status, 401);
        const bad = await server.request('POST', '/v1/sessions', { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: 'has spaces', email: 'not-an-email' } });
        assert.equal(bad.status, 400);
        const body = await json(bad);
        assertEnvelope(body, 'validation_error');
        assert.match(body.error.message, /^customer_id: /);
      });

      test('missing, malformed, expired and forged tokens are rejected', async () => {
        const none = await server.request('GET', '/v1/subscription');
        assert.equal(none.status, 401);
        assertEnvelope(await json(none), 'unauthenticated');
        const malformed = await server.request('GET', '/v1/subscription', { token: 'not.a.jwt' });
        assertEnvelope(await json(malformed), 'invalid_token');
        const expired = await server.session(uniqueId(), { ttlSeconds: 60, nowSeconds: Math.floor(Date.now() / 1000) - 3600 });
        const exp = await json(await server.request('GET', '/v1/subscription', { token: expired }));
        assertEnvelope(exp, 'invalid_token');
        assert.match(exp.error.message, /expired/);
        const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('tollgate').setAudience('tollgate-widget').setSubject('victim').setExpirationTime('10m').sign(new TextEncoder().encode('x'.repeat(40)));
        assertEnvelope(await json(await server.request('GET', '/v1/subscription', { token: forged })), 'invalid_token');
        const none2 = 'eyJhbGciOiJub25lIn0.' + Buffer.from(JSON.stringify({ iss: 'tollgate', aud: 'tollgate-widget', sub: 'victim', exp: 9999999999 })).toString('base64url') + '.';
        assertEnvelope(await json(await server.request('GET', '/v1/subscription', { token: none2 })), 'invalid_token');
      });

      test('a hand-off token works only for its own checkout', async () => {
        const token = await server.session(uniqueId(), { checkoutScope: 'chk_abc' });
        const res = await server.request('GET', '/v1/subscription', { token });
        assert.equal(res.status, 403);
        assertEnvelope(await json(res), 'forbidden');
        const other = await server.request('GET', '/v1/checkout/chk_other', { token });
        assert.equal(other.status, 403);
      });

      test('the sandbox demo session needs no API key but an Idempotency-Key', async () => {
        const res = await server.request('POST', '/v1/sandbox/session', { body: { customer_id: 'demo_x1' } });
        assert.equal(res.status, 201);
        assert.ok((await json(res)).token);
        const noKey = await server.request('POST', '/v1/sandbox/session', { body: {}, idempotencyKey: null });
        assertEnvelope(await json(noKey), 'missing_idempotency_key');
      });
    });

    describe('errors, limits and CORS', () => {
      test('malformed JSON is 400 validation_error, never a 500', async () => {
        const token = await server.session(uniqueId());
        const res = await server.request('POST', '/v1/checkout', { token, rawBody: '{"plan": "pro",' });
        assert.equal(res.status, 400);
        assertEnvelope(await json(res), 'validation_error');
        assert.ok(res.headers.get('X-Request-Id'));
      });

      test('an oversized body is 413 payload_too_large', async () => {
        const token = await server.session(uniqueId());
        const res = await server.request('POST', '/v1/checkout', { token, rawBody: JSON.stringify({ plan: 'pro', pad: 'x'.repeat(70 * 1024) }) });
        assert.equal(res.status, 413);
        assertEnvelope(await json(res), 'payload_too_large');
      });

      test('unknown routes answer the envelope with X-Request-Id', async () => {
        const res = await server.request('GET', '/v1/nope');
        assert.equal(res.status, 404);
        const body = await json(res);
        assertEnvelope(body, 'not_found');
        assert.equal(res.headers.get('X-Request-Id'), body.error.request_id);
      });

      test('CORS reflects any origin in sandbox and exposes the headers widgets read', async () => {
        const res = await server.request('OPTIONS', '/v1/checkout', { headers: { Origin: 'https://partner.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,idempotency-key,content-type' } });
        assert.equal(res.headers.get('Access-Control-Allow-Origin'), 'https://partner.example');
        assert.match(res.headers.get('Access-Control-Allow-Headers') ?? '', /Idempotency-Key/i);
      });
    });

    describe('Idempotency-Key', () => {
      test('every browser POST needs one', async () => {
        const token = await server.session(uniqueId());
        for (const path of ['/v1/checkout', '/v1/razorpay/verify', '/v1/portal']) {
          const res = await server.request('POST', path, { token, body: { plan: 'pro' }, idempotencyKey: null });
          assert.equal(res.status, 400, path);
          assertEnvelope(await json(res), 'missing_idempotency_key');
        }
      });

      test('a replay returns the first response with Idempotent-Replay and makes no second order', async () => {
        const token = await server.session(uniqueId());
        const first = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'same-key-1' });
        const ordersBefore = server.razorpaySandbox!.orders.size;
        const replay = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'same-key-1' });
        assert.equal(replay.status, first.status);
        assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
        assert.equal(await replay.text(), await first.text());
        assert.equal(server.razorpaySandbox!.orders.size, ordersBefore);
      });

      test('the same key with another body is 409 idempotency_key_mismatch', async () => {
        const token = await server.session(uniqueId());
        await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'same-key-2' });
        const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'team' }, idempotencyKey: 'same-key-2' });
        assert.equal(res.status, 409);
        assertEnvelope(await json(res), 'idempotency_key_mismatch');
      });

      test('keys are per customer: two customers may use the same key', async () => {
        const a = await server.session(uniqueId());
        const b = await server.session(uniqueId());
        const ra = await json(await server.request('POST', '/v1/checkout', { token: a, body: { plan: 'pro' }, idempotencyKey: 'shared' }));
        const rb = await json(await server.request('POST', '/v1/checkout', { token: b, body: { plan: 'pro' }, idempotencyKey: 'shared' }));
        assert.notEqual(ra.checkout_id, rb.checkout_id);
      });

      test('concurrent requests with one key make one checkout', async () => {
        const customer = uniqueId();
        const token = await server.session(customer);
        const results = await Promise.all(Array.from({ length: 8 }, () => server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: 'burst' })));
        const ids = new Set(await Promise.all(results.map(async (r) => (await json(r)).checkout_id)));
        assert.equal(ids.size, 1);
        const rows = await store.query('SELECT id FROM checkouts WHERE customer_id = $1', [customer]);
        assert.equal(rows.length, 1);
      });

      test('a kept answer survives a garbage collection before the client reads it', async () => {
        // Regression: the kept body was read through response.clone(); undici then cancels the
        // original's stream when the original object is collected, and Hono had already moved that
        // stream into a new Response, so a GC at the wrong moment emptied a successful answer.
        setFlagsFromString('--expose-gc');
        const gc = runInNewContext('gc') as () => void;
        const token = await server.session(uniqueId());
        const responses = await Promise.all(Array.from({ length: 4 }, () => server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } })));
        gc();
        await new Promise((r) => setTimeout(r, 10));
        for (const res of responses) {
          assert.equal(res.status, 201);
          assert.match((await json(res)).checkout_id, /^chk_/);
        }
      });

      test('a 4xx answer is kept too: the same bad request replays its error', async () => {
        const token = await server.session(uniqueId());
        const first = await server.request('POST', '/v1/checkout', { token, body: { plan: 'free' }, idempotencyKey: 'bad-1' });
        assert.equal(first.status, 400);
        const again = await server.request('POST', '/v1/checkout', { token, body: { plan: 'free' }, idempotencyKey: 'bad-1' });
        assert.equal(again.status, 400);
        assert.equal(again.headers.get('Idempotent-Replay'), 'true');
      });
    });

    describe('catalog and account', () => {
      test('GET /v1/plans shows prices, the price that will be charged, limits and orderability', async () => {
        const body = await json(await server.request('GET', '/v1/plans'));
        const pro = body.plans.find((p: any) => p.id === 'pro');
        // The demo's rupee prices include 18 % GST: one unit's tax rides along (1,599 − round(1,599 × 100 / 118) = ₹243.92).
        assert.deepEqual(pro.charge.find((p: any) => p.interval === 'month'), { provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month', tax: { name: 'GST', rate: 18, inclusive: true, amount: 24392 } });
        assert.equal(body.plans.find((p: any) => p.id === 'free').orderable, false);
        assert.equal(body.plans.find((p: any) => p.id === 'team').limits.messages, null);
        assert.deepEqual(body.metrics.map((m: any) => m.id), ['messages', 'seats', 'projects']);
        const usd = await json(await server.request('GET', '/v1/plans?currency=USD'));
        assert.equal(usd.plans.find((p: any) => p.id === 'pro').charge[0].provider, 'stripe');
      });

      test("routing: the customer's currency picks the provider; the picker's provider and currency pick the exact price", async () => {
        const id = uniqueId();
        const session = await json(await server.request('POST', '/v1/sessions', { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: id, currency: 'USD' } }));
        const plans = await json(await server.request('GET', '/v1/plans', { token: session.token }));
        assert.deepEqual(plans.plans.find((p: any) => p.id === 'pro').charge[0], { provider: 'stripe', currency: 'USD', amount: 1900, interval: 'month' });
        const inr = await server.session(uniqueId());
        const explicit = await json(await server.request('POST', '/v1/checkout', { token: inr, body: { plan: 'pro', provider: 'razorpay', currency: 'INR', interval: 'year' } }));
        assert.equal(explicit.action.amount, 1599000);
        const none = await server.request('POST', '/v1/checkout', { token: inr, body: { plan: 'pro', interval: 'once' } });
        assert.equal(none.status, 400);
        assert.match((await json(none)).error.message, /^interval: plan "pro" has no one-off price/);
      });

      test('free, unknown and price-less plans cannot be ordered (400 "Unsupported plan slug")', async () => {
        const token = await server.session(uniqueId());
        for (const plan of ['free', 'enterprise']) {
          const res = await server.request('POST', '/v1/checkout', { token, body: { plan } });
          assert.equal(res.status, 400);
          const body = await json(res);
          assertEnvelope(body, 'validation_error');
          assert.match(body.error.message, /Unsupported plan slug/);
        }
      });

      test('entitlements and usage: limits from the plan, usage reported by the partner backend', async () => {
        const id = uniqueId();
        const token = await server.session(id);
        const ent = await json(await server.request('GET', '/v1/entitlements', { token }));
        assert.deepEqual(ent, { plan: 'free', features: ['basic-analytics'], limits: { messages: 1000, seats: 1, projects: 2 }, has_access: false });
        const report = await server.request('POST', '/v1/usage', { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: id, metric: 'messages', quantity: 850 } });
        assert.equal(report.status, 200);
        assert.equal((await json(report)).used, 850);
        const unknown = await server.request('POST', '/v1/usage', { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: id, metric: 'tokens', quantity: 1 } });
        assertEnvelope(await json(unknown), 'validation_error');
        const sub = await json(await server.request('GET', '/v1/subscription', { token }));
        assert.equal(sub.usage.messagesUsed, 850);
        assert.equal(sub.usage.messagesLimit, 1000);
        assert.equal(sub.hasPortal, false);
        assert.equal(sub.currentPeriodEnd, null);
      });

      test('reads never write: an unknown customer reads as new on free and no row is made; a stored one is not touched', async () => {
        const unknown = uniqueId();
        const token = await server.session(unknown, { email: `${unknown}@example.in` });
        const before = await store.query('SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM usage_counters)::int AS usage');
        assert.equal((await json(await server.request('GET', '/v1/entitlements', { token }))).plan, 'free');
        const sub = await json(await server.request('GET', '/v1/subscription', { token }));
        assert.deepEqual([sub.plan, sub.status, sub.usage.messagesUsed, sub.hasPortal], ['free', 'active', 0, false]);
        assert.deepEqual(await store.query('SELECT id FROM customers WHERE id = $1', [unknown]), []);
        assert.deepEqual(await store.query('SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM usage_counters)::int AS usage'), before);

        const known = uniqueId();
        assert.equal((await server.request('POST', '/v1/sessions', { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: known, email: 'a@example.in' } })).status, 201);
        const [stored] = await store.query<{ updated_at: Date; email: string }>('SELECT updated_at, email FROM customers WHERE id = $1', [known]);
        // A token whose email differs from the stored one: the read shows the stored row and changes nothing.
        const other = await server.session(known, { email: 'b@example.in' });
        for (let i = 0; i < 3; i++) assert.equal((await server.request('GET', '/v1/subscription', { token: other })).status, 200);
        assert.deepEqual(await store.query('SELECT updated_at, email FROM customers WHERE id = $1', [known]), [stored]);
      });

      test('a cached read sees every write made through the store at once (plan, usage, an upstream customer)', async () => {
        const id = uniqueId();
        assert.equal((await server.request('POST', '/v1/sessions', { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: id } })).status, 201);
        const token = await server.session(id);
        const read = async () => json(await server.request('GET', '/v1/subscription', { token }));
        assert.equal((await read()).plan, 'free');
        assert.equal((await read()).plan, 'free'); // now cached
        await store.query("UPDATE customers SET plan = 'pro', status = 'active' WHERE id = $1", [id]);
        assert.equal((await read()).plan, 'pro');
        assert.equal((await json(await server.request('GET', '/v1/entitlements', { token }))).plan, 'pro');
        await store.transaction((tx) => tx.query("INSERT INTO usage_counters (customer_id, metric, period, used) VALUES ($1, 'messages', $2, 7)", [id, new Date().toISOString().slice(0, 7)]));
        assert.equal((await read()).usage.messagesUsed, 7);
      });

      test('the portal is 404 not_found when there is no billing account', async () => {
        const token = await server.session(uniqueId());
        const res = await server.request('POST', '/v1/portal', { token, body: {} });
        assert.equal(res.status, 404);
        assertEnvelope(await json(res), 'not_found');
      });

      test('GET /healthz reports the store and the providers', async () => {
        const body = await json(await server.request('GET', '/healthz'));
        assert.equal(body.ok, true);
        assert.equal(body.store, engine);
        assert.equal(body.providers.razorpay, 'sandbox');
      });

      test('the store check behind /healthz: one query for concurrent probes, kept a second, a store that is gone is false', async () => {
        let queries = 0;
        const counted = { query: (text: string, params?: unknown[]) => (queries++, store.query(text, params)), exec: (s: string) => store.exec(s) } as Sql;
        let clock = 0;
        const answers = await Promise.all(Array.from({ length: 20 }, () => storeReachable(counted, () => clock)));
        assert.deepEqual([new Set(answers).size, answers[0], queries], [1, true, 1]);
        clock += HEALTH_CHECK_KEEP_MS - 1;
        assert.equal(await storeReachable(counted, () => clock), true);
        assert.equal(queries, 1);
        clock += 1;
        await storeReachable(counted, () => clock);
        assert.equal(queries, 2);
        const gone = { query: () => Promise.reject(new Error("connection refused")), exec: () => Promise.resolve() } as Sql;
        assert.equal(await storeReachable(gone, () => clock), false);
      });
    });

    test('no secret reaches a response or a log line', async () => {
      const id = uniqueId();
      const session = await json(await server.request('POST', '/v1/sessions', { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: id } }));
      const co = await server.request('POST', '/v1/checkout', { token: session.token, body: { plan: 'pro' } });
      const text = await co.text();
      const secrets = [API_KEY, TEST_ENV.TOLLGATE_SESSION_SECRET, server.deps.config.razorpay.keySecret, server.deps.config.razorpay.webhookSecret];
      const logs = server.logLines.join('\n');
      for (const s of secrets) {
        assert.ok(!text.includes(s));
        assert.ok(!logs.includes(s), 'a secret is in the logs');
      }
      assert.ok(!logs.includes(session.token), 'a session token is in the logs');
      assert.match(logs, /"msg":"request".*"request_id":"req_/);
    });
  });
}

describe('rate limits', () => {
  let store: Store;
  let server: TestServer;
  before(async () => {
    store = await testStore();
    // The app's limiters read the wall clock and count in fixed windows aligned to multiples of the window
    // since the epoch: a burst that straddles a boundary lets the request past the limit through (the earlier
    // hits weigh a little less than their number), so with 60 s windows a slow run could see 200 where 429
    // is due. A window of ~127 years (next boundary in 2096) keeps every burst here in one window; the sliding
    // arithmetic itself is tested on a fixed clock in rate-limit.test.ts.
    const window_s = 4_000_000_000;
    server = await makeServer({ store, file: { rate_limits: { customer: { limit: 5, window_s }, ip: { limit: 3, window_s } } } });
  });
  after(() => store.close());

  test('per customer: the request past the limit is 429 rate_limited with Retry-After', async () => {
    const token = await server.session(uniqueId());
    for (let i = 0; i < 5; i++) assert.equal((await server.request('GET', '/v1/entitlements', { token })).status, 200);
    const res = await server.request('GET', '/v1/entitlements', { token });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('Retry-After')) >= 1);
    assertEnvelope(await json(res), 'rate_limited');
    // Another customer is not affected.
    assert.equal((await server.request('GET', '/v1/entitlements', { token: await server.session(uniqueId()) })).status, 200);
  });

  test('per IP for unauthenticated and failed-auth requests', async () => {
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await server.request('GET', '/v1/subscription', { token: 'bad.token.here' })).status);
    assert.deepEqual(codes, [401, 401, 401, 429]);
  });
});
