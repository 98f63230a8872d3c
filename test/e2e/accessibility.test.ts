// axe-core on every demo page, as the other e2e files open them: the index and the partner page in light
// and dark, the partner page with the sandbox modal open and after paying, the IDE webview (its CSP blocks
// injected scripts: the test's contexts bypass CSP) before, during and after a hand-off with the pay page,
// its modal and the done page, and the dashboard in en-IN and Hindi. No serious or critical violation anywhere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { axeViolations, startHarness, waitForText, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

async function assertAccessible(page: Page, what: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: axe found ${violations.map((v) => `${v.id} (${v.impact}) on ${v.nodes.length} node(s): ${JSON.stringify(v.nodes)}`).join('; ')}`);
}

for (const colorScheme of ['light', 'dark'] as const) {
  describe(`in ${colorScheme} mode`, () => {
    test('the demo index', async () => {
      const { context, page, errors } = await h.newPage({ colorScheme });
      try {
        await page.goto(h.url('/'));
        await page.locator('main').waitFor();
        await assertAccessible(page, `index (${colorScheme})`);
        assert.deepEqual(errors.all(), []);
      } finally {
        await context.close();
      }
    });

    test('the partner page: loaded, with the sandbox Razorpay modal open, and after paying', async () => {
      const { context, page, errors } = await h.newPage({ colorScheme });
      try {
        await page.goto(h.url('/demo/partner.html'));
        await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
        await waitForText(page.locator('#account usage-meter [part="plan-name"]'), /^Free$/);
        const choosePro = page.locator('#pricing plan-picker button[part~="cta"][data-plan="pro"]');
        await waitForText(choosePro, 'Choose Pro');
        await page.locator('#export paywall-gate [part="paywall"]').waitFor({ state: 'visible' });
        await assertAccessible(page, `partner page, Free (${colorScheme})`);

        await choosePro.click();
        const modal = page.locator('[data-razorpay-sandbox]');
        const pay = modal.getByRole('button', { name: /^Pay ₹/ });
        await pay.waitFor({ state: 'visible' });
        await assertAccessible(page, `partner page, sandbox modal open (${colorScheme})`);

        await pay.click();
        await modal.waitFor({ state: 'detached' });
        await waitForText(page.locator('#account usage-meter [part="plan-name"]'), /^Pro$/);
        await page.locator('[data-paid]').waitFor({ state: 'visible' });
        await assertAccessible(page, `partner page, paid (${colorScheme})`);
        assert.deepEqual(errors.all(), []);
      } finally {
        await context.close();
      }
    });

    test('the IDE webview before, during and after a hand-off; the pay page, its modal and its outcome; the done page', async () => {
      // Test only: the pages' CSP refuses the injected axe script.
      const { context, page, errors } = await h.newPage({ bypassCSP: true, colorScheme });
      const system = await h.newPage({ bypassCSP: true, colorScheme }); // the system browser
      try {
        await page.goto(h.url('/demo/webview.html'));
        await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
        const meterPlan = page.locator('usage-meter [part="plan-name"]');
        await waitForText(meterPlan, /^Free$/);
        const choosePro = page.locator('paywall-gate [part~="paywall"] plan-picker button[part~="cta"][data-plan="pro"]');
        await waitForText(choosePro, 'Choose Pro');
        await assertAccessible(page, `webview, Free (${colorScheme})`);

        await choosePro.click();
        const handoff = page.locator('paywall-gate plan-picker [part~="handoff"]');
        await waitForText(handoff, 'Continue in your browser');
        await handoff.locator('[part~="handoff-button"]').click();
        const hostLink = page.locator('[data-testid="handoff-url"]');
        await hostLink.waitFor({ state: 'visible' });
        await assertAccessible(page, `webview, hand-off (${colorScheme})`);

        const pay = system.page;
        await pay.goto((await hostLink.getAttribute('href')) ?? '');
        await waitForText(pay.locator('[data-amount]'), /^₹1,599$/);
        const payNow = pay.locator('razorpay-checkout').getByRole('button', { name: 'Pay now' });
        await payNow.waitFor({ state: 'visible' });
        await assertAccessible(pay, `hand-off pay page (${colorScheme})`);
        await payNow.click();
        const modalPay = pay.locator('[data-razorpay-sandbox]').getByRole('button', { name: /^Pay ₹/ });
        await modalPay.waitFor({ state: 'visible' });
        await assertAccessible(pay, `hand-off pay page, sandbox modal open (${colorScheme})`);
        await modalPay.click();
        await waitForText(pay.locator('[data-outcome-success]'), 'Payment confirmed.');
        await assertAccessible(pay, `hand-off pay page, paid (${colorScheme})`);

        await page.getByRole('heading', { name: 'Export is unlocked' }).waitFor({ state: 'visible', timeout: 20_000 });
        await waitForText(meterPlan, /^Pro$/);
        await page.locator('[data-paid]').waitFor({ state: 'visible' });
        await assertAccessible(page, `webview, paid (${colorScheme})`);

        const checkoutId = /\/pay\/(chk_[\w-]+)/.exec(pay.url())?.[1];
        assert.ok(checkoutId, pay.url());
        await pay.goto(h.url(`/pay/${checkoutId}/done`));
        await pay.locator('main').waitFor();
        await assertAccessible(pay, `hand-off done page (${colorScheme})`);
        assert.deepEqual(errors.all(), []);
        assert.deepEqual(system.errors.all(), []);
      } finally {
        await system.context.close();
        await context.close();
      }
    });
  });
}

describe('the white-label dashboard', () => {
  test('in en-IN and in Hindi', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      await page.goto(h.url('/demo/dashboard.html'));
      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      await waitForText(page.locator('#plans plan-picker [role="radio"][data-plan="pro"] [part~="price"]'), /^₹1,599 \/month$/);
      await waitForText(page.locator('usage-meter [part="plan-name"]'), /^Free$/);
      await assertAccessible(page, 'dashboard, en-IN');

      await page.locator('select[data-locale]').selectOption('hi');
      await waitForText(page.locator('main h1'), /^बिलिंग$/);
      await waitForText(page.locator('#plans plan-picker button[part~="cta"][data-plan="pro"]'), /^Pro चुनें$/);
      await assertAccessible(page, 'dashboard, hi');
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });
});
