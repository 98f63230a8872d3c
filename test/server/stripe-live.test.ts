// Stripe with keys, against the fake Stripe API over real HTTP: checkout sessions (hosted, embedded), one
// Stripe customer reused, the portal, a subscription lifecycle from the fake's real signed webhooks,
// out-of-order delivery, return-before-webhook, upstream failures, and missing or partial keys.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { signStripeWebhook, startStripeFake } from '../fakes/stripe.js';
import { listen, type Listening } from '../fakes/harness.js';
import type { Store } from '../../server/store/index.js';
import { listPayments } from '../../server/store/payments.js';
import { DEFAULT_CONFIG, parseConfig } from '../../server/config.js';

const KEYS = { STRIPE_SECRET_KEY: 'sk_test_tollgate', STRIPE_PUBLISHABLE_KEY: 'pk_test_tollgate', STRIPE_WEBHOOK_SECRET: 'whsec_test_tollgate' };

for (const engine of engines()) {
  describe(`Stripe live against the fake (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let fake: Awaited<ReturnType<typeof startStripeFake>>;
    let served: Listening;
    // One clock for Stripe's event timestamps and for our signature tolerance.
    let clock = Date.now();
    const advance = (seconds: number) => {
      clock += seconds * 1000;
    };

    before(async () => {
      store = await testStore(engine);
      fake = await startStripeFake({ now: () => clock });
      server = await makeServer({ store, env: { ...KEYS, STRIPE_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' }, now: () => new Date(clock) });
      served = await listen(server.app);
      fake.control.setWebhookUrl(`${served.url}/v1/webhooks/stripe`);
    });
    after(async () => {
      await served.close();
      await fake.close();
      await store.close();
    });

    async function checkout(token: string, body: Record<string, unknown>) {
      const res = await server.request('POST', '/v1/checkout', { token, body: { provider: 'stripe', return_url: 'http://tollgate.test/account', ...body } });
      assert.equal(res.status, 201, await res.clone().text());
      return json(res);
    }
    const sessionId = (action: { url?: string; client_secret?: string }) => (action.url ? new URL(action.url).pathname.split('/').pop()! : action.client_secret!.split('_secret_')[0]!);
    const lastRequest = (path: string) => [...fake.state.requests].reverse().find((r) => r.path === path)!;
    /** Deliver one of the fake's recorded events ourselves (webhooks off), in the order a test chooses; its outcome. */
    const deliver = async (event: unknown): Promise<string> => {
      const body = JSON.stringify(event);
      const res = await server.request('POST', '/v1/webhooks/stripe', { rawBody: body, headers: { 'Stripe-Signature': signStripeWebhook(KEYS.STRIPE_WEBHOOK_SECRET, body, Math.floor(clock / 1000)) } });
      assert.equal(res.status, 200, await res.clone().text());
      return (await json(res)).outcome;
    };

    /** Run `body` with the fake's webhooks held back (a test delivers them itself, or loses them), then restore them. */
    const withWebhooksHeld = async (body: () => Promise<void>): Promise<void> => {
      fake.control.setWebhookUrl(null);
      try {
        await body();
      } finally {
        fake.control.setWebhookUrl(`${served.url}/v1/webhooks/stripe`);
      }
    };

    test('hosted checkout: a subscription session priced from the catalog, with trial, ids and idempotency key', async () => {
      const customer = uniqueId();
      const token = await server.session(customer, { email: 'kim@example.com' });
      const { checkout_id, action } = await checkout(token, { plan: 'team' });
      assert.equal(action.type, 'redirect');
      assert.match(action.url, new RegExp(`^${fake.url}/c/pay/cs_test_`));
      const sent = lastRequest('/v1/checkout/sessions');
      assert.equal(sent.headers['idempotency-key'], `tollgate-${checkout_id}`);
      assert.match(sent.headers['stripe-version'] ?? '', /^2026-/);
      assert.equal(sent.headers['content-type'], 'application/x-www-form-urlencoded');
      const p = sent.params as any;
      assert.equal(p.mode, 'subscription');
      assert.equal(p.ui_mode, 'hosted_page');
      assert.equal(p.client_reference_id, checkout_id);
      assert.deepEqual(p.metadata, { checkout_id, customer_id: customer, plan: 'team' });
      assert.equal(p.subscription_data.trial_period_days, '14');
      assert.deepEqual(p.subscription_data.metadata, { checkout_id, customer_id: customer, plan: 'team' });
      assert.equal(p.line_items[0].price_data.currency, 'usd');
      assert.equal(p.line_items[0].price_data.unit_amount, '4900');
      assert.equal(p.line_items[0].price_data.recurring.interval, 'month');
      assert.equal(p.success_url, `http://tollgate.test/account?tollgate_checkout=${checkout_id}`);
      assert.match(p.customer, /^cus_/);
      assert.equal(fake.state.customers.get(p.customer)!.metadata.customer_id, customer);
      assert.equal(fake.state.customers.get(p.customer)!.email, 'kim@example.com');
    });

    test('embedded_page gives publishable_key, client_secret and a return_url (no success_url)', async () => {
      const token = await server.session(uniqueId());
      const { action } = await checkout(token, { plan: 'pro', ui_mode: 'embedded_page' });
      assert.equal(action.type, 'stripe_embedded');
      assert.equal(action.publishable_key, 'pk_test_tollgate');
      assert.match(action.client_secret, /^cs_test_.+_secret_/);
      assert.equal(action.sandbox_url, undefined);
      const p = lastRequest('/v1/checkout/sessions').params as any;
      assert.equal(p.ui_mode, 'embedded_page');
      assert.match(p.return_url, /tollgate_checkout=chk_/);
      assert.equal(p.success_url, undefined);
      assert.equal(p.subscription_data.trial_period_days, undefined, 'pro has no trial');
    });

    test('one Stripe customer per customer, created once and reused across checkouts', async () => {
      const token = await server.session(uniqueId());
      const before = fake.state.customers.size;
      const a = await checkout(token, { plan: 'pro' });
      const b = await checkout(token, { plan: 'team', interval: 'year' });
      assert.equal(fake.state.customers.size, before + 1);
      const ca = fake.state.sessions.get(sessionId(a.action))!.customer;
      const cb = fake.state.sessions.get(sessionId(b.action))!.customer;
      assert.equal(ca, cb);
      assert.equal((lastRequest('/v1/checkout/sessions').params as any).line_items[0].price_data.recurring.interval, 'year');
    });

    test('portal: 404 before the first checkout, a Billing Portal URL after', async () => {
      const token = await server.session(uniqueId());
      const none = await server.request('POST', '/v1/portal', { token, body: {} });
      assert.equal(none.status, 404);
      assert.equal((await json(none)).error.code, 'not_found');
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).hasPortal, false);
      await checkout(token, { plan: 'pro' });
      // The portal links back to the return URL: a foreign origin is refused as a checkout's would be.
      const foreign = await server.request('POST', '/v1/portal', { token, body: { return_url: 'https://evil.example/phish' } });
      assert.equal(foreign.status, 400);
      assert.match((await json(foreign)).error.message, /return_url: https:\/\/evil\.example is not an allowed origin/);
      const portalCalls = fake.state.requests.filter((r) => r.path === '/v1/billing_portal/sessions').length;
      const res = await server.request('POST', '/v1/portal', { token, body: { return_url: 'http://tollgate.test/account' } });
      assert.equal(res.status, 200);
      assert.equal(fake.state.requests.filter((r) => r.path === '/v1/billing_portal/sessions').length, portalCalls + 1);
      assert.match((await json(res)).url, new RegExp(`^${fake.url}/p/session/bps_`));
      assert.equal((lastRequest('/v1/billing_portal/sessions').params as any).return_url, 'http://tollgate.test/account');
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).hasPortal, true);
    });

    test('subscription lifecycle: trialing → active → past_due → cancel at period end → canceled, in /v1/subscription and entitlements', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const { checkout_id, action } = await checkout(token, { plan: 'team' });
      const sub = () => server.request('GET', '/v1/subscription', { token }).then(json);
      const ent = () => server.request('GET', '/v1/entitlements', { token }).then(json);

      const session = await fake.control.completeSession(sessionId(action));
      assert.deepEqual(fake.state.deliveries.slice(-2).map((d) => d.status), [200, 200]);
      let s = await sub();
      assert.equal(s.plan, 'team');
      assert.equal(s.status, 'trialing');
      assert.equal(s.cancelAtPeriodEnd, false);
      const subscription = fake.state.subscriptions.get(session.subscription!)!;
      assert.equal(subscription.items.data[0]!.price.recurring?.interval, 'month');
      assert.equal(s.interval, 'month', "the subscription's price interval");
      assert.equal(s.currentPeriodEnd, new Date(subscription.items.data[0]!.current_period_end * 1000).toISOString());
      assert.equal((await ent()).has_access, true);
      const state = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
      assert.equal(state.status, 'paid');
      assert.equal(state.payment_id, session.subscription);

      advance(10);
      await fake.control.updateSubscription(subscription.id, { status: 'active', trial_end: null });
      s = await sub();
      assert.equal(s.status, 'active');

      // A renewal: its invoice in the ledger once (a redelivery changes nothing), with its receipt and Stripe's invoice page.
      advance(10);
      const renewal = await fake.control.invoicePaid(subscription.id);
      // The same invoice again under another event id (as a retried or second notification would be).
      await fake.control.sendEvent('invoice.paid', renewal.data.object);
      assert.deepEqual(fake.state.deliveries.slice(-2).map((d) => d.status), [200, 200]);
      const renewals = (await listPayments(store, customer)).filter((p) => p.kind === 'renewal');
      assert.deepEqual(renewals.map((p) => [p.payment_id, p.amount, p.currency, p.plan, p.subscription_id, p.invoice_url]), [[(renewal.data.object as { id: string }).id, 4900, 'USD', 'team', subscription.id, `${fake.url}/i/${(renewal.data.object as { id: string }).id}`]]);
      const receipts = await json(await server.request('GET', '/v1/receipts', { token }));
      assert.ok(receipts.receipts.some((r: { total: number }) => r.total === 4900), JSON.stringify(receipts.receipts));

      advance(10);
      await fake.control.invoicePaymentFailed(subscription.id);
      s = await sub();
      assert.equal(s.status, 'past_due');
      assert.equal(s.plan, 'team');
      assert.equal((await ent()).has_access, true, 'past_due keeps access while Stripe retries');

      advance(10);
      await fake.control.updateSubscription(subscription.id, { status: 'active', cancel_at_period_end: true });
      s = await sub();
      assert.equal(s.status, 'active');
      assert.equal(s.cancelAtPeriodEnd, true);

      advance(10);
      await fake.control.deleteSubscription(subscription.id);
      s = await sub();
      assert.equal(s.plan, 'free');
      assert.equal(s.status, 'canceled');
      assert.equal(s.currentPeriodEnd, null);
      assert.equal(s.interval, null);
      const e = await ent();
      assert.equal(e.has_access, false);
      assert.equal(e.plan, 'free');

      assert.ok(fake.state.deliveries.every((d) => d.status === 200), JSON.stringify(fake.state.deliveries.map((d) => [d.eventType, d.status])));
      const audit = await store.query<{ old_plan: string; new_plan: string; kind: string }>('SELECT old_plan, new_plan, kind FROM plan_changes WHERE customer_id = $1 ORDER BY id', [customer]);
      assert.deepEqual(audit.map((a) => [a.kind, a.old_plan, a.new_plan]), [['upgrade', 'free', 'team'], ['subscription', 'team', 'free']]);
    });

    test('out-of-order delivery settles on the newest object state', async () => {
      await withWebhooksHeld(async () => {
        const customer = uniqueId();
        const token = await server.session(customer);
        const { action } = await checkout(token, { plan: 'team' });
        const from = fake.state.events.length;
        advance(5);
        const session = await fake.control.completeSession(sessionId(action)); // subscription.created (trialing) + session.completed
        advance(10);
        await fake.control.updateSubscription(session.subscription!, { status: 'active' });
        advance(10);
        await fake.control.updateSubscription(session.subscription!, { cancel_at_period_end: true });
        const events = fake.state.events.slice(from);
        assert.deepEqual(events.map((e) => e.type), ['customer.subscription.created', 'checkout.session.completed', 'customer.subscription.updated', 'customer.subscription.updated']);
        // Newest first: the later states must win over the older ones that arrive after them.
        assert.equal(await deliver(events[3]!), 'applied');
        assert.equal(await deliver(events[2]!), 'stale');
        assert.equal(await deliver(events[1]!), 'already_applied');
        assert.equal(await deliver(events[0]!), 'stale');
        const s = await json(await server.request('GET', '/v1/subscription', { token }));
        assert.equal(s.plan, 'team');
        assert.equal(s.status, 'active');
        assert.equal(s.cancelAtPeriodEnd, true);
        const upgrades = await store.query("SELECT 1 FROM plan_changes WHERE customer_id = $1 AND new_plan = 'team'", [customer]);
        assert.equal(upgrades.length, 1);
      });
    });

    test('two changes in the same second, delivered newest first: the tie is settled by the subscription as Stripe holds it', async () => {
      await withWebhooksHeld(async () => {
        const token = await server.session(uniqueId());
        const { action } = await checkout(token, { plan: 'pro' });
        const session = await fake.control.completeSession(sessionId(action));
        const paid = fake.state.events.slice(-2);
        advance(10);
        const from = fake.state.events.length;
        await fake.control.updateSubscription(session.subscription!, { cancel_at_period_end: true });
        await fake.control.updateSubscription(session.subscription!, { cancel_at_period_end: false });
        const [first, second] = fake.state.events.slice(from);
        assert.equal(first!.created, second!.created, 'one second');
        for (const event of paid) await deliver(event);
        await deliver(second!); // resumed (the newest)
        await deliver(first!); // canceled at period end, same second, arriving last
        const s = await json(await server.request('GET', '/v1/subscription', { token }));
        assert.equal(s.plan, 'pro');
        assert.equal(s.cancelAtPeriodEnd, false, 'the late event of the same second does not win by arriving last');
        assert.ok(fake.state.requests.some((r) => r.path === `/v1/subscriptions/${session.subscription}`), 'Stripe was asked');
      });
    });

    test('a hosted-page return before the webhook: GET /v1/checkout asks Stripe and shows paid', async () => {
      await withWebhooksHeld(async () => {
        const token = await server.session(uniqueId());
        const { checkout_id, action } = await checkout(token, { plan: 'pro' });
        assert.equal((await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }))).status, 'pending');
        await fake.control.completeSession(sessionId(action));
        const state = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
        assert.equal(state.status, 'paid');
        const s = await json(await server.request('GET', '/v1/subscription', { token }));
        assert.equal(s.plan, 'pro');
        assert.equal(s.status, 'active');
      });
    });

    test('an unpaid session that expires: the checkout becomes expired by webhook, or by asking Stripe on return; a stale expired event leaves a paid one paid', async () => {
      const token = await server.session(uniqueId());
      const state = (id: string) => server.request('GET', `/v1/checkout/${id}`, { token }).then(json);

      const first = await checkout(token, { plan: 'pro' });
      await fake.control.expireSession(sessionId(first.action));
      assert.equal(fake.state.deliveries.at(-1)!.eventType, 'checkout.session.expired');
      assert.equal(fake.state.deliveries.at(-1)!.status, 200);
      assert.equal((await state(first.checkout_id)).status, 'expired');

      // The webhook is lost: the return asks Stripe, which says expired.
      await withWebhooksHeld(async () => {
        const second = await checkout(token, { plan: 'pro' });
        await fake.control.expireSession(sessionId(second.action));
        assert.equal((await state(second.checkout_id)).status, 'expired');
      });
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).plan, 'free');

      // An expired event for a session that was paid (a stale redelivery) leaves it paid.
      const third = await checkout(token, { plan: 'pro' });
      const paid = await fake.control.completeSession(sessionId(third.action));
      await fake.control.sendEvent('checkout.session.expired', { ...paid, status: 'expired' });
      assert.equal(fake.state.deliveries.at(-1)!.status, 200);
      assert.equal((await state(third.checkout_id)).status, 'paid');
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).plan, 'pro');
    });

    test('a trial is for the first subscription: afterwards /v1/plans shows none and the next session asks for none', async () => {
      const token = await server.session(uniqueId());
      const trialOf = async (currency: string, auth?: string) => {
        const { plans } = await json(await server.request('GET', `/v1/plans?currency=${currency}`, { token: auth }));
        return plans.find((p: { id: string }) => p.id === 'team').trial_days;
      };
      assert.equal(await trialOf('USD'), 14, 'Stripe charges USD: the trial applies');
      assert.equal(await trialOf('INR'), 0, 'Razorpay charges INR at once: no trial is promised');
      assert.equal(await trialOf('USD', token), 14, 'a first-time subscriber gets it');

      const { action } = await checkout(token, { plan: 'team' });
      assert.equal((lastRequest('/v1/checkout/sessions').params as any).subscription_data.trial_period_days, '14');
      const session = await fake.control.completeSession(sessionId(action));
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).status, 'trialing');
      // While it runs, another checkout would be a second subscription: the plan changes in the portal.
      const sessions = fake.state.sessions.size;
      const again = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe', return_url: 'http://tollgate.test/account' } });
      assert.equal(again.status, 409);
      assert.equal((await json(again)).error.code, 'subscription_exists');
      assert.equal(fake.state.sessions.size, sessions, 'no session was created');
      advance(10);
      await fake.control.deleteSubscription(session.subscription!);
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).plan, 'free');

      assert.equal(await trialOf('USD', token), 0, 'no second trial in the picker');
      assert.equal(await trialOf('USD'), 14, 'other visitors still see it');
      await checkout(token, { plan: 'team' });
      assert.equal((lastRequest('/v1/checkout/sessions').params as any).subscription_data.trial_period_days, undefined, 'no second trial at Stripe');
    });

    test('upstream 5xx (after the one retry) and timeouts answer 502 upstream_error, the upstream code only in the log', async () => {
      const token = await server.session(uniqueId());
      fake.control.failNext(2, 503);
      let res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe' } });
      assert.equal(res.status, 502);
      const body = await json(res);
      assert.equal(body.error.code, 'upstream_error');
      assert.doesNotMatch(JSON.stringify(body), /api_error|sk_test/);
      assert.ok(server.logLines.some((l) => l.includes('"upstream_code":"api_error"') && l.includes('"upstream_status":503')));

      fake.control.failNext(1, 500);
      res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe' } });
      assert.equal(res.status, 201, 'one 5xx is retried with the same Idempotency-Key');

      // A tight timeout on a server of its own, so the other tests never race a slow first connection.
      const hasty = await makeServer({ store, env: { ...KEYS, STRIPE_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' }, now: () => new Date(clock), file: { upstream_timeout_ms: 200 } });
      fake.control.delayResponses(1500, 1);
      res = await hasty.request('POST', '/v1/checkout', { token: await hasty.session(uniqueId()), body: { plan: 'pro', provider: 'stripe' } });
      assert.equal(res.status, 502);
      assert.equal((await json(res)).error.code, 'upstream_error');
      assert.ok(hasty.logLines.some((l) => l.includes('"upstream_code":"timeout"')));
      fake.control.reset();
    });

    test('a 4xx from Stripe is not retried and answers 502', async () => {
      const bad = await makeServer({ store, env: { ...KEYS, STRIPE_SECRET_KEY: 'sk_test_wrong', STRIPE_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' } });
      const before = fake.control.callCount('POST /v1/customers');
      const res = await bad.request('POST', '/v1/checkout', { token: await bad.session(uniqueId()), body: { plan: 'pro', provider: 'stripe' } });
      assert.equal(res.status, 502);
      assert.equal(fake.control.callCount('POST /v1/customers'), before + 1);
      assert.ok(bad.logLines.some((l) => l.includes('"upstream_code":"api_key_invalid"') && l.includes('"upstream_status":401')));
    });
  });

  describe(`Stripe without keys (${engine})`, () => {
    let store: Store;
    before(async () => {
      store = await testStore(engine);
    });
    after(async () => {
      await store.close();
    });

    test('sandbox off and no keys: checkout and webhooks answer 503 provider_unavailable; portal is 404', async () => {
      const server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '0' } });
      assert.equal((await json(await server.request('GET', '/healthz'))).providers.stripe, 'unavailable');
      const token = await server.session(uniqueId());
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', provider: 'stripe' } });
      assert.equal(res.status, 503);
      assert.equal((await json(res)).error.code, 'provider_unavailable');
      const hook = await server.request('POST', '/v1/webhooks/stripe', { rawBody: '{}', headers: { 'Stripe-Signature': 't=1,v1=00' } });
      assert.equal(hook.status, 503);
      assert.equal((await server.request('POST', '/v1/portal', { token, body: {} })).status, 404);
    });

    test('some keys but not all: a start-up error naming the missing ones', async () => {
      await assert.rejects(makeServer({ store, env: { TOLLGATE_SANDBOX: '0', STRIPE_SECRET_KEY: 'sk_test_x' } }), /STRIPE_SECRET_KEY is set but STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET are missing/);
    });

    test('a bad providers.stripe section or stripe_price_id is a config error with the fix', async () => {
      await assert.rejects(makeServer({ store, file: { providers: { razorpay: {}, stripe: { portal_configuration: 'nope' } } } }), /providers\.stripe\.portal_configuration/);
    });
  });
}

