// The simulated Razorpay Subscriptions API over real HTTP (the tests' fake Razorpay): plans, subscriptions,
// cancel / update / pause / resume, invoices, the error envelope and Basic auth, the reversed checkout signature
// (checked by the official SDK), signed webhooks, and a year of renewals, failed charges and halts on the clock;
// and the sandbox modal's routes for a subscription (what checkout.js shows, and its authorisation).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startRazorpayFake } from '../fakes/razorpay.js';
import { engines, json, makeServer, testStore, type TestServer } from './helpers.js';
import type { Store } from '../../server/store/index.js';
import { signRazorpayPayment, verifyRazorpaySubscriptionPayment, verifyRazorpayWebhook } from '../../server/security/signatures.js';
import { addPeriods } from '../../server/providers/razorpay/sandbox/subscriptions.js';
import type { RazorpayInvoice, RazorpayPlan, RazorpaySubscription, WebhookDelivery } from '../../server/providers/razorpay/sandbox/simulator.js';

const sdk = createRequire(import.meta.url)('razorpay/dist/utils/razorpay-utils.js') as {
  validatePaymentVerification: (params: { subscription_id?: string; order_id?: string; payment_id: string }, signature: string, secret: string) => boolean;
};

const KEY_ID = 'rzp_test_subs0000001';
const KEY_SECRET = 'subs_key_secret_for_tests';
const WEBHOOK_SECRET = 'subs_webhook_secret_for_tests';
const DAY_MS = 86_400_000;
const DAY = 86_400;

type Json = Record<string, any>;

