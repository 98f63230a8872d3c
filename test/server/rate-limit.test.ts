// The sliding-window counter: the limit holds inside a window, Retry-After is sensible, the window slides;
// the buckets (customer, API key, IP), the client IP behind trusted proxies, and counters shared by the
// instances on one PostgreSQL (in memory on PGlite).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, SharedRateLimiter, type Limiter } from '../../server/security/rate-limit.js';
import { AppError } from '../../server/errors.js';
import { forwardedClient, forwardedFor, ipOf } from '../../server/http.js';
import { createMemoryLogger } from '../../server/log.js';
import { openStore, type Store } from '../../server/store/index.js';
import { listen } from '../fakes/harness.js';
import { engines, eventually, json, makeServer, testStore, TEST_ENV, uniqueId, type TestServer } from './helpers.js';

/** A fixed instant one second into a 60 s window: the sliding weight stays put for the whole test. */
const FROZEN = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
const frozen = () => new Date(FROZEN);
/** Another frozen instant, `n` × 3 windows on: on PostgreSQL the counters outlive an app, so each test gets its own windows. */
const frozenLater = (n: number) => () => new Date(FROZEN + n * 180_000);
const API_KEY = { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}` };

/** Statuses of `count` requests, one after the other. */
async function statuses(count: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send(i)).status);
  return out;
}

const tally = (codes: number[]) => codes.reduce<Record<number, number>>((acc, code) => ({ ...acc, [code]: (acc[code] ?? 0) + 1 }), {});

/** Whether a hit went through (null) or its Retry-After, for in-memory and shared limiters alike. */
async function outcome(limiter: Limiter, key: string): Promise<number | null> {
  try {
    await limiter.hit(key);
    return null;
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'rate_limited');
    return Number(err.headers['Retry-After']);
  }
}

function retryAfter(fn: () => void): number | null {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'rate_limited');
    return Number(err.headers['Retry-After']);
  }
}

test('allows the limit within a window, then 429 with Retry-After, per key', () => {
  let now = 60_000 * 100;
  const limiter = new RateLimiter(120, 60_000, () => now);
  for (let i = 0; i < 120; i++) assert.equal(retryAfter(() => limiter.hit('a')), null);
  const wait = retryAfter(() => limiter.hit('a'));
  assert.ok(wait !== null && wait >= 1 && wait <= 60, `retry after ${wait}`);
  assert.equal(retryAfter(() => limiter.hit('b')), null);
  now += 30_000;
  assert.notEqual(retryAfter(() => limiter.hit('a')), null, 'still limited half a window later');
});

test('the window slides: the previous window counts by its overlap, then not at all', () => {
  let now = 60_000 * 100;
  const limiter = new RateLimiter(60, 60_000, () => now);
  for (let i = 0; i < 60; i++) limiter.hit('ip');
  now += 60_000 + 30_000; // half-way into the next window: the 60 earlier hits weigh 30
  let allowed = 0;
  while (retryAfter(() => limiter.hit('ip')) === null) allowed++;
  assert.equal(allowed, 30);
  now += 120_000; // two windows on: everything has slid out
  for (let i = 0; i < 60; i++) assert.equal(retryAfter(() => limiter.hit('ip')), null);
});

test('the client IP: the socket, or behind trusted proxies the right-most hop that is not one', () => {
  const trusted = (ip: string) => ip === '127.0.0.1' || ip.startsWith('10.');
  assert.equal(forwardedClient('198.51.100.9', ['203.0.113.5'], trusted), '198.51.100.9', 'an untrusted socket: its headers mean nothing');
  assert.equal(forwardedClient('127.0.0.1', ['203.0.113.5'], trusted), '203.0.113.5');
  assert.equal(forwardedClient('127.0.0.1', ['1.1.1.1', '203.0.113.5', '10.0.0.7'], trusted), '203.0.113.5', 'hops left of the first untrusted one are the client\'s own words');
  assert.equal(forwardedClient('127.0.0.1', ['10.0.0.8', '10.0.0.7'], trusted), '10.0.0.8', 'all proxies: the left-most');
  assert.equal(forwardedClient('127.0.0.1', ['203.0.113.5', 'unknown'], trusted), '127.0.0.1', 'a hop that is no address ends the walk');
  assert.equal(forwardedClient('127.0.0.1', [], trusted), '127.0.0.1');
  assert.deepEqual(forwardedFor('for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711", proto=https'), ['192.0.2.60', '"[2001:db8:cafe::17]:4711"', '']);
  assert.deepEqual(forwardedFor(''), []);
  assert.equal(ipOf('"[2001:DB8:cafe::17]:4711"'), '2001:db8:cafe::17');
  assert.equal(ipOf(' 203.0.113.7:8080 '), '203.0.113.7');
  assert.equal(ipOf('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(ipOf('_hidden'), null);
  assert.equal(ipOf('evil.example'), null);
});

describe('client IP over real HTTP', () => {
  let store: Store;
  before(async () => {
    store = await testStore();
  });
  after(() => store.close());

  /** Anonymous GET /v1/plans from 127.0.0.1 with these headers; the IP bucket allows 2. */
  async function overHttp(server: TestServer, headers: Record<string, string>[]): Promise<number[]> {
    const served = await listen(server.app);
    try {
      return await statuses(headers.length, (i) => fetch(`${served.url}/v1/plans`, { headers: headers[i] }));
    } finally {
      await served.close();
    }
  }

  test('without trust_proxy, X-Forwarded-For and Forwarded are ignored: one socket, one bucket', async () => {
    const server = await makeServer({ store, now: frozen, file: { rate_limits: { ip: { limit: 2, window_s: 60 } } } });
    const codes = await overHttp(server, [{ 'X-Forwarded-For': '203.0.113.1' }, { 'X-Forwarded-For': '203.0.113.2' }, { Forwarded: 'for=203.0.113.3' }, {}]);
    assert.deepEqual(codes, [200, 200, 429, 429]);
  });

  test('behind a trusted proxy, each forwarded client has its own bucket, and a spoofed left hop changes nothing', async () => {
    const server = await makeServer({ store, now: frozen, file: { rate_limits: { ip: { limit: 2, window_s: 60 } }, trust_proxy: { proxies: ['127.0.0.0/8', '10.0.0.0/8'] } } });
    const a = { 'X-Forwarded-For': '203.0.113.1, 10.1.2.3' };
    const spoofed = { 'X-Forwarded-For': '198.51.100.77, 203.0.113.1, 10.1.2.3' };
    const b = { 'X-Forwarded-For': '203.0.113.2' };
    assert.deepEqual(await overHttp(server, [a, spoofed, a, b, b, b]), [200, 200, 429, 200, 200, 429]);
  });

  test('with header "forwarded", RFC 7239 for= hops are believed and X-Forwarded-For is not', async () => {
    const server = await makeServer({ store, now: frozen, file: { rate_limits: { ip: { limit: 1, window_s: 60 } }, trust_proxy: { proxies: ['127.0.0.1'], header: 'forwarded' } } });
    const codes = await overHttp(server, [
      { Forwarded: 'for="[2001:db8::1]:4711";proto=https' },
      { Forwarded: 'for=192.0.2.60, for="[2001:db8::1]"' },
      { Forwarded: 'for=192.0.2.60' },
      { 'X-Forwarded-For': '192.0.2.61' },
      { 'X-Forwarded-For': '192.0.2.62' },
    ]);
    // 2001:db8::1 twice (the second refused), 192.0.2.60 once; no Forwarded: the proxy itself, once.
    assert.deepEqual(codes, [200, 429, 200, 200, 429]);
  });
});

for (const engine of engines()) {
  describe(`rate-limit buckets (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await testStore(engine);
    });
    after(() => store.close());

    test("the partner backend's API-key calls have their own bucket: 100 anonymous GET /v1/plans leave session mints alone", async () => {
      const server = await makeServer({ store, now: frozen });
      const plans = tally(await statuses(100, () => server.request('GET', '/v1/plans')));
      assert.deepEqual(plans, { 200: 60, 429: 40 }, 'the IP bucket: 60 / 60 s');
      const mints = await statuses(10, () => server.request('POST', '/v1/sessions', { headers: API_KEY, body: { customer_id: uniqueId() } }));
      assert.deepEqual(mints, Array(10).fill(201));
      const usage = await server.request('POST', '/v1/usage', { headers: API_KEY, body: { customer_id: uniqueId(), metric: 'messages', quantity: 1 } });
      assert.equal(usage.status, 200);
      // A wrong key is anonymous traffic: the IP bucket, already full.
      assert.equal((await server.request('POST', '/v1/sessions', { headers: { Authorization: 'Bearer tg_wrong_key' }, body: { customer_id: uniqueId() } })).status, 429);
      for (const line of server.logLines) assert.ok(!line.includes(TEST_ENV.TOLLGATE_API_KEY), 'the API key is never logged');
    });

    test('the API-key bucket has its own configurable limit', async () => {
      const server = await makeServer({ store, now: frozenLater(1), file: { rate_limits: { api_key: { limit: 3, window_s: 60 } } } });
      const mints = await statuses(4, () => server.request('POST', '/v1/sessions', { headers: API_KEY, body: { customer_id: uniqueId() } }));
      assert.deepEqual(mints, [201, 201, 201, 429]);
      const limited = await server.request('POST', '/v1/usage', { headers: API_KEY, body: { customer_id: uniqueId(), metric: 'messages', quantity: 1 } });
      assert.equal((await json(limited)).error.code, 'rate_limited');
      assert.ok(Number(limited.headers.get('Retry-After')) >= 1);
      assert.equal((await server.request('GET', '/v1/plans')).status, 200, 'anonymous traffic is another bucket');
    });
  });
}

