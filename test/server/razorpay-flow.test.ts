// The Razorpay flow end to end against the in-server sandbox and a real-HTTP fake Razorpay: checkout,
// verify (forged, truncated, foreign, replayed, concurrent), webhooks (replayed, out of order), refunds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { signRazorpayWebhook } from '../../server/security/signatures.js';
import type { Store } from '../../server/store/index.js';
import { listPayments } from '../../server/store/payments.js';

for (const engine of engines()) {
  describe(`Razorpay sandbox flow (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    /** The server's clock: the wall clock unless a test holds it still. */
    let frozen: number | undefined;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, sandboxWebhookDelayMs: 0, now: () => new Date(frozen ?? Date.now()) });
    });
    after(async () => {
      await server.razorpaySandbox?.settle();
      await store.close();
    });

    async function checkout(token: string, plan = 'pro') {
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan } });
      assert.equal(res.status, 201, await res.clone().text());
      return json(res);
    }

    test('checkout prices the plan on the server and returns a razorpay action', async () => {
      const token = await server.session(uniqueId(), { email: 'asha@example.in' });
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', amount: 1 } });
      assert.equal(res.status, 201);
      const body = await json(res);
      assert.match(body.checkout_id, /^chk_/);
      assert.equal(body.action.type, 'razorpay');
      assert.equal(body.action.amount, 159900);
      assert.equal(body.action.currency, 'INR');
      assert.equal(body.action.key_id, 'rzp_test_sandbox');
      assert.match(body.action.order_id, /^order_/);
      assert.equal(body.action.prefill.email, 'asha@example.in');
      assert.equal(body.action.script_url, 'http://tollgate.test/sandbox/razorpay/checkout.js');
      const order = server.razorpaySandbox!.orders.get(body.action.order_id)!;
      assert.equal(order.receipt, body.checkout_id);
      assert.deepEqual(order.notes, { customer_id: order.notes && (order.notes as Record<string, string>).customer_id, plan: 'pro', checkout_id: body.checkout_id });
    });

    test('pay, verify, and the subscription shows pro; the webhooks that follow change nothing', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const { action } = await checkout(token);
      const paid = server.razorpaySandbox!.pay(action.order_id);
      const res = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } });
      assert.equal(res.status, 200);
      assert.deepEqual(await json(res), { message: 'Plan upgraded', old_plan: 'free', new_plan: 'pro', payment_id: paid.razorpay_payment_id });
      await server.razorpaySandbox!.settle();
      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'pro');
      assert.equal(sub.status, 'active');
      assert.equal(sub.usage.messagesLimit, 10000);
      const audit = await store.query('SELECT * FROM plan_changes WHERE customer_id = $1', [customer]);
      assert.equal(audit.length, 1);
    });

    test('the subscription says which interval is paid for: monthly, then the same plan yearly (the switch), none on free', async () => {
      const customer = uniqueId();
      const token = await server.session(customer);
      const sub = async () => json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal((await sub()).interval, null);
      const buy = async (interval: string) => {
        const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', interval } });
        assert.equal(res.status, 201, await res.clone().text());
        const { action } = await json(res);
        const paid = server.razorpaySandbox!.pay(action.order_id);
        assert.equal((await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } })).status, 200);
        await server.razorpaySandbox!.settle();
      };
      await buy('month');
      assert.deepEqual([(await sub()).plan, (await sub()).interval], ['pro', 'month']);
      await buy('year');
      assert.deepEqual([(await sub()).plan, (await sub()).interval], ['pro', 'year']);
    });

    async function paidOrder(customer = uniqueId(), plan = 'pro') {
      const token = await server.session(customer);
      const co = await checkout(token, plan);
      const paid = server.razorpaySandbox!.pay(co.action.order_id);
      return { customer, token, co, paid };
    }
    /** A genuinely signed Checkout response for an order, without the simulator's webhooks. */
    async function signedOnly(customer = uniqueId(), plan = 'pro') {
      const token = await server.session(customer);
      const co = await checkout(token, plan);
      const { signRazorpayPayment } = await import('../../server/security/signatures.js');
      const razorpay_payment_id = `pay_${uniqueId('s').replace('_', '')}`;
      const paid = { razorpay_order_id: co.action.order_id as string, razorpay_payment_id, razorpay_signature: signRazorpayPayment(server.deps.config.razorpay.keySecret, co.action.order_id, razorpay_payment_id) };
      return { customer, token, co, paid };
    }
    const verify = (token: string, body: Record<string, unknown>, idempotencyKey?: string) => server.request('POST', '/v1/razorpay/verify', { token, body, idempotencyKey });
    const auditRows = (customer: string) => store.query<any>('SELECT * FROM plan_changes WHERE customer_id = $1 ORDER BY id', [customer]);
    const planOf = async (customer: string) => (await store.query<any>('SELECT plan FROM customers WHERE id = $1', [customer]))[0].plan;

    test('forged, truncated, non-hex and other-order signatures are 400 invalid_signature and change nothing', async () => {
      const { customer, token, paid } = await signedOnly();
      const other = await signedOnly();
      const bad = [
        'f'.repeat(64),
        paid.razorpay_signature.slice(0, 40),
        paid.razorpay_signature + '00',
        'zz' + paid.razorpay_signature.slice(2),
        other.paid.razorpay_signature,
        paid.razorpay_signature.toUpperCase().replace(/./, (ch) => (ch === 'A' ? 'B' : 'A')),
      ];
      for (const razorpay_signature of bad) {
        const res = await verify(token, { plan: 'pro', ...paid, razorpay_signature });
        assert.equal(res.status, 400);
        const body = await json(res);
        assert.equal(body.error.code, 'invalid_signature');
        assert.equal(body.error.message, 'Invalid payment signature');
      }
      assert.equal(await planOf(customer), 'free');
      assert.equal((await verify(token, { plan: 'pro', ...paid })).status, 200);
      // The signature of this payment over another order id (sent by the browser) still checks against the stored order.
      const mixed = await verify(token, { plan: 'pro', razorpay_order_id: paid.razorpay_order_id, razorpay_payment_id: other.paid.razorpay_payment_id, razorpay_signature: other.paid.razorpay_signature });
      assert.equal(mixed.status, 400);
      assert.equal((await auditRows(customer)).length, 1);
    });

    test('a paid period and a new order: the same plan extends it, a higher one credits the time left, a lower one waits (409)', async (t) => {
      // Periods are calendar months (Jan 31 + 1 month is Mar 3): "a month from the server's now" and "a month
      // from the test's Date.now()" differ by up to three days when a run crosses midnight UTC at a month's
      // end. So the server's clock is held still, and the expectations use that same instant.
      const now = (frozen = Date.now());
      t.after(() => void (frozen = undefined));
      const customer = uniqueId();
      const token = await server.session(customer);
      const DAY = 86_400_000;
      const monthFrom = (t: number) => {
        const d = new Date(t);
        d.setUTCMonth(d.getUTCMonth() + 1);
        return d.getTime() - t;
      };
      const buy = async (plan: string) => {
        const { paid } = await signedOnly(customer, plan);
        const res = await verify(token, { plan, ...paid });
        assert.equal(res.status, 200, await res.clone().text());
      };
      const subscription = async () => json(await server.request('GET', '/v1/subscription', { token }));
      const endOf = async () => new Date((await subscription()).currentPeriodEnd).getTime();

      await buy('pro');
      const first = await endOf();
      assert.equal(first, now + monthFrom(now));
      assert.equal((await subscription()).canUpgrade, true);
      assert.equal((await subscription()).cancelAtPeriodEnd, true, 'an order pays for one period: nothing renews it');

      // Pro again before it ends: a second month after the first, nothing lost.
      await buy('pro');
      const second = await endOf();
      assert.ok(Math.abs(second - first - monthFrom(now)) <= 1, `extended by a month: ${(second - first) / DAY} days`);

      // Team (₹3,999) with about two months of Pro (₹1,599 a month) left: a month of Team plus that time at 1,599/3,999.
      const left = second - now;
      await buy('team');
      const third = await endOf();
      const expected = now + monthFrom(now) + left * (159900 / 399900);
      assert.ok(Math.abs(third - expected) <= 1, `credited: ${third - expected} ms off`);
      const sub = await subscription();
      assert.equal(sub.plan, 'team');
      assert.equal(sub.canUpgrade, false, 'the top plan: <usage-meter> hides Upgrade');

      // Back to Pro while Team is paid for: refused with the date, and no order is made.
      const orders = (await store.query('SELECT 1 FROM checkouts WHERE customer_id = $1', [customer])).length;
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(res.status, 409);
      const { error } = await json(res);
      assert.equal(error.code, 'downgrade_not_available');
      assert.match(error.message, new RegExp(`until ${new Date(third).toISOString().slice(0, 10)}`));
      assert.equal((await store.query('SELECT 1 FROM checkouts WHERE customer_id = $1', [customer])).length, orders);
      assert.equal((await auditRows(customer)).length, 3);
    });

    test('a currency the plan has no price in is a 400, not a silent charge in another one', async () => {
      const token = await server.session(uniqueId());
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', currency: 'XYZ' } });
      assert.equal(res.status, 400);
      const { error } = await json(res);
      assert.equal(error.code, 'validation_error');
      assert.match(error.message, /^currency: .*XYZ/);
    });

    test("another customer's order is 404; another plan than the order's is 400", async () => {
      const { token, paid } = await signedOnly();
      const intruder = await server.session(uniqueId());
      const res = await verify(intruder, { plan: 'pro', ...paid });
      assert.equal(res.status, 404);
      assert.equal((await json(res)).error.code, 'not_found');
      const wrongPlan = await verify(token, { plan: 'team', ...paid });
      assert.equal(wrongPlan.status, 400);
      assert.match((await json(wrongPlan)).error.message, /this order is for "pro"/);
      const unknown = await verify(token, { plan: 'pro', ...paid, razorpay_order_id: 'order_doesnotexist' });
      assert.equal(unknown.status, 404);
    });

    test('the same verify again is the same success; another payment for a paid order is 409', async () => {
      const { customer, token, paid, co } = await paidOrder();
      const first = await json(await verify(token, { plan: 'pro', ...paid }));
      const again = await verify(token, { plan: 'pro', ...paid });
      assert.equal(again.status, 200);
      assert.deepEqual(await json(again), first);
      assert.equal(first.old_plan, 'free');
      // A second, genuinely signed payment for the same order (Razorpay would not allow it) is a conflict.
      const { signRazorpayPayment } = await import('../../server/security/signatures.js');
      const sig = signRazorpayPayment(server.deps.config.razorpay.keySecret, co.action.order_id, 'pay_second0000001');
      const conflict = await verify(token, { plan: 'pro', razorpay_order_id: co.action.order_id, razorpay_payment_id: 'pay_second0000001', razorpay_signature: sig });
      assert.equal(conflict.status, 409);
      assert.equal((await json(conflict)).error.code, 'conflict');
      assert.equal((await auditRows(customer)).length, 1);
    });

    test('a dozen concurrent verifies of one payment: exactly one upgrade and one audit row', async () => {
      const { customer, token, paid } = await paidOrder();
      const results = await Promise.all(Array.from({ length: 12 }, () => verify(token, { plan: 'pro', ...paid })));
      const bodies = await Promise.all(results.map((r) => json(r)));
      assert.deepEqual(results.map((r) => r.status), Array(12).fill(200));
      for (const b of bodies) assert.deepEqual(b, { message: 'Plan upgraded', old_plan: 'free', new_plan: 'pro', payment_id: paid.razorpay_payment_id });
      await server.razorpaySandbox!.settle();
      const audit = await auditRows(customer);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].kind, 'upgrade');
      assert.equal(audit[0].payment_id, paid.razorpay_payment_id);
      const orders = await store.query<any>("SELECT status FROM checkouts WHERE customer_id = $1", [customer]);
      assert.deepEqual(orders.map((o) => o.status), ['paid']);
    });

    test('POST /v1/checkout/{id}/verify (the generic route): one upgrade, one audit row, the same key replays the answer', async () => {
      const { customer, token, paid, co } = await paidOrder();
      const byId = (body: Record<string, unknown>, idempotencyKey?: string, as = token, id = co.checkout_id) =>
        server.request('POST', `/v1/checkout/${id}/verify`, { token: as, body, idempotencyKey });
      const expected = { message: 'Plan upgraded', old_plan: 'free', new_plan: 'pro', payment_id: paid.razorpay_payment_id };
      const first = await byId({ plan: 'pro', ...paid }, `v-${customer}`);
      assert.equal(first.status, 200);
      assert.deepEqual(await json(first), expected);
      const replay = await byId({ plan: 'pro', ...paid }, `v-${customer}`);
      assert.equal(replay.status, 200);
      assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
      assert.deepEqual(await json(replay), expected);
      // A fresh key, and the alias: the same success, nothing applied twice.
      const again = await byId({ plan: 'pro', ...paid });
      assert.deepEqual([again.status, await json(again)], [200, expected]);
      assert.deepEqual(await json(await verify(token, { plan: 'pro', ...paid })), expected);
      // Another order id than this checkout's, and another customer's checkout, are 404.
      const otherOrder = await byId({ plan: 'pro', ...paid, razorpay_order_id: 'order_doesnotexist' });
      assert.equal(otherOrder.status, 404);
      const intruder = await server.session(uniqueId());
      const foreign = await byId({ plan: 'pro', ...paid }, undefined, intruder);
      assert.equal(foreign.status, 404);
      assert.equal((await json(foreign)).error.code, 'not_found');
      await server.razorpaySandbox!.settle();
      const audit = await auditRows(customer);
      assert.equal(audit.length, 1);
      assert.equal(audit[0].kind, 'upgrade');
      assert.equal(audit[0].payment_id, paid.razorpay_payment_id);
      const orders = await store.query<any>('SELECT status FROM checkouts WHERE customer_id = $1', [customer]);
      assert.deepEqual(orders.map((o) => o.status), ['paid']);
    });

    describe('webhooks', () => {
      const secret = () => server.deps.config.razorpay.webhookSecret;
      function webhook(event: string, payload: Record<string, unknown>, options: { eventId?: string; signature?: string; raw?: string } = {}) {
        const raw = options.raw ?? JSON.stringify({ entity: 'event', account_id: 'acc_test', event, contains: Object.keys(payload), payload, created_at: Math.floor(Date.now() / 1000) });
        return server.request('POST', '/v1/webhooks/razorpay', {
          rawBody: raw,
          idempotencyKey: null,
          headers: { 'X-Razorpay-Signature': options.signature ?? signRazorpayWebhook(secret(), raw), 'X-Razorpay-Event-Id': options.eventId ?? `evt_${uniqueId('t')}` },
        });
      }
      const paymentEntity = (id: string, order_id: string, extra: Record<string, unknown> = {}) => ({ payment: { entity: { id, entity: 'payment', order_id, amount: 159900, currency: 'INR', status: 'captured', ...extra } } });

      test('a bad or missing signature is 400 invalid_signature; a missing event id is 400', async () => {
        const raw = JSON.stringify({ event: 'order.paid', payload: {} });
        assert.equal((await json(await webhook('order.paid', {}, { raw, signature: 'ab'.repeat(32) }))).error.code, 'invalid_signature');
        const res = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: raw, idempotencyKey: null, headers: { 'X-Razorpay-Event-Id': 'evt_1' } });
        assert.equal((await json(res)).error.code, 'invalid_signature');
        const noId = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: raw, idempotencyKey: null, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(secret(), raw) } });
        assert.equal(noId.status, 400);
        // Re-serialised JSON (other whitespace) no longer matches the signature of the raw bytes.
        const pretty = JSON.stringify(JSON.parse(raw), null, 2);
        assert.equal((await webhook('order.paid', {}, { raw: pretty, signature: signRazorpayWebhook(secret(), raw) })).status, 400);
      });

      test('order.paid upgrades a customer whose verify never came (closed tab); replays change nothing', async () => {
        const customer = uniqueId();
        const token = await server.session(customer);
        const co = await checkout(token);
        const eventId = `evt_${uniqueId('x')}`;
        const payload = { ...paymentEntity('pay_closedtab0001', co.action.order_id), order: { entity: { id: co.action.order_id, entity: 'order', status: 'paid' } } };
        const first = await json(await webhook('order.paid', payload, { eventId }));
        assert.equal(first.outcome, 'upgraded');
        for (let i = 0; i < 3; i++) assert.equal((await json(await webhook('order.paid', payload, { eventId }))).outcome, 'duplicate');
        assert.equal((await json(await webhook('payment.captured', paymentEntity('pay_closedtab0001', co.action.order_id)))).outcome, 'already_applied');
        assert.equal(await planOf(customer), 'pro');
        assert.equal((await auditRows(customer)).length, 1);
        const state = await json(await server.request('GET', `/v1/checkout/${co.checkout_id}`, { token }));
        assert.equal(state.status, 'paid');
        assert.equal(state.payment_id, 'pay_closedtab0001');
      });

      test('payment.failed is recorded; a late capture still upgrades; a failure after capture keeps it paid', async () => {
        const customer = uniqueId();
        const token = await server.session(customer);
        const co = await checkout(token);
        const failed = await webhook('payment.failed', paymentEntity('pay_failed000001', co.action.order_id, { status: 'failed', error_code: 'BAD_REQUEST_ERROR', error_description: 'Payment was declined by the bank' }));
        assert.equal((await json(failed)).outcome, 'failure_recorded');
        let state = await json(await server.request('GET', `/v1/checkout/${co.checkout_id}`, { token }));
        assert.equal(state.status, 'failed');
        assert.deepEqual(state.last_error, { code: 'BAD_REQUEST_ERROR', message: 'Payment was declined by the bank' });
        assert.equal((await json(await webhook('payment.captured', paymentEntity('pay_retry0000001', co.action.order_id)))).outcome, 'upgraded');
        assert.equal((await json(await webhook('payment.failed', paymentEntity('pay_failed000002', co.action.order_id, { status: 'failed' })))).outcome, 'failure_recorded');
        state = await json(await server.request('GET', `/v1/checkout/${co.checkout_id}`, { token }));
        assert.equal(state.status, 'paid');
        assert.equal(await planOf(customer), 'pro');
      });

      test('verify racing its own webhooks: one upgrade, one audit row, whatever the order', async () => {
        const { customer, token, paid } = await paidOrder();
        const payload = paymentEntity(paid.razorpay_payment_id, paid.razorpay_order_id);
        const calls = [
          webhook('payment.captured', payload),
          verify(token, { plan: 'pro', ...paid }),
          webhook('order.paid', { ...payload, order: { entity: { id: paid.razorpay_order_id } } }),
          verify(token, { plan: 'pro', ...paid }),
          webhook('payment.captured', payload),
        ];
        const results = await Promise.all(calls);
        assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200]);
        await server.razorpaySandbox!.settle();
        assert.equal((await auditRows(customer)).length, 1);
        assert.equal(await planOf(customer), 'pro');
      });

      test('a full refund reverts the plan (audited once); a partial refund does not', async () => {
        const { customer, token, paid, co } = await paidOrder();
        await verify(token, { plan: 'pro', ...paid });
        const partial = await webhook('refund.created', { refund: { entity: { id: 'rfnd_partial00001', entity: 'refund', amount: 50000, payment_id: paid.razorpay_payment_id } }, ...paymentEntity(paid.razorpay_payment_id, co.action.order_id) });
        assert.equal((await json(partial)).outcome, 'partial_refund_recorded');
        assert.equal(await planOf(customer), 'pro');
        // The payments ledger: the verified payment, once, still paid after a partial refund.
        const ledger = () => listPayments(store, customer);
        assert.deepEqual((await ledger()).map((p) => [p.payment_id, p.kind, p.status, p.amount, p.checkout_id]), [[paid.razorpay_payment_id, 'checkout', 'paid', 159900, co.checkout_id]]);
        const full = { refund: { entity: { id: 'rfnd_full0000001', entity: 'refund', amount: 159900, payment_id: paid.razorpay_payment_id } } };
        // No payment entity: the adapter asks Razorpay for the payment's order.
        const eventId = `evt_${uniqueId('r')}`;
        assert.equal((await json(await webhook('refund.created', full, { eventId }))).outcome, 'reverted');
        assert.equal((await json(await webhook('refund.created', full, { eventId }))).outcome, 'duplicate');
        assert.equal((await json(await webhook('refund.created', full))).outcome, 'refund_recorded');
        assert.equal(await planOf(customer), 'free');
        assert.equal((await json(await server.request('GET', '/v1/subscription', { token }))).interval, null);
        const audit = await auditRows(customer);
        assert.deepEqual(audit.map((a) => [a.kind, a.old_plan, a.new_plan]), [['upgrade', 'free', 'pro'], ['revert', 'pro', 'free']]);
        const state = await json(await server.request('GET', `/v1/checkout/${co.checkout_id}`, { token }));
        assert.equal(state.status, 'refunded');
        assert.deepEqual((await ledger()).map((p) => [p.payment_id, p.status, p.refunded_at !== null]), [[paid.razorpay_payment_id, 'refunded', true]]);
        // A verify after the refund does not upgrade again.
        const late = await verify(token, { plan: 'pro', ...paid });
        assert.equal(late.status, 409);
        assert.equal(await planOf(customer), 'free');
      });

      test('a refund that overtakes the capture: the late capture and verify do not upgrade', async () => {
        // No simulator webhooks here: their own capture could otherwise beat the refund this test sends first.
        const { customer, token, paid, co } = await signedOnly();
        const refund = { refund: { entity: { id: 'rfnd_early000001', amount: 159900, payment_id: paid.razorpay_payment_id } }, ...paymentEntity(paid.razorpay_payment_id, co.action.order_id) };
        assert.equal((await json(await webhook('refund.created', refund))).outcome, 'refund_recorded');
        assert.equal((await json(await webhook('payment.captured', paymentEntity(paid.razorpay_payment_id, co.action.order_id)))).outcome, 'conflict');
        assert.equal((await verify(token, { plan: 'pro', ...paid })).status, 409);
        assert.equal(await planOf(customer), 'free');
        assert.equal((await auditRows(customer)).length, 0);
        // Never paid, so no payment in the ledger.
        assert.deepEqual(await listPayments(store, customer), []);
      });

      test('events for unknown orders and unknown event types are acknowledged and ignored', async () => {
        assert.equal((await json(await webhook('payment.captured', paymentEntity('pay_stranger00001', 'order_notours00001')))).outcome, 'unknown_order');
        assert.equal((await webhook('subscription.charged', {})).status, 200);
      });

      test('malformed JSON with a valid signature is 400, not 500', async () => {
        const raw = '{"event": "order.paid",';
        const res = await webhook('x', {}, { raw });
        assert.equal(res.status, 400);
        assert.equal((await json(res)).error.code, 'validation_error');
      });
    });

    describe('sandbox modal endpoints', () => {
      test('a failed sandbox payment answers with Razorpay error fields and its webhook records the failure', async () => {
        const customer = uniqueId();
        const token = await server.session(customer);
        const co = await checkout(token);
        const res = await server.request('POST', '/sandbox/razorpay/pay', { idempotencyKey: null, body: { key: co.action.key_id, order_id: co.action.order_id, outcome: 'failure' } });
        assert.equal(res.status, 200);
        const body = await json(res);
        assert.deepEqual(Object.keys(body.error).sort(), ['code', 'description', 'metadata', 'reason', 'source', 'step']);
        assert.equal(body.error.metadata.order_id, co.action.order_id);
        await server.razorpaySandbox!.settle();
        const state = await json(await server.request('GET', `/v1/checkout/${co.checkout_id}`, { token }));
        assert.equal(state.status, 'failed');
        assert.equal(await planOf(customer), 'free');
        const wrongKey = await server.request('POST', '/sandbox/razorpay/pay', { idempotencyKey: null, body: { key: 'rzp_other', order_id: co.action.order_id, outcome: 'success' } });
        assert.equal(wrongKey.status, 400);
      });

      test('a successful sandbox payment followed only by its webhooks upgrades the customer', async () => {
        const customer = uniqueId();
        const token = await server.session(customer);
        const co = await checkout(token);
        const res = await server.request('POST', '/sandbox/razorpay/pay', { idempotencyKey: null, body: { key: co.action.key_id, order_id: co.action.order_id, outcome: 'success' } });
        assert.equal(res.status, 200);
        await server.razorpaySandbox!.settle();
        assert.equal(await planOf(customer), 'pro');
        assert.equal((await auditRows(customer))[0].source, 'razorpay_webhook:payment.captured');
        const js = await server.request('GET', '/sandbox/razorpay/checkout.js');
        assert.match(js.headers.get('Content-Type')!, /javascript/);
        assert.match(await js.text(), /window\.Razorpay = Razorpay/);
      });
    });

    describe('hand-off', () => {
      test('a hand-off checkout starts upstream only from the system browser, once, with a scoped token', async () => {
        const customer = uniqueId();
        const token = await server.session(customer);
        const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', mode: 'handoff' } });
        assert.equal(res.status, 201);
        const { checkout_id, action } = await json(res);
        assert.equal(action.type, 'handoff');
        assert.match(action.url, new RegExp(`^http://tollgate.test/pay/${checkout_id}#token=`));
        assert.equal(action.status_url, `http://tollgate.test/v1/checkout/${checkout_id}`);
        const handoffToken = action.url.split('#token=')[1];
        const before = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
        assert.equal(before.status, 'created');
        assert.equal((await server.request('GET', '/v1/subscription', { token: handoffToken })).status, 403);
        const started = await json(await server.request('POST', `/v1/checkout/${checkout_id}/start`, { token: handoffToken, body: {} }));
        assert.equal(started.action.type, 'razorpay');
        assert.equal(started.plan, 'pro');
        const again = await json(await server.request('POST', `/v1/checkout/${checkout_id}/start`, { token: handoffToken, body: {} }));
        assert.equal(again.action.order_id, started.action.order_id);
        const paid = server.razorpaySandbox!.pay(started.action.order_id);
        const ok = await verify(handoffToken, { plan: 'pro', ...paid });
        assert.equal(ok.status, 200);
        const after = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
        assert.equal(after.status, 'paid');
        const page = await server.request('GET', `/pay/${checkout_id}`);
        assert.equal(page.status, 200);
        assert.match(page.headers.get('Content-Security-Policy')!, /script-src 'nonce-/);
      });
    });
  });
}
