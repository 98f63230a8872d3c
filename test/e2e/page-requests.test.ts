// The demo pages' API requests against the real server: before the first click each resource (method, path,
// session, locale) is asked for once however many elements show it, and after a paid checkout on the partner
// page the subscription, the entitlements and the meter's payment history are asked for exactly once more.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page, Request } from 'playwright-core';
import { startHarness, waitForText, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

/** Every /v1/ request the page sends, counted per resource; `settled()` waits until none is out and none started for a while. */
function watchApi(page: Page) {
  const counts = new Map<string, number>();
  const sessions = new Map<string, string>();
  let inflight = 0;
  let lastStart = Date.now();
  const resourceOf = (request: Request): string | undefined => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith('/v1/')) return undefined;
    const bearer = request.headers().authorization?.replace(/^Bearer /, '');
    if (bearer && !sessions.has(bearer)) sessions.set(bearer, `session ${sessions.size + 1}`);
    return `${request.method()} ${url.pathname}${url.search} · ${bearer ? sessions.get(bearer) : 'anonymous'} · ${request.headers()['accept-language'] ?? '-'}`;
  };
  page.on('request', (request) => {
    const resource = resourceOf(request);
    if (!resource) return;
    counts.set(resource, (counts.get(resource) ?? 0) + 1);
    inflight++;
    lastStart = Date.now();
  });
  const done = (request: Request) => {
    if (resourceOf(request)) inflight--;
  };
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return {
    counts: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
    async settled(quietMs = 1000): Promise<void> {
      const deadline = Date.now() + 15_000;
      while (inflight > 0 || Date.now() - lastStart < quietMs) {
        if (Date.now() > deadline) throw new Error(`the page still sends API requests: ${JSON.stringify(this.counts())}`);
        await page.waitForTimeout(100);
      }
    },
  };
}

describe('requests per resource', () => {
  test('partner page: one request per resource before the first click; after paying, subscription, entitlements and receipts once more', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const api = watchApi(page);
      await page.goto(h.url('/demo/partner.html'));
      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      await waitForText(page.locator('#account usage-meter [part="plan-name"]'), /^Free$/);
      await page.locator('#export paywall-gate [part="paywall"] plan-picker [role="radio"]').first().waitFor();
      await api.settled();
      // Two pickers (the page's and the export paywall's), a meter with its payment history and a gate. The signed-out
      // catalog comes first (the plans show before the session does) and is its own resource: the server prices per customer.
      assert.deepEqual(api.counts(), {
        'GET /v1/entitlements · session 1 · en': 1,
        'GET /v1/plans · anonymous · en': 1,
        'GET /v1/plans · session 1 · en': 1,
        'GET /v1/receipts · session 1 · en': 1,
        'GET /v1/subscription · session 1 · en': 1,
        'POST /v1/sandbox/session · anonymous · -': 1,
      });

      await page.locator('#pricing plan-picker button[part~="cta"][data-plan="pro"]').click();
      const modal = page.locator('[data-razorpay-sandbox]');
      await modal.getByRole('button', { name: /^Pay ₹/ }).click();
      await modal.waitFor({ state: 'detached' });
      await waitForText(page.locator('#account usage-meter [part="plan-name"]'), /^Pro$/);
      await page.locator('#export paywall-gate button[data-export="pdf"]').waitFor({ state: 'visible' });
      await api.settled();
      const counts = api.counts();
      assert.equal(counts['GET /v1/subscription · session 1 · en'], 2, 'the picker and the meter asked once, together');
      assert.equal(counts['GET /v1/entitlements · session 1 · en'], 2);
      assert.equal(counts['GET /v1/receipts · session 1 · en'], 2, "the meter's payment history, for the new receipt");
      assert.equal(counts['GET /v1/plans · session 1 · en'], 1);
      assert.equal(counts['GET /v1/plans · anonymous · en'], 1, "the page's notice names the plan from the picker's catalog");
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  for (const path of ['/demo/dashboard.html', '/demo/webview.html']) {
    test(`${path}: no resource is asked for twice before the first click`, async () => {
      const { context, page, errors } = await h.newPage();
      try {
        const api = watchApi(page);
        await page.goto(h.url(path));
        await waitForText(page.locator('[data-session-status]'), /Signed in|साइन इन/);
        // Every picker on the page has its plans (the dashboard's paywall holds a second one, hidden while the paywall shows).
        const pickers = page.locator('plan-picker');
        for (let i = 0; i < (await pickers.count()); i++) await pickers.nth(i).locator('[role="radio"][data-plan="pro"]').waitFor({ state: 'attached' });
        await api.settled();
        const counts = api.counts();
        assert.ok(Object.keys(counts).some((r) => r.startsWith('GET /v1/subscription · session 1')), JSON.stringify(counts));
        for (const [resource, count] of Object.entries(counts)) assert.equal(count, 1, `${resource}: ${JSON.stringify(counts)}`);
        assert.deepEqual(errors.all(), []);
      } finally {
        await context.close();
      }
    });
  }
});
