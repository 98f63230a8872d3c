// Tollgate's own billing portal for a one-off Razorpay customer (the in-server sandbox): the link (minted, scoped,
// expiring), the summary the page shows (plan, payment history from the ledger), and the actions' auth, refusals
// and idempotency (a change of plan is a new checkout, once per Idempotency-Key).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import type { PortalActionResponse, PortalSummary } from '../../src/contract/index.js';
import { AppError } from '../../server/errors.js';
import type { ManagedSubscription, Provider, SubscriptionControls } from '../../server/providers/types.js';
import { issueSessionToken } from '../../server/security/tokens.js';
import type { Store } from '../../server/store/index.js';
import { recordRenewalPayment } from '../../server/store/payments.js';
import type { CustomerRow } from '../../server/store/customers.js';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';

/**
 * Subscription controls kept in memory, as a provider's would be kept upstream: no partner API's document
 * allows a cancel at period end (docs in ../shared/seeds/), and Razorpay's controls come with Razorpay
 * Subscriptions. They stand where a provider's `subscriptionControls` plug in, so the portal's side of them
 * (what it asks, how often, what it shows and refuses) is tested; every call is counted.
 */
function memoryControls(): SubscriptionControls & { calls: string[]; subs: Map<string, ManagedSubscription>; failNext?: boolean } {
  const subs = new Map<string, ManagedSubscription>();
  const calls: string[] = [];
  const live = (customer: CustomerRow) => {
    const sub = subs.get(customer.id);
    if (!sub) throw new AppError('conflict', 'no subscription');
    return sub;
  };
  const controls = {
    calls,
    subs,
    failNext: false,
    async current(customer: CustomerRow) {
      return subs.get(customer.id) ?? null;
    },
    async cancel(customer: CustomerRow, options: { atPeriodEnd: boolean }) {
      calls.push(`cancel:${customer.id}:${options.atPeriodEnd}`);
      if (controls.failNext) {
        controls.failNext = false;
        throw new AppError('upstream_error', 'Razorpay answered 502');
      }
      const sub = live(customer);
      Object.assign(sub, { cancelAtPeriodEnd: true, nextCharge: null, can: { ...sub.can, cancel: false, resume: true } });
      return sub;
    },
    async resume(customer: CustomerRow) {
      calls.push(`resume:${customer.id}`);
      const sub = live(customer);
      Object.assign(sub, { cancelAtPeriodEnd: false, can: { ...sub.can, cancel: true, resume: false } });
      return sub;
    },
    async changePlan(customer: CustomerRow, change: { plan: string; interval: 'month' | 'year'; quantity?: number }) {
      calls.push(`change:${customer.id}:${change.plan}:${change.interval}`);
      const sub = live(customer);
      sub.scheduledChange = { plan: change.plan, interval: change.interval, quantity: change.quantity ?? 1, at: sub.currentPeriodEnd! };
      return sub;
    },
  };
  return controls;
}

