// Seat changes after purchase on both engines (README "Seats and taxes"): the proration rule; POST /v1/seats on a
// one-off Razorpay period (a prorated top-up order to the fake over HTTP, paid once under replayed verifies and
// duplicate webhooks, its receipt line), on a Razorpay subscription (more seats now, fewer at the cycle end) and on
// a Stripe subscription (the fake receives the item's quantity and proration_behavior; the seats follow the webhook);
// refusals in the envelope (out of range, fewer seats in a paid period, a plan not sold per seat, no plan).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { startRazorpayFake } from '../fakes/razorpay.js';
import { signStripeWebhook, startStripeFake } from '../fakes/stripe.js';
import { proratedSeatsAmount } from '../../server/services/seats.js';
import { inclusiveTax } from '../../server/services/taxes.js';
import type { WebhookDelivery } from '../../server/providers/razorpay/sandbox/simulator.js';
import type { StripeSimulator } from '../../server/providers/stripe/sandbox/simulator.js';
import type { Store } from '../../server/store/index.js';
import type { CheckoutResponse, Entitlements, ErrorCode, PortalActionResponse, SeatChange } from '../../src/contract/index.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T12:00:00Z');
const GST_INCL = { mode: 'inclusive', rates: { IN: { rate: 18, name: 'GST', split: 'cgst_sgst' } } };
/** team: per seat (Razorpay orders, 2–50 seats, GST inclusive; Stripe USD up to 100); crew: per seat on a Razorpay subscription; pro: not per seat. */
const FILE = {
  metrics: [{ id: 'seats', label: 'Seats', label_one: 'Seat' }],
  plans: [
    { id: 'free', name: 'Free', limits: { seats: 1 } },
    { id: 'pro', name: 'Pro', limits: { seats: 1 }, prices: [{ provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month' }] },
    {
      id: 'team',
      name: 'Team',
      limits: { seats: 3 },
      prices: [
        { provider: 'razorpay', currency: 'INR', amount: 49900, interval: 'month', per_unit: true, min_quantity: 2, max_quantity: 50, tax: GST_INCL },
        { provider: 'stripe', currency: 'USD', amount: 1000, interval: 'month', per_unit: true, max_quantity: 100 },
      ],
    },
    { id: 'crew', name: 'Crew', limits: { seats: 1 }, prices: [{ provider: 'razorpay', currency: 'INR', amount: 29900, interval: 'month', recurring: true, per_unit: true, max_quantity: 20 }] },
  ],
} as const;

type Answer<T> = { status: number; body: T & { error?: { code: ErrorCode; message: string; request_id: string } } };

function assertRefused(res: Answer<unknown>, status: number, code: ErrorCode, message: RegExp) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error?.code, code);
  assert.match(res.body.error!.message, message);
  assert.ok(res.body.error!.request_id, 'the envelope has the request id');
}

describe('the proration rule: unit × seats × remaining ÷ period, integer minor units, half up, once', () => {
  test('worked by hand', () => {
    // 2 seats × ₹499 for 21 of 31 days: 2,095,800 ÷ 31 = 67,606.45… → 67,606.
    assert.equal(proratedSeatsAmount(49900, 2, 21 * DAY, 31 * DAY), 67606);
    // 1 × 1000 for 1 of 8: 125 exactly; 1 × 5 for 1 of 2: 2.5 → 3 (half up); 1 × 1 for 1 of 3: 0.33 → 0.
    assert.equal(proratedSeatsAmount(1000, 1, 1, 8), 125);
    assert.equal(proratedSeatsAmount(5, 1, 1, 2), 3);
    assert.equal(proratedSeatsAmount(1, 1, 1, 3), 0);
    // A whole period is the full price; more than a period is capped at it; nothing left costs nothing.
    assert.equal(proratedSeatsAmount(49900, 3, 31 * DAY, 31 * DAY), 149700);
    assert.equal(proratedSeatsAmount(49900, 3, 40 * DAY, 31 * DAY), 149700);
    assert.equal(proratedSeatsAmount(49900, 3, 0, 31 * DAY), 0);
    // Large values stay exact (unit × seats × ms is past 2^53).
    assert.equal(proratedSeatsAmount(2_000_000, 1000, 365 * DAY - 1, 365 * DAY), 2_000_000_000);
  });
});

for (const engine of engines()) {
  describe(`a one-off Razorpay period: more seats are a prorated top-up order (${engine})`, () => {
    const KEYS = { RAZORPAY_KEY_ID: 'rzp_test_seatchange', RAZORPAY_KEY_SECRET: 'seatchange_key_secret', RAZORPAY_WEBHOOK_SECRET: 'seatchange_webhook_secret' };
    let store: Store;
    let server: TestServer;
    let rzp: Awaited<ReturnType<typeof startRazorpayFake>>;
    let clock = T0;
    before(async () => {
      store = await testStore(engine);
      rzp = await startRazorpayFake({ keyId: KEYS.RAZORPAY_KEY_ID, keySecret: KEYS.RAZORPAY_KEY_SECRET, webhookSecret: KEYS.RAZORPAY_WEBHOOK_SECRET, now: () => clock });
      // A partner endpoint (nothing listens: the outbox rows are what is checked), so checkout.paid is written.
      server = await makeServer({
        store,
        env: { ...KEYS, RAZORPAY_API_BASE: rzp.url, TOLLGATE_SANDBOX: '0', PARTNER_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}` },
        file: { ...FILE, partner_webhooks: [{ url: 'http://127.0.0.1:9/events', secret_env: 'PARTNER_WEBHOOK_SECRET', events: ['checkout.paid'] }] } as never,
        partnerWebhooks: { retryScheduleMs: [600_000], sweepMs: 600_000 },
        now: () => new Date(clock),
      });
    });
    after(async () => {
      await server.close();
      await rzp.close();
      await store.close();
    });

    const session = (customer: string) => server.session(customer, { nowSeconds: Math.floor(clock / 1000) });
    async function post<T>(path: string, token: string, body: unknown, idempotencyKey?: string): Promise<Answer<T>> {
      const res = await server.request('POST', path, { token, body, idempotencyKey });
      return { status: res.status, body: await json(res) };
    }
    const verify = (token: string, plan: string, paid: object) => post<{ payment_id: string }>('/v1/razorpay/verify', token, { plan, ...paid });
    const seatsOf = async (token: string) => ((await json(await server.request('GET', '/v1/entitlements', { token }))) as Entitlements).limits.seats;
    const customerRow = async (id: string) => (await store.query<{ plan: string; seats: number | null; current_period_end: Date }>('SELECT plan, seats, current_period_end FROM customers WHERE id = $1', [id]))[0]!;
    const countOf = async (sql: string, params: unknown[]) => (await store.query<{ n: number }>(sql, params))[0]!.n;
    const paymentsOf = (checkoutId: string) => countOf('SELECT count(*)::int AS n FROM payments WHERE checkout_id = $1', [checkoutId]);
    const receiptsOf = (checkoutId: string) => countOf("SELECT count(*)::int AS n FROM receipts r JOIN payments p USING (provider, payment_id) WHERE p.checkout_id = $1 AND r.kind = 'receipt'", [checkoutId]);
    /** The fake's webhooks for an order, posted to our endpoint as Razorpay would; each outcome. */
    async function deliver(deliveries: readonly WebhookDelivery[], eventId?: (d: WebhookDelivery) => string): Promise<string[]> {
      const outcomes: string[] = [];
      for (const d of deliveries) {
        const res = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: d.body, headers: { 'X-Razorpay-Signature': d.signature, 'X-Razorpay-Event-Id': eventId ? eventId(d) : d.eventId } });
        assert.equal(res.status, 200, await res.clone().text());
        outcomes.push((await json(res)).outcome);
      }
      return outcomes;
    }
    /** A customer who bought `quantity` team seats at T0 (verified), with the clock back at T0. */
    async function teamCustomer(quantity: number) {
      clock = T0;
      const customer = uniqueId();
      const token = await session(customer);
      const co = await post<CheckoutResponse & { action: { order_id: string } }>('/v1/checkout', token, { plan: 'team', quantity });
      assert.equal(co.status, 201, JSON.stringify(co.body));
      const paid = rzp.simulator.pay(co.body.action.order_id);
      const verified = await verify(token, 'team', paid);
      assert.equal(verified.status, 200, `${JSON.stringify(verified.body)}\n${server.logLines.slice(-5).join('\n')}`);
      return { customer, token, periodEnd: (await customerRow(customer)).current_period_end };
    }

    test('10 days into a 31-day period, 3 → 5 seats: the fake order is 2 × ₹499 × 21/31 (₹676.06), paid once; seats 5, period end and plan unchanged, one payment, one receipt', async () => {
      const { customer, periodEnd } = await teamCustomer(3);
      assert.equal(new Date(periodEnd).toISOString(), '2027-01-01T12:00:00.000Z');
      clock = T0 + 10 * DAY;
      const token = await session(customer);
      const res = await post<SeatChange>('/v1/seats', await session(customer), { quantity: 5 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual([res.body.status, res.body.seats, res.body.quantity], ['payment_required', 3, 5]);
      const top = res.body.checkout!;
      const action = top.action as { type: string; order_id: string; amount: number; description: string };
      // 21 of 31 days left: 2 × 49,900 × 21 ÷ 31 = 67,606.45 → 67,606 paise; GST inside it (inclusive).
      assert.deepEqual(top.pricing, { currency: 'INR', unit_amount: 49900, quantity: 2, subtotal: 67606, discount: 0, tax: { ...top.pricing!.tax!, amount: inclusiveTax(67606, 18) }, total: 67606 });
      assert.equal(rzp.simulator.orders.get(action.order_id)!.amount, 67606);
      assert.equal(action.type, 'razorpay');
      assert.equal(action.description, 'Team · 2 more seats, prorated to Jan 1, 2027');
      assert.equal(await seatsOf(token), 3, 'nothing changes before the payment');

      // Paid: verify, a replayed verify (another key), and both of Razorpay's webhooks, one of them twice under another id.
      const before = rzp.simulator.deliveries.length;
      const paid = rzp.simulator.pay(action.order_id);
      const webhooks = rzp.simulator.deliveries.slice(before);
      const [first, replay] = await Promise.all([verify(token, 'team', paid), verify(token, 'team', paid)]);
      assert.deepEqual([first.status, replay.status], [200, 200], JSON.stringify([first.body, replay.body]));
      const outcomes = await deliver(webhooks);
      outcomes.push(...(await deliver(webhooks.slice(0, 1), (d) => `${d.eventId}_again`)));
      assert.ok(outcomes.every((o) => o === 'already_applied'), outcomes.join());
      assert.equal(await seatsOf(token), 5);
      const row = await customerRow(customer);
      assert.deepEqual([row.plan, row.seats, new Date(row.current_period_end).toISOString()], ['team', 5, new Date(periodEnd).toISOString()]);
      assert.equal(await paymentsOf(top.checkout_id), 1);
      assert.equal(await receiptsOf(top.checkout_id), 1);
      assert.equal(await countOf("SELECT count(*)::int AS n FROM plan_changes WHERE customer_id = $1 AND kind = 'upgrade'", [customer]), 1, 'the top-up is no plan change');

      // Its receipt says what it is, at the prorated amount, and the ledger row has the 2 seats.
      const list = await json(await server.request('GET', '/v1/receipts', { token }));
      const ids: string[] = list.receipts.map((r: { id: string }) => r.id);
      const receipts = await Promise.all(ids.map(async (id) => json(await server.request('GET', `/v1/receipts/${id}`, { token }))));
      const topUp = receipts.find((r) => r.total === 67606)!;
      assert.ok(topUp, JSON.stringify(receipts.map((r) => r.total)));
      assert.match(topUp.lines[0].description, /^Team · 2 more seats, prorated to /);
      assert.deepEqual([topUp.lines[0].quantity, topUp.lines[0].unit_amount, topUp.lines[0].amount, topUp.lines[0].taxes.map((t: { name: string }) => t.name)], [2, 49900, 67606, ['CGST', 'SGST']]);
      const [ledger] = await store.query<{ quantity: number; amount: number; kind: string }>('SELECT quantity, amount, kind FROM payments WHERE checkout_id = $1', [top.checkout_id]);
      assert.deepEqual(ledger, { quantity: 2, amount: 67606, kind: 'checkout' });
      // The partner's checkout.paid says it is a top-up: 2 seats over 3, once.
      const events = await store.query<{ data: Record<string, unknown> }>("SELECT data FROM outbox_events WHERE type = 'checkout.paid' AND data->>'checkout_id' = $1", [top.checkout_id]);
      assert.deepEqual(events.map((e) => [e.data.kind, e.data.quantity, e.data.seats_from, e.data.amount, e.data.plan]), [['seats', 2, 3, 67606, 'team']]);
    });

    // Every payment row's foreign key takes its customer's key-share lock before the receipt trigger takes the
    // series' counter, so two payments of one customer queue on the customer and never deadlock on the counter.
    test('a top-up paid (verify and webhook) while another payment of the same customer is being written: all land, no deadlock', { skip: engine !== 'postgres' }, async () => {
      const { customer } = await teamCustomer(3);
      clock = T0 + 10 * DAY;
      const token = await session(customer);
      const res = await post<SeatChange>('/v1/seats', token, { quantity: 4 });
      const sent = rzp.simulator.deliveries.length;
      const paid = rzp.simulator.pay((res.body.checkout!.action as { order_id: string }).order_id);
      const webhooks = rzp.simulator.deliveries.slice(sent);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const isHeld = new Promise<void>((resolve) => (holding = resolve));
      // Another payment of this customer (a renewal, say): its transaction has the customer and is about to write the payment.
      const other = store.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customer]);
        holding();
        await held;
        await tx.query("INSERT INTO payments (provider, payment_id, customer_id, kind, plan, interval, amount, currency, paid_at) VALUES ('razorpay', $1, $2, 'renewal', 'team', 'month', 49900, 'INR', now())", [`pay_other_${customer}`, customer]);
      });
      await isHeld;
      // Razorpay's webhook pays it (its transaction starts at the checkout), and a verify too.
      const delivered = deliver(webhooks.slice(0, 1));
      const verified = verify(token, 'team', paid);
      // Both wait for the customer, holding no receipt counter (which the other payment needs next).
      const waiting = async () => (await store.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"))[0]!.n >= 2;
      for (let i = 0; i < 500 && !(await waiting()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(await waiting(), 'the verify waits on a lock');
      release();
      await other;
      const [outcome] = await delivered;
      assert.ok(outcome === 'upgraded' || outcome === 'already_applied', outcome);
      const answer = await verified;
      assert.equal(answer.status, 200, `${JSON.stringify(answer.body)}\n${server.logLines.slice(-5).join('\n')}`);
      assert.equal(await countOf("SELECT count(*)::int AS n FROM receipts WHERE customer_id = $1 AND kind = 'receipt'", [customer]), 3);
      assert.equal((await customerRow(customer)).seats, 4);
    });

    test('a webhook before any verify pays the top-up as well, once; two top-ups paid in either order add both', async () => {
      const { customer } = await teamCustomer(2);
      clock = T0 + 15 * DAY;
      const token = await session(customer);
      const a = await post<SeatChange>('/v1/seats', await session(customer), { quantity: 4 });
      const b = await post<SeatChange>('/v1/seats', await session(customer), { quantity: 3 });
      assert.deepEqual([a.body.status, b.body.status], ['payment_required', 'payment_required']);
      // 16 of 31 days left: 2 × 49,900 × 16 ÷ 31 = 51,509.68 → 51,510; 1 seat: 25,754.84 → 25,755.
      assert.deepEqual([a.body.checkout!.pricing!.total, b.body.checkout!.pricing!.total], [51510, 25755]);
      const orderOf = (c: SeatChange) => (c.checkout!.action as { order_id: string }).order_id;
      const beforeB = rzp.simulator.deliveries.length;
      const paidB = rzp.simulator.pay(orderOf(b.body));
      await deliver(rzp.simulator.deliveries.slice(beforeB));
      assert.equal((await verify(token, 'team', paidB)).status, 200);
      assert.equal(await seatsOf(token), 3);
      const paidA = rzp.simulator.pay(orderOf(a.body));
      assert.equal((await verify(token, 'team', paidA)).status, 200);
      assert.equal(await seatsOf(token), 5, '2 + 1 + 2');
      assert.deepEqual([await paymentsOf(a.body.checkout!.checkout_id), await paymentsOf(b.body.checkout!.checkout_id)], [1, 1]);
    });

    test('a replayed POST /v1/seats answers the same top-up; the key with another quantity is a mismatch', async () => {
      const { customer } = await teamCustomer(2);
      clock = T0 + 5 * DAY;
      const token = await session(customer);
      const orders = rzp.simulator.orders.size;
      const first = await post<SeatChange>('/v1/seats', token, { quantity: 6 }, `seats-${customer}`);
      const again = await server.request('POST', '/v1/seats', { token, body: { quantity: 6 }, idempotencyKey: `seats-${customer}` });
      assert.equal(again.headers.get('Idempotent-Replay'), 'true');
      assert.deepEqual(await json(again), first.body);
      assert.equal(rzp.simulator.orders.size, orders + 1);
      assertRefused(await post('/v1/seats', token, { quantity: 7 }, `seats-${customer}`), 409, 'idempotency_key_mismatch', /Idempotency-Key/);
    });

    test('refused in the envelope: out of range, not whole, fewer seats in a paid period, a plan not sold per seat, no plan; nothing is ordered', async () => {
      const { customer } = await teamCustomer(3);
      clock = T0 + DAY;
      const token = await session(customer);
      const orders = rzp.simulator.orders.size;
      assertRefused(await post('/v1/seats', token, { quantity: 51 }), 400, 'validation_error', /sold from 2 to 50 seats; 51 is out of range/);
      assertRefused(await post('/v1/seats', token, { quantity: 1 }), 400, 'validation_error', /sold from 2 to 50 seats; 1 is out of range/);
      assertRefused(await post('/v1/seats', token, { quantity: 2.5 }), 400, 'validation_error', /whole number of seats/);
      assertRefused(await post('/v1/seats', token, { quantity: 4, extra: 1 }), 400, 'validation_error', /extra/);
      assertRefused(await post('/v1/seats', token, { quantity: 2 }), 409, 'conflict', /3 seats of this period are paid for until 2027-01-01 and cannot go down/);
      const same = await post<SeatChange>('/v1/seats', token, { quantity: 3 });
      assert.deepEqual([same.status, same.body.status, same.body.checkout], [200, 'unchanged', null]);
      // Pro is not sold per seat.
      const pro = uniqueId();
      const proToken = await session(pro);
      const co = await post<{ action: { order_id: string } }>('/v1/checkout', proToken, { plan: 'pro' });
      assert.equal((await verify(proToken, 'pro', rzp.simulator.pay(co.body.action.order_id))).status, 200);
      const ordersNow = rzp.simulator.orders.size;
      assertRefused(await post('/v1/seats', proToken, { quantity: 2 }), 409, 'conflict', /Pro plan is not sold per seat/);
      assertRefused(await post('/v1/seats', await session(uniqueId()), { quantity: 2 }), 409, 'conflict', /no paid plan in force/);
      assert.equal(rzp.simulator.orders.size, ordersNow);
      assert.equal(ordersNow, orders + 1, 'only the pro checkout made an order');
    });

    test('the billing portal shows the seats and takes the same change: a top-up checkout to pay on the page', async () => {
      const { customer } = await teamCustomer(2);
      clock = T0 + 10 * DAY;
      const link = await json(await server.request('POST', '/v1/portal', { token: await session(customer), body: { return_url: 'http://tollgate.test/app' } }));
      const portalToken = new URL(link.url).hash.match(/^#token=(.+)$/)![1]!;
      const summary = await json(await server.request('GET', '/v1/portal/summary', { token: portalToken }));
      assert.deepEqual(summary.seats, { quantity: 2, min: 2, max: 50, unit_amount: 49900, currency: 'INR', can_change: true });
      const res = await post<PortalActionResponse>('/v1/portal/seats', portalToken, { quantity: 3 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.seats?.status, 'payment_required');
      assert.ok(res.body.checkout?.checkout_id);
      // 1 seat, 21 of 31 days: 33,803.23 → 33,803.
      assert.equal(rzp.simulator.orders.get((res.body.checkout!.action as { order_id: string }).order_id)!.amount, 33803);
      assertRefused(await post('/v1/portal/seats', portalToken, { quantity: 60 }), 400, 'validation_error', /out of range/);
      // Paid, the history says what the top-up was beside the purchase of the plan.
      const paid = rzp.simulator.pay((res.body.checkout!.action as { order_id: string }).order_id);
      assert.equal((await verify(await session(customer), 'team', paid)).status, 200);
      const after = await json(await server.request('GET', '/v1/portal/summary', { token: portalToken }));
      assert.deepEqual(after.payments.map((p: { amount: number; seats_added: number | null }) => [p.amount, p.seats_added]), [[33803, 1], [99800, null]]);
    });
  });

  describe(`a Razorpay subscription: more seats now, fewer at the cycle end (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let clock = T0;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, file: FILE as never, sandboxWebhookDelayMs: 0, now: () => new Date(clock) });
    });
    after(async () => {
      await server.razorpaySandbox!.settle();
      await store.close();
    });

    test('POST /v1/seats 2 → 4 applies now (the subscription and the seats limit); 4 → 3 waits for the cycle end, then the next charge is 3 seats', async () => {
      const sim = server.razorpaySandbox!;
      const customer = uniqueId();
      const session = () => server.session(customer, { nowSeconds: Math.floor(clock / 1000) });
      const co = await json(await server.request('POST', '/v1/checkout', { token: await session(), body: { plan: 'crew', interval: 'month', quantity: 2 } }));
      const id = co.action.subscription_id as string;
      const paid = sim.paySubscription(id, { method: 'upi' });
      assert.equal((await server.request('POST', '/v1/razorpay/verify', { token: await session(), body: { plan: 'crew', ...paid } })).status, 200);
      await sim.settle();
      const seats = async () => ((await json(await server.request('GET', '/v1/entitlements', { token: await session() }))) as Entitlements).limits.seats;
      assert.equal(await seats(), 2);

      const up = await json(await server.request('POST', '/v1/seats', { token: await session(), body: { quantity: 4 } }));
      assert.deepEqual([up.status, up.seats, up.quantity, up.at, up.checkout], ['applied', 4, 4, null, null]);
      assert.equal(sim.subscriptions.get(id)!.quantity, 4);
      assert.equal(await seats(), 4);

      const down = await json(await server.request('POST', '/v1/seats', { token: await session(), body: { quantity: 3 } }));
      assert.deepEqual([down.status, down.seats, down.quantity], ['scheduled', 4, 3]);
      assert.ok(down.at && Date.parse(down.at) > clock, down.at);
      assert.equal(await seats(), 4, 'the seats paid for stay until the cycle end');
      assertRefused({ status: 400, body: await json(await server.request('POST', '/v1/seats', { token: await session(), body: { quantity: 21 } })) }, 400, 'validation_error', /sold from 1 to 20 seats/);

      // The cycle ends: the change applies upstream, the charge is 3 seats, and the limit follows the subscription.
      const at = sim.subscriptions.get(id)!.charge_at!;
      clock = at * 1000 + 1000;
      sim.tick();
      await sim.settle();
      assert.equal(sim.subscriptions.get(id)!.quantity, 3);
      const [renewal] = await store.query<{ amount: number; quantity: number }>("SELECT amount, quantity FROM payments WHERE customer_id = $1 AND kind = 'renewal' ORDER BY paid_at DESC LIMIT 1", [customer]);
      assert.deepEqual(renewal, { amount: 3 * 29900, quantity: 3 });
      assert.equal(await seats(), 3);
    });
  });

  describe(`a Stripe subscription: the item's quantity, the seats from the webhook (${engine})`, () => {
    const KEYS = { STRIPE_SECRET_KEY: 'sk_test_tollgate', STRIPE_PUBLISHABLE_KEY: 'pk_test_tollgate', STRIPE_WEBHOOK_SECRET: 'whsec_test_tollgate' };
    let store: Store;
    let server: TestServer;
    let stripe: Awaited<ReturnType<typeof startStripeFake>>;
    let clock = T0;
    before(async () => {
      store = await testStore(engine);
      stripe = await startStripeFake({ now: () => clock });
      server = await makeServer({ store, env: { ...KEYS, STRIPE_API_BASE: stripe.url, TOLLGATE_SANDBOX: '0' }, file: FILE as never, now: () => new Date(clock) });
    });
    after(async () => {
      await stripe.close();
      await store.close();
    });
    /** Post the fake's events from `from` on to our endpoint, as Stripe would (the fake's own delivery is off). */
    async function deliverFrom(from: number): Promise<string[]> {
      const outcomes: string[] = [];
      for (const event of stripe.state.events.slice(from)) {
        const body = JSON.stringify(event);
        const res = await server.request('POST', '/v1/webhooks/stripe', { rawBody: body, headers: { 'Stripe-Signature': signStripeWebhook(KEYS.STRIPE_WEBHOOK_SECRET, body, Math.floor(clock / 1000)) } });
        assert.equal(res.status, 200, await res.clone().text());
        outcomes.push((await json(res)).outcome);
      }
      return outcomes;
    }

    test('3 → 5 seats: POST /v1/subscriptions/{id} with items[0][id], items[0][quantity]=5, proration_behavior=always_invoice; the limit is 5 once customer.subscription.updated arrives; 5 → 2 with create_prorations', async () => {
      const customer = uniqueId();
      const session = () => server.session(customer, { nowSeconds: Math.floor(clock / 1000) });
      const co = await json(await server.request('POST', '/v1/checkout', { token: await session(), body: { plan: 'team', provider: 'stripe', currency: 'USD', quantity: 3, return_url: 'http://tollgate.test/back' } }));
      const sessionId = new URL(co.action.url).pathname.split('/').pop()!;
      const from = stripe.state.events.length;
      await stripe.control.completeSession(sessionId);
      await deliverFrom(from);
      const seats = async () => ((await json(await server.request('GET', '/v1/entitlements', { token: await session() }))) as Entitlements).limits.seats;
      assert.equal(await seats(), 3);
      const sub = [...stripe.state.subscriptions.values()].find((s) => s.customer === stripe.state.sessions.get(sessionId)!.customer)!;
      assert.equal(sub.items.data[0]!.quantity, 3);

      clock += 5 * DAY;
      const mark = stripe.state.events.length;
      const up = await server.request('POST', '/v1/seats', { token: await session(), body: { quantity: 5 } });
      const answer = (await json(up)) as SeatChange;
      assert.equal(up.status, 200, JSON.stringify(answer));
      assert.deepEqual([answer.status, answer.seats, answer.quantity], ['pending', 3, 5]);
      const call = [...stripe.state.requests].reverse().find((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${sub.id}`)!;
      assert.deepEqual(call.params, { items: [{ id: sub.items.data[0]!.id, quantity: '5' }], proration_behavior: 'always_invoice', payment_behavior: 'pending_if_incomplete' });
      assert.ok(call.headers['idempotency-key'], 'the update carries an Idempotency-Key');
      assert.equal(sub.items.data[0]!.quantity, 5);
      assert.equal(await seats(), 3, 'not before Stripe reports it');
      const events = stripe.state.events.slice(mark);
      assert.deepEqual(events.map((e) => e.type), ['customer.subscription.updated']);
      assert.deepEqual(await deliverFrom(mark), ['applied']);
      assert.equal(await seats(), 5);
      // The same event again changes nothing.
      assert.deepEqual(await deliverFrom(mark), ['duplicate']);
      assert.equal(await seats(), 5);

      const mark2 = stripe.state.events.length;
      const down = (await json(await server.request('POST', '/v1/seats', { token: await session(), body: { quantity: 2 } }))) as SeatChange;
      assert.equal(down.status, 'pending');
      const call2 = [...stripe.state.requests].reverse().find((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${sub.id}`)!;
      assert.deepEqual(call2.params, { items: [{ id: sub.items.data[0]!.id, quantity: '2' }], proration_behavior: 'create_prorations' });
      await deliverFrom(mark2);
      assert.equal(await seats(), 2);
      assertRefused({ status: 400, body: await json(await server.request('POST', '/v1/seats', { token: await session(), body: { quantity: 101 } })) }, 400, 'validation_error', /sold from 1 to 100 seats/);
    });
  });

  describe(`the sandbox's simulated Stripe: the seats bought and changed are the subscription item's quantity (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: FILE as never });
    });
    after(async () => {
      await store.close();
    });

    test('a 3-seat session starts a subscription of quantity 3 (the session total 3 × $10); POST /v1/seats 4: the simulator\'s item is 4, and so is the limit once its event is in', async () => {
      const sim = (server.deps.providers.get('stripe') as unknown as { sandbox: StripeSimulator }).sandbox;
      const customer = uniqueId();
      const token = await server.session(customer);
      const co = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'team', provider: 'stripe', currency: 'USD', quantity: 3, return_url: 'http://tollgate.test/back' } }));
      const sessionId = new URL(co.action.url).pathname.split('/').pop()!;
      assert.equal(sim.sessions.get(sessionId)!.amount_total, 3000);
      await sim.completeSession(sessionId);
      await sim.settle();
      const sub = sim.subscriptions.get(sim.sessions.get(sessionId)!.subscription!)!;
      assert.equal(sub.items.data[0]!.quantity, 3);
      const seats = async () => ((await json(await server.request('GET', '/v1/entitlements', { token }))) as Entitlements).limits.seats;
      assert.equal(await seats(), 3);
      const res = await server.request('POST', '/v1/seats', { token, body: { quantity: 4 } });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(sub.items.data[0]!.quantity, 4);
      await sim.settle();
      assert.equal(await seats(), 4);
    });
  });
}
