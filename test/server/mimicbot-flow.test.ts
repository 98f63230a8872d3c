// MimicBot end to end over real HTTP: per-customer and shared upstream tokens, checkout → redirect → the
// fake completes the Stripe checkout → /v1/checkout/:id paid on return → /v1/subscription (MimicBot's
// object + planName + hasPortal) and /v1/entitlements agree; portal and its 404; codes and faults mapped.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { startMimicbotFake } from '../fakes/mimicbot.js';
import type { Store } from '../../server/store/index.js';
import { ConfigError, type ConfigFile } from '../../server/config.js';

const TG_API_KEY = 'tg_test_api_key_0123456789';

const plan = (id: string, name: string, upstream: string, amount: number, limits: Record<string, number>) => ({
  id,
  name,
  features: [],
  limits,
  popular: false,
  trial_days: id === 'starter' ? 14 : 0,
  prices: [{ provider: 'mimicbot', currency: 'USD', amount, interval: 'month', upstream: { plan: upstream } }],
});

export const MIMICBOT_TEST_FILE = {
  metrics: ['messages', 'bots', 'pages', 'seats'].map((id) => ({ id, label: id })),
  plans: [
    { id: 'free', name: 'Free', features: [], limits: { messages: 100, bots: 1, pages: 50, seats: 1 }, popular: false, trial_days: 0, prices: [] },
    plan('starter', 'Starter', 'starter', 1900, { messages: 2000, bots: 3, pages: 1000, seats: 3 }),
    plan('pro', 'Pro', 'pro', 4900, { messages: 10000, bots: 10, pages: 5000, seats: 10 }),
    plan('agency', 'Agency', 'agency', 19900, { messages: 50000, bots: 50, pages: 25000, seats: 50 }),
  ],
  providers: { razorpay: {}, mimicbot: { customer_tokens: true } },
} as unknown as Partial<ConfigFile>;

type Fake = Awaited<ReturnType<typeof startMimicbotFake>>;

