// CORS on every route a partner page's scripts call: the API and the sandbox's own routes (the simulated
// Razorpay modal pays through /sandbox/razorpay/pay from the partner's origin), any origin in sandbox and
// only the configured ones outside it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, LIVE_RAZORPAY_ENV as LIVE_ENV, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import type { Store } from '../../server/store/index.js';

const PARTNER = 'http://localhost:5173';

/** The browser's preflight of the sandbox modal's `fetch(…, {method: 'POST', headers: {'Content-Type': 'application/json'}})`. */
function preflight(server: TestServer, path: string, origin: string): Promise<Response> {
  return server.request('OPTIONS', path, { headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
}

for (const engine of engines()) {
  describe(`CORS (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await testStore(engine);
    });
    after(() => store.close());

    describe('in sandbox', () => {
      let server: TestServer;
      before(async () => {
        server = await makeServer({ store, sandboxWebhookDelayMs: 0 });
      });
      after(() => server.close());

      test("the sandbox modal's pay route answers the preflight of another origin", async () => {
        const res = await preflight(server, '/sandbox/razorpay/pay', PARTNER);
        assert.equal(res.status, 204);
        assert.equal(res.headers.get('Access-Control-Allow-Origin'), PARTNER);
        assert.match(res.headers.get('Access-Control-Allow-Methods') ?? '', /\bPOST\b/);
        assert.match(res.headers.get('Access-Control-Allow-Headers') ?? '', /\bContent-Type\b/i);
      });

      test('a cross-origin payment and a refused one both carry the CORS header (the modal reads either answer)', async () => {
        const token = await server.session(uniqueId());
        const created = await server.request('POST', '/v1/checkout', { token, headers: { Origin: PARTNER }, body: { plan: 'pro', provider: 'razorpay' } });
        assert.equal(created.status, 201, await created.clone().text());
        const { action } = await json(created);
        const pay = (orderId: string) =>
          server.request('POST', '/sandbox/razorpay/pay', { idempotencyKey: null, headers: { Origin: PARTNER }, body: { key: action.key_id, order_id: orderId, outcome: 'success' } });
        const paid = await pay(action.order_id);
        assert.equal(paid.status, 200);
        assert.equal(paid.headers.get('Access-Control-Allow-Origin'), PARTNER);
        assert.match((await json(paid)).razorpay_payment_id, /^pay_/);
        const unknown = await pay('order_unknown');
        assert.equal(unknown.status, 404);
        assert.equal(unknown.headers.get('Access-Control-Allow-Origin'), PARTNER);
        assert.equal((await json(unknown)).error.code, 'not_found');
        await server.razorpaySandbox!.settle();
      });

      test('no CORS work without an Origin', async () => {
        const res = await server.request('POST', '/sandbox/razorpay/pay', { idempotencyKey: null, body: { key: 'rzp_other', order_id: 'order_x', outcome: 'success' } });
        assert.equal(res.status, 400);
        assert.equal(res.headers.get('Access-Control-Allow-Origin'), null);
      });
    });

    describe('outside sandbox', () => {
      let server: TestServer;
      before(async () => {
        server = await makeServer({ store, env: LIVE_ENV, file: { allowed_origins: ['https://app.partner.example'] } });
      });
      after(() => server.close());

      test('an origin that is not allowed gets no CORS grant, on the API or under /sandbox/', async () => {
        for (const path of ['/v1/checkout', '/v1/razorpay/verify', '/sandbox/razorpay/pay']) {
          const refused = await preflight(server, path, PARTNER);
          assert.equal(refused.headers.get('Access-Control-Allow-Origin'), null, path);
          const allowed = await preflight(server, path, 'https://app.partner.example');
          assert.equal(allowed.headers.get('Access-Control-Allow-Origin'), 'https://app.partner.example', path);
        }
        const plans = await server.request('GET', '/v1/plans', { headers: { Origin: PARTNER } });
        assert.equal(plans.status, 200);
        assert.equal(plans.headers.get('Access-Control-Allow-Origin'), null);
      });

      test('the sandbox routes do not exist', async () => {
        const res = await server.request('POST', '/sandbox/razorpay/pay', { idempotencyKey: null, headers: { Origin: 'https://app.partner.example' }, body: { key: 'rzp_test_x', order_id: 'order_x', outcome: 'success' } });
        assert.equal(res.status, 404);
        assert.equal((await json(res)).error.code, 'not_found');
      });
    });
  });
}
