// The price chosen when a checkout is made is the only one used after: for every provider, a plan priced
// twice for that provider (two currencies where its document allows them), and the fake upstream is asked
// for exactly the stored price, inline, on a hand-off start, on a retry, on a renewal, after a catalog change.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, startEveryBackend, testStore, uniqueId, EVERY_BACKEND_FILE, TEST_ENV } from './helpers.js';
import { startRazorpayFake } from '../fakes/razorpay.js';
import { startStripeFake } from '../fakes/stripe.js';
import type { Store } from '../../server/store/index.js';

const RAZORPAY = { keyId: 'rzp_test_price0000001', keySecret: 'price_key_secret_for_tests', webhookSecret: 'price_webhook_secret_for_tests' };
const STRIPE = { STRIPE_SECRET_KEY: 'sk_test_tollgate', STRIPE_PUBLISHABLE_KEY: 'pk_test_tollgate', STRIPE_WEBHOOK_SECRET: 'whsec_test_tollgate' };

type PriceFixture = { provider: string; currency: string; amount: number; interval: string; upstream?: Record<string, string | number> };
const plan = (id: string, prices: PriceFixture[]) => ({ id, name: id.toUpperCase(), limits: { messages: 1000 }, prices });

/**
 * Each plan lists first the price a look-up by provider alone would find, then the one the tests order.
 * - Razorpay, Stripe, Bonzai take an amount and a currency (Bonzai: EUR or USD only, docs/upstream/bonzai-business-api.txt).
 * - mintbot prices an order itself from its tier and days, in the partner's currency (docs/upstream/mintbot-partner-api.txt has no
 *   currency field): the two prices differ in the tier and days the upstream is asked for.
 * - MimicBot takes only a plan (docs/upstream/mimicbot-billing-api.txt), priced by its own Stripe: the two prices name two MimicBot plans.
 * - Mintoken takes only a plan slug and answers the amount, "billed via Razorpay (INR primary)" (docs/upstream/mintoken-billing-api.txt):
 *   the USD price can never match its INR order and is refused; the INR price is the one that works.
 */
