// The OpenAPI document (server/openapi/): valid OpenAPI 3.1, every route the app registers is in it (a route
// added without an entry in server/openapi/table.ts fails here), and real answers of a whole flow through the app
// (sessions, checkout with the Razorpay sandbox, verify, webhooks, account, partner routes, errors) match the
// document's schema for their route and status, validated with ajv (formats on); an undeclared status fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ERROR_CODES } from '../../src/contract/index.js';
import { openApiDocument, openApiPath } from '../../server/openapi/document.js';
import { ROUTES, UNDOCUMENTED } from '../../server/openapi/table.js';
import type { Store } from '../../server/store/index.js';
import { engines, json, makeServer, startEveryBackend, testStore, TEST_ENV, uniqueId, type TestServer } from './helpers.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> }>; security?: unknown[]; [extension: `x-${string}`]: unknown };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; servers: { url: string }[]; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, unknown>> } };

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);

/** The concrete routes an app registers (`GET /v1/checkout/:id`); middleware (ALL on a wildcard) left out. */
function registeredRoutes(app: { routes: { method: string; path: string }[] }): string[] {
  return [...new Set(app.routes.filter((r) => METHODS.has(r.method)).map((r) => `${r.method} ${r.path}`))].sort();
}

function documentedRoutes(doc: Doc): Set<string> {
  return new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
}

/** Registered routes that the document lacks, and are not among the documented exclusions. */
function undocumented(routes: string[], doc: Doc): string[] {
  const documented = documentedRoutes(doc);
  return routes.filter((r) => {
    const [method, path] = r.split(' ');
    return !documented.has(`${method} ${openApiPath(path)}`) && !UNDOCUMENTED.includes(r);
  });
}

/** An ajv (JSON Schema 2020-12, formats on) that knows the document, and a validator per route and status. */
function schemaChecker(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const base = 'https://tollgate.test/openapi.json';
  ajv.addSchema({ $id: base, components: doc.components });
  const cache = new Map<string, ValidateFunction>();
  /** `schema` with its `#/components/…` refs pointing into the added document. */
  const rebased = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(rebased) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? base + v : rebased(v)])) : value;
  const check = (route: string, status: number, body: unknown) => {
    const [method, path] = route.split(' ');
    const op = doc.paths[openApiPath(path)]?.[method.toLowerCase()];
    assert.ok(op, `${route} is not in the document`);
    const declared = op.responses[String(status)];
    assert.ok(declared, `${route} answered ${status}, which the document does not declare (it declares ${Object.keys(op.responses).join(', ')}): ${JSON.stringify(body).slice(0, 300)}`);
    assert.ok(declared.headers?.['X-Request-Id'], `${route} ${status} declares X-Request-Id`);
    const schema = declared.content?.['application/json']?.schema;
    assert.ok(schema, `${route} ${status} declares no JSON body`);
    const key = `${route} ${status}`;
    let validate = cache.get(key);
    if (!validate) cache.set(key, (validate = ajv.compile(rebased(schema) as object)));
    assert.ok(validate(body), `${route} ${status}: the answer does not match its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 600)}`);
  };
  /** `value` against one component schema (an SSE event's data). */
  const component = (name: string, value: unknown) => {
    const validate = ajv.getSchema(`${base}#/components/schemas/${name}`);
    assert.ok(validate, name);
    assert.ok(validate(value), `${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 600)}`);
  };
  return Object.assign(check, { component });
}

test('the document is valid OpenAPI 3.1, with every error code and both bearer schemes', async () => {
  const doc = openApiDocument({ serverUrl: 'http://tollgate.test' }) as unknown as Doc;
  const result = await new Validator().validate(doc as never);
  assert.deepEqual(result, { valid: true }, JSON.stringify(result.errors)?.slice(0, 2000));
  assert.match(doc.openapi, /^3\.1\./);
  assert.deepEqual(doc.components.schemas.Error, {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: { code: { type: 'string', enum: [...ERROR_CODES] }, message: { type: 'string' }, request_id: { type: 'string' } },
        required: ['code', 'message', 'request_id'],
        additionalProperties: false,
      },
    },
    required: ['error'],
    additionalProperties: false,
  });
  assert.deepEqual(doc.components.securitySchemes.customerSession, { ...doc.components.securitySchemes.customerSession, type: 'http', scheme: 'bearer' });
  assert.deepEqual(doc.components.securitySchemes.apiKey, { ...doc.components.securitySchemes.apiKey, type: 'http', scheme: 'bearer' });
  assert.deepEqual(doc.paths['/v1/check'].post.security, [{ apiKey: [] }]);
  assert.deepEqual(doc.paths['/v1/entitlements'].get.security, [{ customerSession: [] }]);
  assert.deepEqual(doc.paths['/v1/plans'].get.security, [{}, { customerSession: [] }]);
  assert.deepEqual(doc.paths['/v1/webhooks/stripe'].post.security, []);
  assert.equal(doc.paths['/v1/sandbox/session'].post['x-tollgate-sandbox-only'], true);
  // Every code of the envelope is answered by some route, at its status.
  const answered = Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((op) => Object.values(op.responses).flatMap((r) => JSON.stringify(r).match(/"enum":\[[^\]]*\]/g) ?? []))).join();
  for (const code of ERROR_CODES) assert.match(answered, new RegExp(`"${code}"`), code);
  // The packaged document differs only in its server: a variable (dist/openapi.json).
  assert.equal((openApiDocument() as unknown as Doc).servers[0].url, '{publicUrl}');
});

