// The server as a library (server/index.ts createTollgate): mounted under /billing in a Hono app (mount and
// route), in an Express app that parses JSON for its own routes, on plain node:http and as a Next.js-style route
// handler, over real HTTP: a session, the catalog, a Razorpay sandbox checkout paid and verified, its webhooks
// (the sandbox's own and one sent again from outside), the subscription, and every URL the server makes
// carrying the mount path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { createTollgate, type Tollgate } from '../../server/index.js';
import { createClient, TollgateError } from '../../src/client/index.js';
import type { Store } from '../../server/store/index.js';
import { engines, testStore, TEST_ENV, uniqueId } from './helpers.js';

const API_KEY = TEST_ENV.TOLLGATE_API_KEY;

/** A server on a free port whose handler is set once the port (and so the public URL) is known. */
async function listen(): Promise<{ server: Server; url: string; handle(listener: RequestListener): void; close(): Promise<void> }> {
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handle: (listener) => void (handler = listener),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function mounted(store: Store, publicUrl: string): Tollgate {
  return createTollgate({ env: { ...TEST_ENV, TOLLGATE_SANDBOX: '1' }, publicUrl, store, log: 'error' });
}

async function call(method: string, url: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method === 'POST') headers['Idempotency-Key'] ??= `mount-${uniqueId()}`;
  const res = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text.startsWith('{') ? JSON.parse(text) : undefined };
}

/** Everything a partner's page and backend do, through the mount at `billing` (`http://host:port/billing`). */
async function payThrough(billing: string, tollgate: Tollgate) {
  const customer = uniqueId();
  const session = await call('POST', `${billing}/v1/sessions`, { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: customer } });
  assert.equal(session.status, 201, session.text);
  const token = session.body.token as string;

  const plans = await call('GET', `${billing}/v1/plans`);
  assert.equal(plans.status, 200, plans.text);
  assert.ok(plans.body.plans.some((p: { id: string }) => p.id === 'pro'));

  const created = await call('POST', `${billing}/v1/checkout`, { token, body: { plan: 'pro', provider: 'razorpay' } });
  assert.equal(created.status, 201, created.text);
  const { action } = created.body;
  assert.equal(action.script_url, `${billing}/sandbox/razorpay/checkout.js`, 'the script URL carries the mount path');
  const script = await call('GET', action.script_url);
  assert.equal(script.status, 200);
  assert.match(script.text, /Razorpay/);

  const paid = await call('POST', `${billing}/sandbox/razorpay/pay`, { body: { key: action.key_id, order_id: action.order_id, outcome: 'success' } });
  assert.equal(paid.status, 200, paid.text);
  assert.match(action.verify_path, /^\/v1\//, 'paths in answers are relative to the API base');
  const verified = await call('POST', `${billing}${action.verify_path}`, { token, body: { plan: 'pro', ...paid.body } });
  assert.equal(verified.status, 200, verified.text);
  assert.equal(verified.body.new_plan, 'pro');

  // The sandbox's own signed webhooks reach the endpoint at the public URL's path, through the app.
  const app = await tollgate.app();
  await app.razorpaySandbox!.settle();
  await app.deps.webhookInbox.idle();
  const rows = await app.deps.store.query<{ type: string; outcome: string | null }>(
    "SELECT type, outcome FROM webhook_events WHERE provider = 'razorpay' AND payload::text LIKE $1",
    [`%${action.order_id}%`],
  );
  assert.ok(rows.length >= 1, 'the sandbox webhooks were received');
  assert.ok(rows.every((r) => r.outcome !== null), 'and applied');

  // One of them sent again from outside, over HTTP through the host's stack: its raw bytes still verify…
  const delivery = app.razorpaySandbox!.deliveries.find((d) => d.body.includes(action.order_id))!;
  const resent = await fetch(`${billing}/v1/webhooks/razorpay`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Razorpay-Signature': delivery.signature, 'X-Razorpay-Event-Id': delivery.eventId },
    body: delivery.body,
  });
  assert.equal(resent.status, 200, await resent.clone().text());
  // …and the same event re-serialised (what a JSON parser in front would make of it) does not.
  const reserialised = await fetch(`${billing}/v1/webhooks/razorpay`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Razorpay-Signature': delivery.signature, 'X-Razorpay-Event-Id': delivery.eventId },
    body: JSON.stringify(JSON.parse(delivery.body), null, 1),
  });
  assert.equal(reserialised.status, 400);
  assert.equal((await reserialised.json()).error.code, 'invalid_signature');

  const sub = await call('GET', `${billing}/v1/subscription`, { token });
  assert.equal(sub.status, 200, sub.text);
  assert.equal(sub.body.plan, 'pro');
  assert.equal(sub.body.status, 'active');

  // The hand-off link and its status URL, and the demo's pages, carry the mount path too.
  const handoff = await call('POST', `${billing}/v1/checkout`, { token, body: { plan: 'team', provider: 'razorpay', mode: 'handoff' } });
  assert.equal(handoff.status, 201, handoff.text);
  assert.ok(handoff.body.action.url.startsWith(`${billing}/pay/`), handoff.body.action.url);
  assert.ok(handoff.body.action.status_url.startsWith(`${billing}/v1/checkout/`), handoff.body.action.status_url);
  const payPage = await call('GET', handoff.body.action.url.split('#')[0]);
  assert.equal(payPage.status, 200);
  const path = new URL(billing).pathname;
  assert.match(payPage.text, new RegExp(`src="${path}/tollgate\\.js"`));
  assert.doesNotMatch(payPage.text, /(?:src|href)="\/(?!\/|billing\/)/, 'no root-relative link escapes the mount');
  const index = await call('GET', `${billing}/`);
  assert.equal(index.status, 200);
  assert.match(index.text, new RegExp(`href="${path}/demo/partner\\.html"`));
  const widgets = await call('GET', `${billing}/tollgate.js`);
  assert.equal(widgets.status, 200);
}

