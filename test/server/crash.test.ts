// Crash safety of the real server: SIGKILLed several times during a stream of signed Razorpay webhooks and
// verifies for distinct paid orders (live mode against the HTTP fake), restarted on the same data, with
// what was not acknowledged delivered again as providers and the widget do. Then, read from the store:
// every order paid once, one audit row each, no acknowledged event lost, no Idempotency-Key left stuck.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../server/config.js';
import { openStore, type Store } from '../../server/store/index.js';
import type { WebhookDelivery } from '../../server/providers/razorpay/sandbox/simulator.js';
import { startRazorpayFake } from '../fakes/razorpay.js';
import { engines, TEST_ENV, type Engine } from './helpers.js';
import { spawnServer, type ServerProcess } from './server-process.js';

const KEY_ID = 'rzp_test_crash000001';
const KEY_SECRET = 'crash_key_secret_for_tests';
const WEBHOOK_SECRET = 'crash_webhook_secret_for_tests';
const ORDERS = 24;
const KILLS = 3;
const WORKERS = 6;
/** 409 `conflict` answers one request may get before the key counts as stuck (a lease runs out in seconds). */
const MAX_BUSY = 12;

interface Sent {
  label: string;
  path: string;
  body: string;
  headers: Record<string, string>;
}

interface Answer {
  status: number;
  body: any;
  retryAfter: string | null;
}

