// The partner page (script-tag embed) against the real server in sandbox mode: choose Pro in
// <plan-picker>, pay in the sandbox Razorpay modal, and watch <usage-meter> and <paywall-gate> turn
// to Pro without a reload (and after one); a failed or dismissed payment changes nothing; a double
// click makes one order; Pro Autopay is a Razorpay Subscription that renews by itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { apiGet, startHarness, until, waitForText, type Harness } from './harness.js';

interface Subscription {
  plan: string;
  planName: string;
  status: string;
}
interface CheckoutState {
  id: string;
  status: string;
  plan: string;
}

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

/** The page's parts, through the elements' open shadow roots (Playwright's CSS pierces them). */
function ui(page: Page) {
  const picker = page.locator('#pricing plan-picker');
  const modal = page.locator('[data-razorpay-sandbox]');
  return {
    picker,
    choosePro: picker.locator('button[part~="cta"][data-plan="pro"]'),
    pickerStatus: picker.locator('[part="status"]'),
    proBadge: picker.locator('[data-plan="pro"][role="radio"] [part~="badge-current"]'),
    meterPlan: page.locator('#account usage-meter [part="plan-name"]'),
    gate: page.locator('#export paywall-gate'),
    gatePaywall: page.locator('#export paywall-gate [part="paywall"]'),
    exportButton: page.locator('#export paywall-gate button[data-export="pdf"]'),
    paidNotice: page.locator('[data-paid]'),
    sessionStatus: page.locator('[data-session-status]'),
    modal,
    modalPay: modal.getByRole('button', { name: /^Pay ₹/ }),
    modalFail: modal.getByRole('button', { name: 'Fail payment' }),
    modalClose: modal.getByRole('button', { name: 'Close checkout' }),
    modalError: modal.locator('[role="alert"]'),
  };
}

/** Load the partner page as a fresh customer and wait for the catalog, the meter and the gate. */
async function openPartner(page: Page) {
  const u = ui(page);
  await page.goto(h.url('/demo/partner.html'));
  await waitForText(u.sessionStatus, 'Signed in (sandbox)');
  await waitForText(u.meterPlan, /^Free$/);
  await waitForText(u.choosePro, 'Choose Pro');
  await u.gatePaywall.waitFor({ state: 'visible' });
  return u;
}

/** The plan from the server, with the page's customer session. */
async function serverPlan(page: Page): Promise<string> {
  return (await apiGet<Subscription>(page, '/v1/subscription')).plan;
}

/** Every `POST /v1/checkout` the page sends, and the checkout ids the server answered with. */
function watchCheckouts(page: Page) {
  const posts: string[] = [];
  const ids: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/checkout') posts.push(request.url());
  });
  page.on('response', async (response) => {
    if (response.request().method() !== 'POST' || new URL(response.url()).pathname !== '/v1/checkout') return;
    const body = (await response.json().catch(() => ({}))) as { checkout_id?: string };
    if (body.checkout_id) ids.push(body.checkout_id);
  });
  return { posts, ids };
}