describe('the fake Razorpay Subscriptions API', () => {
  let fake: Awaited<ReturnType<typeof startRazorpayFake>>;
  /** The clock the fake reads; `fake.simulator.advance` moves it further. */
  const start = Date.UTC(2026, 0, 31, 9, 30, 0);
  const auth = 'Basic ' + Buffer.from(`${KEY_ID}:${KEY_SECRET}`).toString('base64');
  const sim = () => fake.simulator;
  const nowS = () => Math.floor(sim().clock() / 1000);

  before(async () => {
    fake = await startRazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET, webhookSecret: WEBHOOK_SECRET, now: () => start });
  });
  after(async () => {
    await fake.close();
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { Authorization: auth }): Promise<{ status: number; body: Json }> {
    const res = await fetch(fake.url + path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }
  async function ok<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await call(method, path, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as T;
  }
  /** A 400 in Razorpay's envelope, with the field named. */
  async function refused(method: string, path: string, body: unknown, field: string | undefined, description?: RegExp) {
    const res = await call(method, path, body);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'BAD_REQUEST_ERROR');
    assert.equal(typeof res.body.error.description, 'string');
    assert.equal(res.body.error.field, field, JSON.stringify(res.body));
    if (description) assert.match(res.body.error.description, description);
    return res.body;
  }

  const plan = (amount = 159900, period = 'monthly', interval = 1) => ok<RazorpayPlan>('POST', '/v1/plans', { period, interval, item: { name: 'Pro', amount, currency: 'INR', description: 'Pro monthly' }, notes: { tier: 'pro' } });
  const subscribe = (planId: string, extra: Json = {}) => ok<RazorpaySubscription>('POST', '/v1/subscriptions', { plan_id: planId, total_count: 12, customer_notify: true, notes: { customer_id: 'cust_1', checkout_id: 'chk_1' }, ...extra });
  const fetchSub = (id: string) => ok<RazorpaySubscription>('GET', `/v1/subscriptions/${id}`);
  const invoicesOf = async (id: string) => (await ok<{ items: RazorpayInvoice[] }>('GET', `/v1/invoices?subscription_id=${id}&count=100`)).items;
  /** The webhooks about one subscription from `since` on, as `event` names. */
  const eventsOf = (id: string, since = 0) =>
    sim()
      .deliveries.slice(since)
      .filter((d) => d.body.includes(id))
      .map((d) => d.event);
  const payload = (d: WebhookDelivery) => JSON.parse(d.body) as Json;
  /** An active monthly subscription, authorised now. */
  async function active(extra: Json = {}, amount?: number) {
    const p = await plan(amount);
    const sub = await subscribe(p.id, extra);
    const paid = sim().paySubscription(sub.id, { email: 'asha@example.in', method: 'upi' });
    return { plan: p, sub: await fetchSub(sub.id), paid };
  }

  test('plans: create, fetch, list; a plan is a price template with its item', async () => {
    const p = await plan();
    assert.match(p.id, /^plan_/);
    assert.equal(p.entity, 'plan');
    assert.equal(p.period, 'monthly');
    assert.equal(p.interval, 1);
    assert.match(p.item.id, /^item_/);
    assert.equal(p.item.amount, 159900);
    assert.equal(p.item.unit_amount, 159900);
    assert.equal(p.item.currency, 'INR');
    assert.equal(p.item.active, true);
    assert.deepEqual(p.notes, { tier: 'pro' });
    assert.equal(p.created_at, Math.floor(start / 1000));
    assert.deepEqual(await ok('GET', `/v1/plans/${p.id}`), p);
    const list = await ok<{ entity: string; items: RazorpayPlan[] }>('GET', '/v1/plans?count=100');
    assert.equal(list.entity, 'collection');
    assert.equal(list.items[0]!.id, p.id, 'newest first');
    await refused('GET', '/v1/plans/plan_nope', undefined, undefined, /does not exist/);
  });

  test('plans: validation errors in the envelope, naming the field', async () => {
    const item = { name: 'Pro', amount: 159900, currency: 'INR' };
    await refused('POST', '/v1/plans', { interval: 1, item }, 'period', /required/);
    await refused('POST', '/v1/plans', { period: 'fortnightly', interval: 1, item }, 'period');
    await refused('POST', '/v1/plans', { period: 'monthly', item }, 'interval', /required/);
    await refused('POST', '/v1/plans', { period: 'monthly', interval: 0, item }, 'interval');
    await refused('POST', '/v1/plans', { period: 'daily', interval: 3, item }, 'interval', /minimum value for interval is 7/);
    await refused('POST', '/v1/plans', { period: 'monthly', interval: 1 }, 'item');
    await refused('POST', '/v1/plans', { period: 'monthly', interval: 1, item: { ...item, amount: 99 } }, 'item.amount', /at least INR 1.00/);
    await refused('POST', '/v1/plans', { period: 'monthly', interval: 1, item: { ...item, amount: 1599.5 } }, 'item.amount', /integer/);
    await refused('POST', '/v1/plans', { period: 'monthly', interval: 1, item: { ...item, currency: 'rupees' } }, 'item.currency');
    await refused('POST', '/v1/plans', { period: 'monthly', interval: 1, item: { ...item, name: '' } }, 'item.name');
    await refused('POST', '/v1/plans', { period: 'monthly', interval: 1, item, notes: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v'])) }, 'notes');
    const res = await fetch(fake.url + '/v1/plans', { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: '{not json' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as Json).error.code, 'BAD_REQUEST_ERROR');
    assert.equal((await ok('POST', '/v1/plans', { period: 'daily', interval: 7, item })).period, 'daily');
  });

  test('Basic auth: no credentials, a wrong secret, another key: 401 "Authentication failed"', async () => {
    const p = await plan();
    for (const headers of [{} as Record<string, string>, { Authorization: 'Basic ' + Buffer.from(`${KEY_ID}:wrong`).toString('base64') }, { Authorization: 'Basic ' + Buffer.from(`rzp_test_other:${KEY_SECRET}`).toString('base64') }, { Authorization: `Bearer ${KEY_SECRET}` }]) {
      for (const [method, path, body] of [['GET', `/v1/plans/${p.id}`], ['POST', '/v1/subscriptions', { plan_id: p.id, total_count: 1 }], ['GET', '/v1/invoices']] as const) {
        const res = await call(method, path, body, headers);
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.equal(res.body.error.description, 'Authentication failed');
      }
    }
    assert.ok(![...sim().subscriptions.values()].some((s) => s.plan_id === p.id), 'nothing was created without auth');
  });

  test('subscriptions: create and fetch the documented entity; validation errors', async () => {
    const p = await plan();
    const sub = await subscribe(p.id, { quantity: 2, expire_by: nowS() + 7 * DAY, offer_id: 'offer_JHD834hjbxzhd38d' });
    assert.match(sub.id, /^sub_/);
    assert.equal(sub.entity, 'subscription');
    assert.equal(sub.plan_id, p.id);
    assert.equal(sub.status, 'created');
    assert.equal(sub.customer_id, null);
    assert.equal(sub.current_start, null);
    assert.equal(sub.current_end, null);
    assert.equal(sub.quantity, 2);
    assert.equal(sub.total_count, 12);
    assert.equal(sub.paid_count, 0);
    assert.equal(sub.remaining_count, 12);
    assert.equal(sub.customer_notify, true);
    assert.equal(sub.has_scheduled_changes, false);
    assert.equal(sub.change_scheduled_at, null);
    assert.equal(sub.source, 'api');
    assert.equal(sub.offer_id, 'offer_JHD834hjbxzhd38d');
    assert.equal(sub.expire_by, nowS() + 7 * DAY);
    assert.match(sub.short_url, /^https:\/\/rzp\.io\/i\//);
    assert.deepEqual(sub.notes, { customer_id: 'cust_1', checkout_id: 'chk_1' });
    assert.equal(sub.start_at, nowS());
    assert.equal(sub.end_at, addPeriods(nowS(), p, 12));
    assert.deepEqual(await fetchSub(sub.id), sub);
    await refused('GET', '/v1/subscriptions/sub_nope', undefined, undefined, /does not exist/);

    await refused('POST', '/v1/subscriptions', { total_count: 12 }, 'plan_id', /required/);
    await refused('POST', '/v1/subscriptions', { plan_id: 'plan_nope', total_count: 12 }, 'plan_id', /does not exist/);
    await refused('POST', '/v1/subscriptions', { plan_id: p.id }, 'total_count', /required/);
    await refused('POST', '/v1/subscriptions', { plan_id: p.id, total_count: 0 }, 'total_count');
    await refused('POST', '/v1/subscriptions', { plan_id: p.id, total_count: 1201 }, 'total_count', /100 years/);
    await refused('POST', '/v1/subscriptions', { plan_id: p.id, total_count: 12, quantity: 0 }, 'quantity');
    await refused('POST', '/v1/subscriptions', { plan_id: p.id, total_count: 12, start_at: nowS() - 60 }, 'start_at');
    await refused('POST', '/v1/subscriptions', { plan_id: p.id, total_count: 12, expire_by: nowS() - 60 }, 'expire_by');
    await refused('POST', '/v1/subscriptions', { plan_id: p.id, total_count: 12, customer_notify: 'sometimes' }, 'customer_notify');
    await refused('POST', '/v1/subscriptions', { plan_id: p.id, total_count: 12, notes: 'x' }, 'notes');
    assert.equal((await ok('POST', '/v1/subscriptions', { plan_id: p.id, total_count: 1200 })).total_count, 1200);
  });

  test('authorising an immediate start: the reversed signature (the SDK agrees; the orders order is refused), authenticated → active, signed webhooks', async () => {
    const p = await plan();
    const sub = await subscribe(p.id, { quantity: 3 });
    const since = sim().deliveries.length;
    const paid = sim().paySubscription(sub.id, { email: 'asha@example.in', contact: '+919999999999', method: 'card' });
    assert.deepEqual(Object.keys(paid).sort(), ['razorpay_payment_id', 'razorpay_signature', 'razorpay_subscription_id']);
    assert.equal(paid.razorpay_subscription_id, sub.id);
    assert.match(paid.razorpay_payment_id, /^pay_/);
    assert.equal(sdk.validatePaymentVerification({ subscription_id: sub.id, payment_id: paid.razorpay_payment_id }, paid.razorpay_signature, KEY_SECRET), true);
    assert.equal(verifyRazorpaySubscriptionPayment(KEY_SECRET, paid.razorpay_payment_id, sub.id, paid.razorpay_signature), true);
    // The orders order (subscription_id|payment_id, as signRazorpayPayment makes it) is refused, by ours and by the SDK.
    const ordersOrder = signRazorpayPayment(KEY_SECRET, sub.id, paid.razorpay_payment_id);
    assert.notEqual(ordersOrder, paid.razorpay_signature);
    assert.equal(verifyRazorpaySubscriptionPayment(KEY_SECRET, paid.razorpay_payment_id, sub.id, ordersOrder), false);
    assert.equal(sdk.validatePaymentVerification({ subscription_id: sub.id, payment_id: paid.razorpay_payment_id }, ordersOrder, KEY_SECRET), false);
    assert.equal(verifyRazorpaySubscriptionPayment('another_secret', paid.razorpay_payment_id, sub.id, paid.razorpay_signature), false);
    assert.equal(verifyRazorpaySubscriptionPayment(KEY_SECRET, paid.razorpay_payment_id, sub.id, paid.razorpay_signature.slice(0, 40)), false);

    const after = await fetchSub(sub.id);
    assert.equal(after.status, 'active');
    assert.match(after.customer_id!, /^cust_/);
    assert.equal(after.payment_method, 'card');
    assert.equal(after.paid_count, 1);
    assert.equal(after.remaining_count, 11);
    assert.equal(after.current_start, nowS());
    assert.equal(after.current_end, Date.UTC(2026, 1, 28, 9, 30) / 1000, 'a month after 31 January is the last day of February');
    assert.equal(after.charge_at, after.current_end);

    const sent = sim().deliveries.slice(since);
    assert.deepEqual(sent.map((d) => d.event), ['subscription.authenticated', 'subscription.activated', 'payment.captured', 'subscription.charged']);
    for (const d of sent) {
      assert.equal(verifyRazorpayWebhook(WEBHOOK_SECRET, d.body, d.signature), true, `${d.event} is signed with the webhook secret`);
      assert.equal(verifyRazorpayWebhook(KEY_SECRET, d.body, d.signature), false, 'not with the key secret');
      assert.equal(verifyRazorpayWebhook(WEBHOOK_SECRET, d.body.replace('"entity":"event"', '"entity":"Event"'), d.signature), false, 'a changed body is refused');
      assert.match(d.eventId, /^evt_/);
    }
    assert.equal(new Set(sent.map((d) => d.eventId)).size, sent.length, 'one event id each');
    const [authenticated, activated, , charged] = sent.map(payload);
    assert.equal(authenticated!.payload.subscription.entity.status, 'authenticated');
    assert.equal(authenticated!.payload.subscription.entity.paid_count, 0);
    assert.equal(activated!.payload.subscription.entity.status, 'active');
    assert.equal(charged!.entity, 'event');
    assert.deepEqual(charged!.contains, ['subscription', 'payment']);
    const payment = charged!.payload.payment.entity;
    assert.equal(payment.id, paid.razorpay_payment_id);
    assert.equal(payment.amount, 3 * 159900, 'quantity × the plan amount');
    assert.equal(payment.status, 'captured');
    assert.equal(payment.method, 'card');
    assert.equal(payment.email, 'asha@example.in');
    assert.match(payment.invoice_id, /^inv_/);
    assert.equal(charged!.payload.subscription.entity.paid_count, 1);
    assert.equal(charged!.payload.subscription.entity.current_end, after.current_end);
    const [invoice] = await invoicesOf(sub.id);
    assert.equal(invoice!.id, payment.invoice_id);
    assert.equal(invoice!.payment_id, payment.id);
    assert.equal(invoice!.status, 'paid');
    assert.equal(invoice!.amount, 3 * 159900);
    assert.equal(invoice!.billing_start, after.current_start);
    assert.equal(invoice!.billing_end, after.current_end);
    assert.equal((await ok('GET', `/v1/payments/${payment.id}`)).invoice_id, invoice!.id);
    assert.throws(() => sim().paySubscription(sub.id), /active, not created/);
  });

  test('a trial (future start_at): authorisation → authenticated, the first charge at start_at', async () => {
    const p = await plan();
    const trialEnd = nowS() + 14 * DAY;
    const sub = await subscribe(p.id, { start_at: trialEnd });
    assert.equal(sub.charge_at, trialEnd);
    const since = sim().deliveries.length;
    const paid = sim().paySubscription(sub.id);
    assert.equal(sdk.validatePaymentVerification({ subscription_id: sub.id, payment_id: paid.razorpay_payment_id }, paid.razorpay_signature, KEY_SECRET), true);
    assert.deepEqual(eventsOf(sub.id, since), ['subscription.authenticated']);
    const trialing = await fetchSub(sub.id);
    assert.equal(trialing.status, 'authenticated');
    assert.equal(trialing.paid_count, 0);
    assert.equal(trialing.current_end, null);
    assert.equal((await invoicesOf(sub.id)).length, 0, 'the authorisation is no charge');
    assert.equal(sim().payments.get(paid.razorpay_payment_id)!.status, 'refunded');
    sim().advance(13 * DAY_MS);
    assert.equal((await fetchSub(sub.id)).status, 'authenticated');
    const sent = sim().advance(1 * DAY_MS).filter((d) => d.body.includes(sub.id));
    assert.deepEqual(sent.map((d) => d.event), ['subscription.activated', 'payment.captured', 'subscription.charged']);
    const activeNow = await fetchSub(sub.id);
    assert.equal(activeNow.status, 'active');
    assert.equal(activeNow.current_start, trialEnd);
    assert.equal(activeNow.current_end, addPeriods(trialEnd, p, 1));
    assert.equal(payload(sent[2]!).created_at, trialEnd, 'the event happened at the charge time');
  });

  test('a failed authorisation works like the orders failure path: payment.failed, still created, can be paid after', async () => {
    const p = await plan();
    const sub = await subscribe(p.id);
    const since = sim().deliveries.length;
    const failed = sim().failSubscription(sub.id, { email: 'asha@example.in' });
    assert.equal(failed.error.code, 'BAD_REQUEST_ERROR');
    assert.equal(failed.error.reason, 'payment_failed');
    assert.equal(failed.error.metadata.subscription_id, sub.id);
    assert.equal(sim().payments.get(failed.error.metadata.payment_id)!.status, 'failed');
    assert.deepEqual(eventsOf(failed.error.metadata.payment_id, since), ['payment.failed']);
    const still = await fetchSub(sub.id);
    assert.equal(still.status, 'created');
    assert.equal(still.auth_attempts, 1);
    sim().paySubscription(sub.id);
    assert.equal((await fetchSub(sub.id)).status, 'active');
  });

  test('cancel now: subscription.cancelled; a cancelled subscription cannot be resumed, updated, paused or cancelled again', async () => {
    const { sub } = await active();
    const since = sim().deliveries.length;
    const cancelled = await ok<RazorpaySubscription>('POST', `/v1/subscriptions/${sub.id}/cancel`, { cancel_at_cycle_end: false });
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.ended_at, nowS());
    assert.equal(cancelled.charge_at, null);
    assert.deepEqual(eventsOf(sub.id, since), ['subscription.cancelled']);
    assert.equal(payload(sim().deliveries.at(-1)!).payload.subscription.entity.status, 'cancelled');
    await refused('POST', `/v1/subscriptions/${sub.id}/resume`, { resume_at: 'now' }, 'status', /^Subscription is not resumable in cancelled status\.$/);
    await refused('PATCH', `/v1/subscriptions/${sub.id}`, { quantity: 2 }, 'status', /not updatable in cancelled status/);
    await refused('POST', `/v1/subscriptions/${sub.id}/pause`, { pause_at: 'now' }, 'status', /not pausable in cancelled status/);
    await refused('POST', `/v1/subscriptions/${sub.id}/cancel`, { cancel_at_cycle_end: false }, 'status', /^Subscription is not cancellable in cancelled status\.$/);
    sim().advance(40 * DAY_MS);
    assert.equal((await invoicesOf(sub.id)).length, 1, 'no renewal after cancelling');
    // An empty body cancels now, as the SDK's cancel(id) sends it.
    const other = await active();
    const res = await fetch(`${fake.url}/v1/subscriptions/${other.sub.id}/cancel`, { method: 'POST', headers: { Authorization: auth } });
    assert.equal(((await res.json()) as Json).status, 'cancelled');
  });

  test('cancel at cycle end: active until current_end, then cancelled without a charge', async () => {
    const { sub } = await active();
    const scheduled = await ok<RazorpaySubscription>('POST', `/v1/subscriptions/${sub.id}/cancel`, { cancel_at_cycle_end: 1 });
    assert.equal(scheduled.status, 'active');
    assert.equal(scheduled.end_at, sub.current_end);
    const since = sim().deliveries.length;
    sim().advance(sub.current_end! * 1000 - sim().clock() - 1000);
    assert.equal((await fetchSub(sub.id)).status, 'active');
    sim().advance(1000);
    assert.deepEqual(eventsOf(sub.id, since), ['subscription.cancelled']);
    const ended = await fetchSub(sub.id);
    assert.equal(ended.status, 'cancelled');
    assert.equal(ended.ended_at, sub.current_end);
    assert.equal(ended.paid_count, 1);
    assert.equal((await invoicesOf(sub.id)).length, 1);
  });

  test('update now: the plan and seats change at once (subscription.updated), the next renewal bills the new price', async () => {
    const { sub } = await active();
    const team = await plan(399900);
    const since = sim().deliveries.length;
    const updated = await ok<RazorpaySubscription>('PATCH', `/v1/subscriptions/${sub.id}`, { plan_id: team.id, quantity: 2, schedule_change_at: 'now', customer_notify: false });
    assert.equal(updated.plan_id, team.id);
    assert.equal(updated.quantity, 2);
    assert.equal(updated.has_scheduled_changes, false);
    assert.equal(updated.current_end, sub.current_end, 'the cycle already paid runs on');
    assert.deepEqual(eventsOf(sub.id, since), ['subscription.updated']);
    assert.equal(payload(sim().deliveries.at(-1)!).payload.subscription.entity.plan_id, team.id);
    sim().advance(sub.current_end! * 1000 - sim().clock());
    const [renewal] = await invoicesOf(sub.id);
    assert.equal(renewal!.amount, 2 * 399900);
    assert.equal(renewal!.billing_start, sub.current_end);
    await refused('PATCH', `/v1/subscriptions/${sub.id}`, {}, undefined, /At least one/);
    await refused('PATCH', `/v1/subscriptions/${sub.id}`, { plan_id: 'plan_nope' }, 'plan_id');
    await refused('PATCH', `/v1/subscriptions/${sub.id}`, { quantity: -1 }, 'quantity');
    await refused('PATCH', `/v1/subscriptions/${sub.id}`, { quantity: 2, schedule_change_at: 'tomorrow' }, 'schedule_change_at');
  });

  test('update at cycle end: has_scheduled_changes until the renewal, then applied (subscription.updated) and billed', async () => {
    const { sub } = await active();
    const yearly = await plan(1599000, 'yearly');
    const scheduled = await ok<RazorpaySubscription>('PATCH', `/v1/subscriptions/${sub.id}`, { plan_id: yearly.id, quantity: 3, schedule_change_at: 'cycle_end' });
    assert.equal(scheduled.has_scheduled_changes, true);
    assert.equal(scheduled.change_scheduled_at, sub.current_end);
    assert.equal(scheduled.plan_id, sub.plan_id, 'nothing changes before the cycle ends');
    assert.equal(scheduled.quantity, 1);
    const preview = await ok<RazorpaySubscription>('GET', `/v1/subscriptions/${sub.id}/retrieve_scheduled_changes`);
    assert.equal(preview.plan_id, yearly.id);
    const since = sim().deliveries.length;
    sim().advance(sub.current_end! * 1000 - sim().clock());
    assert.deepEqual(eventsOf(sub.id, since), ['subscription.updated', 'payment.captured', 'subscription.charged']);
    const [updatedEvent, , charged] = sim().deliveries.slice(since).filter((d) => d.body.includes(sub.id)).map(payload);
    assert.equal(updatedEvent!.payload.subscription.entity.plan_id, yearly.id);
    assert.equal(updatedEvent!.payload.subscription.entity.has_scheduled_changes, false);
    assert.equal(charged!.payload.payment.entity.amount, 3 * 1599000);
    const renewed = await fetchSub(sub.id);
    assert.equal(renewed.current_start, sub.current_end);
    assert.equal(renewed.current_end, addPeriods(sub.current_end!, yearly, 1), 'the new cycle is a year');
    // A scheduled change can be withdrawn.
    const again = await ok<RazorpaySubscription>('PATCH', `/v1/subscriptions/${sub.id}`, { quantity: 1, schedule_change_at: 'cycle_end' });
    assert.equal(again.has_scheduled_changes, true);
    const withdrawn = await ok<RazorpaySubscription>('POST', `/v1/subscriptions/${sub.id}/cancel_scheduled_changes`, {});
    assert.equal(withdrawn.has_scheduled_changes, false);
    await refused('GET', `/v1/subscriptions/${sub.id}/retrieve_scheduled_changes`, undefined, undefined);
  });

  test('pause and resume: no renewals while paused, the skipped one charged on resume', async () => {
    const { sub } = await active();
    await refused('POST', `/v1/subscriptions/${sub.id}/pause`, {}, 'pause_at');
    const since = sim().deliveries.length;
    const paused = await ok<RazorpaySubscription>('POST', `/v1/subscriptions/${sub.id}/pause`, { pause_at: 'now' });
    assert.equal(paused.status, 'paused');
    assert.equal(paused.paused_at, nowS());
    assert.equal(paused.charge_at, null);
    await refused('POST', `/v1/subscriptions/${sub.id}/pause`, { pause_at: 'now' }, 'status', /not pausable in paused status/);
    sim().advance(60 * DAY_MS);
    assert.equal((await invoicesOf(sub.id)).length, 1, 'no charge while paused');
    await refused('POST', `/v1/subscriptions/${sub.id}/resume`, { resume_at: 'later' }, 'resume_at');
    const resumed = await ok<RazorpaySubscription>('POST', `/v1/subscriptions/${sub.id}/resume`, { resume_at: 'now' });
    assert.equal(resumed.status, 'active');
    assert.deepEqual(eventsOf(sub.id, since), ['subscription.paused', 'subscription.resumed', 'payment.captured', 'subscription.charged'], 'the renewal missed while paused is charged on resume');
    assert.equal(resumed.paid_count, 2);
    assert.equal(resumed.current_start, nowS(), 'the cycles start again from the resume');
    assert.equal(resumed.current_end, addPeriods(nowS(), { period: 'monthly', interval: 1 }, 1));
    assert.equal(resumed.charge_at, resumed.current_end);
    // Paused and resumed within a cycle: billing goes on as scheduled.
    await ok('POST', `/v1/subscriptions/${sub.id}/pause`, { pause_at: 'now' });
    const again = await ok<RazorpaySubscription>('POST', `/v1/subscriptions/${sub.id}/resume`, { resume_at: 'now' });
    assert.equal(again.charge_at, resumed.current_end);
    assert.equal(again.paid_count, 2);
    await refused('POST', `/v1/subscriptions/${sub.id}/resume`, { resume_at: 'now' }, 'status', /not resumable in active status/);
  });

  test('invoices: one per charge, filtered by subscription, newest first, paged by count and skip', async () => {
    const { sub } = await active();
    sim().advance(sub.current_end! * 1000 - sim().clock());
    const other = await active();
    const mine = await invoicesOf(sub.id);
    assert.equal(mine.length, 2);
    assert.ok(mine.every((i) => i.subscription_id === sub.id && i.entity === 'invoice' && i.status === 'paid' && /^pay_/.test(i.payment_id!) && /^https:\/\/rzp\.io\/i\//.test(i.short_url)));
    assert.equal(mine[0]!.billing_start, mine[1]!.billing_end, 'newest first, contiguous periods');
    assert.ok(mine.every((i) => i.customer_id === sub.customer_id && i.amount === 159900 && i.currency === 'INR'));
    assert.deepEqual((await invoicesOf(other.sub.id)).map((i) => i.subscription_id), [other.sub.id]);
    const page = await ok<{ count: number; items: RazorpayInvoice[] }>('GET', `/v1/invoices?subscription_id=${sub.id}&count=1&skip=1`);
    assert.equal(page.count, 1);
    assert.equal(page.items[0]!.id, mine[1]!.id);
    assert.deepEqual(await ok('GET', `/v1/invoices/${mine[0]!.id}`), mine[0]);
    const all = await ok<{ count: number }>('GET', '/v1/invoices');
    assert.equal(all.count, 10, 'Razorpay pages 10 by default');
  });

  test('a year of renewals on the controlled clock: 12 charges, 12 invoices, paid_count 12, completed', async (t) => {
    const { sub, paid } = await active({ total_count: 12 });
    const first = sim().deliveries.findIndex((d) => d.body.includes(paid.razorpay_payment_id));
    const sent = sim().advance(400 * DAY_MS).filter((d) => d.body.includes(sub.id));
    const all = sim().deliveries.slice(first - 2).filter((d) => d.body.includes(sub.id));
    const charged = all.filter((d) => d.event === 'subscription.charged').map(payload);
    assert.equal(charged.length, 12);
    assert.equal(sent.filter((d) => d.event === 'subscription.charged').length, 11, 'the first at authorisation, 11 renewals on the clock');
    assert.deepEqual(charged.map((e) => e.payload.subscription.entity.paid_count), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(new Set(charged.map((e) => e.payload.payment.entity.id)).size, 12, 'a new payment each time');
    // Each charge at its own time, one calendar month apart (counted from the first: 31 Jan → 28 Feb → 31 Mar → 30 Apr …).
    for (let i = 0; i < 12; i++) {
      const s = charged[i]!.payload.subscription.entity;
      assert.equal(s.current_start, addPeriods(sub.current_start!, { period: 'monthly', interval: 1 }, i));
      assert.equal(s.current_end, addPeriods(sub.current_start!, { period: 'monthly', interval: 1 }, i + 1));
      if (i > 0) assert.equal(charged[i]!.created_at, s.current_start);
    }
    assert.equal(all.at(-1)!.event, 'subscription.completed');
    const done = await fetchSub(sub.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.paid_count, 12);
    assert.equal(done.remaining_count, 0);
    assert.equal(done.charge_at, null);
    const invoices = await invoicesOf(sub.id);
    assert.equal(invoices.length, 12);
    assert.ok(invoices.every((i) => i.status === 'paid'));
    assert.deepEqual(invoices.map((i) => i.payment_id).reverse(), charged.map((e) => e.payload.payment.entity.id));
    for (const d of all) assert.equal(verifyRazorpayWebhook(WEBHOOK_SECRET, d.body, d.signature), true);
    assert.equal(sim().advance(400 * DAY_MS).filter((d) => d.body.includes(sub.id)).length, 0, 'nothing after completion');
    t.diagnostic(
      'lifecycle: ' +
        all
          .filter((d) => d.event.startsWith('subscription.'))
          .map((d) => {
            const s = payload(d).payload.subscription.entity;
            return `${d.event}→${s.status}#${s.paid_count}`;
          })
          .join(' '),
    );
  });

  test('the tests may move the injected clock themselves and tick', async () => {
    let clock = sim().clock();
    const own = await startRazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET, webhookSecret: WEBHOOK_SECRET, now: () => clock });
    try {
      const headers = { Authorization: auth, 'Content-Type': 'application/json' };
      const p = (await (await fetch(own.url + '/v1/plans', { method: 'POST', headers, body: JSON.stringify({ period: 'weekly', interval: 1, item: { name: 'Weekly', amount: 9900, currency: 'INR' } }) })).json()) as RazorpayPlan;
      const sub = (await (await fetch(own.url + '/v1/subscriptions', { method: 'POST', headers, body: JSON.stringify({ plan_id: p.id, total_count: 4 }) })).json()) as RazorpaySubscription;
      own.simulator.paySubscription(sub.id);
      assert.equal(own.simulator.tick().length, 0, 'nothing due yet');
      clock += 7 * DAY_MS;
      assert.deepEqual(own.simulator.tick().map((d) => d.event), ['payment.captured', 'subscription.charged']);
      clock += 14 * DAY_MS;
      assert.deepEqual(own.simulator.tick().map((d) => d.event), ['payment.captured', 'subscription.charged', 'payment.captured', 'subscription.charged', 'subscription.completed']);
      assert.equal(own.simulator.subscriptions.get(sub.id)!.paid_count, 4);
    } finally {
      await own.close();
    }
  });

  test('failed renewals: pending with retries over days, recovered by a retry; then halted after the retries, recovered by paying', async () => {
    const { sub } = await active();
    sim().failNextCharges(sub.id, 2);
    const due = sub.current_end!;
    let since = sim().deliveries.length;
    sim().advance(due * 1000 - sim().clock());
    assert.deepEqual(eventsOf(sub.id, since), ['payment.failed', 'subscription.pending']);
    let s = await fetchSub(sub.id);
    assert.equal(s.status, 'pending');
    assert.equal(s.paid_count, 1);
    assert.equal(s.current_end, due, 'the period does not move on an unpaid charge');
    assert.equal(s.charge_at, due + 1 * DAY, 'the first retry a day later');
    assert.equal(s.auth_attempts, 1);
    const pendingEvent = payload(sim().deliveries.at(-1)!).payload.subscription.entity;
    assert.equal(pendingEvent.status, 'pending');
    const [issued] = await invoicesOf(sub.id);
    assert.equal(issued!.status, 'issued');
    assert.equal(issued!.payment_id, null);

    since = sim().deliveries.length;
    sim().advance(1 * DAY_MS);
    assert.deepEqual(eventsOf(sub.id, since), ['payment.failed'], 'a failed retry: no second pending event');
    assert.equal((await fetchSub(sub.id)).charge_at, due + 3 * DAY);
    since = sim().deliveries.length;
    sim().advance(2 * DAY_MS);
    assert.deepEqual(eventsOf(sub.id, since), ['payment.captured', 'subscription.charged']);
    s = await fetchSub(sub.id);
    assert.equal(s.status, 'active');
    assert.equal(s.paid_count, 2);
    assert.equal(s.auth_attempts, 0);
    assert.equal(s.current_start, due);
    const invoices = await invoicesOf(sub.id);
    assert.equal(invoices.length, 2, 'the retry paid the same invoice');
    assert.equal(invoices[0]!.id, issued!.id);
    assert.equal(invoices[0]!.status, 'paid');

    // Every attempt of the next renewal fails: pending, three retries, halted; nothing more until the customer pays.
    sim().failNextCharges(sub.id, 10);
    since = sim().deliveries.length;
    sim().advance(s.current_end! * 1000 - sim().clock() + 30 * DAY_MS);
    assert.deepEqual(eventsOf(sub.id, since), ['payment.failed', 'subscription.pending', 'payment.failed', 'payment.failed', 'payment.failed', 'subscription.halted']);
    const halted = await fetchSub(sub.id);
    assert.equal(halted.status, 'halted');
    assert.equal(halted.charge_at, null);
    assert.equal(halted.paid_count, 2);
    assert.equal(payload(sim().deliveries.at(-1)!).payload.subscription.entity.status, 'halted');
    assert.throws(() => sim().recover('sub_nope'));
    since = sim().deliveries.length;
    const manual = sim().recover(sub.id);
    assert.equal(manual.status, 'captured');
    assert.deepEqual(eventsOf(sub.id, since), ['payment.captured', 'subscription.charged']);
    const back = await fetchSub(sub.id);
    assert.equal(back.status, 'active');
    assert.equal(back.paid_count, 3);
    assert.equal(back.current_start, s.current_end);
    assert.throws(() => sim().recover(sub.id), /not pending or halted/);
  });

  test('a subscription never authorised expires at expire_by', async () => {
    const p = await plan();
    const sub = await subscribe(p.id, { expire_by: nowS() + DAY });
    sim().advance(DAY_MS);
    const s = await fetchSub(sub.id);
    assert.equal(s.status, 'expired');
    assert.throws(() => sim().paySubscription(sub.id), /expired/);
    await refused('POST', `/v1/subscriptions/${sub.id}/cancel`, {}, 'status', /^Subscription is not cancellable in expired status\.$/);
  });
});

describe('the sandbox modal authorises a subscription', () => {
  let store: Store;
  let server: TestServer;
  /** The server's clock, which the sandbox's simulator reads too. */
  let serverNow = Date.UTC(2026, 2, 1, 12, 0, 0);
  before(async () => {
    store = await testStore(engines()[0]!);
    server = await makeServer({ store, sandboxWebhookDelayMs: 0, now: () => new Date(serverNow) });
  });
  after(async () => {
    await server.razorpaySandbox?.settle();
    await store.close();
  });

  /** A subscription made through the in-process sandbox API, as the server's client would. */
  async function sandboxSubscription(extra: Json = {}) {
    const sim = server.razorpaySandbox!;
    const call = async (path: string, body: unknown) => {
      const res = await sim.api.fetch(new Request(`http://razorpay.sandbox.invalid${path}`, { method: 'POST', headers: { Authorization: 'Basic ' + Buffer.from(`rzp_test_sandbox:${KEY}`).toString('base64'), 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as Json;
    };
    const KEY = server.deps.config.razorpay.keySecret;
    const p = await call('/v1/plans', { period: 'monthly', interval: 1, item: { name: 'Pro', amount: 159900, currency: 'INR' } });
    return (await call('/v1/subscriptions', { plan_id: p.id, total_count: 12, ...extra })) as RazorpaySubscription;
  }
  const pay = (body: Json) => server.request('POST', '/sandbox/razorpay/pay', { idempotencyKey: null, body: { key: 'rzp_test_sandbox', ...body } });

  test('the modal learns the amount × quantity per period, then pays; the answer carries the reversed signature', async () => {
    const sub = await sandboxSubscription({ quantity: 2 });
    const view = await server.request('GET', `/sandbox/razorpay/subscriptions/${sub.id}?key=rzp_test_sandbox`);
    assert.equal(view.status, 200);
    assert.deepEqual(await json(view), { id: sub.id, status: 'created', plan_name: 'Pro', amount: 319800, currency: 'INR', period: 'monthly', interval: 1, quantity: 2, trial_ends_at: null });
    assert.equal((await server.request('GET', `/sandbox/razorpay/subscriptions/${sub.id}?key=rzp_other`)).status, 400);
    assert.equal((await server.request('GET', `/sandbox/razorpay/subscriptions/sub_nobody?key=rzp_test_sandbox`)).status, 404);
    const res = await pay({ subscription_id: sub.id, outcome: 'success', email: 'asha@example.in', method: 'card' });
    assert.equal(res.status, 200);
    const paid = await json(res);
    assert.equal(paid.razorpay_subscription_id, sub.id);
    const secret = server.deps.config.razorpay.keySecret;
    assert.equal(sdk.validatePaymentVerification({ subscription_id: sub.id, payment_id: paid.razorpay_payment_id }, paid.razorpay_signature, secret), true);
    assert.equal(verifyRazorpaySubscriptionPayment(secret, paid.razorpay_payment_id, sub.id, paid.razorpay_signature), true);
    const after = server.razorpaySandbox!.subscriptions.get(sub.id)!;
    assert.equal(after.status, 'active');
    assert.equal(after.payment_method, 'card');
    assert.equal((await pay({ subscription_id: sub.id, outcome: 'success' })).status, 409, 'authorised once');
  });

  test('a trial shows its first charge date; a failed authorisation answers Razorpay\'s error object; bad requests are refused', async () => {
    const start = Math.floor(serverNow / 1000) + 7 * DAY;
    const trial = await sandboxSubscription({ start_at: start });
    assert.equal((await json(await server.request('GET', `/sandbox/razorpay/subscriptions/${trial.id}?key=rzp_test_sandbox`))).trial_ends_at, start);
    const failed = await json(await pay({ subscription_id: trial.id, outcome: 'failure' }));
    assert.equal(failed.error.reason, 'payment_failed');
    assert.equal(failed.error.metadata.subscription_id, trial.id);
    assert.equal(server.razorpaySandbox!.subscriptions.get(trial.id)!.status, 'created');
    assert.equal((await pay({ subscription_id: trial.id, outcome: 'success' })).status, 200);
    assert.equal(server.razorpaySandbox!.subscriptions.get(trial.id)!.status, 'authenticated');
    for (const body of [{ outcome: 'success' }, { order_id: 'order_x', subscription_id: trial.id, outcome: 'success' }, { subscription_id: trial.id, outcome: 'success', method: 'cash' }]) {
      const res = await pay(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((await json(res)).error.code, 'validation_error');
    }
    assert.equal((await pay({ subscription_id: 'sub_nobody', outcome: 'success' })).status, 404);
  });

  test('the sandbox renews on the server\'s clock: move it and tick', async () => {
    const sim = server.razorpaySandbox!;
    assert.equal(sim.clock(), serverNow);
    const sub = await sandboxSubscription({ total_count: 3 });
    await pay({ subscription_id: sub.id, outcome: 'success' });
    const end = sim.subscriptions.get(sub.id)!.current_end!;
    assert.equal(end, addPeriods(Math.floor(serverNow / 1000), { period: 'monthly', interval: 1 }, 1));
    assert.equal(sim.tick().filter((d) => d.body.includes(sub.id)).length, 0);
    serverNow = end * 1000;
    assert.deepEqual(sim.tick().filter((d) => d.body.includes(sub.id)).map((d) => d.event), ['payment.captured', 'subscription.charged']);
    assert.equal(sim.subscriptions.get(sub.id)!.paid_count, 2);
    await sim.settle();
  });
});