for (const engine of engines()) {
  describe(`MimicBot flow (${engine})`, () => {
    let store: Store;
    let fake: Fake;
    let server: TestServer;

    before(async () => {
      store = await testStore(engine);
      fake = await startMimicbotFake({ tokens: { mb_shared: 'agency_shared', mb_orphan: null } });
      server = await makeServer({ store, env: { MIMICBOT_API_BASE: fake.url }, file: { ...MIMICBOT_TEST_FILE, upstream_timeout_ms: 1500 } as Partial<ConfigFile> });
    });
    afterEach(() => fake.control.reset());
    after(async () => {
      await fake.close();
      await store.close();
    });

    const admin = (method: string, path: string, o: { key?: string | null; body?: unknown } = {}) =>
      server.request(method, path, { headers: o.key === null ? {} : { Authorization: `Bearer ${o.key ?? TG_API_KEY}` }, body: o.body });

    /** A customer linked to their own MimicBot agency. */
    async function linkedCustomer() {
      const customer = uniqueId();
      const upstreamToken = `mb_${uniqueId('tok')}`;
      fake.control.setToken(upstreamToken, `agency_${customer}`);
      const res = await admin('PUT', `/v1/admin/mimicbot/customers/${customer}/token`, { body: { token: upstreamToken } });
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await json(res), { customer_id: customer, linked: true, plan: 'free' });
      return { customer, upstreamToken, token: await server.session(customer) };
    }

    /** A linked customer that MimicBot bills (pro paid), so /v1/subscription asks MimicBot. */
    async function paidCustomer() {
      const linked = await linkedCustomer();
      const { checkout_id } = await json(await server.request('POST', '/v1/checkout', { token: linked.token, body: { plan: 'pro' } }));
      fake.control.completeCheckout(linked.upstreamToken, 'pro');
      assert.equal((await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token: linked.token }))).status, 'paid');
      return linked;
    }

    test('checkout → redirect → paid on return; subscription and entitlements follow MimicBot', async () => {
      const { customer, upstreamToken, token } = await linkedCustomer();
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', return_url: 'https://partner.test/billing' } });
      assert.equal(res.status, 201, await res.clone().text());
      const { checkout_id, action } = await json(res);
      const session = fake.state.checkouts.at(-1)!;
      assert.deepEqual(action, { type: 'redirect', url: session.url });
      assert.equal(session.plan, 'pro');
      assert.equal(session.agencyId, `agency_${customer}`);
      assert.equal(session.successUrl, 'https://partner.test/settings/billing?success=1', 'Origin is the return URL\'s origin');
      assert.ok(!JSON.stringify(action).includes(upstreamToken), 'the upstream token never reaches the browser');

      // Back before paying: still pending.
      let s = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
      assert.equal(s.status, 'pending');

      fake.control.completeCheckout(upstreamToken, 'pro');
      fake.control.setUsage(upstreamToken, { messagesUsed: 1284, botsUsed: 3, pagesUsed: 812, seatsUsed: 4 });
      s = await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }));
      assert.equal(s.status, 'paid');
      assert.equal(s.payment_id, `mimicbot_${checkout_id}`);
      assert.equal(s.provider, 'mimicbot');

      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'pro');
      assert.equal(sub.planName, 'Pro');
      assert.equal(sub.status, 'active');
      assert.equal(sub.cancelAtPeriodEnd, false);
      assert.ok(sub.currentPeriodEnd);
      assert.deepEqual(sub.usage, { messagesUsed: 1284, messagesLimit: 10000, botsUsed: 3, botsLimit: 10, pagesUsed: 812, pagesLimit: 5000, seatsUsed: 4, seatsLimit: 10 });
      assert.equal(sub.hasPortal, true);
      const ent = await json(await server.request('GET', '/v1/entitlements', { token }));
      assert.equal(ent.plan, 'pro');
      assert.equal(ent.has_access, true);

      const portal = await server.request('POST', '/v1/portal', { token, body: { return_url: 'https://partner.test/billing' } });
      assert.equal(portal.status, 200);
      assert.equal((await json(portal)).url, fake.state.portalSessions.at(-1)!.url);

      // Plan changes go through the portal: a second checkout is refused before any Stripe session is made.
      const sessions = fake.state.checkouts.length;
      const again = await server.request('POST', '/v1/checkout', { token, body: { plan: 'agency' } });
      assert.equal(again.status, 409);
      assert.match((await json(again)).error.message, /billing portal/);
      assert.equal(fake.state.checkouts.length, sessions);

      // Cancelled in the portal: the next read mirrors it and the paywall closes.
      fake.control.setSubscription(upstreamToken, { status: 'canceled' });
      const canceled = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(canceled.status, 'canceled');
      const after = await json(await server.request('GET', '/v1/entitlements', { token }));
      assert.equal(after.has_access, false);
      const audit = await store.query("SELECT * FROM plan_changes WHERE customer_id = $1 AND kind = 'upgrade'", [customer]);
      assert.equal(audit.length, 1);
    });

    test('a MimicBot plan bought outside Tollgate: a checkout is 409 subscription_exists, as docs/mimicbot.md says', async () => {
      const { upstreamToken, token } = await linkedCustomer();
      fake.control.completeCheckout(upstreamToken, 'starter');
      const sessions = fake.state.checkouts.length;
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
      assert.equal(res.status, 409);
      const { error } = await json(res);
      assert.equal(error.code, 'subscription_exists');
      assert.match(error.message, /billing portal/);
      assert.equal(fake.state.checkouts.length, sessions, 'no Stripe session was made');
      const doc = readFileSync(new URL('../../docs/mimicbot.md', import.meta.url), 'utf8');
      assert.match(doc, /409\s+`subscription_exists`/);
      assert.doesNotMatch(doc, /409\s+`conflict`/);
    });

    test('a paid plan other than the checkout\'s does not pay it; an abandoned second tab stays pending', async () => {
      const { upstreamToken, token } = await linkedCustomer();
      const first = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'starter' } }));
      const second = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'starter' } }));
      fake.control.completeCheckout(upstreamToken, 'starter');
      const a = await json(await server.request('GET', `/v1/checkout/${first.checkout_id}`, { token }));
      const b = await json(await server.request('GET', `/v1/checkout/${second.checkout_id}`, { token }));
      assert.deepEqual([a.status, b.status].sort(), ['paid', 'pending']);
      const sub = await json(await server.request('GET', '/v1/subscription', { token }));
      assert.equal(sub.plan, 'starter');
      assert.equal(sub.status, 'trialing');

      const other = await linkedCustomer();
      const pro = await json(await server.request('POST', '/v1/checkout', { token: other.token, body: { plan: 'pro' } }));
      fake.control.completeCheckout(other.upstreamToken, 'starter');
      assert.equal((await json(await server.request('GET', `/v1/checkout/${pro.checkout_id}`, { token: other.token }))).status, 'pending');
    });

    test('portal before a billing account: MimicBot 404 NOT_FOUND becomes our 404 "no billing account yet"', async () => {
      const { upstreamToken, token } = await linkedCustomer();
      // Never billed by MimicBot here: no upstream call at all.
      let res = await server.request('POST', '/v1/portal', { token, body: {} });
      assert.equal(res.status, 404);
      assert.equal((await json(res)).error.code, 'not_found');
      // Billed by MimicBot (a plan set without a Stripe customer): MimicBot answers NOT_FOUND.
      const { checkout_id } = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } }));
      fake.control.setSubscription(upstreamToken, { plan: 'pro', status: 'active' });
      assert.equal((await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token }))).status, 'paid');
      res = await server.request('POST', '/v1/portal', { token, body: {} });
      assert.equal(res.status, 404);
      assert.match((await json(res)).error.message, /No billing account yet/);
      assert.equal(fake.control.callCount('POST /api/billing/portal'), 1);
    });

    describe('token route (Tollgate API key)', () => {
      test('401 without the key; unknown and agency-less tokens are 400; a bad customer id is 400; delete unlinks', async () => {
        const customer = uniqueId();
        const path = `/v1/admin/mimicbot/customers/${customer}/token`;
        assert.equal((await admin('PUT', path, { key: null, body: { token: 'mb_shared' } })).status, 401);
        assert.equal((await admin('PUT', path, { key: await server.session(customer), body: { token: 'mb_shared' } })).status, 401);
        let res = await admin('PUT', path, { body: { token: 'mb_unknown_token' } });
        assert.equal(res.status, 400);
        assert.match((await json(res)).error.message, /UNAUTHENTICATED/);
        res = await admin('PUT', path, { body: { token: 'mb_orphan' } });
        assert.equal(res.status, 400);
        assert.match((await json(res)).error.message, /NO_AGENCY/);
        assert.equal((await admin('PUT', '/v1/admin/mimicbot/customers/bad%20id/token', { body: { token: 'mb_shared' } })).status, 400);
        assert.equal((await admin('PUT', path, { body: { token: 'has space in it' } })).status, 400);
        assert.equal((await admin('PUT', path, { body: { token: 'mb_shared' } })).status, 200);
        const stored = await store.query<{ token_ciphertext: string }>('SELECT token_ciphertext FROM mimicbot_tokens WHERE customer_id = $1', [customer]);
        assert.ok(stored[0] && !stored[0].token_ciphertext.includes('mb_shared'), 'stored encrypted');
        assert.equal((await admin('DELETE', path)).status, 200);
        assert.equal((await admin('DELETE', path)).status, 404);
        assert.ok(!server.logLines.some((l) => l.includes('mb_shared')));
      });

      test('a customer without a token cannot check out (503 provider_unavailable)', async () => {
        const token = await server.session(uniqueId());
        const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
        assert.equal(res.status, 503);
        assert.equal((await json(res)).error.code, 'provider_unavailable');
      });
    });

    describe('upstream codes and faults', () => {
      test('RATE_LIMITED: a short one is retried on the GET, a long one is 503 with Retry-After', async () => {
        const paid = await paidCustomer();
        fake.control.reset();
        fake.control.rateLimitNext(1, 1);
        assert.equal((await server.request('GET', '/v1/subscription', { token: paid.token })).status, 200);
        assert.equal(fake.control.callCount('GET /api/billing/subscription'), 2);
        const { token } = await linkedCustomer();
        fake.control.rateLimitNext(1, 1);
        // The checkout's first call is the subscription GET (retried), then the POST.
        assert.equal((await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } })).status, 201);
        fake.control.rateLimitNext(2, 60);
        const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } });
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('Retry-After'), '60');
        assert.equal((await json(res)).error.code, 'upstream_error');
      });

      test('the checkout POST is never retried (no idempotency key upstream): its 5xx is a 502 after one attempt', async () => {
        // Arm the fault between the subscription GET and the checkout POST, so it hits the POST.
        let armed = true;
        const armed500: typeof fetch = async (input, init) => {
          if (armed && String(input).endsWith('/api/billing/checkout')) {
            armed = false;
            fake.control.failNext(1, 500);
          }
          return fetch(input, init);
        };
        const alt = await makeServer({ store, env: { MIMICBOT_API_BASE: fake.url }, file: MIMICBOT_TEST_FILE, fetch: armed500 });
        const customer = uniqueId();
        fake.control.setToken(`mb_${customer}`, `agency_${customer}`);
        assert.equal((await alt.request('PUT', `/v1/admin/mimicbot/customers/${customer}/token`, { headers: { Authorization: `Bearer ${TG_API_KEY}` }, body: { token: `mb_${customer}` } })).status, 200);
        const before = fake.control.callCount('POST /api/billing/checkout');
        const res = await alt.request('POST', '/v1/checkout', { token: await alt.session(customer), body: { plan: 'pro' } });
        assert.equal(res.status, 502);
        assert.equal((await json(res)).error.code, 'upstream_error');
        assert.equal(fake.control.callCount('POST /api/billing/checkout') - before, 1);
      });

      test('5xx on the GET is retried once; persistent 5xx, a 400, a revoked token and a timeout are 502 upstream_error', async () => {
        const { upstreamToken, token } = await paidCustomer();
        fake.control.reset();
        fake.control.failNext(1, 500);
        assert.equal((await server.request('GET', '/v1/subscription', { token })).status, 200);
        fake.control.failNext(2, 503);
        let res = await server.request('GET', '/v1/subscription', { token });
        assert.equal(res.status, 502);
        assert.equal((await json(res)).error.code, 'upstream_error');
        // A subscriber changes plan in the portal: a second checkout would be a second subscription.
        res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'agency' } });
        assert.equal(res.status, 409);
        assert.equal((await json(res)).error.code, 'subscription_exists');
        const unpaid = await linkedCustomer();
        fake.control.failNext(2, 400);
        res = await server.request('POST', '/v1/checkout', { token: unpaid.token, body: { plan: 'pro' } });
        assert.equal(res.status, 502);
        fake.control.reset();
        fake.control.delayResponses(2000, 1);
        res = await server.request('GET', '/v1/subscription', { token });
        assert.equal(res.status, 502);
        assert.match((await json(res)).error.message, /in time/);
        fake.control.reset();
        fake.state.tokens.delete(upstreamToken);
        res = await server.request('GET', '/v1/subscription', { token });
        assert.equal(res.status, 502);
        assert.match((await json(res)).error.message, /token/);
        assert.ok(server.logLines.some((l) => l.includes('"upstream_code":"UNAUTHENTICATED"')));
        fake.control.setToken(unpaid.upstreamToken, null);
        res = await server.request('POST', '/v1/checkout', { token: unpaid.token, body: { plan: 'pro' } });
        assert.equal(res.status, 502);
        assert.ok(server.logLines.some((l) => l.includes('"upstream_code":"NO_AGENCY"')));
      });
    });
  });
}

