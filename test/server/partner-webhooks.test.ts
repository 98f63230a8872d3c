// Events to the partner's backend (Standard Webhooks), delivered to a real receiver over HTTP and judged by the
// `standardwebhooks` package: signatures, stable ids across retries, order after an outage, no redirect followed,
// timeouts, two dispatchers on one store, nothing for a rolled-back change, and the deliveries routes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { loadServerConfig, parseConfig, DEFAULT_CONFIG } from '../../server/config.js';
import { openStore, type Sql, type Store } from '../../server/store/index.js';
import { enqueueEvent } from '../../server/store/outbox.js';
import { signRazorpayWebhook } from '../../server/security/signatures.js';
import { engines, eventually, json, makeServer, testStore, TEST_ENV, uniqueId, type TestServer } from './helpers.js';
import { spawnServer, type ServerProcess } from './server-process.js';
import { checkConfig } from '../../server/cli/check-config.js';
import { webhooks, WebhookVerificationError } from '../../src/client/index.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const API = { token: TEST_ENV.TOLLGATE_API_KEY };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = { status: number; headers?: Record<string, string> } | 'hang';

/** A partner backend on 127.0.0.1: records every request, answers what `answer` says; can go down and come back on its port. */
async function startReceiver(answer: (n: number, r: Received) => Answer = () => ({ status: 200 })) {
  const received: Received[] = [];
  const hanging = new Set<() => void>();
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const a = answer(received.length, r);
      if (a === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      res.writeHead(a.status, a.headers ?? {}).end('ok');
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () => {
    for (const h of hanging) h();
    hanging.clear();
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  return {
    url: `http://127.0.0.1:${port}/tollgate/events`,
    received,
    /** What arrived at the events path, verified: a bad signature throws here. */
    events: () => received.filter((r) => r.path === '/tollgate/events').map((r) => ({ id: String(r.headers['webhook-id']), ...(verify(r) as { type: string; timestamp: string; data: any }) })),
    down: close,
    async up() {
      server = createServer(handler);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    },
    close,
  };
}

/** The receiver's check, as a partner's backend does it. */
function verify(r: Received): unknown {
  return new Webhook(SECRET).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });
}

/** A committed plan change (an audit row: its trigger queues customer.plan_changed). */
async function changePlan(sql: Store, customerId: string, newPlan = 'pro', fail = false): Promise<void> {
  await sql.transaction(async (tx: Sql) => {
    await tx.query("INSERT INTO customers (id, plan) VALUES ($1, 'free') ON CONFLICT (id) DO NOTHING", [customerId]);
    await tx.query("INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source) VALUES ($1, 'free', $2, 'grant', 'test')", [customerId, newPlan]);
    if (fail) throw new Error('rolled back on purpose');
  });
}

async function deliveries(server: TestServer, query = ''): Promise<any[]> {
  const res = await server.request('GET', `/v1/webhook-deliveries${query}`, API);
  assert.equal(res.status, 200, await res.clone().text());
  return (await json(res)).deliveries;
}

