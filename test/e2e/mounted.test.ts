// The server under a mount path (TOLLGATE_PUBLIC_URL=http://127.0.0.1:PORT/billing, as behind a proxy or inside
// a partner's app): the partner demo page at /billing/demo/partner.html pays Pro in the sandbox modal, and
// every request the page makes to the server, the elements' API calls among them, goes under /billing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { harnessAround, launchBrowser, startServer, waitForText, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  const server = await startServer({ basePath: '/billing' });
  try {
    h = harnessAround(server, await launchBrowser(), { ownsBrowser: true });
  } catch (error) {
    await server.stop();
    throw error;
  }
});

after(async () => {
  await h?.close();
});

describe('mounted under /billing', () => {
  test('the partner page pays Pro, and every request it makes to the server is under /billing', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const origin = new URL(h.server.url).origin;
      const paths: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.origin === origin) paths.push(url.pathname);
      });
      await page.goto(`${h.server.url}/demo/partner.html`);
      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      const picker = page.locator('#pricing plan-picker');
      const choosePro = picker.locator('button[part~="cta"][data-plan="pro"]');
      await waitForText(choosePro, 'Choose Pro');
      await choosePro.click();
      const modal = page.locator('[data-razorpay-sandbox]');
      await modal.getByRole('button', { name: /^Pay ₹/ }).click();
      await modal.waitFor({ state: 'detached' });
      await waitForText(picker.locator('[part="status"]'), /^Payment confirmed\. You are now on pro\.$/i);
      await waitForText(page.locator('#account usage-meter [part="plan-name"]'), /^Pro$/);

      assert.ok(paths.includes('/billing/v1/plans'), `the catalog came from the mount: ${paths.join(' ')}`);
      assert.ok(paths.includes('/billing/v1/checkout') && paths.includes('/billing/v1/razorpay/verify'), 'and the checkout and its verification');
      assert.ok(paths.includes('/billing/sandbox/razorpay/checkout.js') && paths.includes('/billing/sandbox/razorpay/pay'), 'and the sandbox modal');
      assert.deepEqual(paths.filter((p) => !p.startsWith('/billing/')), [], 'nothing outside the mount');
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });
});
