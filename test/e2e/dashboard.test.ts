// The white-label dashboard (themed, en-IN / hi switch) and the hand-off pay page's error states.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { issueSessionToken } from '../../server/security/tokens.js';
import { sessionOf, startHarness, waitForText, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

function ui(page: Page) {
  const picker = page.locator('#plans plan-picker');
  return {
    heading: page.locator('main h1'),
    select: page.locator('select[data-locale]'),
    picker,
    proPrice: picker.locator('[role="radio"][data-plan="pro"] [part~="price"]'),
    teamPrice: picker.locator('[role="radio"][data-plan="team"] [part~="price"]'),
    choosePro: picker.locator('button[part~="cta"][data-plan="pro"]'),
    popular: picker.locator('[data-plan="pro"] [part~="badge-popular"]'),
    intervals: picker.locator('[part="interval-switch"] button'),
    meterPlan: page.locator('usage-meter [part="plan-name"]'),
    meterStatus: page.locator('usage-meter [part="plan-status"]'),
    meterUpgrade: page.locator('usage-meter button[part~="upgrade"]'),
    meterBase: page.locator('usage-meter [part="base"]'),
    paywallTitle: page.locator('paywall-gate [slot="paywall"] h2'),
    sessionStatus: page.locator('[data-session-status]'),
  };
}

/** The text of every element's shadow root, for "no English left" checks. */
function shadowText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const texts: string[] = [];
    for (const el of document.querySelectorAll('plan-picker, usage-meter, paywall-gate')) {
      if (el.shadowRoot) texts.push(el.shadowRoot.textContent ?? '');
    }
    return texts.join(' ').replace(/\s+/g, ' ');
  });
}

