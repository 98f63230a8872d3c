// Hostile input on every route the app serves. The routes come from the Hono app itself (`app.routes`),
// so a new route is walked without touching this file. Each route gets hostile path parameters, every
// kind of good and bad credential, broken and ill-typed bodies, wrong Content-Types, oversized bodies,
// missing and malformed Idempotency-Keys, odd query strings, and (webhooks) unsigned, badly signed and
// signed-but-hostile events. Every answer must be a non-5xx (bar a genuine 502/503 from an upstream),
// every 4xx/5xx the JSON envelope with a known code and the request's id, no answer may carry a secret,
// and an error answer must leave every table of the store as it was (idempotency keys aside: a 4xx is
// kept as the key's answer by design). A deterministic list of cases, not random fuzzing.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { ERROR_CODES } from '../../src/contract/index.js';
import { signRazorpayWebhook, signTimestamped } from '../../server/security/signatures.js';
import { ensureCustomer } from '../../server/billing.js';
import type { Sql, Store } from '../../server/store/index.js';
import { engines, EVERY_BACKEND, json, makeServer, startEveryBackend, testStore, TEST_ENV, type TestServer } from './helpers.js';

const STRIPE_WEBHOOK_SECRET = 'whsec_hostile_input_test';
const REQUEST_TIMEOUT_MS = 5000;
const KNOWN_CODES = new Set<string>(ERROR_CODES);
/** Error messages must be ours, never an exception's or the database's. */
const LEAK = /TypeError|ReferenceError|RangeError|SyntaxError|Cannot read prop|is not a function|undefined is not|\bat \S+\.[jt]s:\d+|duplicate key|violates|syntax error at|invalid input syntax|out of range|ECONNREFUSED/i;

// ---------------------------------------------------------------------------------------------------------
// Hostile values

/** Path parameters, already URL-encoded as a client would send them. */
const PARAM_VALUES = [
  'x'.repeat(4000),
  '%00',
  'a%00b',
  '..%2F..%2Fpackage.json',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e',
  '%F0%9F%92%A5%E2%80%AEevil',
  '%E0%A4%A',
  '%FF%FE',
  '-1',
  '0',
  '123456',
  '99999999999999999999999999',
  '1e308',
  `chk_${'A'.repeat(64)}`,
  "'%20OR%201%3D1--",
  '%0D%0AX-Injected:%201',
  '__proto__',
  'constructor',
];

/** JSON values put where a field's real value goes. */
const FIELD_VALUES: unknown[] = [
  123,
  -1,
  1e308,
  0.5,
  { nested: { deep: [1] } },
  [1, 'two'],
  null,
  true,
  '',
  'x'.repeat(10_000),
  'a\u0000b\u0001\u001f\u007f',
  '💥\u202eevil\u200b',
  'a\ud83db\udfff',
  "'; DROP TABLE customers; --",
  -1e12,
];

/** Put where a URL goes (fields named *url), besides FIELD_VALUES: none is a page to send a customer to, so each is refused. */
const URL_VALUES = ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'vscode-webview://abc/x', 'http://[::1'];

/** Where a field of an event that is already applied is replaced (the fresh-checkout cases take DEEP_VALUES). */
const SIGNED_VALUES: unknown[] = [123, 1e308, -1e12, { nested: true }, null, 'x'.repeat(10_000), 'a\u0000b', '\ud83d'];

/** A few of them, one per kind, where every field gets the same one (kitchen-sink bodies). */
const KIND_VALUES: unknown[] = [123, 1e308, { nested: { deep: [1] } }, [1, 'two'], null, true, 'x'.repeat(10_000), 'a\u0000b\u0001\u001f\u007f', 'a\ud83db\udfff'];

/** The values most likely to break storage, for signed events (whose fields reach SQL unvalidated): lone UTF-16 surrogates, and times the store cannot hold too. */
const DEEP_VALUES: unknown[] = [123, 1e308, -1e12, { nested: true }, [1], null, '', 'x'.repeat(10_000), 'a\u0000b', '\ud83d', 'a\udfffb', { '\ud800': 'key' }, '-200000-01-01T00:00:00Z', '275760-09-13T00:00:00Z'];

/** Whole bodies, as raw text (or bytes). */
const RAW_BODIES: { label: string; body: string | Uint8Array | undefined }[] = [
  { label: 'no body', body: undefined },
  { label: 'empty body', body: '' },
  { label: 'truncated JSON', body: '{"plan":' },
  { label: 'single quotes', body: "{'plan':'pro'}" },
  { label: 'two documents', body: '{}{}' },
  { label: 'JSON null', body: 'null' },
  { label: 'JSON array', body: '[]' },
  { label: 'array of objects', body: '[{"plan":"pro"}]' },
  { label: 'JSON string', body: '"pro"' },
  { label: 'JSON number', body: '42' },
  { label: 'huge number', body: '{"quantity":1e400,"amount":-1e400}' },
  { label: '__proto__ and constructor keys', body: '{"__proto__":{"admin":true,"plan":"pro"},"constructor":{"prototype":{"polluted":true}},"prototype":{}}' },
  { label: 'deep nesting', body: '{"a":['.repeat(3000) + '1' + ']}'.repeat(3000) },
  { label: 'NUL escape in a string', body: '{"plan":"pro\\u0000","customer_id":"a\\u0000b","email":"a\\u0000@b.co"}' },
  { label: 'lone surrogate', body: '{"plan":"\\ud800","customer_id":"\\udfff"}' },
  { label: 'invalid UTF-8 bytes', body: new Uint8Array([0x7b, 0x22, 0x70, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]) },
  { label: 'UTF-8 BOM', body: '\uFEFF{}' },
  { label: 'raw NUL bytes', body: '{"plan":"\u0000"}\u0000' },
];

/** Every field name a seed body uses, for kitchen-sink objects of one wrong type. */
function kitchenSink(value: unknown): string {
  const names = new Set<string>();
  for (const seed of Object.values(SEEDS)) for (const key of Object.keys(seed.body)) names.add(key);
  return JSON.stringify(Object.fromEntries([...names].map((n) => [n, value])));
}

// ---------------------------------------------------------------------------------------------------------
// Routes

interface Route {
  method: string;
  path: string;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);

/** The concrete routes of the app. Middleware is registered as ALL on a wildcard and skipped; an ALL handler on a path is walked as POST. */
function servedRoutes(app: TestServer['app']): Route[] {
  const seen = new Set<string>();
  const routes: Route[] = [];
  for (const r of app.routes) {
    const method = r.method === 'ALL' && !r.path.includes('*') ? 'POST' : r.method;
    if (!METHODS.has(method) || seen.has(`${method} ${r.path}`)) continue;
    seen.add(`${method} ${r.path}`);
    routes.push({ method, path: r.path });
  }
  return routes;
}

const key = (r: Route) => `${r.method} ${r.path}`;
const hasBody = (r: Route) => r.method !== 'GET';
const isWebhook = (r: Route) => r.path.startsWith('/v1/webhooks/');

