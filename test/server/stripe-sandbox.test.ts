// Stripe in sandbox mode (no keys): the simulated hosted page, embedded form and portal, end to end through
// the server's own signed webhooks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import type { Store } from '../../server/store/index.js';
import type { StripeSimulator } from '../../server/providers/stripe/sandbox/simulator.js';

for (const engine of engines()) {
  describe(`Stripe sandbox (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' } });
    });
    after(async () => {
      await store.close();
    });

    const page = (method: string, path: string) => Promise.resolve(server.app.request(path, { method }));

    test('healthz reports stripe in sandbox mode', async () => {
      const health = await json(await server.request('GET', '/healthz'));
      assert.equal(health.providers.stripe, 'sandbox');
    });

    test('hosted page: GET the page, Pay, the webhook arrives, the subscription shows the plan and its trial', async () => {
      const customer = uniqueId();
      const token = await server.session(customer, { email: 'sam@example.com' });
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'team', provider: 'stripe', return_url: 'http://shop.test/account?c={CHECKOUT_ID}' } });
      assert.equal(res.status, 201, await res.clone().text());
      const { checkout_id, action } = await json(res);
      assert.equal(action.type, 'redirect');
      const url = new URL(action.url);
      assert.equal(url.origin, 'http://tollgate.test');
      assert.match(url.pathname, /^\/sandbox\/stripe\/checkout\/cs_test_/);

      const html = await page('GET', url.pathname);
      assert.equal(html.status, 200);
      const text = await html.text();
      assert.match(text, /Team plan/);
      assert.match(text, /\$49\.00/);
      assert.match(text, /14-day free trial/);
      assert.match(text, /Pay<\/button>/);
      assert.match(html.headers.get('Content-Security-Policy') ?? '', /frame-ancestors 'none'/);

      const before = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(before.plan, 'free');
      assert.equal(before.hasPortal, true, 'the Stripe customer exists once checkout started');

      const paid = await page('POST', `${url.pathname}/pay`);
      assert.equal(paid.status, 303);
      assert.equal(paid.headers.get('Location'), `http://shop.test/account?c=${checkout_id}`);

      const state = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
      assert.equal(state.status, 'paid');
      assert.match(state.payment_id, /^sub_/);
      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'team');
      assert.equal(sub.status, 'trialing');
      assert.equal(sub.cancelAtPeriodEnd, false);
      assert.ok(new Date(sub.currentPeriodEnd).getTime() > Date.now() + 13 * 86_400_000);
      const ent = await json(await server.request('GET', '/v1/entitlements', { token }));
      assert.equal(ent.has_access, true);
      assert.ok(ent.features.includes('sso'));
      const audit = await store.query<{ old_plan: string; new_plan: string }>('SELECT old_plan, new_plan FROM plan_changes WHERE customer_id = $1', [customer]);
      assert.deepEqual(audit.map((a) => [a.old_plan, a.new_plan]), [['free', 'team']]);

      // Paying the same page again changes nothing.
      const again = await page('POST', `${url.pathname}/pay`);
      assert.equal(again.status, 303);
      assert.equal((await store.query('SELECT 1 FROM plan_changes WHERE customer_id = $1', [customer])).length, 1);
    });

    test('hosted page Cancel returns to cancel_url and nothing changes', async () => {
      const token = await server.session(uniqueId());
      const { checkout_id, action } = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe', return_url: 'http://shop.test/back' } }));
      const res = await page('POST', `${new URL(action.url).pathname}/cancel`);
      assert.equal(res.status, 303);
      const location = new URL(res.headers.get('Location')!);
      assert.equal(location.searchParams.get('tollgate_checkout'), checkout_id);
      assert.equal(location.searchParams.get('tollgate_canceled'), '1');
      assert.equal((await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }))).status, 'pending');
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).plan, 'free');
    });

    test('a session left unpaid until it expires: the signed checkout.session.expired marks the checkout expired', async () => {
      const token = await server.session(uniqueId());
      const { checkout_id, action } = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe', return_url: 'http://shop.test/back' } }));
      const simulator = (server.deps.providers.get('stripe') as unknown as { sandbox: StripeSimulator }).sandbox;
      await simulator.expireSession(new URL(action.url).pathname.split('/').pop()!);
      assert.equal((await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }))).status, 'expired');
      const [event] = await store.query<{ type: string }>("SELECT type FROM webhook_events WHERE provider = 'stripe' AND type = 'checkout.session.expired'");
      assert.ok(event, 'the event went through the signed webhook endpoint');
      assert.equal((await page('POST', `${new URL(action.url).pathname}/pay`)).status, 409, 'an expired session cannot be paid');
    });

    test('embedded form: sandbox_url page posts to the embedding origin only; Pay upgrades', async () => {
      const token = await server.session(uniqueId());
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe', ui_mode: 'embedded_page', return_url: 'http://shop.test/pay' } });
      assert.equal(res.status, 201, await res.clone().text());
      const { checkout_id, action } = await json(res);
      assert.equal(action.type, 'stripe_embedded');
      assert.equal(action.publishable_key, 'pk_test_sandbox');
      assert.match(action.client_secret, /^cs_test_.+_secret_/);
      const framePath = new URL(action.sandbox_url).pathname;
      assert.match(framePath, /^\/sandbox\/stripe\/embedded\/cs_test_/);
      const frame = await page('GET', framePath);
      const text = await frame.text();
      assert.match(text, /tollgate:stripe-sandbox-complete/);
      assert.match(text, /"http:\/\/shop\.test"\)/, 'postMessage targets the embedding origin');
      assert.doesNotMatch(text, /postMessage\([^)]*"\*"/);
      assert.match(frame.headers.get('Content-Security-Policy') ?? '', /frame-ancestors \*/);
      const pay = await page('POST', `${framePath}/pay`);
      assert.equal(pay.status, 200);
      assert.equal((await json(pay)).checkout_id, checkout_id);
      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'pro');
      assert.equal(sub.status, 'active');
    });

    test('portal: 404 before any Stripe checkout; the sandbox portal cancels at period end, then now', async () => {
      const token = await server.session(uniqueId());
      const none = await server.request('POST', '/v1/portal', { token, body: {} });
      assert.equal(none.status, 404);
      assert.equal((await json(none)).error.code, 'not_found');

      const { action } = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe', return_url: 'http://shop.test/' } }));
      await page('POST', `${new URL(action.url).pathname}/pay`);
      const portal = await server.request('POST', '/v1/portal', { token, body: { return_url: 'http://shop.test/account' } });
      assert.equal(portal.status, 200);
      const portalPath = new URL((await json(portal)).url).pathname;
      const html = await (await page('GET', portalPath)).text();
      const cancelAt = /action="([^"]+\/cancel_at_period_end)"/.exec(html)?.[1];
      assert.ok(cancelAt, html);
      assert.equal((await page('POST', cancelAt)).status, 303);
      let sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'pro');
      assert.equal(sub.cancelAtPeriodEnd, true);
      const cancelNow = /action="([^"]+\/cancel_now)"/.exec(html)?.[1]!;
      assert.equal((await page('POST', cancelNow)).status, 303);
      sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'free');
      assert.equal(sub.status, 'canceled');
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token }))).has_access, false);
    });
  });
}
