// Razorpay Subscriptions end to end against the in-server sandbox (renewals on the simulator's clock) and the real-HTTP
// fake: trial → active → renewals → failed charge → pending → recovered → halted → grace → free, cancel at cycle end, plan
// and seat changes, duplicate and reordered webhooks, concurrent verify and webhooks, plan reuse, overlap refusal, and the
// portal's "Update payment method" (checkout.js subscription_card_change: active, and halted paying the due invoice).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { signRazorpayPayment, signRazorpaySubscriptionPayment, signRazorpayWebhook, verifyRazorpaySubscriptionPayment } from '../../server/security/signatures.js';
import type { Store } from '../../server/store/index.js';
import { listPayments } from '../../server/store/payments.js';
import type { RazorpaySimulator } from '../../server/providers/razorpay/sandbox/simulator.js';
import type { SubscriptionControls } from '../../server/providers/types.js';
import type { CustomerRow } from '../../server/store/customers.js';
import { startRazorpayFake } from '../fakes/razorpay.js';
import type { PortalActionResponse, PortalSummary, RazorpayAction } from '../../src/contract/index.js';
import { parseConfig } from '../../server/config.js';
import { razorpaySubscriptionSettings } from '../../server/providers/razorpay/settings.js';

const DAY = 86_400_000;

/** free < once (a one-off order) < pro (recurring, monthly and yearly) < team (recurring, 14-day trial). */
const FILE = {
  metrics: [{ id: 'messages', label: 'Messages' }],
  plans: [
    { id: 'free', name: 'Free', limits: { messages: 10 } },
    { id: 'once', name: 'Once', limits: { messages: 100 }, prices: [{ provider: 'razorpay' as const, currency: 'INR', amount: 99900, interval: 'month' as const }] },
    {
      id: 'pro',
      name: 'Pro',
      limits: { messages: 1000 },
      prices: [
        { provider: 'razorpay' as const, currency: 'INR', amount: 159900, interval: 'month' as const, recurring: true },
        { provider: 'razorpay' as const, currency: 'INR', amount: 1599000, interval: 'year' as const, recurring: true },
      ],
    },
    { id: 'team', name: 'Team', trial_days: 14, limits: { messages: null }, prices: [{ provider: 'razorpay' as const, currency: 'INR', amount: 399900, interval: 'month' as const, recurring: true }] },
  ],
};