for (const engine of engines()) {
  describe(`Stripe with configured price ids (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let fake: Awaited<ReturnType<typeof startStripeFake>>;
    let served: Listening;
    before(async () => {
      store = await testStore(engine);
      fake = await startStripeFake();
      const base = parseConfig(DEFAULT_CONFIG);
      const withIds = base.plans.map((p) => ({
        ...p,
        prices: p.prices.map((x) => (x.provider === 'stripe' && x.interval === 'month' ? { ...x, stripe_price_id: p.id === 'pro' ? 'price_pro_monthly' : 'price_starter_monthly' } : x)),
      }));
      server = await makeServer({ store, env: { ...KEYS, STRIPE_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' }, file: { plans: withIds, routing: { default_currency: 'USD', currency_providers: { INR: 'razorpay', USD: 'stripe' } } } });
      served = await listen(server.app);
      fake.control.setWebhookUrl(`${served.url}/v1/webhooks/stripe`);
    });
    after(async () => {
      await served.close();
      await fake.close();
      await store.close();
    });

    test('the routing rule picks Stripe for USD; the price id is sent; a portal switch to another configured price changes the plan', async () => {
      const plans = await json(await server.request('GET', '/v1/plans'));
      assert.deepEqual(plans.plans.find((p: { id: string }) => p.id === 'pro').charge.map((c: { provider: string }) => c.provider), ['stripe', 'stripe']);
      const customer = uniqueId();
      const token = await server.session(customer);
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', return_url: 'http://tollgate.test/' } });
      assert.equal(res.status, 201, await res.clone().text());
      const { action } = await json(res);
      const sent = [...fake.state.requests].reverse().find((r) => r.path === '/v1/checkout/sessions')!.params as any;
      assert.deepEqual(sent.line_items, [{ price: 'price_pro_monthly', quantity: '1' }]);
      const session = await fake.control.completeSession(new URL(action.url).pathname.split('/').pop()!);
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).plan, 'pro');

      const sub = fake.state.subscriptions.get(session.subscription!)!;
      const team = fake.state.prices.get('price_starter_monthly')!;
      await fake.control.updateSubscription(sub.id, { items: { ...sub.items, data: [{ ...sub.items.data[0]!, price: team }] } });
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).plan, 'team');
      const audit = await store.query<{ kind: string; old_plan: string; new_plan: string }>('SELECT kind, old_plan, new_plan FROM plan_changes WHERE customer_id = $1 ORDER BY id', [customer]);
      assert.deepEqual(audit.map((a) => [a.kind, a.old_plan, a.new_plan]), [['upgrade', 'free', 'pro'], ['subscription', 'pro', 'team']]);
    });
  });
}
