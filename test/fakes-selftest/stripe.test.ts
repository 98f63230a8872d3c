// Self-test: the Stripe fake follows shared/reference/stripe.md and the real `stripe` SDK accepts it.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { parseStripeForm, startStripeFake } from '../fakes/stripe.js';
import { startWebhookSink, type WebhookSink } from './webhook-sink.js';

const KEY = 'sk_test_selftest';
const WHSEC = 'whsec_selftest';

describe('stripe fake', () => {
  let fake: Awaited<ReturnType<typeof startStripeFake>>;
  let sink: WebhookSink;
  let stripe: Stripe;

  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });

  before(async () => {
    sink = await startWebhookSink();
    fake = await startStripeFake({ apiKeys: [KEY], webhookUrl: sink.url, webhookSecret: WHSEC });
    stripe = new Stripe(KEY, { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  });
  after(async () => {
    await fake.close();
    await sink.close();
  });

  it('parses bracket keys into nested objects and arrays', () => {
    assert.deepEqual(parseStripeForm('a[b][0][c]=v&a[b][1][c]=w&metadata[k]=x&expand[]=y&expand[]=z&mode=payment'), {
      a: { b: [{ c: 'v' }, { c: 'w' }] },
      metadata: { k: 'x' },
      expand: ['y', 'z'],
      mode: 'payment',
    });
  });

  it('rejects missing and wrong keys with 401 and a request-id header', async () => {
    const none = await fetch(`${fake.url}/v1/customers/cus_x`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('request-id') ?? '', /^req_/);
    const wrong = await fetch(`${fake.url}/v1/customers/cus_x`, { headers: { Authorization: 'Bearer sk_test_wrong' } });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
  });

  it('serves the SDK: customers and hosted/embedded checkout sessions', async () => {
    const customer = await stripe.customers.create({ email: 'a@b.test', metadata: { user: 'u1' } });
    assert.match(customer.id, /^cus_/);
    assert.equal((await stripe.customers.retrieve(customer.id)).id, customer.id);
    const hosted = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: 'price_pro_monthly', quantity: 1 }],
      success_url: 'https://app.test/ok',
      client_reference_id: 'u1',
      subscription_data: { trial_period_days: 14 },
      metadata: { plan: 'pro' },
    });
    assert.match(hosted.id, /^cs_test_/);
    assert.ok(hosted.url?.startsWith(fake.url));
    assert.equal(hosted.client_secret, null);
    assert.equal(hosted.status, 'open');
    const embedded = await stripe.checkout.sessions.create({
      mode: 'payment',
      ui_mode: 'embedded_page' as never, // the SDK's literal union may lag the API's names
      customer_email: 'b@b.test',
      return_url: 'https://app.test/return',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Credits' } }, quantity: 2 }],
    });
    assert.equal(embedded.url, null);
    assert.match(embedded.client_secret ?? '', /_secret_/);
    assert.equal(embedded.amount_total, 1000);
    await assert.rejects(
      stripe.checkout.sessions.create({ mode: 'payment', ui_mode: 'embedded' as never, return_url: 'https://x.test', line_items: [{ price: 'price_one_time', quantity: 1 }] }),
      (err: Stripe.errors.StripeError) => err.statusCode === 400 && err.param === 'ui_mode',
    );
  });

  it('validates checkout params with the Stripe error envelope', async () => {
    const noSuccess = await post('/v1/checkout/sessions', { mode: 'payment', 'line_items[0][price]': 'price_one_time', 'line_items[0][quantity]': '1' });
    assert.equal(noSuccess.status, 400);
    const body = (await noSuccess.json()) as { error: Record<string, string> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'doc_url', 'message', 'param', 'type']);
    assert.equal(body.error.code, 'parameter_missing');
    assert.equal(body.error.param, 'success_url');
    const noReturn = await post('/v1/checkout/sessions', { mode: 'payment', ui_mode: 'embedded_page', 'line_items[0][price]': 'price_one_time', 'line_items[0][quantity]': '1' });
    assert.equal(((await noReturn.json()) as { error: { param: string } }).error.param, 'return_url');
    const unknownPrice = await post('/v1/checkout/sessions', { mode: 'payment', success_url: 'https://x.test', 'line_items[0][price]': 'price_nope', 'line_items[0][quantity]': '1' });
    assert.equal(((await unknownPrice.json()) as { error: { code: string } }).error.code, 'resource_missing');
    const portal = await post('/v1/billing_portal/sessions', { customer: 'cus_missing' });
    assert.equal(portal.status, 400);
    assert.equal(((await portal.json()) as { error: { code: string; param: string } }).error.code, 'resource_missing');
    assert.equal((await fetch(`${fake.url}/v1/subscriptions/sub_nope`, { headers: { Authorization: `Bearer ${KEY}` } })).status, 404);
  });

  it('replays idempotent requests and rejects a reused key with other params', async () => {
    const first = await post('/v1/customers', { email: 'i@b.test' }, { 'Idempotency-Key': 'idem-1' });
    const again = await post('/v1/customers', { email: 'i@b.test' }, { 'Idempotency-Key': 'idem-1' });
    assert.equal(again.headers.get('Idempotent-Replayed'), 'true');
    assert.equal(((await again.json()) as { id: string }).id, ((await first.json()) as { id: string }).id);
    const other = await post('/v1/customers', { email: 'other@b.test' }, { 'Idempotency-Key': 'idem-1' });
    assert.equal(other.status, 400);
    assert.equal(((await other.json()) as { error: { type: string } }).error.type, 'idempotency_error');
  });

  it('completes a session and sends signed events the SDK and node:crypto both verify', async () => {
    const customer = await stripe.customers.create({ email: 'w@b.test' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: 'price_starter_monthly', quantity: 1 }],
      success_url: 'https://app.test/ok',
    });
    sink.received.length = 0;
    await fake.control.completeSession(session.id);
    const done = await stripe.checkout.sessions.retrieve(session.id);
    assert.equal(done.status, 'complete');
    assert.equal(done.payment_status, 'paid');
    const subscription = await stripe.subscriptions.retrieve(done.subscription as string);
    assert.equal(subscription.status, 'active');
    assert.ok(subscription.items.data[0]!.current_period_end > Date.now() / 1000);
    await fake.control.updateSubscription(subscription.id, { cancel_at_period_end: true });
    await fake.control.invoicePaymentFailed(subscription.id);
    await fake.control.deleteSubscription(subscription.id);

    const types = sink.received.map((r) => {
      const event = stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature']!, WHSEC);
      const [t, v1] = r.headers['stripe-signature']!.split(',').map((p) => p.split('=')[1]!);
      assert.equal(createHmac('sha256', WHSEC).update(`${t}.${r.body}`).digest('hex'), v1);
      assert.equal(event.object, 'event');
      assert.equal(event.livemode, false);
      return event.type;
    });
    assert.deepEqual(types, [
      'customer.subscription.created',
      'checkout.session.completed',
      'customer.subscription.updated',
      'invoice.payment_failed',
      'customer.subscription.updated',
      'customer.subscription.deleted',
    ]);
    const updated = JSON.parse(sink.received[2]!.body) as { data: { previous_attributes: Record<string, unknown> } };
    assert.deepEqual(updated.data.previous_attributes, { cancel_at_period_end: false });
    assert.throws(() => stripe.webhooks.constructEvent(sink.received[0]!.body, sink.received[0]!.headers['stripe-signature']!, 'whsec_wrong'));
  });

  it('injects 500s and 429s the SDK surfaces as errors', async () => {
    fake.control.failNext(1);
    await assert.rejects(stripe.customers.create({}), (err: Stripe.errors.StripeError) => err.statusCode === 500);
    fake.control.rateLimitNext(1, 2);
    const limited = await post('/v1/customers', {});
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('Retry-After'), '2');
    assert.ok(fake.control.callCount('POST /v1/customers') >= 2);
  });

  it('serves the SDK: coupons (own id once), a session’s discounts and totals, and its expires_at range', async () => {
    const coupon = await stripe.coupons.create({ id: 'tg_selftest_3m', amount_off: 380, currency: 'usd', duration: 'repeating', duration_in_months: 3, name: 'THREE' });
    assert.deepEqual([coupon.id, coupon.amount_off, coupon.currency, coupon.duration, coupon.duration_in_months], ['tg_selftest_3m', 380, 'usd', 'repeating', 3]);
    await assert.rejects(stripe.coupons.create({ id: 'tg_selftest_3m', amount_off: 380, currency: 'usd', duration: 'once' }), (err: Stripe.errors.StripeError) => err.code === 'resource_already_exists' && err.statusCode === 400);
    await assert.rejects(stripe.coupons.create({ amount_off: 100, duration: 'once' }), (err: Stripe.errors.StripeError) => err.param === 'currency');
    await assert.rejects(stripe.coupons.create({ percent_off: 10, duration: 'repeating' }), (err: Stripe.errors.StripeError) => err.param === 'duration_in_months');
    const percent = await stripe.coupons.create({ percent_off: 12.5, duration: 'forever' });
    const base = { mode: 'payment' as const, line_items: [{ price_data: { currency: 'usd', unit_amount: 1900, product_data: { name: 'Pro' } }, quantity: 1 }], success_url: 'https://app.test/ok' };
    const fixed = await stripe.checkout.sessions.create({ ...base, discounts: [{ coupon: 'tg_selftest_3m' }] });
    assert.deepEqual([fixed.amount_subtotal, fixed.amount_total, fixed.total_details?.amount_discount], [1900, 1520, 380]);
    const rounded = await stripe.checkout.sessions.create({ ...base, discounts: [{ coupon: percent.id }] });
    assert.equal(rounded.total_details?.amount_discount, 238); // 237.5 rounds to the nearest cent
    await assert.rejects(stripe.checkout.sessions.create({ ...base, discounts: [{ coupon: 'nope' }] }), (err: Stripe.errors.StripeError) => err.code === 'resource_missing' && err.param === 'discounts[0][coupon]');
    const now = Math.floor(Date.now() / 1000);
    const soon = await stripe.checkout.sessions.create({ ...base, expires_at: now + 1800 });
    assert.equal(soon.expires_at, now + 1800);
    await assert.rejects(stripe.checkout.sessions.create({ ...base, expires_at: now + 60 }), (err: Stripe.errors.StripeError) => err.param === 'expires_at');
  });
});