describe('partner page', () => {
  test('choose Pro, pay in the sandbox modal: meter and export gate turn Pro without a reload, and stay after one', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const checkouts = watchCheckouts(page);
      const u = await openPartner(page);
      assert.equal(await u.exportButton.isVisible(), false, 'export is locked on Free (its content is not slotted)');
      assert.equal(await serverPlan(page), 'free');

      await u.choosePro.click();
      await u.modalPay.waitFor({ state: 'visible' });
      assert.match((await u.modalPay.textContent()) ?? '', /^Pay ₹1,599(\.00)?$/, 'the modal charges the server price of Pro monthly');
      await waitForText(u.pickerStatus, 'Complete the payment in the payment window.');
      let navigations = 0;
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) navigations++;
      });

      await u.modalPay.click();
      await u.modal.waitFor({ state: 'detached' });
      // The sentence names the plan (its id today, "pro"; its name "Pro" would read better).
      await waitForText(u.pickerStatus, /^Payment confirmed\. You are now on pro\.$/i);
      await waitForText(u.meterPlan, /^Pro$/);
      await u.exportButton.waitFor({ state: 'visible' });
      assert.equal(await u.gatePaywall.count(), 0, 'the paywall is gone');
      await waitForText(u.paidNotice, /^Payment verified by the server: you are now on pro\./i);
      await u.proBadge.waitFor({ state: 'visible' });
      assert.equal(await u.choosePro.isDisabled(), true, "Pro's button is disabled: it is the current plan");
      await waitForText(u.choosePro, 'Your current plan');
      assert.equal(navigations, 0, 'no reload or navigation happened');
      assert.equal(checkouts.posts.length, 1);

      // Server state: the plan, the entitlements, the checkout (webhooks arrive ~1.5 s later; it stays paid).
      assert.equal(await serverPlan(page), 'pro');
      const entitlements = await apiGet<{ plan: string; features: string[]; has_access: boolean }>(page, '/v1/entitlements');
      assert.equal(entitlements.plan, 'pro');
      assert.ok(entitlements.features.includes('export'));
      assert.equal(entitlements.has_access, true);
      const checkoutId = checkouts.ids[0];
      assert.ok(checkoutId, 'the server answered with a checkout id');
      const state = await apiGet<CheckoutState>(page, `/v1/checkout/${checkoutId}`);
      assert.equal(state.status, 'paid');
      assert.equal(state.plan, 'pro');

      // A reload reads it all back from the server.
      await page.reload();
      await waitForText(u.sessionStatus, 'Signed in (sandbox)');
      await waitForText(u.meterPlan, /^Pro$/);
      await u.exportButton.waitFor({ state: 'visible' });
      await u.proBadge.waitFor({ state: 'visible' });
      assert.equal(await u.paidNotice.isHidden(), true, 'the one-off success notice does not come back');
      await u.exportButton.click();
      await waitForText(page.locator('[data-export-status]'), 'Preparing your PDF export');

      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('a failed payment, then closing the modal, leaves the plan on Free and says so', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const failures: unknown[] = [];
      await page.exposeFunction('__paymentFailed', (detail: unknown) => failures.push(detail));
      await page.addInitScript(() => {
        document.addEventListener('payment-failed', (e) => (window as unknown as { __paymentFailed(d: unknown): void }).__paymentFailed((e as CustomEvent).detail));
      });
      const checkouts = watchCheckouts(page);
      const u = await openPartner(page);

      await u.choosePro.click();
      await u.modalFail.click();
      await waitForText(u.modalError, /[^.]\. You can try again or close\.$/);
      const failed = await waitForText(u.pickerStatus, /^Your payment didn't go through as it was declined by the bank\. .+ You can try again\.$/);
      assert.ok(!/undefined|null/.test(failed), `a real reason: ${failed}`);
      await until(async () => failures.length === 1, { what: 'one payment-failed event' });
      assert.equal((failures[0] as { checkout_id?: string }).checkout_id, checkouts.ids[0]);
      assert.equal(await u.modalPay.isVisible(), true, 'the modal stays open for another try');
      assert.equal(await u.modalPay.isEnabled(), true);

      await u.modalClose.click();
      await u.modal.waitFor({ state: 'detached' });
      await waitForText(u.pickerStatus, 'Payment canceled. You have not been charged.');
      assert.equal(await u.pickerStatus.getAttribute('data-phase'), 'dismissed');
      assert.equal(await u.choosePro.isEnabled(), true, 'the customer can try again');

      // Still Free: in the UI…
      await waitForText(u.meterPlan, /^Free$/);
      assert.equal(await u.exportButton.isVisible(), false);
      await u.gatePaywall.waitFor({ state: 'visible' });
      assert.equal(await u.paidNotice.isHidden(), true);
      assert.equal(await u.proBadge.count(), 0);
      // …and on the server.
      assert.equal(await serverPlan(page), 'free');
      const state = await apiGet<CheckoutState>(page, `/v1/checkout/${checkouts.ids[0]}`);
      assert.notEqual(state.status, 'paid');
      // A reload agrees.
      await page.reload();
      await waitForText(u.meterPlan, /^Free$/);
      await u.gatePaywall.waitFor({ state: 'visible' });

      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('dismissing the modal (Escape, then the close button) leaves the plan on Free', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const dismissals: unknown[] = [];
      await page.exposeFunction('__dismissed', (detail: unknown) => dismissals.push(detail));
      await page.addInitScript(() => {
        document.addEventListener('checkout-dismiss', (e) => (window as unknown as { __dismissed(d: unknown): void }).__dismissed((e as CustomEvent).detail));
      });
      const checkouts = watchCheckouts(page);
      const u = await openPartner(page);

      await u.choosePro.click();
      await u.modalPay.waitFor({ state: 'visible' });
      await page.keyboard.press('Escape');
      await u.modal.waitFor({ state: 'detached' });
      await waitForText(u.pickerStatus, 'Payment canceled. You have not been charged.');
      await until(async () => dismissals.length === 1, { what: 'a checkout-dismiss event' });

      // Try again, and close with the × button this time.
      await u.choosePro.click();
      await u.modalClose.waitFor({ state: 'visible' });
      await waitForText(u.pickerStatus, 'Complete the payment in the payment window.');
      await u.modalClose.click();
      await u.modal.waitFor({ state: 'detached' });
      await waitForText(u.pickerStatus, 'Payment canceled. You have not been charged.');
      await until(async () => dismissals.length === 2, { what: 'a second checkout-dismiss event' });
      assert.equal(checkouts.posts.length, 2, 'each attempt is its own checkout');

      await waitForText(u.meterPlan, /^Free$/);
      await u.gatePaywall.waitFor({ state: 'visible' });
      assert.equal(await u.exportButton.isVisible(), false);
      assert.equal(await serverPlan(page), 'free');
      for (const id of checkouts.ids) assert.notEqual((await apiGet<CheckoutState>(page, `/v1/checkout/${id}`)).status, 'paid');

      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('a double click on "Choose Pro" creates one order', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const checkouts = watchCheckouts(page);
      const u = await openPartner(page);

      await u.choosePro.dblclick();
      await u.modalPay.waitFor({ state: 'visible' });
      // Two synchronous clicks too (no render in between): the flow's busy guard, not just `disabled`.
      await u.modalClose.click();
      await u.modal.waitFor({ state: 'detached' });
      await waitForText(u.pickerStatus, 'Payment canceled.');
      await u.choosePro.evaluate((button: HTMLButtonElement) => {
        button.click();
        button.click();
      });
      await u.modalPay.waitFor({ state: 'visible' });
      assert.equal(await u.modal.count(), 1, 'one modal');
      await page.waitForLoadState('networkidle');
      assert.equal(checkouts.posts.length, 2, `one POST /v1/checkout per attempt, got ${checkouts.posts.length}`);
      assert.equal(new Set(checkouts.ids).size, 2);

      // And that one order pays normally.
      await u.modalPay.click();
      await waitForText(u.meterPlan, /^Pro$/);
      assert.equal(await serverPlan(page), 'pro');
      assert.equal(checkouts.posts.length, 2);

      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('Pro Autopay renews by itself: authorised in the sandbox modal, the meter says when it renews, and the payment is a subscription upstream', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const u = await openPartner(page);
      const chooseAutopay = u.picker.locator('button[part~="cta"][data-plan="pro-autopay"]');
      await chooseAutopay.click();
      await u.modalPay.waitFor({ state: 'visible' });
      // checkout.js got a subscription (no order, no amount): the modal shows the plan's amount per month.
      assert.match(await u.modal.locator('.dialog').innerText(), /Pro Autopay plan, renews monthly[\s\S]*Subscription sub_/);
      assert.match((await u.modalPay.textContent()) ?? '', /^Pay ₹1,599 \/ month$/);
      await u.modalPay.click();
      await u.modal.waitFor({ state: 'detached' });
      await waitForText(u.meterPlan, /^Pro Autopay$/);
      await waitForText(page.locator('#account usage-meter .period'), /^Renews on /);
      await u.exportButton.waitFor({ state: 'visible' });
      const sub = await apiGet<Subscription & { cancelAtPeriodEnd: boolean }>(page, '/v1/subscription');
      assert.deepEqual([sub.plan, sub.status, sub.cancelAtPeriodEnd], ['pro-autopay', 'active', false]);
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });
});