for (const engine of engines()) {
  describe(`createTollgate mounted under /billing (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await testStore(engine);
    });
    after(() => store.close());

    test('in a Hono app with app.mount(), and with app.route() around the fetch handler', async () => {
      for (const style of ['mount', 'route'] as const) {
        const http = await listen();
        const tollgate = mounted(store, `${http.url}/billing`);
        const host = new Hono();
        host.get('/', (c) => c.text('the partner app'));
        if (style === 'mount') host.mount('/billing', tollgate.fetch);
        else host.route('/billing', new Hono().all('*', (c) => tollgate.fetch(c.req.raw)));
        http.handle(getRequestListener(host.fetch));
        try {
          await payThrough(`${http.url}/billing`, tollgate);
          assert.equal(await (await fetch(`${http.url}/`)).text(), 'the partner app', 'the host keeps its own routes');
        } finally {
          await tollgate.close();
          await http.close();
        }
      }
    });

    test('in an Express app that parses JSON for its own routes: mounted before the parser', async () => {
      const http = await listen();
      const tollgate = mounted(store, `${http.url}/billing`);
      const host = express();
      host.use('/billing', tollgate.node);
      host.use(express.json());
      host.post('/api/echo', (req, res) => void res.json({ got: req.body }));
      http.handle(host);
      try {
        await payThrough(`${http.url}/billing`, tollgate);
        const echo = await call('POST', `${http.url}/api/echo`, { body: { a: 1 } });
        assert.deepEqual(echo.body, { got: { a: 1 } }, "the host's parser still serves its routes");
      } finally {
        await tollgate.close();
        await http.close();
      }
    });

    test('in Express behind a JSON parser: the raw bytes kept as req.rawBody work, and without them a clear error', async () => {
      for (const keepRaw of [true, false]) {
        const http = await listen();
        const tollgate = mounted(store, `${http.url}/billing`);
        const host = express();
        host.use(keepRaw ? express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody: Buffer }).rawBody = buf) }) : express.json());
        host.use('/billing', tollgate.node);
        http.handle(host);
        try {
          if (keepRaw) await payThrough(`${http.url}/billing`, tollgate);
          else {
            const res = await call('POST', `${http.url}/billing/v1/sessions`, { headers: { Authorization: `Bearer ${API_KEY}` }, body: { customer_id: uniqueId() } });
            assert.equal(res.status, 500);
            assert.equal(res.body.error.code, 'internal_error');
            assert.match(res.body.error.message, /mount Tollgate before express\.json\(\)/);
            // A GET has no body to lose: it still works.
            assert.equal((await call('GET', `${http.url}/billing/v1/plans`)).status, 200);
          }
        } finally {
          await tollgate.close();
          await http.close();
        }
      }
    });

    test('on plain node:http, and as Next.js route handlers (app/billing/[...path]/route.ts)', async () => {
      const http = await listen();
      const tollgate = mounted(store, `${http.url}/billing`);
      http.handle(tollgate.node);
      try {
        await payThrough(`${http.url}/billing`, tollgate);
        // The partner backend's typed client (tollgate/client) through the mount.
        const client = createClient({ baseUrl: `${http.url}/billing/`, apiKey: API_KEY });
        const customer = uniqueId();
        const { token } = await client.sessions.create({ customer_id: customer, email: 'client@example.in' });
        assert.equal((await call('GET', `${http.url}/billing/v1/subscription`, { token })).body.plan, 'free');
        assert.deepEqual(await client.track({ customer_id: customer, metric: 'messages', quantity: 3 }), { customer_id: customer, metric: 'messages', used: 3 });
        const refused = await createClient({ baseUrl: `${http.url}/billing`, apiKey: 'tg_wrong' }).sessions.create({ customer_id: customer }).catch((e: unknown) => e);
        assert.ok(refused instanceof TollgateError);
        assert.equal(refused.status, 401);
        assert.equal(refused.code, 'unauthenticated');
        assert.match(refused.requestId ?? '', /^req_/);
        // Next.js calls each exported method handler with the request under its full path.
        const handler = (request: Request) => tollgate.fetch(request);
        const { GET, POST, OPTIONS } = { GET: handler, POST: handler, OPTIONS: handler };
        assert.equal((await GET(new Request(`${http.url}/billing/v1/plans`))).status, 200);
        const preflight = await OPTIONS(new Request(`${http.url}/billing/v1/checkout`, { method: 'OPTIONS', headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST' } }));
        assert.equal(preflight.status, 204);
        const unauth = await POST(new Request(`${http.url}/billing/v1/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k1' }, body: '{}' }));
        assert.equal(unauth.status, 401);
        // Outside the mount is not the mount: /billingx is not /billing.
        assert.equal((await GET(new Request(`${http.url}/billingx/v1/plans`))).status, 404);
      } finally {
        await tollgate.close();
        await http.close();
      }
    });
  });
}

