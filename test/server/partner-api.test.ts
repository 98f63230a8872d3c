// The partner backend's API-key routes over real HTTP through tollgate/client (src/client): a customer's
// state, their entitlements, feature and metric checks, consuming only what fits under 50 concurrent
// requests, idempotent usage reports (Idempotency-Key, event_id across instances), audited corrections,
// and manual grants (audited, never a downgrade, gone when they run out, cached views included).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { applySubscriptionState } from '../../server/billing.js';
import type { z } from 'zod';
import type { ConfigFile } from '../../server/config.js';
import type { Store } from '../../server/store/index.js';
import { createClient, TollgateError, type TollgateClient } from '../../src/client/index.js';
import { engines, json, makeServer, testStore, TEST_ENV, uniqueId, type TestServer } from './helpers.js';

const API_KEY = TEST_ENV.TOLLGATE_API_KEY;

/** free < pro < team in the catalog's order; messages limited on free (20) and pro (100), unlimited on team. */
const FILE: Partial<z.input<typeof ConfigFile>> = {
  metrics: [{ id: 'messages', label: 'Messages' }, { id: 'seats', label: 'Seats' }],
  plans: [
    { id: 'free', name: 'Free', features: [{ id: 'basic', label: 'Basic' }], limits: { messages: 20, seats: 1 } },
    {
      id: 'pro',
      name: 'Pro',
      features: [{ id: 'basic', label: 'Basic' }, { id: 'export', label: 'Export' }],
      limits: { messages: 100, seats: 5 },
      prices: [{ provider: 'razorpay', currency: 'INR', amount: 99900, interval: 'month' }],
    },
    {
      id: 'team',
      name: 'Team',
      features: [{ id: 'basic', label: 'Basic' }, { id: 'export', label: 'Export' }, { id: 'sso', label: 'SSO' }],
      limits: { seats: 50 },
      prices: [{ provider: 'razorpay', currency: 'INR', amount: 299900, interval: 'month' }],
    },
  ],
  rate_limits: { customer: { limit: 10_000, window_s: 60 }, ip: { limit: 10_000, window_s: 60 }, api_key: { limit: 10_000, window_s: 60 } },
};

async function listen(server: TestServer): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer(getRequestListener(server.fetch));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    }),
  };
}

/** The client's error for `promise`, which must fail. */
async function failure(promise: Promise<unknown>): Promise<TollgateError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TollgateError, String(err));
    return err;
  }
  assert.fail('expected a TollgateError');
}

