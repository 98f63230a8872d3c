// Self-test: the Mintoken Razorpay fake behaves as docs/upstream/mintoken-billing-api.txt documents, over real HTTP.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { startMintokenFake } from '../fakes/mintoken.js';

const JWT_SECRET = 'jwt-secret-for-selftest-000000000000';
const KEY_SECRET = 'rzp_secret_selftest';

describe('mintoken fake', () => {
  let fake: Awaited<ReturnType<typeof startMintokenFake>>;
  let jwt: string;
  const post = (path: string, body: unknown, token: string | null = jwt) =>
    fetch(`${fake.url}/v1/billing/razorpay/${path}`, {
      method: 'POST',
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  before(async () => {
    fake = await startMintokenFake({ supabaseJwtSecret: JWT_SECRET, razorpay: { keyId: 'rzp_test_self', keySecret: KEY_SECRET } });
    jwt = await fake.control.issueJwt('user-1');
  });
  after(() => fake.close());

  it('rejects missing, forged and expired JWTs with a FastAPI 401 detail', async () => {
    assert.equal((await post('order', { plan: 'pro' }, null)).status, 401);
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setAudience('authenticated').setExpirationTime('1h').sign(new TextEncoder().encode('wrong-secret-wrong-secret-wrong-secret'));
    const res = await post('order', { plan: 'pro' }, forged);
    assert.equal(res.status, 401);
    assert.equal(typeof ((await res.json()) as { detail: unknown }).detail, 'string');
    const expired = await fake.control.issueJwt('user-1', { expiresInSeconds: -10 });
    assert.equal((await post('order', { plan: 'pro' }, expired)).status, 401);
  });

  it('creates pro/team orders and rejects other plans', async () => {
    const res = await post('order', { plan: 'pro' });
    assert.equal(res.status, 200);
    const order = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(order), ['order_id', 'amount', 'currency', 'key_id', 'plan']);
    assert.match(order.order_id as string, /^order_[A-Za-z0-9]{14}$/);
    assert.equal(order.amount, 159900);
    assert.equal(order.currency, 'INR');
    assert.equal(order.key_id, 'rzp_test_self');
    for (const plan of ['free', 'enterprise', 'gold']) {
      const bad = await post('order', { plan });
      assert.equal(bad.status, 400);
      assert.deepEqual(await bad.json(), { detail: 'Unsupported plan slug' });
    }
    assert.equal((await post('order', {})).status, 422);
  });

  it('verifies the Razorpay signature, upgrades profiles.plan and audits; rejects a bad signature', async () => {
    const order = (await (await post('order', { plan: 'team' })).json()) as { order_id: string };
    const paymentId = fake.control.newPaymentId();
    const signature = fake.control.signPayment(order.order_id, paymentId);
    assert.equal(signature, createHmac('sha256', KEY_SECRET).update(`${order.order_id}|${paymentId}`).digest('hex'));
    const bad = await post('verify', { plan: 'team', razorpay_order_id: order.order_id, razorpay_payment_id: paymentId, razorpay_signature: '0'.repeat(64) });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { detail: 'Invalid payment signature' });
    assert.equal(fake.state.profiles.get('user-1'), undefined);
    const good = await post('verify', { plan: 'team', razorpay_order_id: order.order_id, razorpay_payment_id: paymentId, razorpay_signature: signature });
    assert.equal(good.status, 200);
    assert.deepEqual(await good.json(), { message: 'Plan upgraded', old_plan: 'free', new_plan: 'team', payment_id: paymentId });
    assert.equal(fake.state.profiles.get('user-1')?.plan, 'team');
    assert.equal(fake.state.audit.at(-1)?.old_plan, 'free');
  });

  it('answers 503 without credentials and 502 on an injected upstream failure', async () => {
    fake.control.failOrderCreation(1);
    assert.equal((await post('order', { plan: 'pro' })).status, 502);
    fake.control.setRazorpay(null);
    assert.equal((await post('order', { plan: 'pro' })).status, 503);
    fake.control.setRazorpay({ keyId: 'rzp_test_self', keySecret: KEY_SECRET });
    fake.control.delayResponses(200, 1);
    await assert.rejects(fetch(`${fake.url}/v1/billing/razorpay/order`, { method: 'POST', signal: AbortSignal.timeout(50) }));
  });
});