describe('MimicBot with one configured token', () => {
  let store: Store;
  let fake: Fake;
  before(async () => {
    store = await testStore('pglite');
    fake = await startMimicbotFake({ tokens: { mb_shared: 'agency_shared' } });
  });
  after(async () => {
    await fake.close();
    await store.close();
  });

  test('customers check out on the shared agency; only the customer MimicBot bills reaches its portal', async () => {
    const server = await makeServer({ store, env: { MIMICBOT_TOKEN: 'mb_shared', MIMICBOT_API_BASE: fake.url }, file: { ...MIMICBOT_TEST_FILE, providers: { razorpay: {} } } as Partial<ConfigFile> });
    assert.equal(server.deps.providers.get('mimicbot')?.mode, 'live');
    const payer = await server.session(uniqueId());
    const { checkout_id } = await json(await server.request('POST', '/v1/checkout', { token: payer, body: { plan: 'agency' } }));
    fake.control.completeCheckout('mb_shared', 'agency');
    assert.equal((await json(await server.request('GET', `/v1/checkout/${checkout_id}`, { token: payer }))).status, 'paid');
    assert.equal((await server.request('POST', '/v1/portal', { token: payer, body: {} })).status, 200);
    const bystander = await server.session(uniqueId());
    assert.equal((await server.request('POST', '/v1/portal', { token: bystander, body: {} })).status, 404);
    const sub = await json(await server.request('GET', '/v1/subscription', { token: bystander }));
    assert.equal(sub.plan, 'free', 'a customer MimicBot does not bill sees the local view');
    // The per-customer route is off in this configuration.
    const res = await server.request('PUT', '/v1/admin/mimicbot/customers/x/token', { headers: { Authorization: `Bearer ${TG_API_KEY}` }, body: { token: 'mb_shared' } });
    assert.equal(res.status, 404);
  });

  test('no token and no per-customer tokens: unavailable; a wrong upstream plan fails the start-up', async () => {
    const server = await makeServer({ store, file: { ...MIMICBOT_TEST_FILE, providers: { razorpay: {} } } as Partial<ConfigFile> });
    assert.equal(server.deps.providers.get('mimicbot')?.mode, 'unavailable');
    const res = await server.request('POST', '/v1/checkout', { token: await server.session(uniqueId()), body: { plan: 'pro' } });
    assert.equal(res.status, 503);
    const plans = structuredClone((MIMICBOT_TEST_FILE as { plans: { prices: { upstream: Record<string, unknown> }[] }[] }).plans);
    plans[2].prices[0].upstream.plan = 'enterprise';
    await assert.rejects(makeServer({ store, file: { ...MIMICBOT_TEST_FILE, plans } as Partial<ConfigFile> }), (err: Error) => err instanceof ConfigError && /plans\[2\]\.prices\[0\]\.upstream.*plan/.test(err.message));
    plans[2].prices[0].upstream.plan = 'starter';
    await assert.rejects(makeServer({ store, file: { ...MIMICBOT_TEST_FILE, plans } as Partial<ConfigFile> }), (err: Error) => err instanceof ConfigError && /already sold/.test(err.message));
  });
});