for (const engine of engines()) {
  describe(`billing portal (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    /** The server's clock: the wall clock plus this offset (tests move it forward). */
    let offsetMs = 0;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, sandboxWebhookDelayMs: 0, now: () => new Date(Date.now() + offsetMs) });
    });
    after(async () => {
      await server.razorpaySandbox?.settle();
      await store.close();
    });

    /** Buy `plan` for one period with Razorpay (checkout, the simulated modal, verify), with `token`'s customer. */
    async function buy(token: string, plan: string, interval: 'month' | 'year') {
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan, interval } });
      assert.equal(res.status, 201, await res.clone().text());
      const { action } = await json(res);
      const paid = server.razorpaySandbox!.pay(action.order_id);
      assert.equal((await server.request('POST', '/v1/razorpay/verify', { token, body: { plan, ...paid } })).status, 200);
      await server.razorpaySandbox!.settle();
      return paid.razorpay_payment_id as string;
    }

    /** A customer who paid Pro monthly, then Pro yearly, and their portal link. */
    async function twoPayments() {
      const customer = uniqueId();
      const session = await server.session(customer, { email: 'asha@example.in' });
      const first = await buy(session, 'pro', 'month');
      const second = await buy(session, 'pro', 'year');
      const res = await server.request('POST', '/v1/portal', { token: session, body: { return_url: 'http://tollgate.test/app' } });
      assert.equal(res.status, 200, await res.clone().text());
      const link = await json(res);
      const portalToken = new URL(link.url).hash.match(/^#token=(.+)$/)![1];
      return { customer, session, first, second, link, portalToken };
    }

    const summary = async (token: string) => server.request('GET', '/v1/portal/summary', { token });

    async function assertError(res: Response, status: number, code: string) {
      const body = await res.clone().text();
      assert.equal(res.status, status, body);
      assert.equal(JSON.parse(body).error.code, code, body);
    }

    describe('the link', () => {
      test('a customer with nothing paid has no portal; once Razorpay billed them, Tollgate’s own, 15 min, under the public URL', async () => {
        const session = await server.session(uniqueId());
        await assertError(await server.request('POST', '/v1/portal', { token: session, body: {} }), 404, 'not_found');
        assert.equal((await json(await server.request('GET', '/v1/subscription', { token: session }))).hasPortal, false);

        const { link, portalToken, session: paidSession, customer } = await twoPayments();
        assert.equal((await json(await server.request('GET', '/v1/subscription', { token: paidSession }))).hasPortal, true);
        assert.match(link.url, /^http:\/\/tollgate\.test\/portal\?return=http%3A%2F%2Ftollgate\.test%2Fapp#token=[\w-]+\.[\w-]+\.[\w-]+$/);
        const claims = decodeJwt(portalToken);
        assert.equal(claims.sub, customer);
        assert.equal(claims.scp, 'portal');
        assert.equal(claims.chk, undefined);
        assert.equal(claims.exp! - claims.iat!, 15 * 60);
        assert.equal(link.expires_at, new Date(claims.exp! * 1000).toISOString());
      });

      test('a return_url that is no http(s) URL is refused before a link is made', async () => {
        const { session } = await twoPayments();
        await assertError(await server.request('POST', '/v1/portal', { token: session, body: { return_url: 'javascript:alert(1)' } }), 400, 'validation_error');
      });

      test('its token works on the portal only; a session, a hand-off token, a tampered or expired link are refused', async () => {
        const { portalToken, session, customer } = await twoPayments();
        assert.equal((await summary(portalToken)).status, 200);
        // The link's token is no session: refused on the widgets' routes.
        await assertError(await server.request('GET', '/v1/subscription', { token: portalToken }), 403, 'forbidden');
        await assertError(await server.request('POST', '/v1/checkout', { token: portalToken, body: { plan: 'team' } }), 403, 'forbidden');
        await assertError(await server.request('POST', '/v1/portal', { token: portalToken, body: {} }), 403, 'forbidden');
        // The portal takes its link's token only.
        await assertError(await summary(session), 403, 'forbidden');
        await assertError(await summary(await server.session(customer, { checkoutScope: 'chk_x' })), 403, 'forbidden');
        await assertError(await server.request('POST', '/v1/portal/cancel', { token: session, body: {} }), 403, 'forbidden');
        // Tampered: another subject under the same signature.
        const [header, payload, signature] = portalToken.split('.');
        const forged = Buffer.from(JSON.stringify({ ...decodeJwt(portalToken), sub: uniqueId() })).toString('base64url');
        await assertError(await summary(`${header}.${forged}.${signature}`), 401, 'invalid_token');
        await assertError(await summary(`${header}.${payload}.${signature.slice(0, -2)}AA`), 401, 'invalid_token');
        // A portal token that would live longer than a portal link may.
        const longLived = await issueSessionToken(server.deps.config.sessionSecret, { customerId: customer, portalScope: true }, 3600);
        await assertError(await summary(longLived.token), 401, 'invalid_token');
        // Expired: the server's clock 15 min and a second later.
        offsetMs = 15 * 60 * 1000 + 1000;
        try {
          const res = await summary(portalToken);
          await assertError(res, 401, 'invalid_token');
          assert.match((await json(res)).error.message, /expired/);
        } finally {
          offsetMs = 0;
        }
      });

      test('another customer’s link reaches neither this customer’s portal nor their checkouts', async () => {
        const a = await twoPayments();
        const b = await twoPayments();
        const bSummary: PortalSummary = await json(await summary(b.portalToken));
        assert.equal(bSummary.customer_id, b.customer);
        assert.ok(bSummary.payments.every((p) => ![a.first, a.second].includes(p.payment_id)));
        // A's change-plan checkout, started or verified with B's link: not B's to pay.
        const change = await server.request('POST', '/v1/portal/change-plan', { token: a.portalToken, body: { plan: 'team', interval: 'month' } });
        const { checkout } = (await json(change)) as PortalActionResponse;
        await assertError(await server.request('POST', `/v1/checkout/${checkout!.checkout_id}/start`, { token: b.portalToken }), 404, 'not_found');
        await assertError(await server.request('GET', `/v1/checkout/${checkout!.checkout_id}`, { token: b.portalToken }), 404, 'not_found');
        // A customer whose provider has a portal of its own (or none at all) has no Tollgate portal.
        const stranger = await issueSessionToken(server.deps.config.sessionSecret, { customerId: uniqueId(), portalScope: true }, 600);
        await assertError(await summary(stranger.token), 404, 'not_found');
      });
    });

    describe('the summary', () => {
      test('a one-off Razorpay customer with two payments: the plan in force, both charges newest first, priced plans to change to', async () => {
        const { portalToken, first, second, customer } = await twoPayments();
        const res = await summary(portalToken);
        assert.equal(res.headers.get('Cache-Control'), 'no-store');
        const s: PortalSummary = await json(res);
        assert.equal(s.customer_id, customer);
        assert.deepEqual([s.plan, s.plan_name, s.status, s.interval, s.provider, s.billing], ['pro', 'Pro', 'active', 'year', 'razorpay', 'one_period']);
        assert.ok(s.current_period_end && new Date(s.current_period_end) > new Date());
        assert.equal(s.next_charge, null);
        assert.equal(s.payment_method, null);
        assert.deepEqual(s.can, { cancel: false, resume: false, change_plan: true, update_payment_method: false });
        assert.deepEqual(
          s.payments.map((p) => [p.payment_id, p.plan_name, p.interval, p.amount, p.currency, p.status, p.kind, p.invoice_url]),
          [
            [second, 'Pro', 'year', 1599000, 'INR', 'paid', 'checkout', null],
            [first, 'Pro', 'month', 159900, 'INR', 'paid', 'checkout', null],
          ],
        );
        // Each row links its receipt's page (a link that opens that receipt only), which shows that payment.
        for (const p of s.payments) {
          assert.match(p.receipt_url ?? '', /^http:\/\/tollgate\.test\/v1\/receipts\/[^/]+\/html\?token=/);
          const page = await server.request('GET', p.receipt_url!.replace('http://tollgate.test', ''));
          assert.equal(page.status, 200);
          const html = await page.text();
          assert.ok(html.includes(p.payment_id), `the receipt of ${p.payment_id} names it`);
        }
        // Only Razorpay's INR prices, as the catalog has them.
        assert.deepEqual(
          s.plans.map((p) => [p.plan, p.interval, p.amount, p.currency, p.current]),
          [
            ['pro', 'month', 159900, 'INR', false],
            ['pro', 'year', 1599000, 'INR', true],
            ['pro-autopay', 'month', 159900, 'INR', false],
            ['team', 'month', 399900, 'INR', false],
            ['team', 'year', 3999000, 'INR', false],
          ],
        );
      });

      test('a charge with the provider’s invoice (a Razorpay Subscriptions renewal) links it; Hindi plan names with ?locale=hi', async () => {
        const { portalToken, customer } = await twoPayments();
        await recordRenewalPayment(store, {
          provider: 'razorpay', payment_id: `pay_${uniqueId('r').replace('_', '')}`, customer_id: customer, subscription_id: 'sub_portal1', plan: 'pro', interval: 'month',
          amount: 159900, currency: 'INR', paid_at: new Date(Date.now() + 1000), invoice_id: 'inv_portal1', invoice_url: 'https://rzp.io/i/portal1',
        });
        const s: PortalSummary = await json(await summary(portalToken));
        assert.equal(s.payments.length, 3);
        assert.deepEqual([s.payments[0].kind, s.payments[0].invoice_url], ['renewal', 'https://rzp.io/i/portal1']);
      });
    });

    describe('the page', () => {
      test('GET /portal: nonce-locked CSP, no-store, no referrer, in the asked language; the return link only to an http(s) URL on an allowed origin', async () => {
        const res = await server.request('GET', '/portal?return=http%3A%2F%2Ftollgate.test%2Fapp', { headers: { 'Accept-Language': 'en-IN,en;q=0.8' } });
        assert.equal(res.status, 200);
        const csp = res.headers.get('Content-Security-Policy')!;
        const nonce = /'nonce-([^']+)'/.exec(csp)![1];
        assert.match(csp, /script-src 'nonce-[^']+' 'self' https:\/\/checkout\.razorpay\.com/);
        assert.equal(res.headers.get('Cache-Control'), 'no-store');
        assert.equal(res.headers.get('Referrer-Policy'), 'no-referrer');
        const html = await res.text();
        assert.match(html, /<html lang="en-IN">/);
        assert.ok(html.includes(`<script type="module" nonce="${nonce}" src="/demo/portal.js">`));
        assert.match(html, /<a href="http:\/\/tollgate\.test\/app" data-back>Back to the app<\/a>/);
        assert.match(html, /<th scope="col">Date<\/th>/);
        const strings = JSON.parse(/<script type="application\/json" id="portal-strings" nonce="[^"]+">(.*?)<\/script>/s.exec(html)![1]);
        assert.equal(strings.invoice, 'Invoice');

        const hindi = await (await server.request('GET', '/portal?locale=hi&return=javascript%3Aalert(1)')).text();
        assert.match(hindi, /<html lang="hi">/);
        assert.match(hindi, /<h2 id="history-title">भुगतान इतिहास<\/h2>/);
        assert.match(hindi, /<p data-back-row hidden>/);
        assert.doesNotMatch(hindi, /javascript:/);
      });
    });

    test('mounted under a path (publicUrl …/billing): the link and the page’s own URLs carry it', async () => {
      const mountedServer = await makeServer({ store, sandboxWebhookDelayMs: 0, env: { TOLLGATE_PUBLIC_URL: 'http://tollgate.test/billing' } });
      const session = await mountedServer.session(uniqueId());
      const { action } = await json(await mountedServer.request('POST', '/v1/checkout', { token: session, body: { plan: 'pro' } }));
      const paid = mountedServer.razorpaySandbox!.pay(action.order_id);
      assert.equal((await mountedServer.request('POST', '/v1/razorpay/verify', { token: session, body: { plan: 'pro', ...paid } })).status, 200);
      await mountedServer.razorpaySandbox!.settle();
      const { url } = await json(await mountedServer.request('POST', '/v1/portal', { token: session, body: {} }));
      assert.match(url, /^http:\/\/tollgate\.test\/billing\/portal\?return=[^#]+#token=/);
      const html = await (await mountedServer.request('GET', '/portal')).text();
      assert.match(html, /<script type="module" nonce="[^"]+" src="\/billing\/demo\/portal\.js">/);
      assert.match(html, /<link rel="stylesheet" href="\/billing\/demo\/demo\.css" \/>/);
    });

    describe('with a provider’s subscription controls (where Razorpay Subscriptions plug in)', () => {
      let controls: ReturnType<typeof memoryControls>;
      let razorpay: Provider;
      before(() => {
        controls = memoryControls();
        razorpay = server.deps.providers.get('razorpay')!;
        (razorpay as { subscriptionControls?: SubscriptionControls }).subscriptionControls = controls;
      });
      after(() => {
        delete (razorpay as { subscriptionControls?: SubscriptionControls }).subscriptionControls;
      });

      /** A paid Razorpay customer whose subscription the controls hold, and their portal link. */
      async function subscribed() {
        const paid = await twoPayments();
        const end = new Date(Date.now() + 20 * 86_400_000);
        controls.subs.set(paid.customer, {
          provider: 'razorpay', subscriptionId: 'sub_portal', plan: 'pro', interval: 'month', quantity: 1, status: 'active', cancelAtPeriodEnd: false,
          currentPeriodEnd: end, nextCharge: { at: end, amount: 159900, currency: 'INR' }, paymentMethod: 'UPI Autopay', scheduledChange: null,
          can: { cancel: true, resume: false, changePlan: true, updatePaymentMethod: false },
        });
        return { ...paid, end };
      }

      test('the summary shows the subscription: next charge, payment method, what may be done', async () => {
        const { portalToken, end } = await subscribed();
        const s: PortalSummary = await json(await summary(portalToken));
        assert.equal(s.billing, 'subscription');
        assert.equal(s.interval, 'month');
        assert.equal(s.current_period_end, end.toISOString());
        assert.deepEqual(s.next_charge, { at: end.toISOString(), amount: 159900, currency: 'INR' });
        assert.equal(s.payment_method, 'UPI Autopay');
        // No updatePaymentMethod in these controls: not offered, whatever the subscription says.
        assert.deepEqual(s.can, { cancel: true, resume: false, change_plan: true, update_payment_method: false });
      });

      test('cancel at period end: one call upstream per Idempotency-Key, none once it is set to end; then resume', async () => {
        const { portalToken, customer, end } = await subscribed();
        const key = `cancel-${uniqueId()}`;
        const first = await server.request('POST', '/v1/portal/cancel', { token: portalToken, body: {}, idempotencyKey: key });
        assert.equal(first.status, 200, await first.clone().text());
        const answer: PortalActionResponse = await json(first);
        assert.deepEqual([answer.summary.cancel_at_period_end, answer.summary.can.cancel, answer.summary.can.resume, answer.summary.next_charge], [true, false, true, null]);
        assert.equal(answer.summary.current_period_end, end.toISOString());
        const replay = await server.request('POST', '/v1/portal/cancel', { token: portalToken, body: {}, idempotencyKey: key });
        assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
        assert.deepEqual(await json(replay), answer);
        // Another key, the subscription already set to end: the same state, no second call.
        assert.equal((await server.request('POST', '/v1/portal/cancel', { token: portalToken, body: {} })).status, 200);
        assert.deepEqual(controls.calls.filter((c) => c.includes(customer)), [`cancel:${customer}:true`]);

        const resumed: PortalActionResponse = await json(await server.request('POST', '/v1/portal/resume', { token: portalToken, body: {} }));
        assert.deepEqual([resumed.summary.cancel_at_period_end, resumed.summary.can.cancel, resumed.summary.can.resume], [false, true, false]);
        // Nothing to resume now: refused, no call.
        await assertError(await server.request('POST', '/v1/portal/resume', { token: portalToken, body: {} }), 409, 'conflict');
        assert.deepEqual(controls.calls.filter((c) => c.includes(customer)), [`cancel:${customer}:true`, `resume:${customer}`]);
      });

      test('an upstream failure is the envelope’s 502, and the same key may be retried', async () => {
        const { portalToken, customer } = await subscribed();
        const key = `cancel-${uniqueId()}`;
        controls.failNext = true;
        await assertError(await server.request('POST', '/v1/portal/cancel', { token: portalToken, body: {}, idempotencyKey: key }), 502, 'upstream_error');
        const retry = await server.request('POST', '/v1/portal/cancel', { token: portalToken, body: {}, idempotencyKey: key });
        assert.equal(retry.status, 200, await retry.clone().text());
        assert.equal(((await json(retry)) as PortalActionResponse).summary.cancel_at_period_end, true);
        assert.equal(controls.calls.filter((c) => c.startsWith(`cancel:${customer}`)).length, 2);
      });

      test('change plan goes to the provider (no checkout), for a plan and interval the catalog sells there', async () => {
        const { portalToken, customer } = await subscribed();
        const checkouts = async () => (await store.query<{ n: number }>('SELECT count(*)::int AS n FROM checkouts WHERE customer_id = $1', [customer]))[0].n;
        const before = await checkouts();
        const res = await server.request('POST', '/v1/portal/change-plan', { token: portalToken, body: { plan: 'team', interval: 'year' } });
        assert.equal(res.status, 200, await res.clone().text());
        const answer: PortalActionResponse = await json(res);
        assert.equal(answer.checkout, null);
        assert.equal(answer.summary.scheduled_change?.plan, 'team');
        await assertError(await server.request('POST', '/v1/portal/change-plan', { token: portalToken, body: { plan: 'team', interval: 'once' } }), 400, 'validation_error');
        assert.equal(await checkouts(), before);
        assert.deepEqual(controls.calls.filter((c) => c.startsWith(`change:${customer}`)), [`change:${customer}:team:year`]);
      });

      test('update payment method: the provider’s action, with the checkout the page pays when the order is this customer’s', async () => {
        const { portalToken, customer, session } = await subscribed();
        const other = await twoPayments();
        // The provider makes the authorisation as a checkout (as Razorpay's will): here a real sandbox checkout.
        const own = await json(await server.request('POST', '/v1/checkout', { token: session, body: { plan: 'pro', interval: 'month' } }));
        const foreign = await json(await server.request('POST', '/v1/checkout', { token: other.session, body: { plan: 'pro', interval: 'month' } }));
        let next = own.action;
        controls.updatePaymentMethod = async () => next;
        controls.subs.get(customer)!.can.updatePaymentMethod = true;
        try {
          const res = await server.request('POST', '/v1/portal/payment-method', { token: portalToken, body: {} });
          assert.equal(res.status, 200, await res.clone().text());
          const answer: PortalActionResponse = await json(res);
          assert.deepEqual(answer.checkout, { checkout_id: own.checkout_id, action: own.action });
          assert.equal(answer.summary.can.update_payment_method, true);
          next = foreign.action;
          const theirs: PortalActionResponse = await json(await server.request('POST', '/v1/portal/payment-method', { token: portalToken, body: {} }));
          assert.equal(theirs.checkout!.checkout_id, null, 'another customer’s checkout is never handed out');
        } finally {
          delete controls.updatePaymentMethod;
        }
      });
    });

    describe('actions', () => {
      test('a one-off provider has nothing to cancel, resume or re-authorise: 409 in the envelope; bad input 400; no key 400', async () => {
        const { portalToken } = await twoPayments();
        for (const path of ['/v1/portal/cancel', '/v1/portal/resume', '/v1/portal/payment-method']) {
          const res = await server.request('POST', path, { token: portalToken, body: {} });
          await assertError(res, 409, 'conflict');
          assert.match((await json(res)).error.message, /razorpay bills one period at a time/);
          await assertError(await server.request('POST', path, { token: portalToken, body: { at: 'now' } }), 400, 'validation_error');
          await assertError(await server.request('POST', path, { token: portalToken, body: {}, idempotencyKey: null }), 400, 'missing_idempotency_key');
          await assertError(await server.request('POST', path, { body: {} }), 401, 'unauthenticated');
        }
        await assertError(await server.request('POST', '/v1/portal/change-plan', { token: portalToken, body: { plan: 'nope', interval: 'month' } }), 400, 'validation_error');
        await assertError(await server.request('POST', '/v1/portal/change-plan', { token: portalToken, body: { plan: 'free', interval: 'month' } }), 400, 'validation_error');
        await assertError(await server.request('POST', '/v1/portal/change-plan', { token: portalToken, body: { plan: 'team', interval: 'once' } }), 400, 'validation_error');
        await assertError(await server.request('POST', '/v1/portal/change-plan', { token: portalToken, rawBody: '{"plan":' }), 400, 'validation_error');
      });

      test('change plan: a new checkout at the catalog’s price, once per Idempotency-Key; paid with the link’s token, it joins the history', async () => {
        const { portalToken, customer } = await twoPayments();
        const checkouts = async () => (await store.query<{ n: number }>('SELECT count(*)::int AS n FROM checkouts WHERE customer_id = $1', [customer]))[0].n;
        const before = await checkouts();
        const ordersBefore = server.razorpaySandbox!.orders.size;
        const key = `portal-change-${uniqueId()}`;
        // The page cannot set a price: an amount in the body is no field of the request.
        const change = () => server.request('POST', '/v1/portal/change-plan', { token: portalToken, body: { plan: 'team', interval: 'month', amount: 1 }, idempotencyKey: key });
        const first = await change();
        assert.equal(first.status, 200, await first.clone().text());
        const answer: PortalActionResponse = await json(first);
        assert.equal(answer.checkout!.action.type, 'razorpay');
        assert.equal((answer.checkout!.action as { amount: number }).amount, 399900);
        assert.equal(answer.summary.plan, 'pro');
        const replay = await change();
        assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
        assert.deepEqual(await json(replay), answer);
        assert.equal(await checkouts(), before + 1);
        assert.equal(server.razorpaySandbox!.orders.size, ordersBefore + 1);
        // The same key with another body is the envelope's mismatch, and changes nothing.
        await assertError(await server.request('POST', '/v1/portal/change-plan', { token: portalToken, body: { plan: 'team', interval: 'year' }, idempotencyKey: key }), 409, 'idempotency_key_mismatch');
        assert.equal(await checkouts(), before + 1);

        // <razorpay-checkout checkout="…"> on the page: start and verify with the link's token.
        const id = answer.checkout!.checkout_id!;
        const started = await server.request('POST', `/v1/checkout/${id}/start`, { token: portalToken });
        assert.equal(started.status, 200, await started.clone().text());
        const paid = server.razorpaySandbox!.pay((await json(started)).action.order_id);
        assert.equal((await server.request('POST', '/v1/razorpay/verify', { token: portalToken, body: { plan: 'team', ...paid } })).status, 200);
        await server.razorpaySandbox!.settle();
        const s: PortalSummary = await json(await summary(portalToken));
        assert.equal(s.plan, 'team');
        assert.deepEqual([s.payments.length, s.payments[0].payment_id, s.payments[0].amount], [3, paid.razorpay_payment_id, 399900]);
      });
    });
  });
}
