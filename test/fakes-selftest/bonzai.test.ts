// Self-test: the Bonzai fake behaves as docs/upstream/bonzai-business-api.txt documents, over real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBonzaiFake } from '../fakes/bonzai.js';

const TOKEN = 'bonzai_selftest';

describe('bonzai fake', () => {
  let fake: Awaited<ReturnType<typeof startBonzaiFake>>;
  let clock = Date.UTC(2026, 0, 1);
  const call = (path: string, body?: unknown, token: string | null = TOKEN) =>
    fetch(`${fake.apiBaseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json', Accept: 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  type Order = { has_access: boolean; intent_status: string; subscription_status: string | null; accesses: { deleted_at: string | null }[] };
  const getOrder = async (id: number) => (await (await call(`/orders/${id}`)).json()) as Order;

  before(async () => {
    fake = await startBonzaiFake({ apiToken: TOKEN, now: () => clock, users: [{ id: '77', email: 'known@b.test' }] });
  });
  after(() => fake.close());

  it('requires the bearer token and 404s unknown products and orders', async () => {
    assert.equal((await call('/orders/1', undefined, null)).status, 401);
    const res = await call('/products/nope/invite', { email: 'a@b.test' });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { message: 'Not found.' });
    assert.equal((await call('/orders/999')).status, 404);
  });

  it('validates checkout with a Laravel 422 body', async () => {
    const res = await call('/products/xBgq3Z3J/checkout', { amount: 20 });
    assert.equal(res.status, 422);
    assert.deepEqual(await res.json(), { message: 'The currency field is required.', errors: { currency: ['The currency field is required.'] } });
    assert.equal((await call('/products/xBgq3Z3J/checkout', { amount: 20, currency: 'GBP' })).status, 422);
  });

  it('one-off: pay grants access, refund revokes it', async () => {
    const created = (await (await call('/products/xBgq3Z3J/checkout', { amount: 24, currency: 'EUR', metadata: { ref: 'x' } })).json()) as { order_id: number; checkout_url: string };
    assert.ok(created.checkout_url.startsWith(fake.url));
    assert.equal((await getOrder(created.order_id)).has_access, false);
    fake.control.pay(created.order_id);
    const paid = (await (await call(`/orders/${created.order_id}`)).json()) as Record<string, unknown> & Order;
    assert.deepEqual(Object.keys(paid), ['id', 'price_id', 'amount_excl_vat', 'currency', 'mode', 'interval', 'intent_status', 'subscription_status', 'subscription_ends_at', 'has_access', 'metadata', 'product', 'accesses']);
    assert.equal(paid.has_access, true);
    assert.equal(paid.amount_excl_vat, '20');
    assert.deepEqual(paid.product, { id: 199, name: 'Super Product' });
    assert.match(paid.accesses[0]!.deleted_at ?? '2025-08-26T11:37:59.000000Z', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    fake.control.refund(created.order_id);
    const refunded = await getOrder(created.order_id);
    assert.equal(refunded.has_access, false);
    assert.ok(refunded.accesses[0]!.deleted_at);
  });

  it('subscription: access stays until period end after cancel, then expires', async () => {
    const created = (await (await call('/products/xBgq3Z3J/checkout', { amount: 10, currency: 'USD', mode: 'subscription', interval: 'monthly' })).json()) as { order_id: number };
    fake.control.pay(created.order_id);
    fake.control.cancelSubscription(created.order_id, new Date(clock + 86_400_000));
    assert.equal((await getOrder(created.order_id)).has_access, true);
    clock += 2 * 86_400_000;
    const ended = await getOrder(created.order_id);
    assert.equal(ended.has_access, false);
    assert.ok(ended.accesses[0]!.deleted_at);
    fake.control.pay(created.order_id);
    const regained = await getOrder(created.order_id);
    assert.equal(regained.has_access, true);
    assert.equal(regained.accesses.length, 2);
  });

  it('invites and revokes by code, user id or (invited-only) email; no filter is a 422', async () => {
    const known = (await (await call('/products/xBgq3Z3J/invite', { email: 'known@b.test', code: 'promo' })).json()) as { user_id: string; status: string };
    assert.equal(known.user_id, '77');
    const invited = (await (await call('/products/xBgq3Z3J/invite', { email: 'new.person@b.test', code: 'promo' })).json()) as { name: string; status: string };
    assert.equal(invited.name, 'new.person');
    assert.equal((await call('/products/xBgq3Z3J/invite', { name: 'x' })).status, 422);
    assert.equal((await call('/products/xBgq3Z3J/revoke', {})).status, 422);
    assert.equal(((await (await call('/products/xBgq3Z3J/revoke', { email: 'known@b.test' })).json()) as { revoked: number }).revoked, 0);
    assert.equal(((await (await call('/products/xBgq3Z3J/revoke', { code: 'promo' })).json()) as { revoked: number }).revoked, 2);
  });

  it('injects 5xx and 429', async () => {
    fake.control.failNext(1);
    assert.equal((await call('/orders/1')).status, 500);
    fake.control.rateLimitNext(1, 4);
    assert.equal((await call('/orders/1')).headers.get('Retry-After'), '4');
  });
});
