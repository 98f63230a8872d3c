// Tollgate's billing portal page in Chromium against the real server (sandbox Razorpay): a one-off customer's
// payment history, keyboard navigation, axe, the cancel confirmation, a change of plan paid on the page, and
// "Manage billing" from <usage-meter> on the partner page and from the IDE webview (hand-off to the system browser),
// and a Razorpay subscriber's "Update payment method" (checkout.js subscription_card_change in the sandbox modal).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { exampleConfig, startConfiguredServer } from './backends.js';
import { axeViolations, harnessAround, sessionOf, startHarness, waitForText, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h?.close());

/** A POST to the server as the partner's page would make it. */
async function post(path: string, token: string | null, body: unknown, on: Harness = h) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(on.url(path), { method: 'POST', headers, body: JSON.stringify(body) });
  const answer = await response.json();
  assert.ok(response.ok, `POST ${path}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A sandbox customer who bought Pro monthly, then Pro yearly (the simulated modal's pay and the real verify), and their portal link. */
async function customerWithTwoPayments(): Promise<string> {
  const { token } = await post('/v1/sandbox/session', null, { customer_id: `portal_e2e_${crypto.randomUUID().slice(0, 8)}` });
  for (const interval of ['month', 'year']) {
    const { action } = await post('/v1/checkout', token, { plan: 'pro', interval });
    const paid = await post('/sandbox/razorpay/pay', null, { key: action.key_id, order_id: action.order_id, outcome: 'success' });
    await post('/v1/razorpay/verify', token, { plan: 'pro', razorpay_order_id: paid.razorpay_order_id, razorpay_payment_id: paid.razorpay_payment_id, razorpay_signature: paid.razorpay_signature });
  }
  const { url } = await post('/v1/portal', token, { return_url: h.url('/demo/partner.html') });
  return url;
}

async function assertAccessible(page: Page, what: string) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: axe found ${violations.map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes)}`).join('; ')}`);
}

/** What has focus: its tag and its text or label. */
const focused = (page: Page) => page.evaluate(() => {
  const el = document.activeElement as HTMLElement | null;
  return el ? `${el.tagName.toLowerCase()}:${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40)}` : '';
});

describe('the billing portal page', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    test(`a one-off Razorpay customer's portal (${colorScheme}): plan, payment history, keyboard, axe`, async () => {
      const url = await customerWithTwoPayments();
      // Test only: the page's CSP refuses the injected axe script.
      const { context, page, errors } = await h.newPage({ bypassCSP: true, colorScheme, locale: 'en-IN' });
      try {
        await page.goto(url);
        await waitForText(page.locator('[data-plan-name]'), 'Pro');
        assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
        assert.equal(await page.locator('html').getAttribute('lang'), 'en-IN');
        const rows = page.locator('[data-payments] tr');
        assert.equal(await rows.count(), 2);
        assert.match((await rows.nth(0).textContent())!, /Pro · Yearly.*₹15,990.*Paid/s);
        assert.match((await rows.nth(1).textContent())!, /Pro · Monthly.*₹1,599.*Paid/s);
        await waitForText(page.locator('[data-plan-interval]'), 'Yearly');
        assert.ok(await page.locator('[data-one-period]').isVisible());
        assert.equal(await page.locator('[data-cancel]').isVisible(), false, 'nothing renews, so nothing to cancel');
        await assertAccessible(page, `portal (${colorScheme})`);

        // Keyboard: Tab reaches the plan choice, its button and the way back, in that order.
        const stops: string[] = [];
        for (let i = 0; i < 6; i++) {
          await page.keyboard.press('Tab');
          stops.push(await focused(page));
        }
        const at = (pattern: RegExp) => stops.findIndex((s) => pattern.test(s));
        assert.ok(at(/^select:/) >= 0 && at(/^button:Continue/) > at(/^select:/) && at(/^a:Back to the app/) > at(/^button:Continue/), stops.join(' → '));
        if (colorScheme === 'light') await page.screenshot({ path: '/tmp/portal-e2e.png', fullPage: true });
        assert.deepEqual(errors.all(), []);
      } finally {
        await context.close();
      }
    });
  }

  test('"Manage billing" in <usage-meter> for a customer Razorpay billed opens Tollgate’s portal', async () => {
    const { context, page, errors } = await h.newPage({ locale: 'en-IN' });
    try {
      await page.goto(h.url('/demo/partner.html'));
      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      const meter = page.locator('#account usage-meter');
      await waitForText(meter.locator('[part="plan-name"]'), /^Free$/);
      assert.equal(await meter.locator('[part~="manage"]').count(), 0, 'nothing billed yet: no portal');
      await page.locator('#pricing plan-picker button[part~="cta"][data-plan="pro"]').click();
      const modal = page.locator('[data-razorpay-sandbox]');
      await modal.getByRole('button', { name: /^Pay ₹/ }).click();
      await modal.waitFor({ state: 'detached' });
      await waitForText(meter.locator('[part="plan-name"]'), /^Pro$/);
      const manage = meter.locator('[part~="manage"]');
      await manage.waitFor({ state: 'visible' });
      await manage.click();
      await page.waitForURL(/\/portal\?return=/);
      await waitForText(page.locator('[data-plan-name]'), 'Pro');
      assert.equal(await page.locator('[data-payments] tr').count(), 1);
      await page.locator('[data-back]').click();
      await page.waitForURL(/\/demo\/partner\.html/);
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('in the IDE webview (hand-off mode), "Manage billing" hands the portal link to the extension host; it opens in the system browser', async () => {
    const { context, page, errors } = await h.newPage();
    const system = await h.newPage({ locale: 'hi-IN' }); // the system browser, in Hindi
    try {
      await page.goto(h.url('/demo/webview.html'));
      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      // The webview's customer pays (as the hand-off page would), then the webview reloads its state.
      const token = await sessionOf(page);
      const { action } = await post('/v1/checkout', token, { plan: 'pro' });
      const paid = await post('/sandbox/razorpay/pay', null, { key: action.key_id, order_id: action.order_id, outcome: 'success' });
      await post('/v1/razorpay/verify', token, { plan: 'pro', ...paid });
      await page.reload();
      await waitForText(page.locator('usage-meter [part="plan-name"]'), /^Pro$/);
      // The demo's webview meter is compact (no actions); a partner's full meter shows "Manage billing".
      await page.locator('usage-meter').evaluate((meter) => meter.removeAttribute('compact'));
      await page.locator('usage-meter [part~="manage"]').click();
      const hostLink = page.locator('[data-testid="handoff-url"]');
      await hostLink.waitFor({ state: 'visible' });
      const url = (await hostLink.getAttribute('href'))!;
      assert.match(url, new RegExp(`^${h.server.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/portal\\?return=[^#]+#token=[\\w.-]+$`));
      assert.match(page.url(), /\/demo\/webview\.html$/, 'the webview stays where it is');

      await system.page.goto(url);
      assert.equal(await system.page.locator('html').getAttribute('lang'), 'hi');
      await waitForText(system.page.locator('[data-plan-name]'), 'Pro');
      await waitForText(system.page.locator('#history-title'), 'भुगतान इतिहास');
      assert.match((await system.page.locator('[data-payments] tr').first().textContent())!, /₹1,599.*भुगतान हुआ/s);
      assert.deepEqual([...errors.all(), ...system.errors.all()], []);
    } finally {
      await context.close();
      await system.context.close();
    }
  });

  test('change plan: the server makes the checkout, <razorpay-checkout> pays it with the link’s token, the history grows', async () => {
    const url = await customerWithTwoPayments();
    const { context, page, errors } = await h.newPage({ locale: 'en-IN' });
    try {
      await page.goto(url);
      await waitForText(page.locator('[data-plan-name]'), 'Pro');
      await page.locator('[data-change-plan]').selectOption('team:month');
      await page.locator('[data-change-submit]').click();
      const pay = page.locator('[data-pay] razorpay-checkout button');
      await pay.waitFor({ state: 'visible' });
      await pay.click();
      const modal = page.locator('[data-razorpay-sandbox]');
      await modal.getByRole('button', { name: /^Pay ₹3,999/ }).click();
      await waitForText(page.locator('[data-notice]'), 'Payment confirmed');
      await waitForText(page.locator('[data-plan-name]'), 'Team');
      assert.equal(await page.locator('[data-payments] tr').count(), 3);
      assert.match((await page.locator('[data-payments] tr').first().textContent())!, /Team · Monthly.*₹3,999/s);
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('cancel asks first: "Keep" and Escape send nothing, confirming sends one POST and shows the server’s answer', async () => {
    const url = await customerWithTwoPayments();
    const { context, page } = await h.newPage({ bypassCSP: true, locale: 'en' });
    try {
      // No provider here implements subscription controls yet (Razorpay Subscriptions will): the page is told this
      // customer can cancel, so its confirmation step runs; the POST still goes to the real server, which refuses.
      await page.route('**/v1/portal/summary*', async (route) => {
        const response = await route.fetch();
        const summary = await response.json();
        await route.fulfill({ response, json: { ...summary, billing: 'subscription', can: { ...summary.can, cancel: true } } });
      });
      const cancels: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().includes('/v1/portal/cancel')) cancels.push(r.headers()['idempotency-key']);
      });
      await page.goto(url);
      const cancel = page.locator('[data-cancel]');
      await cancel.waitFor({ state: 'visible' });
      const dialog = page.locator('dialog[data-confirm]');

      await cancel.focus();
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'visible' });
      assert.match(await focused(page), /^button:Keep my subscription/, 'focus moves into the dialog, on the safe choice');
      assert.match((await page.locator('[data-confirm-body]').textContent())!, /^You keep Pro until [A-Z][a-z]{2} \d{1,2}, \d{4}\. You will not be charged again/);
      await assertAccessible(page, 'portal, cancel confirmation open');
      await page.keyboard.press('Enter'); // "Keep my subscription"
      await dialog.waitFor({ state: 'hidden' });
      assert.match(await focused(page), /^button:Cancel subscription/, 'focus returns to the button');

      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'visible' });
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      assert.deepEqual(cancels, []);

      await cancel.click();
      await page.locator('[data-confirm-cancel]').click();
      await waitForText(page.locator('[data-error]'), /no live razorpay subscription to cancel/);
      assert.equal(cancels.length, 1);
      assert.ok(cancels[0]);
    } finally {
      await context.close();
    }
  });
});