/** Plausible parameter values (valid in form, naming nothing) so that cases other than the path ones get past the path. */
const PARAM_DEFAULTS: Record<string, string> = {
  '/v1/admin/mintbot/orders/:id': '424242',
  '/v1/admin/mintbot/orders/:id/renew': '424242',
};
function defaultParam(route: Route, name: string): string {
  if (PARAM_DEFAULTS[route.path]) return PARAM_DEFAULTS[route.path];
  if (name === '*') return 'no-such-file.js';
  if (name === 'customer_id') return 'cust_hostile_nobody';
  if (name === 'action') return 'cancel_now';
  return 'chk_hostile0000';
}

/** The route's path with every `:param` and `*` replaced (by `value`, or by the plausible defaults). */
function fill(route: Route, value?: string): string {
  return route.path.replace(/:(\w+)|\*/g, (m, name: string | undefined) => value ?? defaultParam(route, name ?? '*'));
}
const hasParams = (r: Route) => /:\w+|\*/.test(r.path);

/**
 * Valid-looking bodies for the routes that take one: each leaf is replaced by each of FIELD_VALUES in
 * turn. Optional: a route without a seed still gets every other case.
 */
const SEEDS: Record<string, { body: Record<string, unknown> }> = {
  'POST /v1/sessions': { body: { customer_id: 'cust_seed', email: 'seed@example.com', name: 'Seed', contact: '+919999999999', currency: 'INR' } },
  'POST /v1/sandbox/session': { body: { customer_id: 'cust_seed', email: 'seed@example.com', name: 'Seed' } },
  'POST /v1/usage': { body: { customer_id: 'cust_seed', metric: 'messages', quantity: 1 } },
  'POST /v1/checkout': {
    body: { plan: 'pro', interval: 'month', provider: 'razorpay', currency: 'INR', mode: 'inline', return_url: 'http://tollgate.test/back', ui_mode: 'hosted_page' },
  },
  'POST /v1/razorpay/verify': { body: { plan: 'pro', razorpay_order_id: 'order_nobody', razorpay_payment_id: 'pay_nobody', razorpay_signature: 'ab'.repeat(32) } },
  'POST /v1/portal': { body: { return_url: 'http://tollgate.test/back' } },
  'POST /v1/admin/mintbot/orders/:id/renew': { body: { duration_days: 30, return_url: 'http://tollgate.test/back' } },
  'PUT /v1/admin/mimicbot/customers/:customer_id/token': { body: { token: 'mb_not_a_known_token' } },
  'POST /v1/admin/bonzai/invite': { body: { email: 'seed@example.com', name: 'Seed', code: 'SEED', customer_id: 'cust_seed' } },
  'POST /v1/admin/bonzai/revoke': { body: { email: 'seed@example.com', user_id: '1', code: 'SEED' } },
  'POST /sandbox/razorpay/pay': { body: { key: 'rzp_test_sandbox', order_id: 'order_nobody', outcome: 'success', email: 'seed@example.com', contact: '123' } },
};

/** Every leaf of a JSON value with its path. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(value) ? Number(k) : k]));
  return [path];
}
function replaced(value: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (!path.length) return leaf;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[path[0]] = replaced(copy[path[0]], path.slice(1), leaf);
  return copy;
}
const show = (v: unknown) => {
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}…(${text.length})` : text;
};

// ---------------------------------------------------------------------------------------------------------
// Cases and checks

type Auth = 'none' | 'customer' | 'api_key' | 'external' | 'handoff' | 'garbage' | 'empty_bearer' | 'basic' | 'expired' | 'wrong_secret' | 'alg_none' | 'huge' | 'api_key_prefix';
const BAD_AUTH: Auth[] = ['garbage', 'empty_bearer', 'basic', 'expired', 'wrong_secret', 'alg_none', 'huge', 'api_key_prefix'];

interface Case {
  group: string;
  label: string;
  route: Route;
  url: string;
  auth: Auth;
  headers?: Record<string, string>;
  /** undefined: no body; otherwise sent as is with Content-Type application/json unless headers say otherwise. */
  body?: string | Uint8Array;
  /** null: no Idempotency-Key; undefined: a fresh one on non-GET requests. */
  idempotencyKey?: string | null;
  /** Another app instance that shares the store (Stripe live, for signed Stripe events). */
  via?: TestServer;
  /** Set-up run just before the request (its writes are not the case's): may replace body and headers. */
  prepare?: () => Promise<{ body: string; headers: Record<string, string> }>;
  /** Extra check on the answer; returns a problem or null. */
  expect?: (status: number, body: any, headers: Headers) => string | null;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * The store, counting the statements that may write (anything but a SELECT) to tables other than
 * idempotency_keys and rate_limit_counters (every request counts there, on PostgreSQL): a case that issued
 * none changed nothing, and the tables need not be read again.
 */
function watched(inner: Store): Store & { writes: number } {
  const counted = (text: string) => {
    if (!/^\s*SELECT\b/i.test(text) && !/\b(idempotency_keys|rate_limit_counters)\b/.test(text)) watch.writes++;
  };
  const wrap = (sql: Sql): Sql => ({
    query: (text, params) => (counted(text), sql.query(text, params)) as never,
    exec: (script) => (counted(script), sql.exec(script)),
  });
  const watch = {
    writes: 0,
    engine: inner.engine,
    get writeGeneration() {
      return inner.writeGeneration;
    },
    ...wrap(inner),
    transaction: <T>(fn: (tx: Sql) => Promise<T>) => inner.transaction((tx) => fn(wrap(tx))),
    close: () => inner.close(),
  };
  return watch;
}

