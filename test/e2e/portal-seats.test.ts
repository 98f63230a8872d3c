// The billing portal's seat stepper in Chromium against the real server (sandbox Razorpay, a per-seat one-off
// plan): the stepper's limits and keyboard, axe, and more seats bought as a prorated top-up paid on the page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, harnessAround, launchBrowser, startServer, waitForText, type Harness } from './harness.js';

/** team: ₹499 a seat for one month, 2 to 4 seats (Razorpay orders). */
const CONFIG = {
  metrics: [{ id: 'seats', label: 'Seats', label_one: 'Seat' }],
  plans: [
    { id: 'free', name: 'Free', limits: { seats: 1 } },
    { id: 'team', name: 'Team', limits: { seats: 2 }, prices: [{ provider: 'razorpay', currency: 'INR', amount: 49900, interval: 'month', per_unit: true, min_quantity: 2, max_quantity: 4 }] },
  ],
};

let h: Harness;
before(async () => {
  const server = await startServer({ config: CONFIG });
  h = harnessAround(server, await launchBrowser(), { ownsBrowser: true });
});
after(async () => h?.close());

async function post(path: string, token: string | null, body: unknown) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(h.url(path), { method: 'POST', headers, body: JSON.stringify(body) });
  const answer = await response.json();
  assert.ok(response.ok, `POST ${path}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

test('a 2-seat Team customer: the stepper stops at 2 and 4, + by keyboard, axe; 3 seats are a top-up paid on the page, then the card says 3', async () => {
  const { token } = await post('/v1/sandbox/session', null, { customer_id: `seats_e2e_${crypto.randomUUID().slice(0, 8)}` });
  const { action } = await post('/v1/checkout', token, { plan: 'team', quantity: 2 });
  const paid = await post('/sandbox/razorpay/pay', null, { key: action.key_id, order_id: action.order_id, outcome: 'success' });
  await post('/v1/razorpay/verify', token, { plan: 'team', razorpay_order_id: paid.razorpay_order_id, razorpay_payment_id: paid.razorpay_payment_id, razorpay_signature: paid.razorpay_signature });
  const { url } = await post('/v1/portal', token, { return_url: h.url('/demo/partner.html') });

  const { context, page, errors } = await h.newPage({ bypassCSP: true, locale: 'en-IN' });
  try {
    await page.goto(url);
    await waitForText(page.locator('[data-plan-name]'), 'Team');
    const card = page.locator('[data-seats]');
    await card.waitFor({ state: 'visible' });
    const input = page.locator('[data-seats-input]');
    assert.equal(await input.inputValue(), '2');
    assert.match((await page.locator('[data-seats-rule]').textContent())!, /2 to 4 seats · ₹499 per seat/);
    assert.equal(await page.locator('[data-seats-less]').isDisabled(), true, 'no fewer than the minimum');
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], JSON.stringify(violations));

    // + by keyboard twice: 4, the maximum, where + is disabled; − once: 3.
    await page.locator('[data-seats-more]').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    assert.equal(await input.inputValue(), '4');
    assert.equal(await page.locator('[data-seats-more]').isDisabled(), true, 'no more than the maximum');
    await page.locator('[data-seats-less]').click();
    assert.equal(await input.inputValue(), '3');

    await page.locator('[data-seats-submit]').click();
    const pay = page.locator('[data-pay] razorpay-checkout button');
    await pay.waitFor({ state: 'visible' });
    await pay.click();
    // One more seat for (nearly) the whole month: about ₹499, priced by the server.
    await page.locator('[data-razorpay-sandbox]').getByRole('button', { name: /^Pay ₹4\d\d/ }).click();
    await waitForText(page.locator('[data-notice]'), 'Payment confirmed');
    await page.waitForFunction(() => (document.querySelector('[data-seats-input]') as HTMLInputElement | null)?.value === '3');
    assert.equal(await page.locator('[data-payments] tr').count(), 2);
    // The history names the top-up for what it is, beside the plan's purchase.
    assert.match((await page.locator('[data-payments] tr').first().innerText()).replace(/\s+/g, ' '), /Team · 1 more seat\b/);
    assert.match((await page.locator('[data-payments] tr').nth(1).innerText()).replace(/\s+/g, ' '), /Team · Monthly/);
    assert.deepEqual(errors.all(), []);
  } finally {
    await context.close();
  }
});
