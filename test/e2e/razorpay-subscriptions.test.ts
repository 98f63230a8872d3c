// A Razorpay Subscription paid through <plan-picker> on the partner page: the real server in sandbox mode with the
// recurring catalog of examples/razorpay-subscriptions.json, the sandbox checkout.js authorising the subscription.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { apiGet, until, waitForText, type Harness, type ServerHandle } from './harness.js';
import { exampleConfig, harnessFor, launchBrowser, openPartner, startConfiguredServer } from './backends.js';

interface Subscription {
  plan: string;
  status: string;
  interval: string | null;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: string | null;
}

describe('Razorpay Subscriptions through <plan-picker> (sandbox)', () => {
  let server: ServerHandle;
  let browser: Browser;
  let h: Harness;
  before(async () => {
    // Sandbox mode allows the server's own origin (the partner page) when no origins are listed.
    server = await startConfiguredServer({ ...exampleConfig('razorpay-subscriptions'), allowed_origins: [] }, {});
    browser = await launchBrowser();
    h = harnessFor(server, browser);
  });
  after(async () => {
    await h?.close();
    await browser?.close();
  });

  test('choose Pro, authorise the subscription in the modal: the plan is Pro, active, renewing monthly', async () => {
    const { page, errors } = await h.newPage();
    const actions: { subscription_id?: string; order_id?: string; recurring?: boolean }[] = [];
    page.on('response', async (response) => {
      if (response.request().method() !== 'POST' || new URL(response.url()).pathname !== '/v1/checkout') return;
      const body = (await response.json().catch(() => ({}))) as { action?: (typeof actions)[number] };
      if (body.action) actions.push(body.action);
    });
    const u = await openPartner(h, page, 'pro');
    await u.choose('pro').click();
    const modal = page.locator('[data-razorpay-sandbox]');
    // The amount comes from the subscription's plan (checkout.js gets no amount for a subscription).
    const pay = modal.getByRole('button', { name: /^Pay ₹1,599(\.00)? \/ month$/ });
    await pay.click();
    await waitForText(u.meterPlan, /^Pro$/);
    assert.equal(actions.length, 1);
    assert.match(actions[0].subscription_id ?? '', /^sub_/);
    assert.equal(actions[0].order_id, undefined);
    assert.equal(actions[0].recurring, true);
    const sub = (await until(async () => {
      const s = await apiGet<Subscription>(page, '/v1/subscription');
      return s.plan === 'pro' && s.currentPeriodEnd ? s : undefined;
    }, { what: 'the subscription mirrored' }))!;
    assert.deepEqual([sub.status, sub.interval, sub.cancelAtPeriodEnd], ['active', 'month', false]);
    const days = (new Date(sub.currentPeriodEnd!).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 27 && days < 32, `the period ends in about a month (${days.toFixed(1)} days)`);
    assert.deepEqual(errors.all(), []);
  });

  test('the same as a hand-off from the IDE webview: the link authorises the subscription in the "system browser", the webview flips to Pro', async () => {
    const { context, page, errors } = await h.newPage();
    const system = await h.newPage(); // the system browser: another context, no shared storage
    try {
      await page.goto(h.url('/demo/webview.html'));
      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      const gate = page.locator('paywall-gate');
      const meterPlan = page.locator('usage-meter [part="plan-name"]');
      await waitForText(meterPlan, /^Free$/);
      const choosePro = gate.locator('[part~="paywall"] plan-picker button[part~="cta"][data-plan="pro"]');
      await waitForText(choosePro, 'Choose Pro');
      await choosePro.click();
      const handoffView = gate.locator('plan-picker [part~="handoff"]');
      await waitForText(handoffView, 'Continue in your browser');
      const url = await handoffView.locator('input[part~="handoff-url"]').inputValue();
      assert.match(url, /\/pay\/chk_[\w-]+#token=[\w.-]+$/);

      // The system browser opens the link; the modal authorises the subscription (its plan's amount per month).
      const pay = system.page;
      await pay.goto(url);
      await waitForText(pay.locator('[data-plan]'), /^Pro$/);
      await pay.locator('razorpay-checkout').getByRole('button', { name: 'Pay now' }).click();
      await pay.locator('[data-razorpay-sandbox]').getByRole('button', { name: /^Pay ₹1,599(\.00)? \/ month$/ }).click();
      await waitForText(pay.locator('[data-outcome-success]'), 'Payment confirmed.');
      assert.deepEqual(system.errors.all(), []);

      // The webview learns it from the server, without a reload: Pro, renewing monthly.
      await waitForText(meterPlan, /^Pro$/, 20_000);
      const sub = await apiGet<Subscription>(page, '/v1/subscription');
      assert.deepEqual([sub.plan, sub.status, sub.interval, sub.cancelAtPeriodEnd], ['pro', 'active', 'month', false]);
      assert.deepEqual(errors.all(), []);
    } finally {
      await system.context.close();
      await context.close();
    }
  });
});