describe('a Razorpay subscriber’s portal (the recurring catalog of examples/razorpay-subscriptions.json)', () => {
  let rs: Harness;
  before(async () => {
    const server = await startConfiguredServer({ ...exampleConfig('razorpay-subscriptions'), allowed_origins: [] }, {});
    rs = harnessAround(server, h.browser, { ownsBrowser: false });
  });
  after(async () => rs?.close());

  /** A customer subscribed to Pro monthly with a card mandate (the sandbox modal's answer, the real verify), and their portal link. */
  async function cardSubscriber(): Promise<string> {
    const { token } = await post('/v1/sandbox/session', null, { customer_id: `portal_pm_${crypto.randomUUID().slice(0, 8)}` }, rs);
    const { action } = await post('/v1/checkout', token, { plan: 'pro', interval: 'month' }, rs);
    const paid = await post('/sandbox/razorpay/pay', null, { key: action.key_id, subscription_id: action.subscription_id, outcome: 'success', method: 'card' }, rs);
    await post('/v1/razorpay/verify', token, { plan: 'pro', ...paid }, rs);
    const { url } = await post('/v1/portal', token, {}, rs);
    return url;
  }

  test('Update payment method: the modal says so; closing it changes nothing, a declined try shows why, then UPI Autopay replaces the card (strict CSP, axe)', async () => {
    const url = await cardSubscriber();
    const { context, page, errors } = await rs.newPage({ locale: 'en-IN' });
    try {
      await page.goto(url);
      await waitForText(page.locator('[data-payment-method]'), 'Card');
      const update = page.locator('[data-update-payment-method]');
      await update.waitFor({ state: 'visible' });
      const modal = page.locator('[data-razorpay-sandbox]');
      const verifies: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().includes('/v1/portal/payment-method/verify')) verifies.push(r.url());
      });

      // Closed: nothing is posted, nothing changes.
      await update.click();
      await waitForText(modal.getByRole('dialog'), /Update payment method/);
      await modal.getByRole('button', { name: 'Authorise new payment method' }).waitFor({ state: 'visible' });
      await modal.getByRole('button', { name: 'Close checkout' }).click();
      await modal.waitFor({ state: 'detached' });
      assert.equal(await page.locator('[data-error]').isVisible(), false);
      assert.equal(await page.locator('[data-payment-method]').textContent(), 'Card');

      // Declined: the reason on the page; closing the modal keeps it.
      await update.click();
      await modal.getByRole('button', { name: 'Fail payment' }).click();
      await waitForText(page.locator('[data-error]'), /declined by the bank/);
      await modal.getByRole('button', { name: 'Close checkout' }).click();
      await modal.waitFor({ state: 'detached' });
      assert.equal(await page.locator('[data-payment-method]').textContent(), 'Card');
      assert.deepEqual(verifies, []);

      // Authorised with UPI Autopay: verified by the server, the summary shows the new method.
      await update.click();
      await modal.getByLabel('New payment method').selectOption('upi');
      await modal.getByRole('button', { name: 'Authorise new payment method' }).click();
      await waitForText(page.locator('[data-notice]'), 'Your payment method is now UPI Autopay.');
      await waitForText(page.locator('[data-payment-method]'), 'UPI Autopay');
      assert.equal(verifies.length, 1);
      assert.equal(await page.locator('[data-error]').isVisible(), false);
      assert.equal(await page.locator('[data-payments] tr').count(), 1, 'the authorisation was refunded: no new payment');
      assert.deepEqual(errors.all(), [], 'no CSP refusal or page error under the strict CSP');
    } finally {
      await context.close();
    }

    // axe on the subscriber's page (its CSP bypassed for the injected axe script only), the update button shown.
    const checked = await rs.newPage({ bypassCSP: true, locale: 'en-IN' });
    try {
      await checked.page.goto(await cardSubscriber());
      await checked.page.locator('[data-update-payment-method]').waitFor({ state: 'visible' });
      await assertAccessible(checked.page, 'a subscriber’s portal');
    } finally {
      await checked.context.close();
    }
  });
});