/** One request to the server in `current()`; null when the server did not answer (killed mid-request, or down). */
async function send(url: string, request: Sent): Promise<Answer | null> {
  try {
    const res = await fetch(url + request.path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...request.headers }, body: request.body, signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the failure message
    }
    return { status: res.status, body, retryAfter: res.headers.get('Retry-After') };
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of engines()) {
  describe(`SIGKILL during a stream of verifies and webhooks (${engine})`, () => {
    let dir: string;
    let fake: Awaited<ReturnType<typeof startRazorpayFake>>;
    let env: Record<string, string>;
    /** How the test reads the store the servers used (opened when no server runs, for PGlite). */
    let openData: () => Promise<Store>;
    let dropData = async () => {};
    let server: ServerProcess | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tollgate-crash-'));
      fake = await startRazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET, webhookSecret: WEBHOOK_SECRET });
      const config = join(dir, 'tollgate.json');
      writeFileSync(config, JSON.stringify({ ...DEFAULT_CONFIG, rate_limits: { customer: { limit: 1_000_000, window_s: 60 }, ip: { limit: 1_000_000, window_s: 60 } } }));
      env = {
        ...TEST_ENV,
        TOLLGATE_CONFIG: config,
        TOLLGATE_SANDBOX: '0',
        RAZORPAY_KEY_ID: KEY_ID,
        RAZORPAY_KEY_SECRET: KEY_SECRET,
        RAZORPAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
        RAZORPAY_API_BASE: fake.url,
      };
      if (engine === 'pglite') {
        env.DATA_DIR = join(dir, 'data');
        openData = () => openStore({ dataDir: env.DATA_DIR });
      } else {
        // The server's own schema, chosen with libpq's `options` in DATABASE_URL (README, "Store").
        const schema = `crash_${randomBytes(5).toString('hex')}`;
        const base = process.env.DATABASE_URL!;
        await (await openStore({ databaseUrl: base, schema })).close(); // creates and migrates the schema
        env.DATABASE_URL = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        openData = () => openStore({ databaseUrl: base, schema });
        dropData = async () => {
          const store = await openStore({ databaseUrl: base, schema });
          await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await store.close();
        };
      }
    });
    after(async () => {
      await server?.stop('SIGKILL');
      await fake.close();
      await dropData();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Start (or restart) the server on the same data; one a failed test left running is killed first. */
    async function start(): Promise<ServerProcess> {
      await server?.stop('SIGKILL');
      server = await spawnServer(env);
      return server;
    }

    /** A customer session and a Razorpay checkout of Pro, paid at the fake: the verify body and the two signed webhooks Razorpay sends. */
    async function paidOrder(url: string, i: number) {
      const customer = `cust_crash_${i}_${randomBytes(3).toString('hex')}`;
      const session = await send(url, { label: 'session', path: '/v1/sessions', body: JSON.stringify({ customer_id: customer }), headers: { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}`, 'Idempotency-Key': `s-${customer}` } });
      assert.equal(session?.status, 201, JSON.stringify(session));
      const token: string = session!.body.token;
      const checkout = await send(url, { label: 'checkout', path: '/v1/checkout', body: JSON.stringify({ plan: 'pro' }), headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': `c-${customer}` } });
      assert.equal(checkout?.status, 201, JSON.stringify(checkout));
      const orderId: string = checkout!.body.action.order_id;
      const before = fake.simulator.deliveries.length;
      const paid = fake.simulator.pay(orderId);
      const hooks: WebhookDelivery[] = fake.simulator.deliveries.slice(before);
      assert.deepEqual(hooks.map((h) => h.event), ['payment.captured', 'order.paid']);
      const requests: Sent[] = [
        { label: `verify ${i}`, path: '/v1/razorpay/verify', body: JSON.stringify({ plan: 'pro', ...paid }), headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': `v-${customer}` } },
        ...hooks.map((h) => ({ label: `${h.event} ${i}`, path: '/v1/webhooks/razorpay', body: h.body, headers: { 'X-Razorpay-Signature': h.signature, 'X-Razorpay-Event-Id': h.eventId } })),
      ];
      return { customer, checkoutId: checkout!.body.checkout_id as string, orderId, paymentId: paid.razorpay_payment_id, eventIds: hooks.map((h) => h.eventId), requests };
    }

    test('every order paid exactly once with one audit row, no acknowledged event lost, no key stuck', { timeout: 600_000 }, async () => {
      let current = await start();
      const orders = [];
      for (let i = 0; i < ORDERS; i++) orders.push(await paidOrder(current.url, i));

      // Interleave: order i's verify and webhooks are far apart in the stream, and orders overlap.
      const queue: Sent[] = [];
      for (let round = 0; round < 3; round++) for (const order of orders) queue.push(order.requests[(round + orders.indexOf(order)) % 3]);
      const total = queue.length;
      const acked = new Map<string, Answer>();
      const busy = new Map<string, number>();
      const refused: string[] = [];
      let interrupted = 0;
      let kills = 0;
      let restarting: Promise<ServerProcess> | null = null;

      const killAndRestart = () => {
        kills++;
        const dying = current;
        restarting = (async () => {
          await dying.stop('SIGKILL');
          current = await start();
          restarting = null;
          return current;
        })();
      };

      async function worker() {
        for (;;) {
          const request = queue.shift();
          if (!request) {
            if (acked.size + refused.length >= total) return;
            await sleep(20); // others' requests may come back for redelivery
            continue;
          }
          if (restarting) await restarting;
          const answer = await send(current.url, request);
          if (!answer || answer.status >= 500) {
            // Not acknowledged (the server died under it): deliver again, as Razorpay and the widget do.
            if (!answer) interrupted++;
            if (restarting) await restarting;
            queue.push(request);
            continue;
          }
          if (answer.status === 409 && answer.body?.error?.code === 'conflict' && answer.retryAfter) {
            // The key is still held (a request the kill interrupted): wait as told, like the widget.
            const n = (busy.get(request.label) ?? 0) + 1;
            busy.set(request.label, n);
            if (n > MAX_BUSY) {
              refused.push(`${request.label}: still 409 conflict after ${MAX_BUSY} retries (a stuck Idempotency-Key)`);
              continue;
            }
            await sleep(Number(answer.retryAfter) * 1000);
            queue.push(request);
            continue;
          }
          if (answer.status !== 200) {
            refused.push(`${request.label}: ${answer.status} ${JSON.stringify(answer.body)}`);
            continue;
          }
          acked.set(request.label, answer);
          // Kill while the other workers' requests are in flight, evenly through the stream.
          if (kills < KILLS && !restarting && acked.size >= ((kills + 1) * total) / (KILLS + 1)) killAndRestart();
        }
      }
      await Promise.all(Array.from({ length: WORKERS }, worker));
      assert.deepEqual(refused, []);
      assert.equal(kills, KILLS);
      assert.equal(acked.size, total);
      assert.ok(interrupted > 0, 'some requests were in flight when the server was killed');

      // Providers deliver at least once: everything again, after the last restart. All answered from what was kept.
      if (restarting) await restarting;
      for (const order of orders) {
        for (const request of order.requests) {
          const again = await send(current.url, request);
          assert.equal(again?.status, 200, `${request.label} again: ${JSON.stringify(again)}`);
          if (request.path === '/v1/webhooks/razorpay') assert.equal(again!.body.outcome, 'duplicate', request.label);
          else assert.equal(again!.body.new_plan, 'pro');
        }
      }

      // One last kill -9, then read what survived straight from the store (PGlite takes over the dead server's lock).
      await current.stop('SIGKILL');
      server = undefined;
      const store = await openData();
      try {
        const customers = orders.map((o) => o.customer);
        const checkouts = await store.query<{ id: string; status: string; payment_id: string }>('SELECT id, status, payment_id FROM checkouts WHERE customer_id = ANY($1::text[])', [customers]);
        assert.deepEqual(
          checkouts.map((c) => [c.id, c.status, c.payment_id]).sort(),
          orders.map((o) => [o.checkoutId, 'paid', o.paymentId]).sort(),
          'every order paid, by its payment, once',
        );
        const audit = await store.query<{ checkout_id: string; kind: string; event_id: string | null }>('SELECT checkout_id, kind, event_id FROM plan_changes WHERE customer_id = ANY($1::text[])', [customers]);
        assert.deepEqual(audit.map((a) => `${a.checkout_id} ${a.kind}`).sort(), orders.map((o) => `${o.checkoutId} upgrade`).sort(), 'one audit row per order');
        const plans = await store.query<{ plan: string }>('SELECT plan FROM customers WHERE id = ANY($1::text[])', [customers]);
        assert.deepEqual(plans.map((p) => p.plan), customers.map(() => 'pro'));

        // Every acknowledged webhook is recorded, and an acknowledged "upgraded" is the audit row's event.
        const events = new Set((await store.query<{ event_id: string }>("SELECT event_id FROM webhook_events WHERE provider = 'razorpay'")).map((e) => e.event_id));
        const missing = orders.flatMap((o) => o.eventIds).filter((id) => !events.has(id));
        assert.deepEqual(missing, [], 'acknowledged events missing after the crashes');
        const byEvent = new Map(audit.map((a) => [a.event_id, a.checkout_id]));
        for (const order of orders) {
          const upgraded = order.requests.filter((r) => acked.get(r.label)?.body?.outcome === 'upgraded');
          assert.ok(upgraded.length <= 1, `${order.orderId}: two webhooks answered "upgraded"`);
          for (const r of upgraded) assert.equal(byEvent.get(r.headers['X-Razorpay-Event-Id']), order.checkoutId, `${r.label} answered "upgraded" but its audit row is gone`);
        }

        // No Idempotency-Key left in progress: every verify's key holds its 200.
        const stuck = await store.query<{ key: string }>('SELECT key FROM idempotency_keys WHERE status IS NULL');
        assert.deepEqual(stuck, [], 'Idempotency-Keys left in progress');
        const verifies = await store.query<{ status: number }>('SELECT status FROM idempotency_keys WHERE key = ANY($1::text[])', [orders.map((o) => o.requests[0].headers['Idempotency-Key'])]);
        assert.deepEqual(verifies.map((v) => v.status), orders.map(() => 200));
      } finally {
        await store.close();
      }
    });

    test('a request killed after claiming its Idempotency-Key: the retry is 409 conflict with Retry-After while the lease runs, then takes it over', { timeout: 300_000 }, async () => {
      let current = await start();
      const customer = `cust_crash_claim_${randomBytes(3).toString('hex')}`;
      const session = await send(current.url, { label: 'session', path: '/v1/sessions', body: JSON.stringify({ customer_id: customer }), headers: { Authorization: `Bearer ${TEST_ENV.TOLLGATE_API_KEY}`, 'Idempotency-Key': `s-${customer}` } });
      const checkout: Sent = { label: 'checkout', path: '/v1/checkout', body: JSON.stringify({ plan: 'pro' }), headers: { Authorization: `Bearer ${session!.body.token}`, 'Idempotency-Key': `c-${customer}` } };
      // Razorpay hangs on the order: the server has claimed the key and waits upstream when it is killed.
      fake.control.delayResponses(10_000, 1);
      const orders = fake.control.callCount('POST /v1/orders');
      const first = send(current.url, checkout);
      while (fake.control.callCount('POST /v1/orders') === orders) await sleep(20);
      await current.stop('SIGKILL');
      assert.equal(await first, null, 'the first request was never answered');
      fake.control.reset();

      current = await start();
      const answers: Answer[] = [];
      for (let i = 0; i <= MAX_BUSY; i++) {
        const answer = await send(current.url, checkout);
        assert.ok(answer, 'the restarted server answers');
        answers.push(answer);
        if (answer.status !== 409) break;
        assert.equal(answer.body.error.code, 'conflict');
        assert.ok(Number(answer.retryAfter) >= 1 && Number(answer.retryAfter) <= 8, `Retry-After ${answer.retryAfter}`);
        await sleep(Number(answer.retryAfter) * 1000);
      }
      const last = answers[answers.length - 1];
      assert.equal(last.status, 201, `the key is still stuck after ${answers.length} tries: ${JSON.stringify(last.body)}`);
      assert.equal(last.body.action.type, 'razorpay');
      // Answered once, and kept: the same key again is its replay.
      const replay = await send(current.url, checkout);
      assert.equal(replay?.status, 201);
      assert.equal(replay!.body.checkout_id, last.body.checkout_id);
      await current.stop('SIGTERM');
      server = undefined;
      const store = await openData();
      try {
        assert.deepEqual(await store.query("SELECT key FROM idempotency_keys WHERE status IS NULL AND scope = $1", [`customer:${customer}`]), []);
      } finally {
        await store.close();
      }
    });
  });
}