for (const engine of engines()) {
  describe(`partner webhooks (${engine})`, () => {
    let store: Store;
    const cleanup: (() => Promise<unknown>)[] = [];
    before(async () => {
      store = await testStore(engine);
    });
    after(async () => {
      for (const fn of cleanup.reverse()) await fn();
      await store.close();
    });

    /** A receiver and a server (sandbox) sending to it with a fast retry schedule. */
    async function setup(options: { answer?: Parameters<typeof startReceiver>[0]; retryScheduleMs?: number[]; timeoutMs?: number; events?: string[]; on?: Store } = {}) {
      const receiver = await startReceiver(options.answer);
      const server = await makeServer({
        store: options.on ?? store,
        env: { TOLLGATE_SANDBOX: '1', PARTNER_WEBHOOK_SECRET: SECRET },
        file: { partner_webhooks: [{ url: receiver.url, secret_env: 'PARTNER_WEBHOOK_SECRET', ...(options.timeoutMs ? { timeout_ms: options.timeoutMs } : {}), ...(options.events ? { events: options.events as never } : {}) }] },
        sandboxWebhookDelayMs: 0,
        partnerWebhooks: { retryScheduleMs: options.retryScheduleMs ?? [50, 50, 50, 50], sweepMs: 250 },
      });
      await server.deps.partnerWebhooks.ready;
      cleanup.push(() => receiver.close(), () => server.close());
      return { receiver, server };
    }

    test('a sandbox Razorpay payment sends customer.plan_changed, checkout.paid and subscription.updated, each verified', async () => {
      const { receiver, server } = await setup();
      const customer = uniqueId();
      const token = await server.session(customer);
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(res.status, 201, await res.clone().text());
      const { checkout_id, action } = await json(res);
      const paid = server.razorpaySandbox!.pay(action.order_id);
      const verified = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } });
      assert.equal(verified.status, 200);
      await server.razorpaySandbox!.settle();
      const mine = () => receiver.events().filter((e) => e.data.customer_id === customer);
      await eventually(() => ['customer.plan_changed', 'checkout.paid', 'subscription.updated'].every((t) => mine().some((e) => e.type === t)), 'the three events');
      const byType = Object.fromEntries(mine().map((e) => [e.type, e]));
      // The verify or the sandbox's webhook, whichever applied the payment first.
      assert.match(byType['customer.plan_changed'].data.source, /^razorpay/);
      assert.deepEqual(
        { ...byType['customer.plan_changed'].data, at: undefined, source: undefined },
        { customer_id: customer, old_plan: 'free', new_plan: 'pro', kind: 'upgrade', checkout_id, at: undefined, source: undefined },
      );
      assert.match(byType['customer.plan_changed'].data.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const checkoutPaid = byType['checkout.paid'].data;
      assert.equal(checkoutPaid.checkout_id, checkout_id);
      assert.equal(checkoutPaid.amount, 159900);
      assert.equal(checkoutPaid.currency, 'INR');
      assert.equal(checkoutPaid.payment_id, paid.razorpay_payment_id);
      // The checkout's terms: one seat, no code, no discount, and the GST included in the demo's rupee price, split in halves.
      assert.deepEqual([checkoutPaid.quantity, checkoutPaid.promotion_code, checkoutPaid.discount], [1, null, 0]);
      assert.deepEqual(checkoutPaid.tax, { name: 'GST', rate: 18, inclusive: true, amount: 24392, country: 'IN', split: [{ name: 'CGST', rate: 9, amount: 12196 }, { name: 'SGST', rate: 9, amount: 12196 }] });
      assert.equal(byType['subscription.updated'].data.status, 'active');
      assert.equal(byType['subscription.updated'].data.plan, 'pro');
      assert.ok(Date.parse(byType['subscription.updated'].data.current_period_end) > Date.now());
      // tollgate/client's verify accepts the same deliveries, as Headers or a node:http header record, and refuses a changed one.
      for (const r of receiver.received.filter((x) => mine().some((e) => e.id === x.headers['webhook-id']))) {
        const asRecord = await webhooks.verify(r.body, r.headers as Record<string, string>, SECRET);
        assert.deepEqual(asRecord, verify(r));
        assert.deepEqual(await webhooks.verify(new TextEncoder().encode(r.body), new Headers(r.headers as Record<string, string>), SECRET), asRecord);
        const refused = async (body: string, headers: Record<string, string>, secret: string, code: string, nowSeconds?: number) =>
          assert.rejects(webhooks.verify(body, headers, secret, { nowSeconds }), (err: unknown) => err instanceof WebhookVerificationError && err.code === code);
        const h = r.headers as Record<string, string>;
        await refused(r.body.replace('"data"', '"data" '), h, SECRET, 'invalid_signature');
        await refused(r.body, h, `whsec_${randomBytes(32).toString('base64')}`, 'invalid_signature');
        await refused(r.body, { ...h, 'webhook-id': 'msg_other' }, SECRET, 'invalid_signature');
        await refused(r.body, h, SECRET, 'timestamp_out_of_range', Number(h['webhook-timestamp']) + 301);
        await refused(r.body, { 'webhook-id': h['webhook-id'] }, SECRET, 'missing_headers');
      }
      for (const e of mine()) {
        assert.match(e.id, /^msg_[0-9a-f]{32}$/);
        assert.ok(Math.abs(Date.parse(e.timestamp) - Date.now()) < 600_000);
      }
      // The sandbox's webhooks that followed the verify changed nothing, so they sent nothing more: one event of each.
      assert.equal(mine().length, 3, JSON.stringify(mine().map((e) => e.type)));
      const rows = (await deliveries(server)).filter((d) => mine().some((e) => e.id === d.event_id));
      assert.equal(rows.length, 3);
      for (const d of rows) assert.deepEqual([d.status, d.attempts, d.last_status, d.endpoint], ['delivered', 1, 200, receiver.url]);
    });

    test('a failed payment sends checkout.failed; a full refund sends payment.refunded and the revert', async () => {
      const { receiver, server } = await setup();
      const webhook = (event: string, payload: Record<string, unknown>) => {
        const raw = JSON.stringify({ entity: 'event', account_id: 'acc_test', event, contains: Object.keys(payload), payload, created_at: Math.floor(Date.now() / 1000) });
        return server.request('POST', '/v1/webhooks/razorpay', {
          rawBody: raw,
          idempotencyKey: null,
          headers: { 'X-Razorpay-Signature': signRazorpayWebhook(server.deps.config.razorpay.webhookSecret, raw), 'X-Razorpay-Event-Id': `evt_${uniqueId('t')}` },
        });
      };
      const payment = (id: string, order_id: string, extra: Record<string, unknown> = {}) => ({ payment: { entity: { id, entity: 'payment', order_id, amount: 159900, currency: 'INR', status: 'captured', ...extra } } });
      const customer = uniqueId();
      const token = await server.session(customer);
      const declined = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } }));
      const failed = await webhook('payment.failed', payment('pay_declined0001', declined.action.order_id, { status: 'failed', error_code: 'BAD_REQUEST_ERROR', error_description: 'Payment was declined by the bank' }));
      assert.equal((await json(failed)).outcome, 'failure_recorded');
      await eventually(() => receiver.events().some((e) => e.type === 'checkout.failed'), 'checkout.failed');
      const failedEvent = receiver.events().find((e) => e.type === 'checkout.failed')!;
      assert.deepEqual([failedEvent.data.checkout_id, failedEvent.data.customer_id, failedEvent.data.status], [declined.checkout_id, customer, 'failed']);
      assert.deepEqual(failedEvent.data.error, { code: 'BAD_REQUEST_ERROR', message: 'Payment was declined by the bank' });

      const co = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } }));
      const paid = server.razorpaySandbox!.pay(co.action.order_id);
      assert.equal((await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } })).status, 200);
      await server.razorpaySandbox!.settle();
      const full = { refund: { entity: { id: `rfnd_${uniqueId('r')}`, entity: 'refund', amount: 159900, payment_id: paid.razorpay_payment_id } } };
      assert.equal((await json(await webhook('refund.created', full))).outcome, 'reverted');
      await eventually(() => receiver.events().some((e) => e.type === 'payment.refunded'), 'payment.refunded');
      const refunded = receiver.events().find((e) => e.type === 'payment.refunded')!;
      assert.deepEqual([refunded.data.checkout_id, refunded.data.payment_id, refunded.data.status], [co.checkout_id, paid.razorpay_payment_id, 'refunded']);
      await eventually(() => receiver.events().some((e) => e.type === 'customer.plan_changed' && e.data.kind === 'revert'), 'the revert');
      const plans = receiver.events().filter((e) => e.type === 'customer.plan_changed').map((e) => [e.data.kind, e.data.old_plan, e.data.new_plan]);
      assert.deepEqual(plans, [['upgrade', 'free', 'pro'], ['revert', 'pro', 'free']]);
    });

    test('a receiver answering 500 then 200 gets the same webhook-id twice; the delivery ends delivered after 2 attempts', async () => {
      const { receiver, server } = await setup({ answer: (n) => ({ status: n === 1 ? 500 : 200 }) });
      const customer = uniqueId();
      await changePlan(store, customer);
      await eventually(async () => (await deliveries(server)).some((d) => d.status === 'delivered' && receiver.events().some((e) => e.id === d.event_id)), 'the retry delivered');
      assert.equal(receiver.received.length, 2);
      const [first, second] = receiver.events();
      assert.equal(first.id, second.id);
      assert.equal(first.data.customer_id, customer);
      assert.deepEqual(first, second);
      const [row] = (await deliveries(server)).filter((d) => d.event_id === first.id);
      assert.deepEqual([row.status, row.attempts, row.last_status, row.last_error, row.event_type], ['delivered', 2, 200, null, 'customer.plan_changed']);
    });

    test('a receiver that is down for a while gets every event exactly once, in order of creation, once it is back', async (t) => {
      const { receiver, server } = await setup({ retryScheduleMs: Array(200).fill(100) });
      await receiver.down();
      const customers = Array.from({ length: 6 }, () => uniqueId());
      for (const customer of customers) await changePlan(store, customer);
      // The oldest is retried while the receiver is down; the others wait behind it.
      await eventually(async () => (await deliveries(server)).some((d) => d.attempts >= 3 && d.last_error === 'ECONNREFUSED'), 'three refused attempts');
      await receiver.up();
      await eventually(() => receiver.events().length >= customers.length, 'every event after the outage');
      await server.deps.partnerWebhooks.idle();
      const got = receiver.events();
      assert.deepEqual(got.map((e) => e.data.customer_id), customers);
      assert.equal(new Set(got.map((e) => e.id)).size, customers.length);
      const rows = (await deliveries(server)).filter((d) => got.some((e) => e.id === d.event_id)).reverse();
      assert.ok(rows.every((d) => d.status === 'delivered'));
      assert.ok(rows[0].attempts >= 4, `the first one was retried through the outage (${rows[0].attempts})`);
      t.diagnostic(`delivery log: ${rows.map((d) => `${d.id} ${d.event_type} attempts=${d.attempts} ${d.status}`).join('; ')}`);
    });

    test('a 3xx is a failed attempt, not followed; a timeout is a failed attempt too', async () => {
      const redirect = await setup({ answer: (_n, r) => (r.path === '/tollgate/events' ? { status: 302, headers: { Location: '/elsewhere' } } : { status: 200 }), retryScheduleMs: [60_000] });
      const customer = uniqueId();
      await changePlan(store, customer);
      await eventually(async () => (await deliveries(redirect.server)).some((d) => d.attempts === 1 && d.last_status === 302), 'the redirected attempt');
      const [row] = (await deliveries(redirect.server, '?status=pending')).filter((d) => d.endpoint === redirect.receiver.url);
      assert.equal(row.status, 'pending');
      assert.match(row.last_error, /^HTTP 302 redirect not followed/);
      assert.ok(Date.parse(row.next_attempt_at) > Date.now() + 20_000);
      assert.deepEqual(redirect.receiver.received.map((r) => r.path), ['/tollgate/events']);
      await redirect.server.close();

      const slow = await setup({ answer: (n) => (n === 1 ? 'hang' : { status: 200 }), timeoutMs: 300, retryScheduleMs: [50] });
      const other = uniqueId();
      await changePlan(store, other);
      await eventually(async () => (await deliveries(slow.server)).some((d) => d.endpoint === slow.receiver.url && d.status === 'delivered'), 'the attempt after the timeout');
      const [timedOut] = (await deliveries(slow.server)).filter((d) => d.endpoint === slow.receiver.url);
      assert.equal(timedOut.attempts, 2);
      const got = slow.receiver.events();
      assert.equal(got.length, 2);
      assert.equal(got[0].id, got[1].id);
      assert.equal(got[0].data.customer_id, other);
    });

    test('the last failed attempt of the schedule marks the delivery failed, with its error', async () => {
      const { receiver, server } = await setup({ answer: () => ({ status: 503 }), retryScheduleMs: [20, 20] });
      await changePlan(store, uniqueId());
      await eventually(async () => (await deliveries(server, '?status=failed')).some((d) => d.endpoint === receiver.url), 'the failed delivery');
      const [row] = (await deliveries(server, '?status=failed')).filter((d) => d.endpoint === receiver.url);
      assert.deepEqual([row.attempts, row.last_status, row.last_error, row.next_attempt_at], [3, 503, 'HTTP 503', null]);
      assert.equal(receiver.received.length, 3);
    });

    test('two dispatchers on one store deliver each event once', async () => {
      // PostgreSQL: a second pool on the same schema, as a second instance has; PGlite: the same store object.
      let second = store;
      if (engine === 'postgres') {
        const [{ schema }] = await store.query<{ schema: string }>('SELECT current_schema() AS schema');
        second = await openStore({ databaseUrl: process.env.DATABASE_URL, schema });
        cleanup.push(() => second.close());
      }
      const a = await setup();
      const b = await makeServer({
        store: second,
        env: { TOLLGATE_SANDBOX: '1', PARTNER_WEBHOOK_SECRET: SECRET },
        file: { partner_webhooks: [{ url: a.receiver.url, secret_env: 'PARTNER_WEBHOOK_SECRET' }] },
        partnerWebhooks: { retryScheduleMs: [50, 50, 50], sweepMs: 20 },
      });
      cleanup.push(() => b.close());
      await b.deps.partnerWebhooks.ready;
      const customers = Array.from({ length: 20 }, () => uniqueId());
      await Promise.all(customers.map((c, i) => changePlan(i % 2 ? store : second, c)));
      const mine = async () => (await deliveries(a.server, '?limit=500')).filter((d) => d.endpoint === a.receiver.url);
      await eventually(async () => (await mine()).filter((d) => d.status === 'delivered').length === customers.length, 'all 20 delivered');
      await Promise.all([a.server.deps.partnerWebhooks.idle(), b.deps.partnerWebhooks.idle()]);
      const got = a.receiver.events();
      assert.equal(got.length, customers.length, 'one POST per event');
      assert.deepEqual(new Set(got.map((e) => e.data.customer_id)), new Set(customers));
      assert.ok((await mine()).every((d) => d.attempts === 1));
    });

    test('a change that rolls back queues no event; one that commits does, through enqueueEvent too', async () => {
      const { receiver, server } = await setup();
      const rolledBack = uniqueId();
      await assert.rejects(changePlan(store, rolledBack, 'pro', true), /rolled back on purpose/);
      await assert.rejects(
        store.transaction(async (tx) => {
          await enqueueEvent(tx, 'usage.threshold_reached', { customer_id: rolledBack, metric: 'messages', percent: 80 });
          throw new Error('rolled back too');
        }),
        /rolled back too/,
      );
      const committed = uniqueId();
      await changePlan(store, committed);
      const id = await store.transaction((tx) => enqueueEvent(tx, 'usage.threshold_reached', { customer_id: committed, metric: 'messages', percent: 80 }));
      assert.match(String(id), /^msg_/);
      await eventually(() => receiver.events().length === 2, 'the committed events');
      await server.deps.partnerWebhooks.idle();
      assert.deepEqual(receiver.events().map((e) => [e.type, e.data.customer_id]), [['customer.plan_changed', committed], ['usage.threshold_reached', committed]]);
      const [{ n }] = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE data->>'customer_id' = $1", [rolledBack]);
      assert.equal(n, 0);
    });

    test('an endpoint gets only the types it lists; with no partner_webhooks nothing is queued', async () => {
      const { receiver } = await setup({ events: ['checkout.paid'] });
      const customer = uniqueId();
      await changePlan(store, customer);
      const [{ n }] = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE data->>'customer_id' = $1", [customer]);
      assert.equal(n, 0);
      assert.equal(receiver.received.length, 0);
      const none = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' } });
      cleanup.push(() => none.close());
      await none.deps.partnerWebhooks.ready;
      const [{ endpoints }] = await store.query<{ endpoints: number }>('SELECT count(*)::int AS endpoints FROM partner_endpoints');
      assert.equal(endpoints, 0);
      // No endpoint, no trigger: a change pays nothing for the outbox.
      const triggers = await store.query<{ tgname: string }>("SELECT tgname FROM pg_trigger WHERE tgname IN ('plan_changes_event', 'checkouts_event', 'customers_subscription_event', 'usage_counters_threshold_event')");
      assert.deepEqual(triggers, []);
      const later = uniqueId();
      await changePlan(store, later);
      const [{ m }] = await store.query<{ m: number }>("SELECT count(*)::int AS m FROM outbox_events WHERE data->>'customer_id' = $1", [later]);
      assert.equal(m, 0);
    });

    test('usage.threshold_reached at 80 % and 100 % of a limit, once each per customer, metric and period, from consumes and reports', async () => {
      const { receiver, server } = await setup({ events: ['usage.threshold_reached'] });
      const customer = uniqueId();
      const limit = (await json(await server.request('GET', `/v1/customers/${customer}/entitlements`, API))).limits.messages as number;
      assert.ok(limit >= 10, 'the free plan limits messages');
      const consume = async (quantity: number) =>
        (await json(await server.request('POST', '/v1/check', { ...API, idempotencyKey: null, body: { customer_id: customer, metric: 'messages', quantity, consume: true } }))).allowed as boolean;
      const report = async (quantity: number) => assert.equal((await server.request('POST', '/v1/usage', { ...API, idempotencyKey: null, body: { customer_id: customer, metric: 'messages', quantity } })).status, 200);
      const at80 = Math.ceil(limit * 0.8);
      assert.equal(await consume(at80 - 1), true);
      assert.equal(await consume(1), true); // 80 %
      assert.equal(await consume(limit - at80 - 1), true);
      await report(1); // 100 %, by a report
      assert.equal(await consume(1), false, 'past the limit: refused, nothing counted, no event');
      await report(-5); // a correction below 100 %…
      await report(10); // …and past it again: the threshold was reached this period already
      await eventually(() => receiver.events().filter((e) => e.data.customer_id === customer).length >= 2, 'the two threshold events');
      const events = receiver.events().filter((e) => e.data.customer_id === customer);
      assert.deepEqual(
        events.map((e) => [e.type, e.data.metric, e.data.threshold, e.data.used, e.data.limit]),
        [
          ['usage.threshold_reached', 'messages', 80, at80, limit],
          ['usage.threshold_reached', 'messages', 100, limit, limit],
        ],
      );
      const [{ n }] = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_events WHERE type = 'usage.threshold_reached' AND data->>'customer_id' = $1", [customer]);
      assert.equal(n, 2, 'one event per threshold, in SQL');
    });

    test('replay re-sends a delivery with the same webhook-id; the routes take the API key and answer errors in the envelope', async () => {
      const { receiver, server } = await setup();
      await changePlan(store, uniqueId());
      await eventually(() => receiver.events().length === 1, 'the first delivery');
      await server.deps.partnerWebhooks.idle();
      const [row] = (await deliveries(server)).filter((d) => d.endpoint === receiver.url);
      assert.equal(row.status, 'delivered');
      const res = await server.request('POST', `/v1/webhook-deliveries/${row.id}/replay`, API);
      assert.equal(res.status, 202, await res.clone().text());
      assert.equal((await json(res)).delivery.status, 'pending');
      await eventually(() => receiver.events().length === 2, 'the replay');
      assert.equal(receiver.events()[1].id, receiver.events()[0].id);
      await eventually(async () => (await deliveries(server)).some((d) => d.id === row.id && d.status === 'delivered'), 'the replay recorded');

      for (const [method, path, token, status, code] of [
        ['POST', '/v1/webhook-deliveries/999999999/replay', API.token, 404, 'not_found'],
        ['POST', '/v1/webhook-deliveries/abc/replay', API.token, 404, 'not_found'],
        ['POST', `/v1/webhook-deliveries/${row.id}/replay`, undefined, 401, 'unauthenticated'],
        ['GET', '/v1/webhook-deliveries', 'tg_wrong_key', 401, 'unauthenticated'],
        ['GET', '/v1/webhook-deliveries?status=bogus', API.token, 400, 'validation_error'],
        ['GET', '/v1/webhook-deliveries?limit=0', API.token, 400, 'validation_error'],
        ['GET', '/v1/webhook-deliveries?colour=red', API.token, 400, 'validation_error'],
      ] as const) {
        const r = await server.request(method, path, { token });
        assert.equal(r.status, status, `${method} ${path}`);
        const body = await json(r);
        assert.equal(body.error.code, code, `${method} ${path}`);
        assert.match(body.error.request_id, /^req_/);
      }
      const limited = await deliveries(server, '?limit=1&status=delivered');
      assert.equal(limited.length, 1);
    });
  });
}