describe('counters on PGlite stay in memory', () => {
  test('two apps on one PGlite store each count their own, and nothing is written', async () => {
    const store = await testStore('pglite');
    try {
      const file = { rate_limits: { ip: { limit: 3, window_s: 60 } } };
      const [one, two] = await Promise.all([makeServer({ store, now: frozen, file }), makeServer({ store, now: frozen, file })]);
      assert.deepEqual(await statuses(4, () => one.request('GET', '/v1/plans')), [200, 200, 200, 429]);
      assert.deepEqual(await statuses(4, () => two.request('GET', '/v1/plans')), [200, 200, 200, 429]);
      assert.deepEqual(await store.query('SELECT * FROM rate_limit_counters'), []);
    } finally {
      await store.close();
    }
  });
});

describe('counters shared on PostgreSQL', { skip: process.env.DATABASE_URL ? false : 'set DATABASE_URL to run on PostgreSQL' }, () => {
  let store: Store;
  let second: Store;
  before(async () => {
    store = await testStore('postgres');
    const [{ schema }] = await store.query<{ schema: string }>('SELECT current_schema() AS schema');
    second = await openStore({ databaseUrl: process.env.DATABASE_URL, schema }); // a second instance's own pool
  });
  after(async () => {
    await second.close();
    await store.close();
  });

  test('two instances on one database allow the limit once between them, whoever gets the requests', async () => {
    const file = { rate_limits: { ip: { limit: 10, window_s: 60 }, api_key: { limit: 6, window_s: 60 } } };
    const [one, two] = await Promise.all([makeServer({ store, now: frozen, file }), makeServer({ store: second, now: frozen, file })]);
    const plans = tally(await statuses(30, (i) => (i % 2 ? one : two).request('GET', '/v1/plans')));
    assert.deepEqual(plans, { 200: 10, 429: 20 });
    // Concurrent, too: the check and the increment are one statement under the row lock.
    const mints = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).request('POST', '/v1/sessions', { headers: API_KEY, body: { customer_id: uniqueId() } })));
    assert.deepEqual(tally(mints.map((r) => r.status)), { 201: 6, 429: 14 });
    const keys = await store.query<{ bucket: string; key: string; n: number }>('SELECT bucket, key, current AS n FROM rate_limit_counters ORDER BY bucket');
    assert.deepEqual(keys.map((k) => [k.bucket, k.n]), [['api_key', 6], ['ip', 10]]);
    assert.ok(keys.every((k) => !k.key.includes(TEST_ENV.TOLLGATE_API_KEY)), 'the store holds a digest of the key, never the key');
  });

  test('hits that arrive together go in one upsert: of 30 on one key and 5 on another, exactly the limit fits', async () => {
    let statements = 0;
    const counted = { query: (text: string, params?: unknown[]) => (statements++, store.query(text, params)), exec: (s: string) => store.exec(s) } as Store;
    const limiter = new SharedRateLimiter(counted, `together_${uniqueId()}`, 10, 60_000, () => FROZEN, createMemoryLogger());
    const hits = await Promise.all([...Array.from({ length: 30 }, () => outcome(limiter, 'a')), ...Array.from({ length: 5 }, () => outcome(limiter, 'b'))]);
    assert.equal(hits.slice(0, 30).filter((o) => o === null).length, 10);
    assert.ok(hits.slice(0, 30).filter((o) => o !== null).every((retry) => retry! >= 1));
    assert.deepEqual(hits.slice(30), [null, null, null, null, null]);
    assert.ok(statements < 35, `${statements} statements for 35 hits`);
    // And the row agrees with what was let through.
    assert.equal((await outcome(limiter, 'a')) !== null, true);
  });

  test('with the store unreachable, the limiter counts in this process (logged once) instead of answering 500', async () => {
    const [{ schema }] = await store.query<{ schema: string }>('SELECT current_schema() AS schema');
    const gone = await openStore({ databaseUrl: process.env.DATABASE_URL, schema });
    await gone.close();
    const log = createMemoryLogger();
    const limiter = new SharedRateLimiter(gone, 'gone', 2, 60_000, () => FROZEN, log);
    const outcomes = [await outcome(limiter, 'k'), await outcome(limiter, 'k'), await outcome(limiter, 'k')];
    assert.deepEqual(outcomes.map((o) => o === null), [true, true, false]);
    assert.equal(log.lines.filter((l) => l.includes('shared rate limit unavailable')).length, 1);
  });

  test('the shared counter slides and answers Retry-After exactly as the in-memory one does; idle keys are pruned', async () => {
    let now = 60_000 * 100;
    const log = createMemoryLogger();
    const key = uniqueId('ip');
    const idle = uniqueId('ip');
    const shared = new SharedRateLimiter(store, 'parity', 60, 60_000, () => now, log);
    const memory = new RateLimiter(60, 60_000, () => now);
    await shared.hit(idle);
    const steps: [number, number][] = [[0, 70], [60_000 + 30_000, 40], [15_000, 10], [120_000, 65], [59_000, 3]];
    for (const [advance, hits] of steps) {
      now += advance;
      for (let i = 0; i < hits; i++) assert.equal(await outcome(shared, key), await outcome(memory, key), `hit ${i} after +${advance} ms`);
    }
    assert.deepEqual(log.lines, []);
    // The first hit of a window (two windows after the idle key's) deleted it; deletes run beside the hits.
    const keys = async () => (await store.query<{ key: string }>("SELECT key FROM rate_limit_counters WHERE bucket = 'parity'")).map((r) => r.key);
    await eventually(async () => !(await keys()).includes(idle), 'the idle key pruned');
    assert.deepEqual(await keys(), [key]);
  });
});
