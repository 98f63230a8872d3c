// Self-test: the mintbot fake behaves as docs/upstream/mintbot-partner-api.txt documents, over real HTTP.
import assert from 'node:assert/strict';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MINTBOT_BASE_PATH, createMintbotApp, signMintbotWebhook, startMintbotFake } from '../fakes/mintbot.js';
import { startWebhookSink, type WebhookSink } from './webhook-sink.js';

const API_KEY = 'mo_test_0123456789abcdef0123456789abcdef';
const SECRET = 'mintbot_secret';

/** docs/upstream/mintbot-partner-api.txt "Verifying the signature", transcribed from its Node sample. */
function verifyLikeTheDoc(secret: string, rawBody: string, header: string, toleranceSec = 300): boolean {
  const [tsPart, v1Part] = header.split(',');
  const ts = Number(tsPart!.split('=')[1]);
  const sig = v1Part!.split('=')[1]!;
  if (Math.abs(Date.now() / 1000 - ts) > toleranceSec) return false;
  const expected = createHmac('sha256', secret).update(`${ts}.`).update(rawBody).digest('hex');
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(sig, 'hex'));
}

describe('mintbot fake', () => {
  let fake: Awaited<ReturnType<typeof startMintbotFake>>;
  let sink: WebhookSink;

  const orderBody = {
    tier: 's1',
    duration_days: 30,
    credit_usd: 10,
    external_id: 'ext-1',
    success_url: 'https://app.test/thanks?id={ORDER_ID}',
    cancel_url: 'https://app.test/cart',
  };

  function api(path: string, init: RequestInit & { key?: string | null; idem?: string | null } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.key !== null) headers.set('Authorization', `Bearer ${init.key ?? API_KEY}`);
    if (init.method === 'POST') {
      headers.set('Content-Type', 'application/json');
      if (init.idem !== null) headers.set('Idempotency-Key', init.idem ?? randomUUID());
    }
    return fetch(`${fake.apiBaseUrl}${path}`, { ...init, headers });
  }

  before(async () => {
    sink = await startWebhookSink();
    fake = await startMintbotFake({ apiKey: API_KEY, webhookSecret: SECRET, webhookUrl: sink.url, pageSize: 2 });
  });
  after(async () => {
    await fake.close();
    await sink.close();
  });

  it('rejects a missing header as unauthenticated and a wrong key as invalid_api_key, with the error envelope', async () => {
    const missing = await api('/partner', { key: null });
    assert.equal(missing.status, 401);
    const body = (await missing.json()) as { error: { code: string; message: string; request_id: string } };
    assert.equal(body.error.code, 'unauthenticated');
    assert.equal(body.error.request_id, missing.headers.get('X-Request-Id'));
    const wrong = await api('/partner', { key: 'mo_test_nope' });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
  });

  it('creates an order (201, OrderResponse, {ORDER_ID} substituted, checkout page on the fake)', async () => {
    const res = await api('/orders', { method: 'POST', body: JSON.stringify(orderBody) });
    assert.equal(res.status, 201);
    const order = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(order), [
      'id', 'tier', 'duration_days', 'credit_usd', 'amount_cents', 'currency', 'status', 'checkout_url',
      'panel_url', 'expires_at', 'language', 'external_id', 'created_at', 'paid_at',
    ]);
    assert.equal(order.status, 'awaiting_payment');
    assert.equal(order.amount_cents, 1200);
    assert.match(order.created_at as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok((order.checkout_url as string).startsWith(fake.url));
    const record = fake.state.orders.get(order.id as number)!;
    assert.equal(record.success_url, `https://app.test/thanks?id=${order.id}`);
    const page = await fetch(order.checkout_url as string);
    assert.equal(page.status, 200);
    assert.match(await page.text(), new RegExp(`thanks\\?id=${order.id}`));
  });

  it('validates tier and duration_days as validation_error', async () => {
    for (const bad of [{ ...orderBody, tier: 's3' }, { ...orderBody, duration_days: 0 }, { ...orderBody, duration_days: 1.5 }, { ...orderBody, duration_days: 366 }]) {
      const res = await api('/orders', { method: 'POST', body: JSON.stringify(bad) });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'validation_error');
    }
  });

  it('requires Idempotency-Key, replays with Idempotent-Replay: true, and 409s on a different body', async () => {
    const missing = await api('/orders', { method: 'POST', idem: null, body: JSON.stringify(orderBody) });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'missing_idempotency_key');

    // "Idempotency-Key: <uuid>": anything else is refused (strict; see the fake).
    const notUuid = await api('/orders', { method: 'POST', idem: 'tollgate-chk_abc', body: JSON.stringify(orderBody) });
    assert.equal(notUuid.status, 400);
    assert.equal(((await notUuid.json()) as { error: { code: string } }).error.code, 'validation_error');

    const same = randomUUID();
    const first = await api('/orders', { method: 'POST', idem: same, body: JSON.stringify(orderBody) });
    const firstBody = await first.text();
    const replay = await api('/orders', { method: 'POST', idem: same, body: JSON.stringify(orderBody) });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('Idempotent-Replay'), 'true');
    assert.equal(await replay.text(), firstBody);
    const mismatch = await api('/orders', { method: 'POST', idem: same, body: JSON.stringify({ ...orderBody, tier: 's2' }) });
    assert.equal(mismatch.status, 409);
    assert.equal(((await mismatch.json()) as { error: { code: string } }).error.code, 'idempotency_key_mismatch');
  });

  it('expires idempotency keys after 24 h', async () => {
    let clock = Date.UTC(2026, 4, 16);
    const { app } = createMintbotApp({ apiKey: API_KEY, now: () => clock, sendOrderCreatedWebhook: false });
    const post = () =>
      app.request(`${MINTBOT_BASE_PATH}/orders`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_KEY}`, 'Idempotency-Key': '5f0c7e2a-6a43-4f36-9d8e-1c2b3a4d5e6f', 'Content-Type': 'application/json' },
        body: JSON.stringify(orderBody),
      });
    const a = (await (await post()).json()) as { id: number };
    clock += 23 * 3600_000;
    assert.equal(((await (await post()).json()) as { id: number }).id, a.id);
    clock += 2 * 3600_000;
    assert.notEqual(((await (await post()).json()) as { id: number }).id, a.id);
  });

  it('lists orders newest first with a cursor, filtered by status, and 404s unknown orders', async () => {
    const seen: number[] = [];
    let cursor: string | null = '';
    do {
      const res = await api(`/orders?status=awaiting_payment${cursor ? `&cursor=${cursor}` : ''}`);
      const page = (await res.json()) as { items: { id: number; status: string }[]; next_cursor: string | null };
      assert.ok(page.items.length <= 2);
      for (const item of page.items) assert.equal(item.status, 'awaiting_payment');
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
    assert.equal(seen.length, [...fake.state.orders.values()].filter((o) => o.status === 'awaiting_payment').length);
    const missing = await api('/orders/99999');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('drives the lifecycle with signed webhooks carrying the documented headers, records revenue, renews and redelivers', async () => {
    const created = (await (await api('/orders', { method: 'POST', body: JSON.stringify(orderBody) })).json()) as { id: number };
    await fake.control.settle();
    await fake.control.pay(created.id);
    await fake.control.provision(created.id);
    await fake.control.ready(created.id, 'https://panel.test/a', '2026-06-15 10:00:00');
    const ofOrder = sink.received.filter((r) => (JSON.parse(r.body) as { id: number }).id === created.id);
    assert.deepEqual(
      ofOrder.map((r) => r.headers['x-mintbot-event-type']),
      ['order.created', 'order.paid', 'agent.provisioning_started', 'agent.ready'],
    );
    for (const r of ofOrder) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['user-agent'], 'mintbot-webhook/1.0');
      assert.match(r.headers['x-mintbot-event-id']!, new RegExp(`^evt_${created.id}_${r.headers['x-mintbot-event-type']!.replace('.', '\\.')}_\\d{13}$`));
      assert.ok(verifyLikeTheDoc(SECRET, r.body, r.headers['x-mintbot-signature']!));
    }
    const paid = JSON.parse(ofOrder[1]!.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(paid), ['id', 'tier', 'duration_days', 'credit_usd', 'amount_cents', 'currency', 'status', 'external_id', 'paid_at']);
    assert.equal(paid.status, 'completed');
    const ready = JSON.parse(ofOrder[3]!.body) as Record<string, unknown>;
    assert.equal(ready.panel_url, 'https://panel.test/a');
    assert.equal(ready.expires_at, '2026-06-15 10:00:00');

    const order = (await (await api(`/orders/${created.id}`)).json()) as { status: string; panel_url: string };
    assert.equal(order.status, 'deployed');
    const revenue = (await (await api('/revenue?include_paid=false')).json()) as { events: { order_id: number; partner_cut_cents: number }[]; unpaid_cents: number };
    const event = revenue.events.find((e) => e.order_id === created.id)!;
    assert.equal(event.partner_cut_cents, 200);
    fake.control.payout();
    assert.equal(((await (await api('/revenue?include_paid=false')).json()) as { events: unknown[] }).events.length, 0);
    assert.equal(((await (await api('/partner')).json()) as { balance_unpaid_cents: number }).balance_unpaid_cents, 0);

    await fake.control.expire(created.id);
    const renewed = await api(`/orders/${created.id}/renew`, { method: 'POST', body: JSON.stringify({ duration_days: 30, success_url: 'https://app.test/r?id={ORDER_ID}', cancel_url: 'https://app.test/a' }) });
    assert.equal(renewed.status, 201);
    const renewal = (await renewed.json()) as { id: number; credit_usd: number; checkout_url: string; external_id: string };
    assert.notEqual(renewal.id, created.id);
    assert.equal(renewal.credit_usd, 0);
    assert.equal(renewal.external_id, 'ext-1');

    const delivery = fake.state.deliveries.find((d) => d.eventType === 'agent.ready' && d.body.includes(`"id":${created.id},`))!;
    const before = sink.received.length;
    const again = await fake.control.redeliver(delivery.eventId);
    assert.equal(again.attempt, 2);
    const last = sink.received[before]!;
    assert.equal(last.body, delivery.body);
    assert.equal(last.headers['x-mintbot-signature'], delivery.headers['X-Mintbot-Signature']);
    assert.equal(signMintbotWebhook(SECRET, delivery.body, 1700000000), `t=1700000000,v1=${createHmac('sha256', SECRET).update(`1700000000.${delivery.body}`).digest('hex')}`);
  });

  it('injects 5xx, 429 with Retry-After, payment_gateway_error and delays, and counts calls per route', async () => {
    fake.control.failNext(1, 503);
    assert.equal((await api('/partner')).status, 503);
    fake.control.rateLimitNext(1, 7);
    const limited = await api('/partner');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('Retry-After'), '7');
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limited');
    fake.control.failCheckoutCreation(1);
    const gw = randomUUID();
    const gateway = await api('/orders', { method: 'POST', idem: gw, body: JSON.stringify(orderBody) });
    assert.equal(gateway.status, 502);
    assert.equal(((await gateway.json()) as { error: { code: string } }).error.code, 'payment_gateway_error');
    // The failure was not cached: the retry with the same key goes through.
    assert.equal((await api('/orders', { method: 'POST', idem: gw, body: JSON.stringify(orderBody) })).status, 201);
    fake.control.delayResponses(300, 1);
    await assert.rejects(api('/partner', { signal: AbortSignal.timeout(100) }));
    assert.ok(fake.control.callCount(`GET ${MINTBOT_BASE_PATH}/partner`) >= 4);
    assert.ok(fake.control.callCount(`POST ${MINTBOT_BASE_PATH}/orders`) >= 1);
  });

  it('enforces the per-partner and per-IP rolling rate limits', async () => {
    const limited = await startMintbotFake({ apiKey: API_KEY, rateLimit: { partnerPerWindow: 2, ipPerWindow: 1 } });
    try {
      const get = (key: string | null) =>
        fetch(`${limited.apiBaseUrl}/partner`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
      assert.equal((await get(API_KEY)).status, 200);
      assert.equal((await get(API_KEY)).status, 200);
      const third = await get(API_KEY);
      assert.equal(third.status, 429);
      assert.ok(Number(third.headers.get('Retry-After')) >= 1);
      assert.equal((await get('mo_test_bad')).status, 401);
      const brute = await get('mo_test_bad');
      assert.equal(brute.status, 429);
      assert.equal(((await brute.json()) as { error: { code: string } }).error.code, 'rate_limited');
    } finally {
      await limited.close();
    }
  });
});