for (const engine of engines()) {
  describe(`hostile input on every route (${engine})`, () => {
    let store: Store;
    /** What the servers use: the same store, watched for writes. */
    let served: ReturnType<typeof watched>;
    let every: Awaited<ReturnType<typeof startEveryBackend>>;
    let server: TestServer;
    let stripeLive: TestServer;
    let routes: Route[];
    let tables: string[];
    const tokens = {} as Record<Auth, string | null>;
    /** The credential each route accepts (customer, API key, or none), found by probing it. */
    const bestAuth = new Map<string, Auth>();
    let secrets: string[];
    let counter = 0;
    const fresh = (prefix: string) => `${prefix}_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
    /** Ids of real checkouts the signed webhook seeds point at. */
    const real = { razorpayOrder: '', mintbotOrder: '', mintbotCheckout: '' };

    before(async () => {
      store = await testStore(engine);
      served = watched(store);
      every = await startEveryBackend({ store: served, file: { rate_limits: { customer: { limit: 1_000_000, window_s: 60 }, ip: { limit: 1_000_000, window_s: 60 }, api_key: { limit: 1_000_000, window_s: 60 } } } });
      server = every.server;
      // Stripe runs simulated on `server`, whose webhook secret is made per process: a second instance on
      // the same store with Stripe keys signs and receives the signed Stripe cases.
      stripeLive = await makeServer({
        store: served,
        env: { STRIPE_SECRET_KEY: 'sk_test_hostile', STRIPE_PUBLISHABLE_KEY: 'pk_test_hostile', STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE: 'http://127.0.0.1:9', TOLLGATE_SANDBOX: '0' },
        file: { rate_limits: { customer: { limit: 1_000_000, window_s: 60 }, ip: { limit: 1_000_000, window_s: 60 }, api_key: { limit: 1_000_000, window_s: 60 } } },
      });
      routes = servedRoutes(server.app);
      tables = (
        await store.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
      )
        .map((r) => r.table_name)
        .filter((t) => t !== 'idempotency_keys' && t !== 'rate_limit_counters');

      const now = Math.floor(Date.now() / 1000);
      const wrongSecret = new TextEncoder().encode('another-secret-entirely-0123456789abcdef');
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      Object.assign(tokens, {
        none: null,
        customer: await server.session('cust_hostile_a', { email: 'a@example.com' }),
        api_key: TEST_ENV.TOLLGATE_API_KEY,
        external: await every.supabaseJwt('cust_hostile_ext', 'ext@example.com'),
        handoff: await server.session('cust_hostile_a', { email: 'a@example.com', checkoutScope: 'chk_someotherone' }),
        garbage: 'not.a.jwt',
        empty_bearer: '',
        basic: null,
        expired: await server.session('cust_hostile_a', { nowSeconds: now - 7200, ttlSeconds: 60 }),
        wrong_secret: await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('tollgate').setAudience('tollgate-widget').setSubject('cust_hostile_a').setExpirationTime(now + 600).sign(wrongSecret),
        alg_none: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'cust_hostile_a', iss: 'tollgate', aud: 'tollgate-widget', exp: now + 600 })}.`,
        huge: 'a'.repeat(8000),
        api_key_prefix: TEST_ENV.TOLLGATE_API_KEY.slice(0, -1),
      });
      secrets = [
        TEST_ENV.TOLLGATE_SESSION_SECRET,
        TEST_ENV.TOLLGATE_API_KEY,
        EVERY_BACKEND.mintbotApiKey,
        EVERY_BACKEND.mintbotWebhookSecret,
        EVERY_BACKEND.supabaseJwtSecret,
        EVERY_BACKEND.bonzaiToken,
        STRIPE_WEBHOOK_SECRET,
        server.deps.config.razorpay.keySecret,
        server.deps.config.razorpay.webhookSecret,
      ];

      // The customers the cases act as exist up front, so a read that creates a customer row is not a change.
      for (const token of [tokens.customer!, tokens.external!]) {
        const res = await send({ group: 'setup', label: 'setup', route: { method: 'GET', path: '/v1/entitlements' }, url: '/v1/entitlements', auth: 'none', headers: { Authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200, res.text);
      }
      // Real checkouts for the signed webhook seeds, for a customer no other case touches.
      const hook = await server.session('cust_hostile_hook', { email: 'hook@example.com' });
      const rzp = await server.request('POST', '/v1/checkout', { token: hook, body: { plan: 'pro', provider: 'razorpay' } });
      assert.equal(rzp.status, 201, await rzp.clone().text());
      real.razorpayOrder = (await json(rzp)).action.order_id;
      const mb = await server.request('POST', '/v1/checkout', { token: hook, body: { plan: 'agent', return_url: 'http://tollgate.test/back' } });
      assert.equal(mb.status, 201, await mb.clone().text());
      real.mintbotCheckout = (await json(mb)).checkout_id;
      real.mintbotOrder = (await store.query<{ provider_order_id: string }>('SELECT provider_order_id FROM checkouts WHERE id = $1', [real.mintbotCheckout]))[0].provider_order_id;

      // Which credential each route takes: the first of none, customer, API key that is not refused.
      for (const route of routes) {
        let chosen: Auth = 'none';
        for (const auth of ['none', 'customer', 'api_key'] as Auth[]) {
          const res = await send({ group: 'probe', label: auth, route, url: fill(route), auth, body: hasBody(route) ? '{}' : undefined });
          if (res.status !== 401 && res.status !== 403) {
            chosen = auth;
            break;
          }
        }
        bestAuth.set(key(route), chosen);
      }
    });

    after(async () => {
      await every?.close();
      await stripeLive?.close();
      await store?.close();
    });

    function authHeader(auth: Auth): Record<string, string> {
      if (auth === 'none') return {};
      if (auth === 'basic') return { Authorization: 'Basic dXNlcjpwYXNzd29yZA==' };
      return { Authorization: `Bearer ${tokens[auth] ?? ''}` };
    }

    async function send(c: Case): Promise<Answer> {
      const headers: Record<string, string> = { ...authHeader(c.auth) };
      if (c.body !== undefined) headers['Content-Type'] = 'application/json';
      if (c.route.method !== 'GET' && c.idempotencyKey !== null) headers['Idempotency-Key'] = c.idempotencyKey ?? fresh('idem');
      Object.assign(headers, c.headers);
      for (const [k, v] of Object.entries(headers)) if (v === '\u0000drop') delete headers[k];
      const app = (c.via ?? server).app;
      const request = Promise.resolve(app.request(c.url, { method: c.route.method, headers, body: c.body as BodyInit | undefined }));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
      });
      try {
        const res = await Promise.race([request, timeout]);
        let text = '';
        if ((res.headers.get('Content-Type') ?? '').includes('text/event-stream')) await res.body?.cancel();
        else text = await Promise.race([res.text(), timeout]);
        return { status: res.status, headers: res.headers, text };
      } finally {
        clearTimeout(timer);
      }
    }

    /** Problems with one answer (empty when it is fine). */
    function problemsOf(c: Case, answer: Answer): string[] {
      const problems: string[] = [];
      const { status, text } = answer;
      for (const secret of secrets) if (secret && text.includes(secret)) problems.push('the answer contains a secret');
      if (status >= 500 && status !== 502 && status !== 503) problems.push(`server error: ${text.slice(0, 300)}`);
      let body: any;
      if (status >= 400) {
        if (!(answer.headers.get('Content-Type') ?? '').includes('application/json')) problems.push(`not JSON (${answer.headers.get('Content-Type')}): ${text.slice(0, 120)}`);
        try {
          body = JSON.parse(text);
        } catch {
          problems.push(`unparseable error body: ${text.slice(0, 120)}`);
          return problems;
        }
        const error = body?.error;
        const keys = error && typeof error === 'object' ? Object.keys(error).sort().join(',') : '';
        if (Object.keys(body ?? {}).join(',') !== 'error' || keys !== 'code,message,request_id') problems.push(`not the envelope: ${text.slice(0, 200)}`);
        else {
          if (!KNOWN_CODES.has(error.code)) problems.push(`unknown error code ${JSON.stringify(error.code)}`);
          if (typeof error.message !== 'string' || !error.message) problems.push('empty message');
          else if (LEAK.test(error.message)) problems.push(`internal detail in the message: ${error.message.slice(0, 200)}`);
          // A replay is the first answer, request id included.
          if (error.request_id !== answer.headers.get('X-Request-Id') && answer.headers.get('Idempotent-Replay') !== 'true') problems.push(`request_id ${error.request_id} ≠ X-Request-Id ${answer.headers.get('X-Request-Id')}`);
          if (status >= 500 && !['upstream_error', 'provider_unavailable'].includes(error.code)) problems.push(`${status} with code ${error.code}: ${error.message}`);
        }
      } else {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const extra = c.expect?.(status, body, answer.headers);
      if (extra) problems.push(extra);
      return problems;
    }

    /** What the store holds, per table: its row count and the sum of its rows' xmin (an insert, update or delete changes one or the other). */
    type Snapshot = Map<string, string>;
    async function snapshot(): Promise<Snapshot> {
      const sql = tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n, coalesce(sum(xmin::text::bigint), 0)::text AS x FROM "${t}"`).join(' UNION ALL ');
      const rows = await store.query<{ t: string; n: number; x: string }>(sql);
      return new Map(rows.map((r) => [r.t, `${r.n}:${r.x}`]));
    }
    const changed = (a: Snapshot, b: Snapshot) => [...a.keys()].filter((t) => a.get(t) !== b.get(t));

    /** Run the cases one after another; a list of every problem, one line each. */
    async function run(cases: Case[]): Promise<string[]> {
      const problems: string[] = [];
      let before = await snapshot();
      for (const c of cases) {
        const where = `${c.group}: ${key(c.route)} [${c.label}] (auth ${c.auth})`;
        let answer: Answer;
        if (c.prepare) {
          Object.assign(c, await c.prepare());
          before = await snapshot();
        }
        const writes = served.writes;
        try {
          answer = await send(c);
        } catch (err) {
          problems.push(`${where}: ${(err as Error).message}`);
          before = await snapshot();
          continue;
        }
        for (const p of problemsOf(c, answer)) problems.push(`${where} → ${answer.status}: ${p}`);
        if (served.writes === writes) continue; // no statement that could write: nothing changed
        const now = await snapshot();
        if (answer.status >= 400) {
          const tablesChanged = changed(before, now);
          if (tablesChanged.length) problems.push(`${where} → ${answer.status}, yet the store changed: ${tablesChanged.join(', ')}`);
        }
        before = now;
      }
      return problems;
    }

    function assertClean(t: TestContext, problems: string[], count: number) {
      assert.ok(count > 0);
      t.diagnostic(`${count} cases`);
      assert.deepEqual(problems, [], `${problems.length} problem(s) in ${count} cases:\n${problems.join('\n')}`);
    }

    const auth = (r: Route) => bestAuth.get(key(r)) ?? 'none';

    test('the walk covers every route of every backend', () => {
      assert.deepEqual(server.deps.providers.modes(), { razorpay: 'sandbox', stripe: 'sandbox', mintbot: 'live', mimicbot: 'live', mintoken: 'live', bonzai: 'live' });
      const paths = new Set(routes.map(key));
      for (const expected of ['POST /v1/checkout', 'POST /v1/webhooks/razorpay', 'POST /v1/webhooks/stripe', 'POST /v1/webhooks/mintbot', 'GET /sandbox/stripe/checkout/:id', 'POST /sandbox/razorpay/pay', 'PUT /v1/admin/mimicbot/customers/:customer_id/token', 'POST /v1/admin/bonzai/invite', 'GET /v1/admin/mintbot/orders/:id'])
        assert.ok(paths.has(expected), `${expected} is served`);
      assert.ok(routes.length >= 40, `${routes.length} routes`);
      // The probe found the credential each area takes.
      assert.equal(bestAuth.get('POST /v1/checkout'), 'customer');
      assert.equal(bestAuth.get('POST /v1/sessions'), 'api_key');
      assert.equal(bestAuth.get('GET /v1/admin/mintbot/partner'), 'api_key');
      assert.equal(bestAuth.get('GET /healthz'), 'none');
      assert.equal(bestAuth.get('POST /v1/webhooks/razorpay'), 'none');
    });

    test('path parameters: long, NUL, traversal, unicode, malformed escapes, numbers out of range', async (t) => {
      const cases: Case[] = routes.filter(hasParams).flatMap((route) =>
        PARAM_VALUES.map((value) => ({
          group: 'path',
          label: show(value),
          route,
          url: fill(route, value),
          auth: auth(route),
          body: hasBody(route) ? '{}' : undefined,
          // Nothing outside the served folders comes back.
          expect: (status: number, body: unknown) => (status < 400 && typeof body === 'string' && /"name": "tollgate"|root:x:0:0|TOLLGATE_SESSION_SECRET/.test(body) ? 'served a file outside its folder' : null),
        })),
      );
      assertClean(t, await run(cases), cases.length);
    });

    test('credentials: none, garbage, expired, wrong secret, alg none, Basic, oversized, the wrong kind', async (t) => {
      const cases: Case[] = routes.flatMap((route) => {
        const best = auth(route);
        // Public routes ignore credentials: a few are enough to show that a bad one changes nothing.
        const all: Auth[] = best === 'none' ? ['garbage', 'expired', 'huge', 'api_key'] : ['none', 'customer', 'api_key', 'external', 'handoff', ...BAD_AUTH];
        const refused = (a: Auth) => a === 'none' || BAD_AUTH.includes(a) || (best === 'api_key' && ['customer', 'external', 'handoff'].includes(a)) || (best === 'customer' && a === 'api_key');
        return all.map((a) => ({
          group: 'auth',
          label: a,
          route,
          url: fill(route),
          auth: a,
          body: hasBody(route) ? '{}' : undefined,
          // A route that takes a credential refuses a bad one, or one of the other kind, with 401.
          expect:
            best !== 'none' && refused(a)
              ? (status: number, body: any) => (status === 401 && ['unauthenticated', 'invalid_token'].includes(body?.error?.code) ? null : `expected 401 for a bad credential, got ${status} ${body?.error?.code ?? ''}`)
              : undefined,
        }));
      });
      assertClean(t, await run(cases), cases.length);
    });

    test('bodies: none, empty, malformed JSON, null, array, string, number, deep nesting, NUL, bad UTF-8, prototype keys', async (t) => {
      const cases: Case[] = routes.filter(hasBody).flatMap((route) => [
        ...RAW_BODIES.map(({ label, body }) => ({ group: 'body', label, route, url: fill(route), auth: auth(route), body })),
        ...KIND_VALUES.map((value) => ({ group: 'body', label: `every field ${show(value)}`, route, url: fill(route), auth: auth(route), body: kitchenSink(value) })),
      ]);
      assertClean(t, await run(cases), cases.length);
    });

    test('fields: each field of a valid-looking body replaced by a wrong type, a huge or NUL-laden string, an out-of-range number', async (t) => {
      const cases: Case[] = routes.flatMap((route) => {
        const seed = SEEDS[key(route)];
        if (!seed) return [];
        return leaves(seed.body).flatMap((path) =>
          [...FIELD_VALUES, ...(/url$/.test(String(path.at(-1))) ? URL_VALUES : [])].map((value) => ({
            group: 'field',
            label: `${path.join('.')}=${show(value)}`,
            route,
            url: fill(route),
            auth: auth(route),
            body: JSON.stringify(replaced(seed.body, path, value)),
            expect: URL_VALUES.includes(value as string) ? (status: number) => (status >= 400 && status < 500 ? null : `expected a 4xx for a return URL that is no http(s) page, got ${status}`) : undefined,
          })),
        );
      });
      assert.ok(cases.length > 500);
      assertClean(t, await run(cases), cases.length);
    });

    test('Content-Type and size: text, form, multipart, UTF-16, none; an oversized body is 413', async (t) => {
      const limit = server.deps.config.file.body_limit_bytes;
      const cases: Case[] = routes.filter(hasBody).flatMap((route) => {
        const seed = JSON.stringify(SEEDS[key(route)]?.body ?? {});
        const base = { group: 'content', route, url: fill(route), auth: auth(route) };
        return [
          { ...base, label: 'text/plain', body: seed, headers: { 'Content-Type': 'text/plain' } },
          { ...base, label: 'form', body: 'plan=pro&customer_id=x&__proto__[a]=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
          { ...base, label: 'multipart', body: '--x\r\nContent-Disposition: form-data; name="plan"\r\n\r\npro\r\n--x--\r\n', headers: { 'Content-Type': 'multipart/form-data; boundary=x' } },
          { ...base, label: 'UTF-16 charset', body: seed, headers: { 'Content-Type': 'application/json; charset=utf-16' } },
          { ...base, label: 'no Content-Type', body: seed, headers: { 'Content-Type': '\u0000drop' } },
          { ...base, label: 'garbage Content-Type', body: seed, headers: { 'Content-Type': ';;;=//' } },
          {
            ...base,
            label: 'oversized, declared',
            body: JSON.stringify({ plan: 'x'.repeat(limit) }),
            headers: { 'Content-Length': String(limit + 12 + 2) },
            expect: (status: number, body: any) => (status === 413 && body?.error?.code === 'payload_too_large' ? null : `expected 413 payload_too_large, got ${status}`),
          },
          { ...base, label: 'oversized, streamed', body: JSON.stringify({ plan: 'x'.repeat(limit) }) },
        ] as Case[];
      });
      assertClean(t, await run(cases), cases.length);
    });

    test('Idempotency-Key: missing, empty, oversized, control characters; reused with another body is 409', async (t) => {
      const cases: Case[] = [];
      for (const route of routes.filter(hasBody)) {
        const base = { group: 'idempotency', route, url: fill(route), auth: auth(route), body: '{}' };
        // Does the route take keys? Only then are the key's own rules checked.
        const probe = await send({ ...base, label: 'probe', idempotencyKey: null });
        const keyed = probe.status === 400 && JSON.parse(probe.text).error?.code === 'missing_idempotency_key';
        const reused = fresh('reused');
        let first = 0;
        const expectCode = (code: string, status: number) => (keyed ? (s: number, body: any) => (s === status && body?.error?.code === code ? null : `expected ${status} ${code}, got ${s} ${body?.error?.code ?? ''}`) : undefined);
        cases.push(
          { ...base, label: 'missing', idempotencyKey: null, expect: expectCode('missing_idempotency_key', 400) },
          { ...base, label: 'empty', idempotencyKey: '', expect: expectCode('missing_idempotency_key', 400) },
          { ...base, label: '256 characters', idempotencyKey: 'k'.repeat(256), expect: expectCode('validation_error', 400) },
          { ...base, label: '16 KB', idempotencyKey: 'k'.repeat(16_000), expect: expectCode('validation_error', 400) },
          { ...base, label: 'spaces and tabs', idempotencyKey: 'a b\tc', expect: expectCode('validation_error', 400) },
          { ...base, label: 'Latin-1', idempotencyKey: 'clé-é', expect: expectCode('validation_error', 400) },
          { ...base, label: 'first use', idempotencyKey: reused, expect: (status) => ((first = status), null) },
          {
            ...base,
            label: 'same key, same body: replayed',
            idempotencyKey: reused,
            expect: keyed ? (status, _, headers) => (status === first && (first >= 500 || headers.get('Idempotent-Replay') === 'true') ? null : `expected the first answer (${first}) replayed, got ${status}`) : undefined,
          },
          { ...base, label: 'same key, other body', idempotencyKey: reused, body: '{"other":true}', expect: expectCode('idempotency_key_mismatch', 409) },
        );
      }
      assertClean(t, await run(cases), cases.length);
    });

    test('query strings: duplicated, NUL, huge, bracketed, prototype keys', async (t) => {
      const queries = [
        '?currency=USD&currency=INR&currency=',
        '?token=a&token=b',
        `?token=${'t'.repeat(8000)}`,
        '?status=completed&status=expired&cursor=a&cursor=b&include_paid=true&include_paid=false',
        '?currency=%00&status=%00&cursor=%00&include_paid=%00&token=%00',
        '?currency=%E0%A4%A&status=%FF',
        '?__proto__[admin]=1&constructor[prototype][x]=1&a[b][c]=d',
        '?include_paid=maybe&cursor=..%2F..&status=__proto__',
        `?${'a=1&'.repeat(2000)}`,
      ];
      const cases: Case[] = routes.flatMap((route) =>
        queries.map((q) => ({ group: 'query', label: show(q), route, url: fill(route) + q, auth: auth(route), body: hasBody(route) ? '{}' : undefined })),
      );
      // The hand-off stream takes its token from the query: a good token for someone else's (or no) checkout.
      const events = routes.find((r) => r.path === '/v1/checkout/:id/events');
      if (events) for (const token of [tokens.customer!, tokens.handoff!, tokens.external!]) cases.push({ group: 'query', label: 'own token, no such checkout', route: events, url: `${fill(events)}?token=${token}&token=x`, auth: 'none' });
      assertClean(t, await run(cases), cases.length);
    });

    test('methods: PATCH, DELETE or PUT where none is served', async (t) => {
      const served = new Set(routes.map(key));
      const cases: Case[] = routes.flatMap((route) =>
        ['PATCH', 'PUT', 'DELETE']
          .filter((m) => !served.has(`${m} ${route.path}`))
          .map((method) => ({ group: 'method', label: method, route: { method, path: route.path }, url: fill(route), auth: auth(route), body: '{}' })),
      );
      assertClean(t, await run(cases), cases.length);
    });

    test('webhooks: unsigned and badly signed bodies are 400 invalid_signature and change nothing', async (t) => {
      const nowS = Math.floor(Date.now() / 1000);
      const body = '{"id":"evt_unsigned","event":"payment.captured","type":"checkout.session.completed","created":1,"data":{"object":{}}}';
      const sig = (secret: string, at = nowS) => signTimestamped(secret, body, at);
      const badSignatures: [string, Record<string, string>][] = [
        ['no signature', {}],
        ['empty', { 'X-Razorpay-Signature': '', 'Stripe-Signature': '', 'X-Mintbot-Signature': '' }],
        ['garbage', { 'X-Razorpay-Signature': 'nope', 'Stripe-Signature': 'nope', 'X-Mintbot-Signature': 'nope' }],
        ['malformed t and v1', { 'X-Razorpay-Signature': 'zz'.repeat(32), 'Stripe-Signature': 't=abc,v1=zz', 'X-Mintbot-Signature': 't=,v1=,v1' }],
        ['wrong secret', { 'X-Razorpay-Signature': signRazorpayWebhook('wrong-secret', body), 'Stripe-Signature': sig('whsec_wrong'), 'X-Mintbot-Signature': sig('wrong') }],
        ['other body', { 'X-Razorpay-Signature': signRazorpayWebhook(server.deps.config.razorpay.webhookSecret, '{}'), 'Stripe-Signature': signTimestamped(STRIPE_WEBHOOK_SECRET, '{}', nowS), 'X-Mintbot-Signature': signTimestamped(EVERY_BACKEND.mintbotWebhookSecret, '{}', nowS) }],
        ['stale timestamp', { 'Stripe-Signature': sig(STRIPE_WEBHOOK_SECRET, nowS - 3600), 'X-Mintbot-Signature': sig(EVERY_BACKEND.mintbotWebhookSecret, nowS - 3600) }],
        ['future timestamp', { 'Stripe-Signature': sig(STRIPE_WEBHOOK_SECRET, nowS + 3600), 'X-Mintbot-Signature': sig(EVERY_BACKEND.mintbotWebhookSecret, nowS + 3600) }],
        ['huge timestamp', { 'Stripe-Signature': `t=${'9'.repeat(400)},v1=${'0'.repeat(64)}`, 'X-Mintbot-Signature': `t=${'9'.repeat(400)},v1=${'0'.repeat(64)}` }],
        ['10 000 v1 entries', { 'Stripe-Signature': `t=${nowS},${'v1=00,'.repeat(2000)}`, 'X-Mintbot-Signature': `t=${nowS},${'v1=00,'.repeat(2000)}` }],
        ['uppercase hex of the wrong secret', { 'X-Razorpay-Signature': signRazorpayWebhook('wrong-secret', body).toUpperCase() }],
      ];
      const cases: Case[] = [];
      for (const route of routes.filter(isWebhook)) {
        const via = route.path === '/v1/webhooks/stripe' ? [server, stripeLive] : [server];
        for (const app of via)
          for (const [label, headers] of badSignatures)
            cases.push({
              group: 'webhook',
              label: `${label}${app === stripeLive ? ' (Stripe live)' : ''}`,
              route,
              url: route.path,
              auth: 'none',
              via: app,
              body,
              headers: { ...headers, 'X-Razorpay-Event-Id': fresh('evt'), 'X-Mintbot-Event-Id': fresh('evt'), 'X-Mintbot-Event-Type': 'order.paid' },
              expect: (status, b) => (status === 400 && b?.error?.code === 'invalid_signature' ? null : `expected 400 invalid_signature, got ${status} ${b?.error?.code ?? ''}`),
            });
      }
      assert.ok(cases.length >= 3 * badSignatures.length);
      assertClean(t, await run(cases), cases.length);
    });

    test('webhooks: correctly signed but hostile events never 500 and change nothing when refused', async (t) => {
      const signers: Record<string, { via?: TestServer; headers(body: string): Record<string, string>; seed: Record<string, unknown> }> = {
        '/v1/webhooks/razorpay': {
          headers: (body) => ({ 'X-Razorpay-Signature': signRazorpayWebhook(server.deps.config.razorpay.webhookSecret, body), 'X-Razorpay-Event-Id': fresh('evt') }),
          seed: {
            entity: 'event',
            event: 'payment.captured',
            payload: {
              payment: { entity: { id: 'pay_hostile', order_id: real.razorpayOrder, amount: 159900, error_code: 'BAD', error_description: 'x' } },
              order: { entity: { id: real.razorpayOrder } },
              refund: { entity: { payment_id: 'pay_hostile', amount: 159900 } },
            },
            created_at: 1700000000,
          },
        },
        '/v1/webhooks/stripe': {
          via: stripeLive,
          headers: (body) => ({ 'Stripe-Signature': signTimestamped(STRIPE_WEBHOOK_SECRET, body) }),
          seed: {
            id: 'evt_hostile',
            type: 'customer.subscription.updated',
            created: 1700000001,
            data: {
              object: {
                id: 'sub_hostile',
                customer: 'cus_hostile',
                status: 'active',
                cancel_at_period_end: false,
                created: 1700000000,
                metadata: { customer_id: 'cust_hostile_hook', checkout_id: 'chk_nothing', plan: 'pro' },
                items: { data: [{ current_period_end: 1800000000, price: { id: 'price_x', metadata: { plan: 'pro' } } }] },
              },
            },
          },
        },
        '/v1/webhooks/mintbot': {
          headers: (body) => ({ 'X-Mintbot-Signature': signTimestamped(EVERY_BACKEND.mintbotWebhookSecret, body), 'X-Mintbot-Event-Id': fresh('evt'), 'X-Mintbot-Event-Type': 'order.paid' }),
          seed: { id: Number(real.mintbotOrder), external_id: real.mintbotCheckout, status: 'completed', paid_at: '2026-01-01 00:00:00', panel_url: 'https://panel.test/x', expires_at: '2026-02-01 00:00:00', error: 'x' },
        },
      };
      const webhookRoutes = routes.filter(isWebhook);
      assert.deepEqual(webhookRoutes.map((r) => r.path).sort(), Object.keys(signers).sort(), 'every webhook route has a signer here');
      const cases: Case[] = [];
      for (const route of webhookRoutes) {
        const signer = signers[route.path];
        const bodies: [string, string][] = [
          ...RAW_BODIES.filter((b) => typeof b.body === 'string').map((b) => [b.label, b.body as string] as [string, string]),
          ...KIND_VALUES.map((v) => [`every field ${show(v)}`, JSON.stringify(Object.fromEntries(Object.keys(signer.seed).map((k) => [k, v])))] as [string, string]),
          ...leaves(signer.seed).flatMap((path) => SIGNED_VALUES.map((v) => [`${path.join('.')}=${show(v)}`, JSON.stringify(replaced(signer.seed, path, v))] as [string, string])),
        ];
        // A Stripe event's id and time are fresh per case: the dedup would answer "duplicate" before the event is
        // read, and an event as old as the state applied makes the server re-read the subscription from Stripe.
        for (const [label, raw] of bodies) {
          const body = route.path === '/v1/webhooks/stripe' ? raw.replace('"evt_hostile"', JSON.stringify(fresh('evt_h').replace(/\W/g, ''))).replace('"created":1700000001', `"created":${1700000001 + counter}`) : raw;
          cases.push({ group: 'signed', label, route, url: route.path, auth: 'none', via: signer.via, body, headers: signer.headers(body) });
        }
        // Event-id and event-type headers: missing, huge, NUL-free control characters.
        const body = JSON.stringify(signer.seed);
        for (const [label, extra] of [
          ['no event id', { 'X-Razorpay-Event-Id': '\u0000drop', 'X-Mintbot-Event-Id': '\u0000drop' }],
          ['8 KB event id', { 'X-Razorpay-Event-Id': 'e'.repeat(8000), 'X-Mintbot-Event-Id': 'e'.repeat(8000) }],
          ['odd event type', { 'X-Mintbot-Event-Type': '%00;\t' + 't'.repeat(5000) }],
        ] as [string, Record<string, string>][])
          cases.push({ group: 'signed', label, route, url: route.path, auth: 'none', via: signer.via, body, headers: { ...signer.headers(body), ...extra } });
      }
      assertClean(t, await run(cases), cases.length);
    });

    test('webhooks: each field of a signed payment event for a fresh, unpaid checkout, hostile', async (t) => {
      // A fresh customer and pending checkout per case (written straight to the store: the webhook only reads
      // them), so every hostile value meets the paying path rather than "already paid".
      let orderNumber = 700_000_000;
      async function freshCheckout(provider: 'razorpay' | 'mintbot', plan: string) {
        const customerId = fresh('cust_deep');
        const checkoutId = fresh('chk_deep');
        const orderId = provider === 'mintbot' ? String(++orderNumber) : fresh('order');
        await ensureCustomer(store, 'free', { id: customerId });
        await store.query(
          "INSERT INTO checkouts (id, customer_id, plan, interval, provider, amount, currency, status, provider_order_id) VALUES ($1, $2, $3, 'month', $4, $5, $6, 'pending', $7)",
          [checkoutId, customerId, plan, provider, provider === 'mintbot' ? 1200 : 159900, provider === 'mintbot' ? 'USD' : 'INR', orderId],
        );
        return { checkoutId, orderId };
      }
      const razorpay = routes.find((r) => r.path === '/v1/webhooks/razorpay')!;
      const mintbot = routes.find((r) => r.path === '/v1/webhooks/mintbot')!;
      const razorpaySeed = (type: string, orderId: string) => ({
        event: type,
        payload: { payment: { entity: { id: fresh('pay'), order_id: orderId, amount: 159900, error_code: 'BAD_REQUEST_ERROR', error_description: 'Payment failed' } }, order: { entity: { id: orderId } } },
      });
      const mintbotSeed = (orderId: string, checkoutId: string) => ({ id: Number(orderId), external_id: checkoutId, paid_at: '2026-01-01 00:00:00', panel_url: 'https://panel.test/x', expires_at: '2099-02-01 00:00:00' });
      const cases: Case[] = [];
      for (const type of ['payment.captured', 'payment.failed'])
      for (const path of leaves(razorpaySeed(type, 'order_x')))
        for (const value of DEEP_VALUES)
          cases.push({
            group: 'signed-deep',
            label: `${type} ${path.join('.')}=${show(value)}`,
            route: razorpay,
            url: razorpay.path,
            auth: 'none',
            prepare: async () => {
              const { orderId } = await freshCheckout('razorpay', 'pro');
              const body = JSON.stringify(replaced(razorpaySeed(type, orderId), path, value));
              return { body, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(server.deps.config.razorpay.webhookSecret, body), 'X-Razorpay-Event-Id': fresh('evt') } };
            },
          });
      for (const type of ['agent.ready', 'agent.expired'])
        for (const path of leaves(mintbotSeed('1', 'chk_x')))
          for (const value of DEEP_VALUES)
            cases.push({
              group: 'signed-deep',
              label: `${type} ${path.join('.')}=${show(value)}`,
              route: mintbot,
              url: mintbot.path,
              auth: 'none',
              prepare: async () => {
                const { orderId, checkoutId } = await freshCheckout('mintbot', 'agent');
                const body = JSON.stringify(replaced(mintbotSeed(orderId, checkoutId), path, value));
                return { body, headers: { 'X-Mintbot-Signature': signTimestamped(EVERY_BACKEND.mintbotWebhookSecret, body), 'X-Mintbot-Event-Id': fresh('evt'), 'X-Mintbot-Event-Type': type } };
              },
            });
      assertClean(t, await run(cases), cases.length);
    });

    test('headers: Accept-Language, Origin, X-Forwarded-For and Cookie, hostile', async (t) => {
      const headerSets: [string, Record<string, string>][] = [
        ['Accept-Language huge', { 'Accept-Language': `${'en-US;q=0.9,'.repeat(700)}x` }],
        ['Accept-Language garbage', { 'Accept-Language': '*;q=abc, en-US;q=1.5, ,,;;, zz-ZZZZ-invalid-tag-\u00e9, q=0' }],
        ['Accept-Language odd tags', { 'Accept-Language': '__proto__, constructor, ../../etc, i-klingon, x-private, en-GB-oed, sgn-BE-FR, zh-Hant-TW-u-nu-hanidec' }],
        ['Origin null', { Origin: 'null' }],
        ['Origin of a webview', { Origin: 'vscode-webview://1abc2def' }],
        ['Origin garbage', { Origin: 'http://' + 'a'.repeat(3000) }],
        ['Origin foreign', { Origin: 'https://evil.test' }],
        ['X-Forwarded-For garbage', { 'X-Forwarded-For': '1.1.1.1, not-an-ip, ::ffff:999.1.1.1, ' + '9'.repeat(500) }],
        ['Cookie huge', { Cookie: 'a=' + 'b'.repeat(8000) }],
      ];
      // With the seed body (return URLs left out, so the Origin is what counts): the headers meet a request that gets past validation.
      const bodyOf = (route: Route) => JSON.stringify(Object.fromEntries(Object.entries(SEEDS[key(route)]?.body ?? {}).filter(([k]) => !k.endsWith('url'))));
      const cases: Case[] = routes.flatMap((route) =>
        headerSets.map(([label, headers]) => ({ group: 'header', label, route, url: fill(route) + (route.path === '/v1/plans' ? '?locale=__proto__&locale=zz' : ''), auth: auth(route), headers, body: hasBody(route) ? bodyOf(route) : undefined })),
      );
      assertClean(t, await run(cases), cases.length);
    });

    // The bugs this walk found, each pinned with the answer it must give.
    test('regression: a NUL in a JSON field is 400 validation_error before any write or upstream call (was 500 from PostgreSQL)', async () => {
      const apiKey = { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}` };
      const session = await server.request('POST', '/v1/sessions', { headers: apiKey, body: { customer_id: 'cust_nul_name', name: 'a\u0000b' } });
      assert.equal(session.status, 400);
      assert.equal((await json(session)).error.code, 'validation_error');
      assert.deepEqual(await store.query("SELECT id FROM customers WHERE id = 'cust_nul_name'"), []);

      const grants = every.fakes.bonzai.state.grants.length;
      const invite = await server.request('POST', '/v1/admin/bonzai/invite', { headers: apiKey, body: { email: 'nul@example.com', name: 'a\u0000b' } });
      assert.equal(invite.status, 400);
      assert.match((await json(invite)).error.message, /^name: .*NUL/);
      assert.equal(every.fakes.bonzai.state.grants.length, grants, 'Bonzai was not asked to invite anyone');

      const verify = await server.request('POST', '/v1/razorpay/verify', { token: tokens.customer!, body: { plan: 'pro', razorpay_order_id: 'order_\u0000', razorpay_payment_id: 'pay_x', razorpay_signature: 'ab' } });
      assert.equal(verify.status, 400);
      assert.match((await json(verify)).error.message, /^razorpay_order_id: /);
    });

    test('regression: a signed Razorpay webhook whose body is JSON null or an array is 400 validation_error (was 500)', async () => {
      for (const body of ['null', '[]', '"event"']) {
        const res = await server.request('POST', '/v1/webhooks/razorpay', {
          rawBody: body,
          headers: { 'X-Razorpay-Signature': signRazorpayWebhook(server.deps.config.razorpay.webhookSecret, body), 'X-Razorpay-Event-Id': fresh('evt') },
        });
        assert.equal(res.status, 400, body);
        assert.equal((await json(res)).error.code, 'validation_error');
      }
    });

    test('regression: signed webhooks with a NUL or a timestamp the store cannot hold are answered, not 500', async () => {
      const stripeEvent = (created: number, periodEnd: number) =>
        JSON.stringify({
          id: fresh('evt_r').replace(/\W/g, ''),
          type: 'customer.subscription.updated',
          created,
          data: { object: { id: 'sub_r', customer: 'cus_r', status: 'active', metadata: { customer_id: 'cust_hostile_hook', plan: 'pro' }, items: { data: [{ current_period_end: periodEnd }] } } },
        });
      const stripe = (body: string) => stripeLive.request('POST', '/v1/webhooks/stripe', { rawBody: body, headers: { 'Stripe-Signature': signTimestamped(STRIPE_WEBHOOK_SECRET, body) } });
      // An event time that is no time: not a Stripe event (was RangeError → 500).
      for (const created of [1e308, -1e12, 1.5]) {
        const res = await stripe(stripeEvent(created, 1800000000));
        assert.equal(res.status, 400, String(created));
        assert.equal((await json(res)).error.code, 'validation_error');
      }
      // A period end that is no time is no period end (was RangeError → 500).
      const applied = await stripe(stripeEvent(Math.floor(Date.now() / 1000) + 100_000, 1e308));
      assert.equal(applied.status, 200, await applied.clone().text());
      assert.equal((await json(applied)).outcome, 'applied');
      assert.equal((await store.query<{ current_period_end: Date | null }>("SELECT current_period_end FROM customers WHERE id = 'cust_hostile_hook'"))[0].current_period_end, null);

      // mintbot: a NUL in the panel URL is kept as U+FFFD (was 500 from jsonb); an expiry in the year -200000 is none (was 500).
      const token = await server.session(fresh('cust_reg'));
      const { checkout_id } = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'agent', return_url: 'http://tollgate.test/back' } }));
      const [{ provider_order_id }] = await store.query<{ provider_order_id: string }>('SELECT provider_order_id FROM checkouts WHERE id = $1', [checkout_id]);
      const body = JSON.stringify({ id: Number(provider_order_id), external_id: checkout_id, panel_url: 'https://panel.test/a\u0000b', expires_at: '-200000-01-01T00:00:00Z' });
      const res = await server.request('POST', '/v1/webhooks/mintbot', {
        rawBody: body,
        headers: { 'X-Mintbot-Signature': signTimestamped(EVERY_BACKEND.mintbotWebhookSecret, body), 'X-Mintbot-Event-Id': fresh('evt'), 'X-Mintbot-Event-Type': 'agent.ready' },
      });
      assert.equal(res.status, 200, await res.clone().text());
      const state = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
      assert.equal(state.status, 'paid');
      assert.deepEqual(state.fulfillment, { status: 'ready', panel_url: 'https://panel.test/a\uFFFDb', expires_at: null });
    });

    test('regression: a signed payment.failed whose error_description is a lone UTF-16 surrogate is applied, not 500 on every delivery', async () => {
      const token = await server.session(fresh('cust_surrogate'));
      const checkout = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'razorpay' } }));
      const orderId: string = checkout.action.order_id;
      // JSON.stringify writes the lone half as the escape "\ud83d", which jsonb refuses (was: invalid input syntax for type json).
      const body = JSON.stringify({
        entity: 'event',
        event: 'payment.failed',
        payload: { payment: { entity: { id: fresh('pay'), order_id: orderId, amount: 159900, error_code: 'BAD_REQUEST_ERROR', error_description: 'Card declined \ud83d', '\udc00': 'x' } } },
      });
      assert.match(body, /\\ud83d/);
      const eventId = fresh('evt');
      const deliver = () =>
        server.request('POST', '/v1/webhooks/razorpay', { rawBody: body, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(server.deps.config.razorpay.webhookSecret, body), 'X-Razorpay-Event-Id': eventId } });
      const first = await deliver();
      assert.equal(first.status, 200, await first.clone().text());
      assert.equal((await json(first)).outcome, 'failure_recorded');
      const again = await deliver();
      assert.equal(again.status, 200);
      assert.equal((await json(again)).outcome, 'duplicate');
      const state = await json(await server.request('GET', `/v1/checkout/${checkout.checkout_id}`, { token }));
      assert.equal(state.status, 'failed');
      assert.deepEqual(state.last_error, { code: 'BAD_REQUEST_ERROR', message: 'Card declined \uFFFD' });

      // A browser body with a lone surrogate reaches jsonb too (the Razorpay prefill name in the checkout's action).
      const named = await server.request('POST', '/v1/sessions', { headers: { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}` }, body: { customer_id: fresh('cust_sur'), name: 'Ann \udfff' } });
      assert.equal(named.status, 201, await named.clone().text());
      const buyer = await json(named);
      const bought = await server.request('POST', '/v1/checkout', { token: buyer.token, body: { plan: 'pro', provider: 'razorpay' } });
      assert.equal(bought.status, 201, await bought.clone().text());
      assert.equal((await json(bought)).action.prefill.name, 'Ann \uFFFD');

      // And an external issuer's token (Supabase): its email claim reaches the customer row and the action.
      const external = await every.supabaseJwt(fresh('cust_sur_ext'), 'a\ud83d\u0000@example.com');
      const viaExternal = await server.request('POST', '/v1/checkout', { token: external, body: { plan: 'pro', provider: 'razorpay' } });
      assert.equal(viaExternal.status, 201, await viaExternal.clone().text());
      assert.equal((await json(viaExternal)).action.prefill.email, 'a\uFFFD\uFFFD@example.com');
    });

    test('regression: Origin: null (a sandboxed frame) is no return page, and a return_url must be http(s) (was 500 / accepted)', async () => {
      const token = await server.session(fresh('cust_origin'));
      const nullOrigin = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe' }, headers: { Origin: 'null' } });
      assert.equal(nullOrigin.status, 201, await nullOrigin.clone().text()); // was 500: new URL('null')
      const checkouts = (await store.query("SELECT count(*)::int AS n FROM checkouts"))[0].n;
      for (const [path, body] of [
        ['/v1/checkout', { plan: 'pro', provider: 'stripe', return_url: 'javascript:alert(1)' }], // was 201, and the sandbox page linked to it
        ['/v1/checkout', { plan: 'agent', return_url: 'ftp://x.test/' }], // was 502 upstream_error, with a failed checkout row
        ['/v1/portal', { return_url: 'data:text/html,x' }],
      ] as const) {
        const res = await server.request('POST', path, { token, body });
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
        assert.equal((await json(res)).error.message, 'return_url: use an http or https URL');
      }
      assert.equal((await store.query("SELECT count(*)::int AS n FROM checkouts"))[0].n, checkouts);
    });

    test('regression: a usage report that would overflow the counter is 400 validation_error (was 500 from PostgreSQL)', async () => {
      const headers = { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}` };
      const customer = fresh('cust_usage');
      assert.equal((await server.request('POST', '/v1/usage', { headers, body: { customer_id: customer, metric: 'messages', quantity: 1 } })).status, 200);
      await store.query('UPDATE usage_counters SET used = 2147000000 WHERE customer_id = $1', [customer]);
      const res = await server.request('POST', '/v1/usage', { headers, body: { customer_id: customer, metric: 'messages', quantity: 1_000_000 } });
      assert.equal(res.status, 400);
      assert.equal((await json(res)).error.code, 'validation_error');
      assert.equal((await store.query<{ used: number }>('SELECT used FROM usage_counters WHERE customer_id = $1', [customer]))[0].used, 2147000000);
      const down = await server.request('POST', '/v1/usage', { headers, body: { customer_id: customer, metric: 'messages', quantity: -1_000_000 } });
      assert.equal((await json(down)).used, 2146000000, 'a correction still applies');
    });

    test('nothing reached the unhandled-error path', () => {
      const unhandled = [...server.logLines, ...stripeLive.logLines].filter((line) => line.includes('unhandled error'));
      assert.deepEqual(unhandled, []);
    });
  });
}