test('config: recurring only on Razorpay prices with an interval, razorpay_plan_id only with recurring, the providers.razorpay options checked', () => {
  const withPrice = (price: Record<string, unknown>, razorpay: Record<string, unknown> = {}) => ({
    plans: [{ id: 'free', name: 'Free' }, { id: 'pro', name: 'Pro', prices: [{ provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month', ...price }] }],
    providers: { razorpay },
  });
  assert.throws(() => parseConfig(withPrice({ provider: 'stripe', currency: 'USD', recurring: true })), /plans\[1\]\.prices\[0\]\.recurring: only Razorpay prices take "recurring"/);
  assert.throws(() => parseConfig(withPrice({ interval: 'once', recurring: true })), /plans\[1\]\.prices\[0\]\.interval: a recurring price renews every "month" or "year"/);
  assert.throws(() => parseConfig(withPrice({ razorpay_plan_id: 'plan_abc' })), /razorpay_plan_id: a Razorpay plan is for a recurring price/);
  assert.throws(() => parseConfig(withPrice({ recurring: true, razorpay_plan_id: 'abc' })), /razorpay_plan_id: use a Razorpay plan id/);
  assert.throws(() => parseConfig(withPrice({ recurring: true }, { schedule_change_at: 'later' })), /schedule_change_at/);
  assert.throws(() => parseConfig(withPrice({ recurring: true }, { halted_grace: 3 })), /did you mean "halted_grace_days"/);
  const cfg = parseConfig(withPrice({ recurring: true, razorpay_plan_id: 'plan_abc' }, { total_count: { month: 24 }, halted_grace_days: 0 }));
  assert.deepEqual(razorpaySubscriptionSettings(cfg.providers.razorpay), { totalCount: { month: 24, year: 10 }, scheduleChangeAt: 'auto', haltedGraceDays: 0 });
  assert.deepEqual(razorpaySubscriptionSettings(parseConfig(withPrice({})).providers.razorpay), { totalCount: { month: 120, year: 10 }, scheduleChangeAt: 'auto', haltedGraceDays: 3 });
});

for (const engine of engines()) {
  describe(`Razorpay Subscriptions (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let sim: RazorpaySimulator;
    let controls: SubscriptionControls;
    let clockMs = Date.now();
    /** Move the clock and run what fell due upstream (renewals, retries, cycle-end changes); the webhooks sent. */
    const advance = (ms: number) => {
      clockMs += ms;
      return sim.tick();
    };
    before(async () => {
      store = await testStore(engine);
      // The server's clock, which the simulator reads: advancing it a month is a month for both.
      server = await makeServer({ store, file: FILE, sandboxWebhookDelayMs: 0, now: () => new Date(clockMs) });
      sim = server.razorpaySandbox!;
      controls = server.deps.providers.get('razorpay')!.subscriptionControls!;
    });
    after(async () => {
      await sim.settle();
      await store.close();
    });

    const session = (customer: string) => server.session(customer, { nowSeconds: Math.floor(sim.clock() / 1000) });
    const customerRow = async (id: string) => (await store.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [id]))[0];
    const subscription = async (token: string) => json(await server.request('GET', '/v1/subscription', { token }));
    const audit = (customer: string) => store.query<any>('SELECT old_plan, new_plan, kind, source FROM plan_changes WHERE customer_id = $1 ORDER BY id', [customer]);
    const verify = (token: string, body: Record<string, unknown>, idempotencyKey?: string) => server.request('POST', '/v1/razorpay/verify', { token, body, idempotencyKey });
    /** Move both clocks to just past the subscription's next charge and let its webhooks arrive. */
    async function toNextCharge(subscriptionId: string) {
      const at = sim.subscriptions.get(subscriptionId)!.charge_at!;
      const deliveries = advance(Math.max(at * 1000 - sim.clock() + 1000, 0));
      await sim.settle();
      return deliveries;
    }
    async function startCheckout(customer: string, plan = 'pro', interval = 'month') {
      const token = await session(customer);
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan, interval } });
      assert.equal(res.status, 201, await res.clone().text());
      return { token, co: await json(res) };
    }
    async function subscribe(customer = uniqueId(), plan = 'pro', interval = 'month') {
      const { token, co } = await startCheckout(customer, plan, interval);
      const paid = sim.paySubscription(co.action.subscription_id, { method: 'upi' });
      const res = await verify(token, { plan, ...paid });
      assert.equal(res.status, 200, await res.clone().text());
      await sim.settle();
      return { customer, token, co, paid, id: co.action.subscription_id as string };
    }

    test('the billing portal for a Razorpay subscriber: next charge and UPI, a receipt per charge, cancel at cycle end upstream, then free', async () => {
      const { customer, id } = await subscribe();
      await toNextCharge(id); // one renewal: two charges in all
      const link = await json(await server.request('POST', '/v1/portal', { token: await session(customer), body: { return_url: 'http://tollgate.test/app' } }));
      const portalToken = new URL(link.url).hash.match(/^#token=(.+)$/)![1];
      const summary = await json(await server.request('GET', '/v1/portal/summary', { token: portalToken }));
      const sub = sim.subscriptions.get(id)!;
      assert.deepEqual([summary.plan, summary.status, summary.provider], ['pro', 'active', 'razorpay']);
      assert.deepEqual(summary.next_charge, { at: new Date(sub.charge_at! * 1000).toISOString(), amount: 159900, currency: 'INR' });
      assert.match(summary.payment_method ?? '', /UPI/i);
      assert.deepEqual(summary.can, { cancel: true, resume: false, change_plan: true, update_payment_method: true });
      // Two charges, each with its receipt and Razorpay's invoice.
      assert.equal(summary.payments.length, 2);
      for (const p of summary.payments) {
        assert.equal(p.amount, 159900);
        assert.match(p.receipt_url ?? '', /\/v1\/receipts\/.+\/html\?token=/);
      }
      assert.ok(summary.payments.some((p: any) => p.kind === 'renewal' && p.invoice_url));
      // Cancel at the period end through the portal: Razorpay is asked once, a replay of the key answers the same.
      const cancel = () => server.request('POST', '/v1/portal/cancel', { token: portalToken, body: {}, idempotencyKey: `cancel-${customer}` });
      const first = await cancel();
      assert.equal(first.status, 200, await first.clone().text());
      assert.equal((await json(first)).summary.cancel_at_period_end, true);
      assert.equal((await cancel()).headers.get('Idempotent-Replay'), 'true');
      assert.equal(sim.subscriptions.get(id)!.status, 'active');
      assert.ok(sim.subscriptions.get(id)!.end_at, 'set to end at the cycle end upstream');
      assert.equal((await subscription(await session(customer))).cancelAtPeriodEnd, true);
      // The cycle ends: cancelled upstream, no third charge, and the customer is on free.
      await toNextCharge(id);
      assert.equal(sim.subscriptions.get(id)!.status, 'cancelled');
      assert.equal((await listPayments(store, customer)).length, 2);
      assert.equal((await subscription(await session(customer))).plan, 'free');
    });

    describe('update payment method in the portal (checkout.js subscription_card_change)', () => {
      const portalTokenOf = async (customer: string) => {
        const link = await json(await server.request('POST', '/v1/portal', { token: await session(customer), body: {} }));
        return new URL(link.url).hash.match(/^#token=(.+)$/)![1];
      };
      const portalSummary = async (token: string): Promise<PortalSummary> => json(await server.request('GET', '/v1/portal/summary', { token }));
      /** POST /v1/portal/payment-method: the action the page runs checkout.js with. */
      async function cardChangeAction(token: string): Promise<RazorpayAction> {
        const res = await server.request('POST', '/v1/portal/payment-method', { token, body: {} });
        assert.equal(res.status, 200, await res.clone().text());
        const answer: PortalActionResponse = await json(res);
        assert.equal(answer.checkout?.checkout_id, null, 'a card change has no checkout row to pay');
        assert.equal(answer.checkout?.action.type, 'razorpay');
        return answer.checkout!.action as RazorpayAction;
      }
      /** The sandbox modal, as checkout.js posts it with `subscription_card_change: 1`. */
      const modal = (action: Pick<RazorpayAction, 'key_id' | 'subscription_id'>, outcome: 'success' | 'failure', method: 'upi' | 'card' = 'upi') =>
        server.request('POST', '/sandbox/razorpay/pay', { body: { key: action.key_id, subscription_id: action.subscription_id, subscription_card_change: true, outcome, method } });
      const confirm = (token: string, paid: Record<string, string>, idempotencyKey?: string) =>
        server.request('POST', '/v1/portal/payment-method/verify', { token, body: { razorpay_payment_id: paid.razorpay_payment_id, razorpay_subscription_id: paid.razorpay_subscription_id, razorpay_signature: paid.razorpay_signature }, idempotencyKey });
      async function subscribedWithCard(customer = uniqueId()) {
        const { token, co } = await startCheckout(customer);
        const paid = sim.paySubscription(co.action.subscription_id, { method: 'card' });
        assert.equal((await verify(token, { plan: 'pro', ...paid })).status, 200);
        await sim.settle();
        return { customer, id: co.action.subscription_id as string, portal: await portalTokenOf(customer) };
      }

      test('active: card → UPI through the modal and verify; nothing charged (a refunded authorisation), no payment row; a declined try changes nothing', async () => {
        const { customer, id, portal } = await subscribedWithCard();
        let s = await portalSummary(portal);
        assert.deepEqual([s.status, s.payment_method, s.can.update_payment_method], ['active', 'Card', true]);
        const action = await cardChangeAction(portal);
        assert.deepEqual([action.subscription_id, action.subscription_card_change, action.recurring, action.amount, action.currency, action.verify_path], [id, true, true, 0, 'INR', '/v1/portal/payment-method/verify']);

        // The Fail button: Razorpay's failure object (200, for payment.failed), the subscription as it was.
        const failed = await modal(action, 'failure');
        assert.equal(failed.status, 200);
        const failure = await json(failed);
        assert.deepEqual([failure.error.code, failure.error.metadata.subscription_id], ['BAD_REQUEST_ERROR', id]);
        assert.equal(sim.subscriptions.get(id)!.payment_method, 'card');

        const res = await modal(action, 'success', 'upi');
        assert.equal(res.status, 200, await res.clone().text());
        const paid = await json(res);
        assert.equal(paid.razorpay_subscription_id, id);
        assert.equal(verifyRazorpaySubscriptionPayment(server.deps.config.razorpay.keySecret, paid.razorpay_payment_id, id, paid.razorpay_signature), true);
        assert.equal(sim.payments.get(paid.razorpay_payment_id)!.status, 'refunded');
        const key = `pm-${customer}`;
        const first = await confirm(portal, paid, key);
        assert.equal(first.status, 200, await first.clone().text());
        const answer: PortalActionResponse = await json(first);
        assert.deepEqual([answer.summary.status, answer.summary.payment_method, answer.checkout], ['active', 'UPI Autopay', null]);
        const replay = await confirm(portal, paid, key);
        assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
        assert.deepEqual(await json(replay), answer);
        await sim.settle();
        s = await portalSummary(portal);
        assert.equal(s.payment_method, 'UPI Autopay');
        assert.equal(s.payments.length, 1, 'only the first charge: the authorisation was refunded');
        assert.deepEqual((await audit(customer)).map((a) => `${a.old_plan}→${a.new_plan}`), ['free→pro']);
        // The next renewal is charged through the new mandate.
        await toNextCharge(id);
        const [renewal] = await listPayments(store, customer);
        assert.deepEqual([renewal.kind, renewal.method, renewal.amount], ['renewal', 'upi', 159900]);
      });

      test('halted: the card change pays the due invoice → active; one payment row with the webhook delivered too, duplicate verifies with the same and a new key', async () => {
        const { customer, id } = await subscribedWithCard();
        sim.failNextCharges(id, 10);
        while (sim.subscriptions.get(id)!.status !== 'halted') await toNextCharge(id);
        assert.equal((await customerRow(customer)).status, 'unpaid');
        // A link made now (one from before the retries would have expired).
        const portal = await portalTokenOf(customer);
        const before = await listPayments(store, customer);
        let s = await portalSummary(portal);
        assert.deepEqual([s.status, s.can.update_payment_method, s.can.change_plan], ['past_due', true, true]);
        const action = await cardChangeAction(portal);
        // What is due, from Razorpay's issued invoice (never from the page).
        const due = [...sim.invoices.values()].find((i) => i.subscription_id === id && i.status === 'issued')!;
        assert.deepEqual([action.amount, due.amount], [159900, 159900]);
        // The sandbox modal shows the same amount, asked of the simulated Razorpay.
        const view = await json(await server.request('GET', `/sandbox/razorpay/subscriptions/${id}?key=${action.key_id}&card_change=1`));
        assert.deepEqual(view.card_change, { amount_due: 159900, payment_method: 'card' });

        const paid = await json(await modal(action, 'success', 'upi'));
        assert.equal(sim.subscriptions.get(id)!.status, 'active');
        // The simulator's webhooks (updated, payment.captured, charged) race two verifies with different keys; then the
        // first key again (a replay of its answer).
        const key = `pm-halted-${customer}`;
        const results = await Promise.all([confirm(portal, paid, key), confirm(portal, paid), sim.settle()]);
        for (const r of results.slice(0, 2) as Response[]) assert.equal(r.status, 200, await r.clone().text());
        const replay = await confirm(portal, paid, key);
        assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
        assert.deepEqual(await json(replay), await json(results[0] as Response));
        // The charge's webhook again, as a new delivery (a new event id): the ledger has the payment already.
        const charged = sim.deliveries.find((d) => d.event === 'subscription.charged' && JSON.parse(d.body).payload.payment.entity.id === paid.razorpay_payment_id)!;
        const secret = server.deps.config.razorpay.webhookSecret;
        const again = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: charged.body, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(secret, charged.body), 'X-Razorpay-Event-Id': `evt_again_${uniqueId('x')}` } });
        assert.equal((await json(again)).outcome, 'renewal_already_recorded');

        const payments = await listPayments(store, customer);
        assert.equal(payments.length, before.length + 1);
        const row = payments.filter((p) => p.payment_id === paid.razorpay_payment_id);
        assert.equal(row.length, 1);
        assert.deepEqual([row[0].kind, row[0].amount, row[0].method, row[0].invoice_id, row[0].subscription_id], ['renewal', 159900, 'upi', due.id, id]);
        assert.equal(row[0].invoice_url, due.short_url);
        const c = await customerRow(customer);
        assert.deepEqual([c.plan, c.status, c.unpaid_since], ['pro', 'active', null]);
        s = await portalSummary(portal);
        assert.deepEqual([s.status, s.payment_method, s.plan], ['active', 'UPI Autopay', 'pro']);
        assert.equal(new Date(s.current_period_end!).getTime(), sim.subscriptions.get(id)!.current_end! * 1000);
        assert.equal((await audit(customer)).length, 1, 'the plan never changed: one audit row, the first upgrade');
      });

      test('another customer’s subscription id or signature, and a bad signature, are refused in the envelope; nothing changes', async () => {
        const a = await subscribedWithCard();
        const b = await subscribedWithCard();
        const bPaid = await json(await modal(await cardChangeAction(b.portal), 'success', 'upi'));
        const refused = async (res: Response, code: string, message: RegExp) => {
          const text = await res.clone().text();
          assert.equal(res.status, 400, text);
          assert.equal(JSON.parse(text).error.code, code, text);
          assert.match(JSON.parse(text).error.message, message);
          assert.ok(JSON.parse(text).error.request_id);
        };
        await refused(await confirm(a.portal, bPaid), 'validation_error', /not the subscription of this customer/);
        await refused(await confirm(a.portal, { ...bPaid, razorpay_subscription_id: a.id }), 'invalid_signature', /Invalid payment signature/);
        const storedMethod = async () => (await store.query<{ payment_method: string }>('SELECT payment_method FROM razorpay_subscriptions WHERE id = $1', [a.id]))[0].payment_method;
        assert.equal(await storedMethod(), 'card');
        const aPaid = await json(await modal(await cardChangeAction(a.portal), 'success', 'upi'));
        await refused(await confirm(a.portal, { ...aPaid, razorpay_signature: signRazorpayPayment(server.deps.config.razorpay.keySecret, a.id, aPaid.razorpay_payment_id) }), 'invalid_signature', /Invalid payment signature/);
        await refused(await confirm(a.portal, { ...aPaid, razorpay_signature: 'f'.repeat(64) }), 'invalid_signature', /Invalid payment signature/);
        const missing = await server.request('POST', '/v1/portal/payment-method/verify', { token: a.portal, body: { razorpay_payment_id: aPaid.razorpay_payment_id } });
        assert.equal((await json(missing)).error.code, 'validation_error');
        // Only the portal link's token.
        assert.equal((await confirm(await session(a.customer), aPaid)).status, 403);
        // A's own card change still reaches the store, by its webhook (subscription.updated), not by the refused verifies.
        await sim.settle();
        assert.equal(await storedMethod(), 'upi');
        assert.equal((await listPayments(store, a.customer)).length, 1);
      });

      test('a cancelled subscription, or one set to end: no update (409); the sandbox modal refuses a cancelled one in Razorpay’s envelope', async () => {
        const ending = await subscribedWithCard();
        await controls.cancel(await customerRow(ending.customer), { atPeriodEnd: true });
        assert.equal((await portalSummary(ending.portal)).can.update_payment_method, false);
        let res = await server.request('POST', '/v1/portal/payment-method', { token: ending.portal, body: {} });
        assert.equal(res.status, 409, await res.clone().text());

        const { customer, id, portal } = await subscribedWithCard();
        await controls.cancel(await customerRow(customer), { atPeriodEnd: false });
        await sim.settle();
        assert.equal((await portalSummary(portal)).can.update_payment_method, false);
        res = await server.request('POST', '/v1/portal/payment-method', { token: portal, body: {} });
        assert.equal(res.status, 409, await res.clone().text());
        assert.equal((await json(res)).error.code, 'conflict');
        const upstream = await modal({ key_id: server.deps.config.razorpay.keyId, subscription_id: id }, 'success');
        assert.equal(upstream.status, 400);
        const body = await json(upstream);
        assert.equal(body.error.code, 'BAD_REQUEST_ERROR');
        assert.match(body.error.description, /cannot be changed for a subscription in cancelled status/);
        assert.equal(sim.subscriptions.get(id)!.payment_method, 'card');
      });
    });

    test('two checkouts of one customer at once (two tabs, different keys) make one subscription upstream; another may start once it can no longer be authorised', async () => {
      const customer = uniqueId();
      const token = await session(customer);
      const before = sim.subscriptions.size;
      const answers = await Promise.all(['month', 'year'].map((interval, i) => server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', interval }, idempotencyKey: `tab-${i}-${customer}` })));
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 409]);
      const refused = await json(answers.find((r) => r.status === 409)!);
      assert.equal(refused.error.code, 'conflict');
      assert.equal(sim.subscriptions.size, before + 1);
      const made = await json(answers.find((r) => r.status === 201)!);
      const sub = sim.subscriptions.get(made.action.subscription_id)!;
      assert.equal(sub.expire_by, Math.floor(clockMs / 1000) + 30 * 60);
      // A retry of the open checkout (its own key) is the same checkout, not a refusal.
      const key = answers[0].status === 201 ? `tab-0-${customer}` : `tab-1-${customer}`;
      const again = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', interval: answers[0].status === 201 ? 'month' : 'year' }, idempotencyKey: key });
      assert.equal(again.status, 201);
      assert.equal((await json(again)).checkout_id, made.checkout_id);
      // Past its expire_by the first can no longer be authorised: a new checkout may make one.
      advance(31 * 60 * 1000);
      const later = await server.request('POST', '/v1/checkout', { token: await session(customer), body: { plan: 'pro', interval: 'month' }, idempotencyKey: `tab-2-${customer}` });
      assert.equal(later.status, 201, await later.clone().text());
      assert.equal(sim.subscriptions.size, before + 2);
    });

    test('a recurring price answers a razorpay action with subscription_id (no order), its subscription made from a Plan with our notes', async () => {
      const customer = uniqueId();
      const { co } = await startCheckout(customer);
      assert.equal(co.action.type, 'razorpay');
      assert.match(co.action.subscription_id, /^sub_/);
      assert.equal(co.action.order_id, undefined);
      assert.equal(co.action.recurring, true);
      assert.equal(co.action.amount, 159900);
      const sub = sim.subscriptions.get(co.action.subscription_id)!;
      assert.equal(sub.total_count, 120);
      assert.equal(sub.quantity, 1);
      assert.equal(sub.customer_notify, true);
      assert.deepEqual(sub.notes, { customer_id: customer, checkout_id: co.checkout_id, plan: 'pro' });
      const plan = sim.plans.get(sub.plan_id)!;
      assert.deepEqual([plan.period, plan.interval, plan.item.amount, plan.item.currency], ['monthly', 1, 159900, 'INR']);
      // The verify finds this checkout by the stored subscription id.
      const [row] = await store.query<any>('SELECT provider_order_id FROM checkouts WHERE id = $1', [co.checkout_id]);
      assert.equal(row.provider_order_id, co.action.subscription_id);
      const plans = json(await server.request('GET', '/v1/plans'));
      assert.equal((await plans).plans.find((p: any) => p.id === 'team').trial_days, 14);
    });

    test('verify: the signature is payment_id|stored subscription id; the orders order and another subscription are refused; the official SDK agrees', async () => {
      const customer = uniqueId();
      const { token, co } = await startCheckout(customer);
      const id = co.action.subscription_id as string;
      const secret = server.deps.config.razorpay.keySecret;
      // A genuinely signed handler response, without the simulator's webhooks (which would pay the checkout themselves).
      const razorpay_payment_id = `pay_${uniqueId('s').replace('_', '')}`;
      const paid = { razorpay_subscription_id: id, razorpay_payment_id, razorpay_signature: signRazorpaySubscriptionPayment(secret, razorpay_payment_id, id) };
      const { validatePaymentVerification } = createRequire(import.meta.url)('razorpay/dist/utils/razorpay-utils') as { validatePaymentVerification: (p: object, s: string, k: string) => boolean };
      assert.equal(validatePaymentVerification({ subscription_id: id, payment_id: paid.razorpay_payment_id }, paid.razorpay_signature, secret), true);
      assert.equal(verifyRazorpaySubscriptionPayment(secret, paid.razorpay_payment_id, id, paid.razorpay_signature), true);
      for (const n of [1, 2, 3]) {
        const p = `pay_sdkcheck${n}`;
        const ours = signRazorpaySubscriptionPayment(secret, p, id);
        assert.equal(validatePaymentVerification({ subscription_id: id, payment_id: p }, ours, secret), true);
      }
      // The orders order (subscription_id|payment_id) is refused; so is a signature for another subscription.
      const reversed = signRazorpayPayment(secret, id, paid.razorpay_payment_id);
      let res = await verify(token, { plan: 'pro', ...paid, razorpay_signature: reversed });
      assert.equal(res.status, 400);
      assert.equal((await json(res)).error.code, 'invalid_signature');
      res = await verify(token, { plan: 'pro', ...paid, razorpay_signature: signRazorpaySubscriptionPayment(secret, paid.razorpay_payment_id, 'sub_other000000') });
      assert.equal(res.status, 400);
      // Neither id, or both: the contract's error envelope.
      res = await verify(token, { plan: 'pro', razorpay_payment_id: paid.razorpay_payment_id, razorpay_signature: paid.razorpay_signature });
      assert.equal(res.status, 400);
      assert.equal((await json(res)).error.code, 'validation_error');
      assert.equal((await customerRow(customer)).plan, 'free');
      res = await verify(token, { plan: 'pro', ...paid });
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { message: 'Plan upgraded', old_plan: 'free', new_plan: 'pro', payment_id: paid.razorpay_payment_id });
    });

    test('the year: trial → active → three renewals → a failed charge → pending → recovered → halted → grace → free', async (t) => {
      const log: string[] = [];
      const customer = uniqueId();
      const { id } = await subscribe(customer, 'team');
      const state = async (what: string) => {
        const s = await subscription(await session(customer));
        const c = await customerRow(customer);
        log.push(`${new Date(sim.clock()).toISOString().slice(0, 10)} ${what.padEnd(34)} → stored ${c.status}, shown ${s.plan}/${s.status}, period end ${s.currentPeriodEnd?.slice(0, 10) ?? '-'}`);
        return s;
      };
      let s = await state('authorised (trial)');
      assert.deepEqual([s.plan, s.status], ['team', 'trialing']);
      const trialEnd = sim.subscriptions.get(id)!.start_at * 1000;
      assert.equal(new Date(s.currentPeriodEnd).getTime(), trialEnd);

      const names = (ds: { event: string }[]) => ds.map((d) => d.event).filter((e) => e.startsWith('subscription.')).join(', ');
      let ds = await toNextCharge(id);
      s = await state(names(ds));
      assert.deepEqual([s.plan, s.status], ['team', 'active']);
      for (let i = 0; i < 3; i++) {
        const before = sim.subscriptions.get(id)!.current_end!;
        ds = await toNextCharge(id);
        s = await state(names(ds));
        assert.equal(s.status, 'active');
        assert.ok(new Date(s.currentPeriodEnd).getTime() > before * 1000, 'each charge extends the period');
        assert.equal(new Date(s.currentPeriodEnd).getTime(), sim.subscriptions.get(id)!.current_end! * 1000);
      }
      sim.failNextCharges(id, 1);
      ds = await toNextCharge(id);
      s = await state(names(ds));
      assert.deepEqual([s.plan, s.status], ['team', 'past_due']);
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token: await session(customer) }))).has_access, true);
      sim.recover(id);
      await sim.settle();
      s = await state('recovered: subscription.charged');
      assert.deepEqual([s.plan, s.status], ['team', 'active']);

      sim.failNextCharges(id, 10);
      while (sim.subscriptions.get(id)!.status !== 'halted') ds = await toNextCharge(id);
      s = await state(names(ds));
      assert.equal((await customerRow(customer)).status, 'unpaid');
      // Within providers.razorpay.halted_grace_days (3): the plan is kept, shown as past due.
      assert.deepEqual([s.plan, s.status], ['team', 'past_due']);
      advance(2 * DAY);
      s = await state('2 days after the halt');
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token: await session(customer) }))).has_access, true);
      advance(1 * DAY + 1000);
      s = await state('grace over');
      assert.deepEqual([s.plan, s.status], ['free', 'unpaid']);
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token: await session(customer) }))).has_access, false);

      const payments = await listPayments(store, customer);
      // The trial's authorisation (nothing charged), the first charge, three renewals, the recovery.
      assert.deepEqual(payments.map((p) => p.amount).reverse(), [0, 399900, 399900, 399900, 399900, 399900]);
      assert.ok(payments.every((p) => p.subscription_id === id));
      assert.deepEqual(new Set(payments.map((p) => p.payment_id)).size, 6);
      assert.deepEqual((await audit(customer)).map((a) => `${a.old_plan}→${a.new_plan}`), ['free→team']);
      t.diagnostic(`lifecycle (events in → states out):\n${log.join('\n')}`);
    });

    test('cancel at the cycle end: still active with cancelAtPeriodEnd, a repeat is no error, then canceled at the end with no charge', async () => {
      const { customer, token, id } = await subscribe();
      const c = await customerRow(customer);
      let m = await controls.cancel(c, { atPeriodEnd: true });
      assert.deepEqual([m.status, m.cancelAtPeriodEnd, m.nextCharge], ['active', true, null]);
      m = await controls.cancel(c, { atPeriodEnd: true });
      assert.equal(m.cancelAtPeriodEnd, true);
      let s = await subscription(token);
      assert.deepEqual([s.plan, s.status, s.cancelAtPeriodEnd], ['pro', 'active', true]);
      const ds = await toNextCharge(id);
      assert.ok(ds.some((d) => d.event === 'subscription.cancelled'));
      s = await subscription(await session(customer));
      assert.deepEqual([s.plan, s.status], ['free', 'canceled']);
      assert.equal((await listPayments(store, customer)).length, 1);
      // A cancelled subscription is not resumed; a new checkout may start.
      await assert.rejects(controls.resume(await customerRow(customer)), { code: 'conflict' });
      await startCheckout(customer);
    });

    test('plan change now (upgrade) and at the cycle end (downgrade), each audited once, charged at the new price', async () => {
      const { customer, id } = await subscribe();
      let m = await controls.changePlan(await customerRow(customer), { plan: 'team', interval: 'month' });
      assert.deepEqual([m.plan, m.scheduledChange], ['team', null]);
      await sim.settle();
      assert.equal((await customerRow(customer)).plan, 'team');
      await toNextCharge(id);
      let payments = await listPayments(store, customer);
      assert.deepEqual([payments[0].plan, payments[0].amount], ['team', 399900]);

      m = await controls.changePlan(await customerRow(customer), { plan: 'pro', interval: 'month' });
      assert.equal(m.plan, 'team', 'a downgrade waits for the cycle end');
      assert.equal(m.scheduledChange?.plan, 'pro');
      assert.equal((await customerRow(customer)).plan, 'team');
      await toNextCharge(id);
      assert.equal((await customerRow(customer)).plan, 'pro');
      payments = await listPayments(store, customer);
      assert.deepEqual([payments[0].plan, payments[0].amount], ['pro', 159900]);
      assert.deepEqual((await audit(customer)).map((a) => `${a.old_plan}→${a.new_plan}:${a.kind}`), ['free→pro:upgrade', 'pro→team:subscription', 'team→pro:subscription']);
      // The same change again changes nothing.
      await controls.changePlan(await customerRow(customer), { plan: 'pro', interval: 'month' });
      assert.equal((await audit(customer)).length, 3);
    });

    test('seats: more seats now, charged per seat; fewer at the cycle end', async () => {
      const { customer, id } = await subscribe();
      let m = await controls.changePlan(await customerRow(customer), { plan: 'pro', interval: 'month', quantity: 3 });
      assert.equal(m.quantity, 3);
      assert.equal(m.nextCharge?.amount, 3 * 159900);
      await toNextCharge(id);
      let [last] = await listPayments(store, customer);
      assert.deepEqual([last.amount, last.quantity], [3 * 159900, 3]);
      m = await controls.changePlan(await customerRow(customer), { plan: 'pro', interval: 'month', quantity: 2 });
      assert.deepEqual([m.quantity, m.scheduledChange?.quantity], [3, 2]);
      await toNextCharge(id);
      [last] = await listPayments(store, customer);
      assert.deepEqual([last.amount, last.quantity], [2 * 159900, 2]);
      const current = (await controls.current(await customerRow(customer)))!;
      assert.deepEqual([current.quantity, current.paymentMethod, current.subscriptionId], [2, 'UPI Autopay', id]);
      // Renewals are not tied to the checkout (whose refund marks only its own payment refunded).
      assert.ok((await listPayments(store, customer)).every((p) => (p.kind === 'renewal') === (p.checkout_id === null)));
    });

    test('duplicate and reordered webhooks (and a stale state sent late) converge on the newest state', async () => {
      const { customer, id } = await subscribe();
      sim.failNextCharges(id, 1);
      const failed = await toNextCharge(id);
      sim.recover(id);
      await sim.settle();
      const before = { row: await customerRow(customer), payments: await listPayments(store, customer), audit: await audit(customer) };
      assert.equal(before.row.status, 'active');
      // Every delivery again, newest first, twice (duplicates are recorded as such).
      const all = [...failed].reverse();
      for (const d of [...all, ...all]) {
        const res = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: d.body, headers: { 'X-Razorpay-Signature': d.signature, 'X-Razorpay-Event-Id': d.eventId } });
        assert.equal(res.status, 200);
      }
      // The pending state as a new event (a new id), delivered after the recovery: older by the entity's own fields.
      const pending = failed.find((d) => d.event === 'subscription.pending')!;
      const secret = server.deps.config.razorpay.webhookSecret;
      const res = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: pending.body, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(secret, pending.body), 'X-Razorpay-Event-Id': `evt_late_${uniqueId('x')}` } });
      assert.equal((await json(res)).outcome, 'state_not_newer');
      const row = await customerRow(customer);
      assert.deepEqual([row.status, row.plan, String(row.current_period_end)], [before.row.status, before.row.plan, String(before.row.current_period_end)]);
      assert.equal((await listPayments(store, customer)).length, before.payments.length);
      assert.equal((await audit(customer)).length, before.audit.length);
    });

    test('concurrent verifies and webhooks: one subscription, one audit row, one payment row', async () => {
      const customer = uniqueId();
      const { token, co } = await startCheckout(customer);
      const id = co.action.subscription_id as string;
      // The simulator's webhooks (authenticated, activated, charged) race the verifies.
      const paid = sim.paySubscription(id);
      const results = await Promise.all([verify(token, { plan: 'pro', ...paid }), verify(token, { plan: 'pro', ...paid }), verify(token, { plan: 'pro', ...paid }), sim.settle()]);
      for (const r of results.slice(0, 3) as Response[]) assert.equal(r.status, 200);
      await sim.settle();
      const row = await customerRow(customer);
      assert.deepEqual([row.plan, row.status, row.subscription_id], ['pro', 'active', id]);
      assert.equal((await audit(customer)).length, 1);
      const payments = await listPayments(store, customer);
      assert.deepEqual(payments.map((p) => [p.payment_id, p.kind, p.subscription_id]), [[paid.razorpay_payment_id, 'checkout', id]]);
      const mine = [...sim.subscriptions.values()].filter((s) => !Array.isArray(s.notes) && s.notes.customer_id === customer);
      assert.equal(mine.length, 1);
      assert.equal(new Date(row.current_period_end!).getTime(), sim.subscriptions.get(id)!.current_end! * 1000);
    });

    test('a live subscription: no overlapping one-off period and no second subscription (409 subscription_exists)', async () => {
      const { customer } = await subscribe();
      const token = await session(customer);
      for (const plan of ['once', 'team', 'pro']) {
        const res = await server.request('POST', '/v1/checkout', { token, body: { plan } });
        assert.equal(res.status, 409, plan);
        assert.equal((await json(res)).error.code, 'subscription_exists');
      }
      const m = await controls.cancel(await customerRow(customer), { atPeriodEnd: false });
      assert.equal(m.status, 'canceled');
      await sim.settle();
      assert.equal((await server.request('POST', '/v1/checkout', { token, body: { plan: 'once' } })).status, 201);
    });

    test('a one-off period paid for: the subscription bought during it is authorised now and first charged when that time ends (no day paid twice)', async () => {
      const customer = uniqueId();
      const { token, co: order } = await startCheckout(customer, 'once');
      const paidOrder = sim.pay(order.action.order_id);
      assert.equal((await verify(token, { plan: 'once', ...paidOrder })).status, 200);
      await sim.settle();
      const paidUntil = (await customerRow(customer))!.current_period_end!;
      assert.ok(new Date(paidUntil).getTime() > sim.clock() + 25 * DAY);

      const { co } = await startCheckout(customer, 'pro');
      assert.match(co.action.description, new RegExp(`from ${new Date(paidUntil).toISOString().slice(0, 10)}, when your paid time ends`));
      const upstream = sim.subscriptions.get(co.action.subscription_id)!;
      assert.equal(upstream.start_at, Math.floor(new Date(paidUntil).getTime() / 1000));
      const paid = sim.paySubscription(upstream.id, { method: 'card' });
      assert.equal((await verify(token, { plan: 'pro', ...paid })).status, 200);
      await sim.settle();
      // Authorised, nothing charged: Pro now, until the paid time ends (to Razorpay's second), then the first charge.
      let row = (await customerRow(customer))!;
      assert.deepEqual([row.plan, row.status, new Date(row.current_period_end!).getTime()], ['pro', 'trialing', upstream.start_at * 1000]);
      assert.deepEqual((await listPayments(store, customer)).map((p) => [p.plan, p.amount]).sort(), [['once', 99900], ['pro', 0]]);
      await toNextCharge(upstream.id);
      row = (await customerRow(customer))!;
      assert.deepEqual([row.plan, row.status], ['pro', 'active']);
      assert.ok(new Date(row.current_period_end!).getTime() > new Date(paidUntil).getTime() + 27 * DAY);
      assert.deepEqual((await listPayments(store, customer)).map((p) => [p.plan, p.amount]).sort(), [['once', 99900], ['pro', 0], ['pro', 159900]]);
    });

    test('pause and resume mirror into the customer', async () => {
      const { customer, token, id } = await subscribe();
      // The portal has no pause; Razorpay's dashboard does: its webhook pauses access here.
      const res = await sim.api.request(`/v1/subscriptions/${id}/pause`, {
        method: 'POST',
        headers: { Authorization: 'Basic ' + Buffer.from(`${server.deps.config.razorpay.keyId}:${server.deps.config.razorpay.keySecret}`).toString('base64'), 'Content-Type': 'application/json' },
        body: JSON.stringify({ pause_at: 'now' }),
      });
      assert.equal(res.status, 200);
      await sim.settle();
      assert.equal((await subscription(token)).plan, 'free');
      advance(2000);
      const m = await controls.resume(await customerRow(customer));
      assert.equal(m.status, 'active');
      await sim.settle();
      assert.deepEqual([(await subscription(await session(customer))).plan, (await customerRow(customer)).status], ['pro', 'active']);
    });
  });

  describe(`Razorpay Plans, live against the fake over HTTP (${engine})`, () => {
    let store: Store;
    let fake: Awaited<ReturnType<typeof startRazorpayFake>>;
    const secrets = { keyId: 'rzp_test_plans', keySecret: 'plans_key_secret_0123456789', webhookSecret: 'plans_whsec_0123456789' };
    before(async () => {
      store = await testStore(engine);
      fake = await startRazorpayFake(secrets);
    });
    after(async () => {
      await fake.close();
      await store.close();
    });
    const instance = (amount = 159900) =>
      makeServer({
        store,
        env: { TOLLGATE_SANDBOX: '0', RAZORPAY_KEY_ID: secrets.keyId, RAZORPAY_KEY_SECRET: secrets.keySecret, RAZORPAY_WEBHOOK_SECRET: secrets.webhookSecret, RAZORPAY_API_BASE: fake.url },
        file: { ...FILE, plans: FILE.plans.map((p) => (p.id === 'pro' ? { ...p, prices: [{ ...p.prices![0], amount }] } : p)) },
      });

    test('two instances share one Plan per price (a race keeps one), a second checkout makes none, a changed amount makes a new one', async () => {
      const [a, b] = await Promise.all([instance(), instance()]);
      const checkout = async (server: TestServer) => {
        const res = await server.request('POST', '/v1/checkout', { token: await server.session(uniqueId()), body: { plan: 'pro' } });
        assert.equal(res.status, 201, await res.clone().text());
        return fake.simulator.subscriptions.get((await json(res)).action.subscription_id)!;
      };
      const first = await Promise.all([checkout(a), checkout(b), checkout(a), checkout(b)]);
      const kept = await store.query<any>("SELECT plan_id FROM razorpay_plans WHERE key = 'pro|month|INR|159900'");
      assert.equal(kept.length, 1);
      assert.ok(first.every((s) => s.plan_id === kept[0].plan_id), 'every subscription uses the kept plan');
      const plansBefore = fake.simulator.plans.size;
      assert.ok(plansBefore >= 1 && plansBefore <= 2, `at most one upstream plan per racing instance (${plansBefore})`);
      const again = await Promise.all([checkout(a), checkout(b), checkout(await instance())]);
      assert.equal(fake.simulator.plans.size, plansBefore, 'no new upstream plan for the same price');
      assert.ok(again.every((s) => s.plan_id === kept[0].plan_id));
      const changed = await checkout(await instance(169900));
      assert.equal(fake.simulator.plans.size, plansBefore + 1);
      assert.equal(fake.simulator.plans.get(changed.plan_id)!.item.amount, 169900);
      assert.equal((await store.query('SELECT 1 FROM razorpay_plans')).length, 2);
      // The old plan is untouched upstream (plans are never edited).
      assert.equal(fake.simulator.plans.get(kept[0].plan_id)!.item.amount, 159900);
    });
  });
}