describe('createTollgate on its own', () => {
  test('opens its own PGlite store in DATA_DIR, answers once ready, and closes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-lib-'));
    try {
      const tollgate = createTollgate({ env: { ...TEST_ENV, TOLLGATE_SANDBOX: '1', DATA_DIR: dir, DATABASE_URL: '' }, basePath: '/billing', log: 'error' });
      assert.equal(tollgate.basePath, '/billing');
      assert.equal(tollgate.config.publicUrl, 'http://tollgate.test/billing');
      await tollgate.ready;
      assert.equal((await tollgate.fetch(new Request('http://localhost/billing/healthz'))).status, 200);
      await tollgate.close();
      // The store's lock is released: a second handler opens the same folder.
      const again = createTollgate({ env: { ...TEST_ENV, TOLLGATE_SANDBOX: '1', DATA_DIR: dir, DATABASE_URL: '' }, log: 'error' });
      await again.ready;
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a bad config throws at once, with what to fix', () => {
    assert.throws(() => createTollgate({ env: { ...TEST_ENV }, config: { plans: 'none' }, log: 'error' }), /createTollgate\(\{ config \}\)/);
    assert.throws(() => createTollgate({ env: { ...TEST_ENV }, basePath: 'billing', log: 'error' }), /start it with a slash/);
    assert.throws(() => createTollgate({ env: { ...TEST_ENV }, publicUrl: 'https://app.example/pay', basePath: '/billing', log: 'error' }), /disagree/);
    assert.throws(() => createTollgate({ env: { ...TEST_ENV, TOLLGATE_SANDBOX: '0', TOLLGATE_SESSION_SECRET: '' }, log: 'error' }), /TOLLGATE_SESSION_SECRET/);
  });
});