describe('white-label dashboard', () => {
  test('renders themed in en-IN with Indian rupee prices', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      await page.goto(h.url('/demo/dashboard.html'));
      const u = ui(page);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en-IN');
      await waitForText(u.heading, /^Billing$/);
      await waitForText(u.sessionStatus, 'Signed in (sandbox)');
      await waitForText(u.meterPlan, /^Free$/);
      await waitForText(u.meterStatus, /^Active$/);
      await waitForText(u.proPrice, /^₹1,599 \/month$/);
      await waitForText(u.teamPrice, /^₹3,999 \/month$/);
      await waitForText(u.choosePro, 'Choose Pro');
      await waitForText(u.popular, 'Most popular');
      await waitForText(u.paywallTitle, 'Scheduled reports are a Pro feature');
      assert.equal(await page.getByRole('heading', { name: 'Scheduled reports', exact: true }).isVisible(), false, 'gated content hidden on Free');

      // Yearly prices, with the saving.
      await u.intervals.filter({ hasText: 'Yearly' }).click();
      await waitForText(u.proPrice, /^₹15,990 \/year$/);
      await waitForText(u.picker.locator('[data-plan="pro"][role="radio"] .saving'), /^Save 17%$/);

      // The brand reaches inside: custom properties and ::part.
      const cta = await u.choosePro.evaluate((b) => {
        const s = getComputedStyle(b);
        return { bg: s.backgroundColor, color: s.color, transform: s.textTransform, radius: s.borderTopLeftRadius };
      });
      assert.equal(cta.bg, 'rgb(45, 212, 191)', 'CTA in Lumen teal (--tollgate-accent)');
      assert.equal(cta.color, 'rgb(4, 47, 46)');
      assert.equal(cta.transform, 'uppercase', 'plan-picker::part(cta)');
      assert.equal(await u.meterPlan.evaluate((el) => getComputedStyle(el).color), 'rgb(45, 212, 191)', 'usage-meter::part(plan-name)');
      assert.equal(await u.meterBase.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(17, 32, 31)', '--tollgate-surface');
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('switching to Hindi re-renders the elements in Hindi with ₹ amounts in Indian format, and it sticks', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      await page.goto(h.url('/demo/dashboard.html'));
      const u = ui(page);
      await waitForText(u.sessionStatus, 'Signed in (sandbox)');
      await waitForText(u.proPrice, /^₹1,599 \/month$/);
      await waitForText(u.meterPlan, /^Free$/);

      await u.select.selectOption('hi');
      assert.equal(await page.locator('html').getAttribute('lang'), 'hi');
      // Lumen's own copy…
      await waitForText(u.heading, /^बिलिंग$/);
      await waitForText(u.paywallTitle, 'निर्धारित रिपोर्ट Pro सुविधा है');
      await waitForText(page.locator('[data-session-status]'), /^साइन इन \(सैंडबॉक्स\)$/);
      // …and the elements' strings (src/i18n/hi.ts), without a reload.
      await waitForText(u.choosePro, /^Pro चुनें$/);
      await waitForText(u.popular, /^सबसे लोकप्रिय$/);
      await waitForText(u.proPrice, /^₹1,599 \/माह$/);
      await waitForText(u.teamPrice, /^₹3,999 \/माह$/);
      await waitForText(u.meterStatus, /^सक्रिय$/);
      await waitForText(u.meterUpgrade, /^अपग्रेड करें$/);
      await waitForText(u.intervals.first(), /^मासिक$/);
      await page.locator('usage-meter').getByText('1,000 में से 0').waitFor();
      const text = await shadowText(page);
      // …and the catalog's text, which the server sends in Hindi (the default catalog's translations).
      await u.picker.getByText('CSV और PDF एक्सपोर्ट').first().waitFor();
      await page.locator('usage-meter').getByText('संदेश').first().waitFor();
      for (const english of ['Choose Pro', 'Most popular', '/month', 'Upgrade', 'Active', 'Monthly', 'CSV and PDF export', 'For professionals', 'Messages']) {
        assert.ok(!text.includes(english), `no English "${english}" left in the elements: ${text}`);
      }

      await u.intervals.nth(1).click();
      await waitForText(u.proPrice, /^₹15,990 \/वर्ष$/);
      await waitForText(u.picker.locator('[data-plan="pro"][role="radio"] .saving'), /^17% बचाएँ$/);

      // Indian digit grouping (lakh, crore) beyond the catalog's prices: the same picker with bigger amounts.
      // (Built here and passed in: functions declared inside evaluate() get esbuild's __name helper.)
      const plan = (id: string, name: string, amount: number) => ({
        id,
        name,
        description: '',
        features: [],
        feature_ids: [],
        limits: { messages: 1250000 },
        popular: false,
        trial_days: 0,
        orderable: true,
        prices: [],
        charge: [{ provider: 'razorpay', currency: 'INR', amount, interval: 'year' }],
      });
      const catalog = { plans: [plan('big', 'Enterprise', 11998800), plan('huge', 'Galaxy', 1234567890)], metrics: [{ id: 'messages', label: 'संदेश' }] };
      await u.picker.evaluate((el, plans) => {
        (el as unknown as { plans: unknown }).plans = plans;
      }, catalog);
      await waitForText(u.picker.locator('[data-plan="big"][role="radio"] [part~="price"]'), /^₹1,19,988 \/वर्ष$/);
      await waitForText(u.picker.locator('[data-plan="huge"][role="radio"] [part~="price"]'), /^₹1,23,45,678\.90 \/वर्ष$/);
      await u.picker.getByText('12,50,000 संदेश').first().waitFor();

      // The choice is remembered: a reload comes back in Hindi.
      await page.reload();
      await waitForText(u.heading, /^बिलिंग$/);
      assert.equal(await u.select.inputValue(), 'hi');
      await waitForText(u.choosePro, /^Pro चुनें$/);
      await waitForText(page.locator('[data-session-status]'), /^साइन इन \(सैंडबॉक्स\)$/); // set after the session arrives, translated too
      await waitForText(u.proPrice, /^₹1,599 \/माह$/);

      // And back to English (India).
      await u.select.selectOption('en-IN');
      await waitForText(u.heading, /^Billing$/);
      await waitForText(u.choosePro, /^Choose Pro$/);
      await waitForText(u.meterStatus, /^Active$/);
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });
});

describe('hand-off pay page errors', () => {
  /** A real hand-off checkout for a fresh customer: its id and its pay link. */
  async function handoffCheckout(page: Page): Promise<{ id: string; url: string; customerId: string }> {
    await page.goto(h.url('/'));
    const customerId = `demo_e2e${Date.now().toString(36)}`;
    await page.evaluate((id) => localStorage.setItem('tollgate-demo-customer', id), customerId);
    const token = await sessionOf(page);
    const response = await page.request.post('/v1/checkout', {
      headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': crypto.randomUUID(), 'Content-Type': 'application/json' },
      data: { plan: 'pro', interval: 'month', mode: 'handoff' },
    });
    const body = (await response.json()) as { checkout_id: string; action: { type: string; url: string } };
    assert.equal(response.status(), 201, JSON.stringify(body));
    assert.equal(body.action.type, 'handoff');
    return { id: body.checkout_id, url: body.action.url, customerId };
  }

  test('a good link shows the order; a bad, an expired or a missing token shows a clear error', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const { id, url, customerId } = await handoffCheckout(page);
      const status = page.locator('[data-summary-status]');
      const error = page.locator('[data-outcome-error]');
      const payNow = page.locator('razorpay-checkout').getByRole('button', { name: 'Pay now' });
      // Each link opens as a new document (same path with another fragment would only scroll).
      const open = async (path: string) => {
        await page.goto('about:blank');
        await page.goto(h.url(path));
      };

      // Control: the link as the webview hands it out works.
      await open(url);
      await waitForText(page.locator('[data-plan]'), /^Pro$/);
      await waitForText(page.locator('[data-amount]'), /^₹1,599$/);
      await payNow.waitFor({ state: 'visible' });
      assert.equal(await status.isHidden(), true);

      // A token that is not a token.
      await open(`/pay/${id}#token=not-a-token`);
      await waitForText(status, /^We could not load this order: .*(malformed|not valid)/);
      assert.equal(await page.locator('[data-summary]').isHidden(), true, 'no order details');
      assert.equal(await page.locator('[data-outcome-success]').isHidden(), true);

      // An expired hand-off token for this very checkout (signed with the server's secret).
      const hourAgo = Math.floor(Date.now() / 1000) - 7200;
      const expired = await issueSessionToken(new TextEncoder().encode(h.server.sessionSecret), { customerId, checkoutScope: id }, 600, hourAgo);
      await open(`/pay/${id}#token=${expired.token}`);
      await waitForText(status, /^We could not load this order: .*expired/);
      assert.equal(await page.locator('[data-summary]').isHidden(), true);

      // A valid token for another checkout.
      const other = await issueSessionToken(new TextEncoder().encode(h.server.sessionSecret), { customerId, checkoutScope: 'chk_someoneelse' }, 600);
      await open(`/pay/${id}#token=${other.token}`);
      await waitForText(status, /^We could not load this order: .*another checkout/);

      // No token at all.
      await open(`/pay/${id}`);
      await waitForText(status, /^This payment link is incomplete\.$/);
      await waitForText(error, 'Open the payment again from your editor');
      assert.equal(await payNow.isVisible(), false, 'nothing to pay without a session');

      // A checkout id that does not exist (with a good token).
      const stranger = await issueSessionToken(new TextEncoder().encode(h.server.sessionSecret), { customerId }, 600);
      await open(`/pay/chk_doesnotexist#token=${stranger.token}`);
      await waitForText(status, /^We could not load this order: No such checkout/);

      // A malformed id is a plain 404, not a page.
      const notFound = await page.request.get('/pay/not-a-checkout');
      assert.equal(notFound.status(), 404);

      // Only the expected failed requests (401/403/404 answers) show up as console errors.
      for (const e of errors.all()) assert.match(e, /Failed to load resource: the server responded with a status of (401|403|404)/);
    } finally {
      await context.close();
    }
  });
});