for (const engine of engines()) {
  describe(`partner API (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let http: { url: string; close(): Promise<void> };
    let client: TollgateClient;
    /** The app's clock runs this far ahead of the real one (grants running out). */
    let offsetMs = 0;
    const now = () => new Date(Date.now() + offsetMs);

    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: FILE, now });
      http = await listen(server);
      client = createClient({ baseUrl: http.url, apiKey: API_KEY });
    });
    after(async () => {
      await http.close();
      await server.close();
      await store.close();
    });

    const counts = async () => (await store.query<{ customers: number; usage: number }>('SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM usage_counters)::int AS usage'))[0];
    const counter = async (id: string, metric = 'messages') => (await store.query<{ used: number }>('SELECT used FROM usage_counters WHERE customer_id = $1 AND metric = $2', [id, metric]))[0]?.used;
    const raw = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(http.url + path, { method, headers: { Authorization: `Bearer ${API_KEY}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    /** Put the customer on `plan`, paid and active, the way a provider's subscription event does. */
    const subscribe = async (id: string, plan: string) => {
      await client.sessions.create({ customer_id: id });
      await store.transaction((tx) => applySubscriptionState(tx, { customerId: id, provider: 'stripe', plan, status: 'active', cancelAtPeriodEnd: false, currentPeriodEnd: new Date(Date.now() + 30 * 86_400_000), interval: 'month', stateAt: new Date(), source: 'test', eventId: uniqueId('evt'), now: new Date() }));
    };

    test('reads never write: an unknown customer is 404 on GET /v1/customers/{id}, and free on entitlements and checks', async () => {
      const id = uniqueId();
      const before = await counts();
      const missing = await failure(client.customers.get(id));
      assert.deepEqual([missing.status, missing.code], [404, 'not_found']);
      assert.deepEqual(await client.customers.entitlements(id), { plan: 'free', features: ['basic'], limits: { messages: 20, seats: 1 }, has_access: false });
      assert.deepEqual(await client.check({ customer_id: id, feature: 'export' }), { allowed: false, plan: 'free', reason: 'not_included' });
      assert.deepEqual(await client.check({ customer_id: id, metric: 'messages', quantity: 20 }), { allowed: true, used: 0, limit: 20, remaining: 20 });
      assert.deepEqual(await client.check({ customer_id: id, metric: 'messages', quantity: 21 }), { allowed: false, used: 0, limit: 20, remaining: 20 });
      // A consume that cannot fit makes no row either.
      assert.deepEqual(await client.check({ customer_id: id, metric: 'messages', quantity: 21, consume: true }), { allowed: false, used: 0, limit: 20, remaining: 20 });
      assert.deepEqual(await counts(), before);
    });

    test('GET /v1/customers/{id}: plan, status, period, interval, usage against limits, features, provider, updated_at', async () => {
      const id = uniqueId();
      await client.track({ customer_id: id, metric: 'messages', quantity: 7 });
      const free = await client.customers.get(id);
      assert.equal(free.customer_id, id);
      assert.deepEqual([free.plan, free.status, free.has_access, free.provider, free.grant, free.current_period_end, free.interval], ['free', 'active', false, null, null, null, null]);
      assert.deepEqual(free.usage, { messages: { used: 7, limit: 20 }, seats: { used: 0, limit: 1 } });
      assert.deepEqual(free.features, ['basic']);
      assert.equal(free.period, new Date().toISOString().slice(0, 7));
      const createdAt = Date.parse(free.updated_at);
      assert.ok(createdAt > Date.now() - 60_000, free.updated_at);

      await subscribe(id, 'team');
      const team = await client.customers.get(id);
      assert.deepEqual([team.plan, team.status, team.has_access, team.provider, team.interval, team.cancel_at_period_end], ['team', 'active', true, 'stripe', 'month', false]);
      assert.ok(team.current_period_end && Date.parse(team.current_period_end) > Date.now());
      assert.deepEqual(team.usage.messages, { used: 7, limit: null }, 'no limit on team: unlimited');
      assert.deepEqual(team.features, ['basic', 'export', 'sso']);
      assert.ok(Date.parse(team.updated_at) >= createdAt);
      // The same answer as the customer's own session gets from GET /v1/entitlements.
      const session = await server.session(id);
      assert.deepEqual(await client.customers.entitlements(id), await json(await server.request('GET', '/v1/entitlements', { token: session })));
    });

    test('POST /v1/check: features and metrics of the plan in force', async () => {
      const id = uniqueId();
      await subscribe(id, 'pro');
      assert.deepEqual(await client.check({ customer_id: id, feature: 'export' }), { allowed: true, plan: 'pro', reason: 'included' });
      assert.deepEqual(await client.check({ customer_id: id, feature: 'sso' }), { allowed: false, plan: 'pro', reason: 'not_included' });
      assert.deepEqual(await client.check({ customer_id: id, metric: 'messages', quantity: 40, consume: true }), { allowed: true, used: 40, limit: 100, remaining: 60 });
      assert.deepEqual(await client.check({ customer_id: id, metric: 'messages' }), { allowed: true, used: 40, limit: 100, remaining: 60 });
      assert.deepEqual(await client.check({ customer_id: id, metric: 'messages', quantity: 61, consume: true }), { allowed: false, used: 40, limit: 100, remaining: 60 });
      assert.deepEqual(await client.check({ customer_id: id, metric: 'messages', quantity: 60, consume: true }), { allowed: true, used: 100, limit: 100, remaining: 0 });
      assert.equal(await counter(id), 100);
    });

    test('bad input is a validation_error naming the field, and every route wants the API key', async () => {
      const id = uniqueId();
      const cases: [string, string, unknown, string][] = [
        ['POST', '/v1/check', { customer_id: id }, 'feature'],
        ['POST', '/v1/check', { customer_id: id, feature: 'export', metric: 'messages' }, 'feature'],
        ['POST', '/v1/check', { customer_id: id, feature: 'export', consume: true }, 'consume'],
        ['POST', '/v1/check', { customer_id: id, feature: 'teleport' }, 'feature'],
        ['POST', '/v1/check', { customer_id: id, metric: 'tokens' }, 'metric'],
        ['POST', '/v1/check', { customer_id: id, metric: 'messages', quantity: 0 }, 'quantity'],
        ['POST', '/v1/check', { customer_id: id, metric: 'messages', quantity: 1.5 }, 'quantity'],
        ['POST', '/v1/check', { customer_id: 'bad id!', feature: 'export' }, 'customer_id'],
        ['POST', '/v1/check', { customer_id: id, metric: 'messages', consume: 'yes' }, 'consume'],
        ['POST', '/v1/usage', { customer_id: id, metric: 'messages', quantity: 1, event_id: 'has space' }, 'event_id'],
        ['POST', `/v1/customers/${id}/grants`, { plan: 'free', until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'x' }, 'plan'],
        ['POST', `/v1/customers/${id}/grants`, { plan: 'nope', until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'x' }, 'plan'],
        ['POST', `/v1/customers/${id}/grants`, { plan: 'pro', until: new Date(Date.now() - 1000).toISOString(), reason: 'x' }, 'until'],
        ['POST', `/v1/customers/${id}/grants`, { plan: 'pro', until: 'tomorrow', reason: 'x' }, 'until'],
        ['POST', `/v1/customers/${id}/grants`, { plan: 'pro', until: new Date(Date.now() + 3_600_000).toISOString() }, 'reason'],
        ['GET', '/v1/customers/bad%20id', undefined, 'customer_id'],
        ['GET', '/v1/customers/bad%00id/entitlements', undefined, 'customer_id'],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await raw(method, path, body, method === 'POST' ? { 'Idempotency-Key': uniqueId('k') } : {});
        const answer = await res.json();
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(answer)}`);
        assert.equal(answer.error.code, 'validation_error');
        assert.match(answer.error.message, new RegExp(`^${field}: `), JSON.stringify(answer));
      }
      const malformed = await raw('POST', '/v1/check', undefined, { 'Content-Type': 'application/json' });
      assert.equal(malformed.status, 400);
      const notJson = await fetch(`${http.url}/v1/check`, { method: 'POST', headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' }, body: '{"customer_id":' });
      assert.deepEqual([notJson.status, (await notJson.json()).error.code], [400, 'validation_error']);
      const noKey = await raw('POST', `/v1/customers/${id}/grants`, { plan: 'pro', until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'x' });
      assert.deepEqual([noKey.status, (await noKey.json()).error.code], [400, 'missing_idempotency_key']);
      assert.equal((await raw('DELETE', `/v1/customers/${id}/grants/grant_nope`)).status, 404);
      assert.equal((await raw('DELETE', `/v1/customers/${id}/grants/${'x'.repeat(300)}`)).status, 404);

      const session = await server.session(id);
      for (const [method, path] of [['GET', `/v1/customers/${id}`], ['GET', `/v1/customers/${id}/entitlements`], ['POST', '/v1/check'], ['POST', `/v1/customers/${id}/grants`], ['DELETE', `/v1/customers/${id}/grants/g`]]) {
        for (const auth of [{}, { Authorization: `Bearer ${session}` }, { Authorization: 'Bearer tg_wrong' }] as Record<string, string>[]) {
          const res = await fetch(http.url + path, { method, headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': uniqueId('k') }, body: method === 'POST' ? JSON.stringify({ customer_id: id, feature: 'export' }) : undefined });
          assert.deepEqual([res.status, (await res.json()).error.code], [401, 'unauthenticated'], `${method} ${path} ${JSON.stringify(auth)}`);
        }
      }
    });

    test('50 concurrent consumes over HTTP never pass the limit: exactly the limit is allowed, the counter is the limit', async () => {
      const id = uniqueId(); // a new customer: the first consumes race to make the row and the counter too
      const answers = await Promise.all(Array.from({ length: 50 }, () => client.check({ customer_id: id, metric: 'messages', consume: true })));
      assert.equal(answers.filter((a) => a.allowed).length, 20);
      assert.equal(await counter(id), 20);
      assert.ok(answers.every((a) => a.limit === 20 && a.used <= 20));
      assert.deepEqual(answers.filter((a) => a.allowed).map((a) => a.used).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1), 'each allowed consume saw its own count');

      const pro = uniqueId();
      await subscribe(pro, 'pro');
      await client.track({ customer_id: pro, metric: 'messages', quantity: 10 });
      const threes = await Promise.all(Array.from({ length: 50 }, () => client.check({ customer_id: pro, metric: 'messages', quantity: 3, consume: true })));
      assert.equal(threes.filter((a) => a.allowed).length, 30, '10 + 30 × 3 = 100');
      assert.equal(await counter(pro), 100);
    });

    test('a consume retried with the same Idempotency-Key counts once, concurrent retries too', async () => {
      const id = uniqueId();
      const key = uniqueId('consume');
      const first = await client.check({ customer_id: id, metric: 'messages', quantity: 5, consume: true }, { idempotencyKey: key });
      assert.deepEqual(first, { allowed: true, used: 5, limit: 20, remaining: 15 });
      const again = await raw('POST', '/v1/check', { customer_id: id, metric: 'messages', quantity: 5, consume: true }, { 'Idempotency-Key': key });
      assert.equal(again.headers.get('Idempotent-Replay'), 'true');
      assert.deepEqual(await again.json(), first);
      const key2 = uniqueId('consume');
      const together = await Promise.all(Array.from({ length: 8 }, () => raw('POST', '/v1/check', { customer_id: id, metric: 'messages', quantity: 2, consume: true }, { 'Idempotency-Key': key2 })));
      assert.ok(together.every((r) => r.status === 200), together.map((r) => r.status).join());
      assert.equal(await counter(id), 7);
    });

    test('POST /v1/usage: an Idempotency-Key or an event_id counts a retry once, on any instance, concurrently too', async () => {
      const id = uniqueId();
      const key = uniqueId('usage');
      const a = await client.track({ customer_id: id, metric: 'messages', quantity: 3 }, { idempotencyKey: key });
      const b = await client.track({ customer_id: id, metric: 'messages', quantity: 3 }, { idempotencyKey: key });
      assert.deepEqual([a.used, b.used, await counter(id)], [3, 3, 3]);

      const first = await client.track({ customer_id: id, metric: 'messages', quantity: 4, event_id: 'evt-1' });
      assert.deepEqual(first, { customer_id: id, metric: 'messages', used: 7, event_id: 'evt-1', duplicate: false });
      assert.deepEqual(await client.track({ customer_id: id, metric: 'messages', quantity: 4, event_id: 'evt-1' }), { ...first, duplicate: true });
      // Another instance on the same store (no Idempotency-Key, no shared memory): the event is in SQL.
      const other = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: FILE });
      try {
        const res = await other.request('POST', '/v1/usage', { headers: { Authorization: `Bearer ${API_KEY}` }, idempotencyKey: null, body: { customer_id: id, metric: 'messages', quantity: 4, event_id: 'evt-1' } });
        assert.deepEqual(await json(res), { ...first, duplicate: true });
      } finally {
        await other.close();
      }
      const burst = await Promise.all(Array.from({ length: 10 }, () => client.track({ customer_id: id, metric: 'messages', quantity: 2, event_id: 'evt-2' })));
      assert.equal(burst.filter((r) => !r.duplicate).length, 1);
      assert.ok(burst.every((r) => r.used === 9));
      assert.equal(await counter(id), 9);
      // The same event id with another report is refused, not counted; another customer's event ids are their own.
      const mismatch = await failure(client.track({ customer_id: id, metric: 'messages', quantity: 5, event_id: 'evt-1' }));
      assert.deepEqual([mismatch.status, mismatch.code], [409, 'idempotency_key_mismatch']);
      assert.equal((await client.track({ customer_id: uniqueId(), metric: 'messages', quantity: 1, event_id: 'evt-1' })).duplicate, false);
      assert.equal(await counter(id), 9);
    });

    test('a negative quantity is a correction: the count stops at 0 and each correction is audited', async () => {
      const id = uniqueId();
      await client.track({ customer_id: id, metric: 'messages', quantity: 5 });
      assert.equal((await client.track({ customer_id: id, metric: 'messages', quantity: -2, reason: 'double-counted' })).used, 3);
      assert.equal((await client.track({ customer_id: id, metric: 'messages', quantity: -8, event_id: 'fix-1' })).used, 0);
      assert.equal((await client.track({ customer_id: id, metric: 'messages', quantity: -8, event_id: 'fix-1' })).duplicate, true);
      const audit = await store.query('SELECT metric, requested, applied, used_before, used_after, event_id, reason FROM usage_adjustments WHERE customer_id = $1 ORDER BY id', [id]);
      assert.deepEqual(audit, [
        { metric: 'messages', requested: -2, applied: -2, used_before: 5, used_after: 3, event_id: null, reason: 'double-counted' },
        { metric: 'messages', requested: -8, applied: -3, used_before: 3, used_after: 0, event_id: 'fix-1', reason: null },
      ]);
    });

    test('a grant: honoured by every read while it runs, audited once per retry, revoked by DELETE', async () => {
      const id = uniqueId();
      const session = await server.session(id);
      const until = new Date(Date.now() + 3_600_000);
      const key = uniqueId('grant');
      const grant = await client.grants.create(id, { plan: 'pro', until, reason: 'support ticket 42' }, { idempotencyKey: key });
      assert.equal((await client.grants.create(id, { plan: 'pro', until, reason: 'support ticket 42' }, { idempotencyKey: key })).grant_id, grant.grant_id, 'a retry makes no second grant');
      assert.deepEqual({ ...grant, grant_id: undefined, created_at: undefined }, { grant_id: undefined, customer_id: id, plan: 'pro', until: until.toISOString(), reason: 'support ticket 42', created_at: undefined, revoked_at: null });

      const state = await client.customers.get(id);
      assert.deepEqual([state.plan, state.has_access, state.grant, state.current_period_end, state.cancel_at_period_end], ['pro', true, { grant_id: grant.grant_id, plan: 'pro', until: until.toISOString() }, until.toISOString(), true]);
      assert.equal((await client.customers.entitlements(id)).plan, 'pro');
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token: session }))).plan, 'pro');
      assert.equal((await json(await server.request('GET', '/v1/subscription', { token: session }))).plan, 'pro');
      assert.deepEqual(await client.check({ customer_id: id, feature: 'export' }), { allowed: true, plan: 'pro', reason: 'included' });
      assert.equal((await client.check({ customer_id: id, metric: 'messages' })).limit, 100);

      const revoked = await client.grants.delete(id, grant.grant_id);
      assert.ok(revoked.revoked_at);
      assert.deepEqual(await client.grants.delete(id, grant.grant_id), revoked, 'deleting again answers the same');
      assert.equal((await client.customers.get(id)).plan, 'free');
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token: session }))).plan, 'free');
      const audit = await store.query('SELECT old_plan, new_plan, kind, event_id FROM plan_changes WHERE customer_id = $1 ORDER BY id', [id]);
      assert.deepEqual(audit, [
        { old_plan: 'free', new_plan: 'pro', kind: 'grant', event_id: grant.grant_id },
        { old_plan: 'pro', new_plan: 'free', kind: 'grant_revoke', event_id: grant.grant_id },
      ]);
      // Another customer's grant id is not found under this one.
      const theirs = await client.grants.create(uniqueId(), { plan: 'pro', until, reason: 'promo' });
      assert.equal((await failure(client.grants.delete(id, theirs.grant_id))).code, 'not_found');
    });

    test('a grant never downgrades a paying customer: the better plan of the catalog wins', async () => {
      const id = uniqueId();
      await subscribe(id, 'team');
      await client.grants.create(id, { plan: 'pro', until: new Date(Date.now() + 3_600_000), reason: 'promo' });
      const state = await client.customers.get(id);
      assert.deepEqual([state.plan, state.grant, state.provider], ['team', null, 'stripe']);
      assert.equal((await client.customers.entitlements(id)).plan, 'team');

      const paid = uniqueId();
      await subscribe(paid, 'pro');
      const up = await client.grants.create(paid, { plan: 'team', until: new Date(Date.now() + 3_600_000), reason: 'trial of team' });
      assert.deepEqual([(await client.customers.get(paid)).plan, (await client.customers.get(paid)).grant?.grant_id], ['team', up.grant_id]);
      await client.grants.delete(paid, up.grant_id);
      assert.equal((await client.customers.get(paid)).plan, 'pro', 'back to the paid plan');
    });

    test('a grant that runs out stops counting, with no write and no job: the cached view ends at its until', async () => {
      const id = uniqueId();
      const session = await server.session(id);
      const until = new Date(Date.now() + 60_000);
      await client.grants.create(id, { plan: 'pro', until, reason: 'one minute' });
      // Read (and cache) the views while the grant runs.
      assert.equal((await client.customers.get(id)).plan, 'pro');
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token: session }))).plan, 'pro');
      const generation = store.writeGeneration;
      offsetMs = 61_000;
      try {
        const state = await client.customers.get(id);
        assert.deepEqual([state.plan, state.grant, state.has_access], ['free', null, false]);
        assert.equal(state.updated_at, until.toISOString(), 'the change is dated when the grant ran out');
        assert.equal((await json(await server.request('GET', '/v1/entitlements', { token: session }))).plan, 'free');
        assert.deepEqual(await client.check({ customer_id: id, feature: 'export' }), { allowed: false, plan: 'free', reason: 'not_included' });
        assert.equal(store.writeGeneration, generation, 'nothing was written');
      } finally {
        offsetMs = 0;
      }
    });
  });
}