for (const engine of engines()) {
  describe(`kill -9 between the state change and the delivery (${engine})`, () => {
    let dir: string;
    let server: ServerProcess | undefined;
    let dropData = async () => {};
    after(async () => {
      await server?.stop('SIGKILL');
      await dropData();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('the events of a payment are delivered by the restarted server, the interrupted one with its webhook-id', { timeout: 240_000 }, async () => {
      dir = mkdtempSync(join(tmpdir(), 'tollgate-outbox-'));
      // Until the kill, the receiver holds every request open: the first delivery is mid-attempt when the server dies.
      let answering = false;
      const receiver = await startReceiver(() => (answering ? { status: 200 } : 'hang'));
      after(() => receiver.close());
      const config = join(dir, 'tollgate.json');
      writeFileSync(config, JSON.stringify({ ...DEFAULT_CONFIG, partner_webhooks: [{ url: receiver.url, secret_env: 'PARTNER_WEBHOOK_SECRET', timeout_ms: 1_000 }] }));
      const env: Record<string, string> = { ...TEST_ENV, TOLLGATE_CONFIG: config, TOLLGATE_SANDBOX: '1', PARTNER_WEBHOOK_SECRET: SECRET };
      if (engine === 'pglite') env.DATA_DIR = join(dir, 'data');
      else {
        const schema = `outbox_${randomBytes(5).toString('hex')}`;
        const base = process.env.DATABASE_URL!;
        await (await openStore({ databaseUrl: base, schema })).close();
        env.DATABASE_URL = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        dropData = async () => {
          const store = await openStore({ databaseUrl: base, schema });
          await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await store.close();
        };
      }
      server = await spawnServer(env);
      const call = async (path: string, body: unknown, token: string) => {
        const res = await fetch(server!.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Idempotency-Key': randomBytes(8).toString('hex') }, body: JSON.stringify(body) });
        assert.ok(res.ok, `${path}: ${res.status} ${await res.clone().text()}`);
        return json(res);
      };
      const customer = uniqueId();
      const { token } = await call('/v1/sessions', { customer_id: customer }, TEST_ENV.TOLLGATE_API_KEY);
      const { action } = await call('/v1/checkout', { plan: 'pro' }, token);
      const paid = await call('/sandbox/razorpay/pay', { key: action.key_id, order_id: action.order_id, outcome: 'success' }, token);
      await call('/v1/razorpay/verify', { plan: 'pro', razorpay_order_id: paid.razorpay_order_id, razorpay_payment_id: paid.razorpay_payment_id, razorpay_signature: paid.razorpay_signature }, token);
      await eventually(() => receiver.received.length >= 1, 'the first attempt in flight', 30_000);
      await server.stop('SIGKILL');
      const interrupted = String(receiver.received[0].headers['webhook-id']);

      answering = true;
      server = await spawnServer(env);
      const mine = () => receiver.events().filter((e) => e.data.customer_id === customer);
      // The dead server's lease on the endpoint runs out (timeout_ms + 10 s), then the new one delivers.
      await eventually(() => ['customer.plan_changed', 'checkout.paid', 'subscription.updated'].every((t) => mine().some((e) => e.type === t)), 'every event after the restart', 120_000);
      assert.ok(receiver.events().filter((e) => e.id === interrupted).length >= 2, 'the interrupted delivery was sent again with its webhook-id');
      assert.equal(new Set(mine().map((e) => e.id)).size, 3, JSON.stringify(mine().map((e) => [e.id, e.type])));
      await server.stop('SIGTERM');
      server = undefined;
    });
  });
}

describe('partner_webhooks config', () => {
  const file = (partner_webhooks: unknown) => parseConfig({ ...DEFAULT_CONFIG, partner_webhooks });
  test('the secret comes from the variable secret_env names; a missing or malformed one names it', () => {
    const cfg = file([{ url: 'https://api.example.com/events', secret_env: 'PARTNER_SECRET' }]);
    assert.throws(() => loadServerConfig({ ...TEST_ENV }, cfg), /partner_webhooks\[0\]\.secret_env names PARTNER_SECRET, which is not set; set it to whsec_/);
    assert.throws(() => loadServerConfig({ ...TEST_ENV, PARTNER_SECRET: 'not-a-secret' }, cfg), /PARTNER_SECRET \(partner_webhooks\[0\]\.secret_env\) is not a webhook secret/);
    assert.throws(() => loadServerConfig({ ...TEST_ENV, PARTNER_SECRET: `whsec_${randomBytes(8).toString('base64')}` }, cfg), /is not a webhook secret/);
    const [endpoint] = loadServerConfig({ ...TEST_ENV, PARTNER_SECRET: SECRET }, cfg).partnerWebhooks;
    assert.deepEqual([endpoint.url, endpoint.events, endpoint.timeoutMs], ['https://api.example.com/events', null, 10_000]);
    assert.deepEqual(Buffer.from(endpoint.key).toString('base64'), SECRET.slice('whsec_'.length));
  });
  test('tollgate check-config refuses a missing secret, naming the variable, and passes with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-pw-config-'));
    try {
      const path = join(dir, 'tollgate.json');
      writeFileSync(path, JSON.stringify({ ...DEFAULT_CONFIG, partner_webhooks: [{ url: 'https://api.example.com/events', secret_env: 'PARTNER_SECRET' }] }));
      const env = { ...TEST_ENV, TOLLGATE_CONFIG: path, TOLLGATE_SANDBOX: '1' };
      await assert.rejects(checkConfig(env, () => {}), /partner_webhooks\[0\]\.secret_env names PARTNER_SECRET, which is not set/);
      let out = '';
      await checkConfig({ ...env, PARTNER_SECRET: SECRET }, (text) => (out += text));
      assert.match(out, /the configuration is valid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('unknown keys, unknown event types, duplicate and non-http URLs are refused with a fix', () => {
    assert.throws(() => file([{ url: 'https://a.example/e', secret_env: 'S', secert: 'x' }]), /partner_webhooks\[0\]: unknown key "secert"/);
    assert.throws(() => file([{ url: 'https://a.example/e', secret_env: 'S', events: ['plan.changed'] }]), /partner_webhooks\[0\]\.events\[0\]/);
    assert.throws(() => file([{ url: 'ftp://a.example/e', secret_env: 'S' }]), /partner_webhooks\[0\]\.url: use an http\(s\) URL/);
    assert.throws(() => file([{ url: 'https://a.example/e', secret_env: 'S' }, { url: 'https://a.example/e', secret_env: 'T' }]), /partner_webhooks\[1\]\.url: https:\/\/a\.example\/e is listed twice/);
  });
});