test('the checks catch a route without an entry and an answer off its schema', () => {
  const doc = openApiDocument() as unknown as Doc;
  assert.deepEqual(undocumented(['GET /v1/plans', 'GET /v1/customers/:id', 'POST /v1/not-in-the-table', 'GET /demo/*'], doc), ['POST /v1/not-in-the-table']);
  const check = schemaChecker(doc);
  check('GET /v1/entitlements', 200, { plan: 'pro', features: [], limits: { messages: null }, has_access: true });
  assert.throws(() => check('GET /v1/entitlements', 200, { plan: 'pro', features: [], limits: {}, has_access: 'yes' }), /does not match/);
  assert.throws(() => check('GET /v1/entitlements', 200, { plan: 'pro', features: [], limits: {}, has_access: true, extra: 1 }), /does not match/);
  assert.throws(() => check('GET /v1/entitlements', 418, {}), /does not declare/);
  assert.throws(() => check('GET /v1/customers/:id', 404, { error: { code: 'conflict', message: 'x', request_id: 'req_1' } }), /does not match/);
});

for (const engine of engines()) {
  describe(`OpenAPI document against the app (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await testStore(engine);
    });
    after(async () => {
      await store.close();
    });

    test('every route the app registers (every provider configured, sandbox on) is in the document, and every documented route is registered', async () => {
      const every = await startEveryBackend({ store });
      try {
        const doc = openApiDocument() as unknown as Doc;
        const routes = registeredRoutes(every.server.app);
        assert.deepEqual(undocumented(routes, doc), [], 'routes registered without an entry in server/openapi/table.ts');
        const registered = new Set(routes.map((r) => r.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')));
        assert.deepEqual([...documentedRoutes(doc)].filter((r) => !registered.has(r)), [], 'documented routes the app does not register');
        assert.equal(documentedRoutes(doc).size, ROUTES.length);
        // The exclusions are all registered too (a stale one would hide nothing).
        for (const r of UNDOCUMENTED) assert.ok(routes.includes(r), r);
      } finally {
        await every.close();
      }
    });

    test('GET /openapi.json answers the document, its server the public URL with the mount path', async () => {
      for (const publicUrl of [TEST_ENV.TOLLGATE_PUBLIC_URL, 'http://tollgate.test/billing']) {
        const server = await makeServer({ store, env: { TOLLGATE_PUBLIC_URL: publicUrl } });
        try {
          const res = await server.app.request(publicUrl === TEST_ENV.TOLLGATE_PUBLIC_URL ? '/openapi.json' : '/billing/openapi.json');
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('content-type'), 'application/json');
          const doc = await json<Doc>(res);
          assert.deepEqual(doc.servers, [{ url: publicUrl }]);
          assert.deepEqual(doc.paths, (openApiDocument({ serverUrl: publicUrl }) as unknown as Doc).paths);
        } finally {
          await server.close();
        }
      }
    });

    describe('real answers match their declared schemas', () => {
      let server: TestServer;
      let check: ReturnType<typeof schemaChecker>;
      const checked = new Set<string>();
      const apiKey = TEST_ENV.TOLLGATE_API_KEY;
      before(async () => {
        server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, sandboxWebhookDelayMs: 0 });
        check = schemaChecker((await json(await server.app.request('/openapi.json'))) as Doc);
      });
      after(async () => {
        await server.razorpaySandbox?.settle();
        await server.close();
      });

      /** A request through the app whose answer is checked against the route's schema for its status; the body and status come back. */
      async function call(route: string, options: Parameters<TestServer['request']>[2] & { params?: Record<string, string>; query?: string } = {}) {
        const [method, template] = route.split(' ');
        const path = template.replace(/:([A-Za-z_]+)/g, (_m, name: string) => encodeURIComponent(options.params?.[name] ?? '')) + (options.query ?? '');
        const res = await server.request(method, path, options);
        assert.match(res.headers.get('x-request-id') ?? '', /^req_/, `${route}: X-Request-Id`);
        const type = res.headers.get('content-type') ?? '';
        const body = type.startsWith('application/json') ? await res.json() : await res.text();
        if (type.startsWith('application/json')) check(route, res.status, body);
        else {
          const [m, p] = route.split(' ');
          const declared = (await json<Doc>(await server.app.request('/openapi.json'))).paths[openApiPath(p)][m.toLowerCase()].responses[String(res.status)];
          assert.ok(declared?.content?.[type.split(';')[0]], `${route} answered ${res.status} ${type}, not declared`);
        }
        checked.add(`${route} ${res.status}`);
        return { status: res.status, body: body as any };
      }

      test('a whole flow: session, plans, checkout, sandbox payment, verify, webhooks, account, partner routes, and errors', async () => {
        const customer = uniqueId();
        assert.equal((await call('GET /healthz')).status, 200);
        assert.equal((await call('GET /v1/plans')).status, 200);
        assert.equal((await call('POST /v1/sessions', { body: { customer_id: customer } })).status, 401);
        assert.equal((await call('POST /v1/sessions', { token: apiKey, body: { customer_id: 'has space' } })).status, 400);
        const session = await call('POST /v1/sessions', { token: apiKey, body: { customer_id: customer, email: 'asha@example.in', currency: 'INR' } });
        assert.equal(session.status, 201);
        const token: string = session.body.token;
        assert.equal((await call('GET /v1/plans', { token, query: '?locale=hi' })).status, 200);
        assert.equal((await call('POST /v1/sandbox/session', { body: { customer_id: uniqueId('demo') } })).status, 201);
        assert.equal((await call('GET /v1/subscription', { token })).status, 200);
        assert.equal((await call('GET /v1/entitlements', { token })).status, 200);
        assert.equal((await call('GET /v1/entitlements', { token: 'not.a.jwt' })).status, 401);
        assert.equal((await call('GET /v1/entitlements')).status, 401);
        assert.equal((await call('POST /v1/portal', { token, body: {} })).status, 404);

        // Checkout with the Razorpay sandbox: the modal pays through the sandbox's own route, then verify.
        assert.equal((await call('POST /v1/checkout', { token, body: { plan: 'no-such-plan' } })).status, 400);
        assert.equal((await call('POST /v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: null })).status, 400);
        const key = `openapi-${uniqueId()}`;
        const created = await call('POST /v1/checkout', { token, body: { plan: 'pro' }, idempotencyKey: key });
        assert.equal(created.status, 201);
        assert.equal((await call('POST /v1/checkout', { token, body: { plan: 'pro', interval: 'year' }, idempotencyKey: key })).status, 409);
        const { checkout_id: checkoutId, action } = created.body;
        assert.equal(action.type, 'razorpay');
        assert.equal((await call('GET /v1/checkout/:id', { token, params: { id: checkoutId } })).status, 200);
        assert.equal((await call('GET /v1/checkout/:id', { token, params: { id: 'chk_none' } })).status, 404);
        assert.equal((await call('GET /v1/checkout/:id/events', { params: { id: checkoutId } })).status, 401);
        assert.equal((await call('GET /sandbox/razorpay/checkout.js')).status, 200);
        assert.equal((await call('GET /pay/:id', { params: { id: checkoutId } })).status, 200);
        assert.equal((await call('POST /sandbox/razorpay/pay', { body: { key: 'rzp_wrong', order_id: action.order_id, outcome: 'success' } })).status, 400);
        const paid = await call('POST /sandbox/razorpay/pay', { body: { key: action.key_id, order_id: action.order_id, outcome: 'success' } });
        assert.equal(paid.status, 200);
        assert.equal((await call('POST /v1/checkout/:id/verify', { token, params: { id: checkoutId }, body: { plan: 'pro', ...paid.body, razorpay_signature: 'f'.repeat(64) } })).status, 400);
        const verified = await call('POST /v1/checkout/:id/verify', { token, params: { id: checkoutId }, body: { plan: 'pro', ...paid.body } });
        assert.equal(verified.status, 200);
        assert.equal(verified.body.new_plan, 'pro');
        assert.equal((await call('POST /v1/razorpay/verify', { token, body: { plan: 'pro', ...paid.body } })).status, 200);
        assert.equal((await call('GET /v1/checkout/:id', { token, params: { id: checkoutId } })).body.status, 'paid');
        // The paid checkout's event stream: one status event (a CheckoutState), then it ends.
        const events = await call('GET /v1/checkout/:id/events', { params: { id: checkoutId }, query: `?token=${encodeURIComponent(token)}` });
        assert.equal(events.status, 200);
        const data = /^event: status\ndata: (.*)$/m.exec(events.body)?.[1];
        assert.ok(data, events.body);
        check.component('CheckoutState', JSON.parse(data));
        assert.equal(JSON.parse(data).status, 'paid');

        // A hand-off checkout, started from the system browser with its hand-off token (which works for that checkout only).
        const other = (await call('POST /v1/sessions', { token: apiKey, body: { customer_id: uniqueId() } })).body.token;
        const handoff = await call('POST /v1/checkout', { token: other, body: { plan: 'pro', mode: 'handoff' } });
        assert.equal(handoff.body.action.type, 'handoff');
        const handoffToken = new URL(handoff.body.action.url).hash.slice('#token='.length);
        assert.equal((await call('GET /v1/entitlements', { token: handoffToken })).status, 403);
        const started = await call('POST /v1/checkout/:id/start', { token: handoffToken, params: { id: handoff.body.checkout_id } });
        assert.equal(started.body.action.type, 'razorpay');
        assert.equal((await call('GET /v1/checkout/:id', { token: handoffToken, params: { id: handoff.body.checkout_id } })).body.status, 'pending');

        // The sandbox's signed webhooks, delivered again: a duplicate, acknowledged; a forged one, refused.
        await server.razorpaySandbox!.settle();
        const delivery = server.razorpaySandbox!.deliveries.at(-1)!;
        const webhook = (signature: string) => call('POST /v1/webhooks/razorpay', { rawBody: delivery.body, headers: { 'X-Razorpay-Signature': signature, 'X-Razorpay-Event-Id': delivery.eventId } });
        const again = await webhook(delivery.signature);
        assert.deepEqual([again.status, again.body.outcome], [200, 'duplicate']);
        assert.equal((await webhook('0'.repeat(64))).status, 400);

        // The account after the payment.
        assert.equal((await call('GET /v1/subscription', { token })).body.plan, 'pro');
        assert.equal((await call('GET /v1/entitlements', { token })).body.plan, 'pro');

        // The partner's backend.
        assert.equal((await call('GET /v1/customers/:id', { token: apiKey, params: { id: customer } })).body.plan, 'pro');
        assert.equal((await call('GET /v1/customers/:id', { token: apiKey, params: { id: uniqueId('nobody') } })).status, 404);
        assert.equal((await call('GET /v1/customers/:id', { token, params: { id: customer } })).status, 401);
        assert.equal((await call('GET /v1/customers/:id/entitlements', { token: apiKey, params: { id: customer } })).status, 200);
        const eventId = `evt_${uniqueId()}`;
        assert.equal((await call('POST /v1/usage', { token: apiKey, body: { customer_id: customer, metric: 'messages', quantity: 3, event_id: eventId } })).body.used, 3);
        assert.equal((await call('POST /v1/usage', { token: apiKey, body: { customer_id: customer, metric: 'messages', quantity: 3, event_id: eventId } })).body.duplicate, true);
        assert.equal((await call('POST /v1/usage', { token: apiKey, body: { customer_id: customer, metric: 'messages', quantity: 4, event_id: eventId } })).status, 409);
        assert.equal((await call('POST /v1/usage', { token: apiKey, body: { customer_id: customer, metric: 'messages', quantity: -1, reason: 'a correction' } })).body.used, 2);
        assert.equal((await call('POST /v1/check', { token: apiKey, body: { customer_id: customer, feature: 'export' } })).body.allowed, true);
        assert.equal((await call('POST /v1/check', { token: apiKey, body: { customer_id: customer, metric: 'messages', quantity: 5 } })).body.used, 2);
        assert.equal((await call('POST /v1/check', { token: apiKey, body: { customer_id: customer, metric: 'messages', quantity: 5, consume: true } })).body.used, 7);
        assert.equal((await call('POST /v1/check', { token: apiKey, body: { customer_id: customer, feature: 'export', metric: 'messages' } })).status, 400);
        const until = new Date(Date.now() + 86_400_000).toISOString();
        assert.equal((await call('POST /v1/customers/:id/grants', { token: apiKey, params: { id: customer }, body: { plan: 'pro', until, reason: 'support' }, idempotencyKey: null })).status, 400);
        const grant = await call('POST /v1/customers/:id/grants', { token: apiKey, params: { id: customer }, body: { plan: 'pro', until, reason: 'support' } });
        assert.equal(grant.status, 201);
        assert.equal((await call('DELETE /v1/customers/:id/grants/:grant_id', { token: apiKey, params: { id: customer, grant_id: grant.body.grant_id } })).body.revoked_at === null, false);
        assert.equal((await call('DELETE /v1/customers/:id/grants/:grant_id', { token: apiKey, params: { id: customer, grant_id: 'grt_none' } })).status, 404);

        // Every status of the flow was one the document declares, and each kind of error came up.
        for (const status of [200, 201, 400, 401, 403, 404, 409]) assert.ok([...checked].some((c) => c.endsWith(` ${status}`)), String(status));
        assert.ok(new Set([...checked].map((c) => c.split(' ').slice(0, 2).join(' '))).size >= 23, [...checked].join('\n'));
      });
    });
  });
}
