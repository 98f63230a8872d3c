// Self-test: the MimicBot fake behaves as docs/upstream/mimicbot-billing-api.txt documents, over real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMimicbotFake } from '../fakes/mimicbot.js';

describe('mimicbot fake', () => {
  let fake: Awaited<ReturnType<typeof startMimicbotFake>>;
  const call = (path: string, token: string | null, body?: unknown) =>
    fetch(`${fake.url}/api/billing/${path}`, {
      method: body === undefined && path === 'subscription' ? 'GET' : 'POST',
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json', Origin: 'https://app.test' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  before(async () => {
    fake = await startMimicbotFake({ tokens: { tok_a: 'agency_a', tok_orphan: null } });
  });
  after(() => fake.close());

  it('answers UNAUTHENTICATED, NO_AGENCY and VALIDATION_ERROR', async () => {
    const none = await call('checkout', null, { plan: 'pro' });
    assert.equal(none.status, 401);
    assert.equal(await code(none), 'UNAUTHENTICATED');
    const orphan = await call('checkout', 'tok_orphan', { plan: 'pro' });
    assert.equal(orphan.status, 403);
    assert.equal(await code(orphan), 'NO_AGENCY');
    const bad = await call('checkout', 'tok_a', { plan: 'free' });
    assert.equal(bad.status, 400);
    assert.equal(await code(bad), 'VALIDATION_ERROR');
  });

  it('defaults to free, 404s the portal before a checkout, then reflects a completed starter checkout', async () => {
    const free = (await (await call('subscription', 'tok_a')).json()) as Record<string, unknown>;
    assert.equal(free.plan, 'free');
    assert.deepEqual(Object.keys(free), ['plan', 'status', 'cancelAtPeriodEnd', 'currentPeriodEnd', 'usage']);
    const portal = await call('portal', 'tok_a');
    assert.equal(portal.status, 404);
    assert.equal(await code(portal), 'NOT_FOUND');

    const checkout = await call('checkout', 'tok_a', { plan: 'starter' });
    assert.equal(checkout.status, 200);
    const { url } = (await checkout.json()) as { url: string };
    assert.ok(url.startsWith(fake.url));
    assert.equal(fake.state.checkouts.at(-1)!.successUrl, 'https://app.test/settings/billing?success=1');
    fake.control.completeCheckout('tok_a', 'starter');
    fake.control.setUsage('tok_a', { messagesUsed: 42 });
    const sub = (await (await call('subscription', 'tok_a')).json()) as { plan: string; status: string; currentPeriodEnd: string; usage: { messagesUsed: number } };
    assert.equal(sub.plan, 'starter');
    assert.equal(sub.status, 'trialing');
    assert.ok(Math.abs(Date.parse(sub.currentPeriodEnd) - Date.now() - 14 * 86_400_000) < 60_000);
    assert.equal(sub.usage.messagesUsed, 42);
    const opened = await call('portal', 'tok_a');
    assert.equal(opened.status, 200);
    assert.match(((await opened.json()) as { url: string }).url, /\/p\/session\//);
    fake.control.setSubscription('tok_a', { status: 'past_due', cancelAtPeriodEnd: true });
    assert.equal(((await (await call('subscription', 'tok_a')).json()) as { status: string }).status, 'past_due');
  });

  it('injects RATE_LIMITED with Retry-After and 5xx', async () => {
    fake.control.rateLimitNext(1, 3);
    const limited = await call('subscription', 'tok_a');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('Retry-After'), '3');
    assert.equal(await code(limited), 'RATE_LIMITED');
    fake.control.failNext(1, 502);
    assert.equal((await call('subscription', 'tok_a')).status, 502);
    assert.ok(fake.control.callCount('GET /api/billing/subscription') >= 5);
  });
});