const FILE = {
  ...EVERY_BACKEND_FILE,
  plans: [
    { ...plan('free', []), limits: { messages: 100 } },
    plan('rzp', [{ provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month' }, { provider: 'razorpay', currency: 'USD', amount: 1900, interval: 'month' }]),
    plan('str', [{ provider: 'stripe', currency: 'USD', amount: 1900, interval: 'month' }, { provider: 'stripe', currency: 'EUR', amount: 1700, interval: 'month' }]),
    plan('agent', [
      { provider: 'mintbot', currency: 'USD', amount: 200, interval: 'month', upstream: { tier: 's1', duration_days: 30 } },
      { provider: 'mintbot', currency: 'EUR', amount: 800, interval: 'month', upstream: { tier: 's2', duration_days: 60 } },
    ]),
    plan('mimic', [
      { provider: 'mimicbot', currency: 'USD', amount: 4900, interval: 'month', upstream: { plan: 'pro' } },
      { provider: 'mimicbot', currency: 'EUR', amount: 18900, interval: 'month', upstream: { plan: 'agency' } },
    ]),
    plan('mint', [
      { provider: 'mintoken', currency: 'USD', amount: 4900, interval: 'month', upstream: { plan: 'team' } },
      { provider: 'mintoken', currency: 'INR', amount: 159900, interval: 'month', upstream: { plan: 'pro' } },
    ]),
    plan('bonz', [{ provider: 'bonzai', currency: 'EUR', amount: 1900, interval: 'month' }, { provider: 'bonzai', currency: 'USD', amount: 2100, interval: 'month' }]),
  ],
};

for (const engine of engines()) {
  describe(`a checkout charges the price it stored (${engine})`, () => {
    let store: Store;
    let razorpay: Awaited<ReturnType<typeof startRazorpayFake>>;
    let stripe: Awaited<ReturnType<typeof startStripeFake>>;
    let every: Awaited<ReturnType<typeof startEveryBackend>>;
    const server = () => every.server;

    before(async () => {
      store = await testStore(engine);
      razorpay = await startRazorpayFake(RAZORPAY);
      stripe = await startStripeFake({});
      every = await startEveryBackend({
        store,
        file: FILE,
        env: {
          TOLLGATE_SANDBOX: '0',
          RAZORPAY_KEY_ID: RAZORPAY.keyId,
          RAZORPAY_KEY_SECRET: RAZORPAY.keySecret,
          RAZORPAY_WEBHOOK_SECRET: RAZORPAY.webhookSecret,
          RAZORPAY_API_BASE: razorpay.url,
          ...STRIPE,
          STRIPE_API_BASE: stripe.url,
        },
      });
    });
    after(async () => {
      await every.close();
      await razorpay.close();
      await stripe.close();
      await store.close();
    });

    async function create(token: string, body: Record<string, unknown>) {
      const res = await server().request('POST', '/v1/checkout', { token, body });
      assert.equal(res.status, 201, await res.clone().text());
      return json(res);
    }
    /** The stored price as GET /v1/checkout/{id} tells it. */
    async function stored(token: string, id: string) {
      const state = await json(await server().request('GET', `/v1/checkout/${id}`, { token }));
      return { amount: state.amount, currency: state.currency };
    }
    /** A hand-off checkout started from the system browser with its scoped token. */
    async function handoff(token: string, body: Record<string, unknown>) {
      const created = await create(token, { ...body, mode: 'handoff' });
      const scoped = created.action.url.split('#token=')[1];
      const res = await server().request('POST', `/v1/checkout/${created.checkout_id}/start`, { token: scoped, body: {} });
      assert.equal(res.status, 200, await res.clone().text());
      return { ...(await json(res)), scoped };
    }

    test('Razorpay: the order is for the USD amount, inline and on a hand-off start', async () => {
      const token = await server().session(uniqueId());
      for (const started of [await create(token, { plan: 'rzp', provider: 'razorpay', currency: 'USD' }), await handoff(token, { plan: 'rzp', provider: 'razorpay', currency: 'USD' })]) {
        const order = razorpay.simulator.orders.get(started.action.order_id)!;
        assert.equal(order.amount, 1900);
        assert.equal(order.currency, 'USD');
        assert.deepEqual(await stored(token, started.checkout_id), { amount: 1900, currency: 'USD' });
      }
    });

    test('Stripe: the session is priced in EUR, inline and on a hand-off start', async () => {
      const token = await server().session(uniqueId());
      for (const body of [{ plan: 'str', provider: 'stripe', currency: 'EUR' }, { plan: 'str', provider: 'stripe', currency: 'EUR', mode: 'handoff' }]) {
        const created = await create(token, body);
        if (body.mode === 'handoff') {
          const scoped = created.action.url.split('#token=')[1];
          assert.equal((await server().request('POST', `/v1/checkout/${created.checkout_id}/start`, { token: scoped, body: {} })).status, 200);
        }
        const sent = [...stripe.state.requests].reverse().find((r) => r.path === '/v1/checkout/sessions')!;
        const item = (sent.params as { line_items: { price_data: { currency: string; unit_amount: string } }[] }).line_items[0].price_data;
        assert.equal(sent.headers['idempotency-key'], `tollgate-${created.checkout_id}`, 'the request of this checkout');
        assert.equal(item.currency, 'eur');
        assert.equal(item.unit_amount, '1700');
        assert.deepEqual(await stored(token, created.checkout_id), { amount: 1700, currency: 'EUR' });
      }
    });

    test('mintbot: the order has the EUR price\'s tier and days, inline, on a hand-off start, and a renewal keeps its days', async () => {
      const { mintbot } = every.fakes;
      const token = await server().session(uniqueId());
      const inline = await create(token, { plan: 'agent', provider: 'mintbot', currency: 'EUR' });
      const started = await handoff(token, { plan: 'agent', provider: 'mintbot', currency: 'EUR' });
      for (const id of [inline.checkout_id, started.checkout_id]) {
        const orders = [...mintbot.state.orders.values()].filter((o) => o.external_id === id);
        assert.equal(orders.length, 1);
        assert.equal(orders[0].tier, 's2');
        assert.equal(orders[0].duration_days, 60);
        assert.deepEqual(await stored(token, id), { amount: 800, currency: 'EUR' });
      }
      // The renewal's default length is the checkout's own price's (60 days), not the plan's first mintbot price.
      const order = [...mintbot.state.orders.values()].find((o) => o.external_id === inline.checkout_id)!;
      await mintbot.control.pay(order.id);
      const renewed = await server().request('POST', `/v1/admin/mintbot/orders/${order.id}/renew`, { headers: { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}` }, body: {} });
      assert.equal(renewed.status, 201, await renewed.clone().text());
      assert.equal((await json(renewed)).duration_days, 60);
    });

    test('MimicBot: the EUR price\'s MimicBot plan is asked for, and paying that plan pays the checkout', async () => {
      const { mimicbot } = every.fakes;
      const customer = uniqueId();
      const upstreamToken = `mb_${customer}`;
      mimicbot.control.setToken(upstreamToken, `agency_${customer}`);
      const linked = await server().request('PUT', `/v1/admin/mimicbot/customers/${customer}/token`, { headers: { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}` }, body: { token: upstreamToken } });
      assert.equal(linked.status, 200, await linked.clone().text());
      const token = await server().session(customer);
      const { checkout_id } = await handoff(token, { plan: 'mimic', provider: 'mimicbot', currency: 'EUR' });
      assert.equal(mimicbot.state.checkouts.at(-1)!.plan, 'agency');
      assert.deepEqual(await stored(token, checkout_id), { amount: 18900, currency: 'EUR' });
      mimicbot.control.completeCheckout(upstreamToken, 'agency');
      assert.equal((await json(await server().request('GET', `/v1/checkout/${checkout_id}`, { token }))).status, 'paid');
    });

    test('Mintoken: the INR price\'s slug is ordered and verified; its USD price is refused, not opened at another price', async () => {
      const { mintoken } = every.fakes;
      const token = await every.supabaseJwt(uniqueId('sb'));
      const { checkout_id, action } = await create(token, { plan: 'mint', provider: 'mintoken', currency: 'INR' });
      const order = mintoken.state.orders.get(action.order_id)!;
      assert.equal(order.plan, 'pro');
      assert.equal(order.amount, 159900);
      assert.deepEqual(await stored(token, checkout_id), { amount: 159900, currency: 'INR' });
      const paymentId = mintoken.control.newPaymentId();
      const verified = await server().request('POST', '/v1/razorpay/verify', {
        token,
        body: { plan: 'mint', razorpay_order_id: action.order_id, razorpay_payment_id: paymentId, razorpay_signature: mintoken.control.signPayment(action.order_id, paymentId) },
      });
      assert.equal(verified.status, 200, await verified.clone().text());
      assert.equal(mintoken.state.verifications.at(-1)!.ok, true);

      const usd = await server().request('POST', '/v1/checkout', { token: await every.supabaseJwt(uniqueId('sb')), body: { plan: 'mint', provider: 'mintoken', currency: 'USD' } });
      assert.equal(usd.status, 502);
      assert.equal([...mintoken.state.orders.values()].at(-1)!.plan, 'team', 'the USD price\'s own slug was asked for');
    });

    test('Bonzai: the USD amount, inline, on a hand-off start, on a retried start, and after the catalog changed', async () => {
      const { bonzai } = every.fakes;
      const token = await server().session(uniqueId());
      const latest = () => [...bonzai.state.orders.values()].at(-1)!;
      const inline = await create(token, { plan: 'bonz', provider: 'bonzai', currency: 'USD' });
      assert.deepEqual([latest().amount, latest().currency], [21, 'USD']);
      assert.deepEqual(await stored(token, inline.checkout_id), { amount: 2100, currency: 'USD' });
      await handoff(token, { plan: 'bonz', provider: 'bonzai', currency: 'USD' });
      assert.deepEqual([latest().amount, latest().currency], [21, 'USD']);

      // A hand-off made now, started after the first start failed and after the catalog's USD price changed.
      const created = await create(token, { plan: 'bonz', provider: 'bonzai', currency: 'USD', mode: 'handoff' });
      const scoped = created.action.url.split('#token=')[1];
      bonzai.control.failNext(1, 500);
      assert.equal((await server().request('POST', `/v1/checkout/${created.checkout_id}/start`, { token: scoped, body: {} })).status, 502);
      const repriced = structuredClone(FILE);
      repriced.plans.find((p) => p.id === 'bonz')!.prices.find((p) => p.currency === 'USD')!.amount = 2500;
      const later = await makeServer({ store, env: every.env, file: repriced as Parameters<typeof makeServer>[0]['file'] });
      const before = bonzai.state.orders.size;
      const res = await later.request('POST', `/v1/checkout/${created.checkout_id}/start`, { token: scoped, body: {} });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(bonzai.state.orders.size, before + 1);
      assert.deepEqual([latest().amount, latest().currency], [21, 'USD']);
      await later.close();
    });
  });
}
