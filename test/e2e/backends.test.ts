// One e2e per billing backend through <plan-picker> on the partner page: Stripe's hosted page in
// sandbox (pay and cancel), then mintbot, MimicBot, Bonzai and Mintoken with the server configured from
// examples/<name>.json and pointed at the backend's fake, whose lifecycle sends the real webhooks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { apiGet, startHarness, until, waitForText, type Harness } from './harness.js';
import { demoCustomer, exampleConfig, harnessFor, launchBrowser, openPartner, startConfiguredServer } from './backends.js';
import { startMintbotFake } from '../fakes/mintbot.js';
import { startMimicbotFake } from '../fakes/mimicbot.js';
import { startBonzaiFake } from '../fakes/bonzai.js';
import { startMintokenFake } from '../fakes/mintoken.js';

interface Subscription {
  plan: string;
  planName: string;
  status: string;
}
interface CheckoutState {
  checkout_id: string;
  status: string;
  plan: string;
  provider: string;
  fulfillment: { status: string; panel_url: string | null } | null;
}

/** Click and return the server's answer to the `POST /v1/checkout` it starts (read in passing: the page navigates away at once). */
async function chooseAndCreate(page: Page, button: Locator): Promise<{ checkout_id: string; action: { type: string; url?: string } }> {
  let answer: { status: number; body: string } | undefined;
  const isCreate = (url: URL) => url.pathname === '/v1/checkout';
  await page.route(isCreate, async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    const response = await route.fetch();
    answer = { status: response.status(), body: await response.text() };
    await route.fulfill({ response });
  });
  try {
    await button.click();
    await until(async () => answer, { what: 'POST /v1/checkout' });
  } finally {
    await page.unroute(isCreate);
  }
  assert.equal(answer!.status, 201, answer!.body);
  return JSON.parse(answer!.body) as { checkout_id: string; action: { type: string; url?: string } };
}

/** Errors on our own pages (the fakes' stand-in checkout pages have no favicon, and that is theirs). */
function ownErrors(errors: { all(): string[] }, origin: string): string[] {
  return errors.all().filter((line) => line.startsWith(origin));
}

async function noReturnParam(page: Page): Promise<void> {
  await until(async () => !new URL(page.url()).searchParams.has('tollgate_checkout'), { what: 'tollgate_checkout to leave the address bar' });
}

describe('Stripe hosted page (sandbox)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  async function openInUsd(page: Page) {
    const u = await openPartner(h, page, 'pro');
    // The demo page shows rupees (Razorpay); in dollars the same plans are charged through Stripe.
    await page.evaluate(() => document.querySelector('#pricing plan-picker')!.setAttribute('currency', 'USD'));
    await waitForText(u.picker.locator('[data-plan="pro"][role="radio"] [part="price"]'), /^\$19/);
    return u;
  }

  test('choose Pro → simulated hosted page → Pay → back on the partner page: paid, the meter shows Pro', async () => {
    const { page, errors } = await h.newPage();
    const u = await openInUsd(page);
    const { action } = await chooseAndCreate(page, u.choose('pro'));
    assert.equal(action.type, 'redirect');
    await page.waitForURL(/\/sandbox\/stripe\/checkout\/cs_/);
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(/\/demo\/partner\.html/);
    await waitForText(u.pickerStatus, 'Payment confirmed. You are now on Pro.', 15_000);
    await waitForText(u.meterPlan, /^Pro$/);
    await waitForText(u.currentBadge('pro'), 'Current plan');
    await noReturnParam(page);
    const sub = await apiGet<Subscription>(page, '/v1/subscription');
    assert.equal(sub.plan, 'pro');
    assert.deepEqual(errors.all(), []);
  });

  test('Cancel on the hosted page: back on the partner page, canceled, still Free', async () => {
    const { page, errors } = await h.newPage();
    const u = await openInUsd(page);
    const { checkout_id } = await chooseAndCreate(page, u.choose('pro'));
    await page.waitForURL(/\/sandbox\/stripe\/checkout\/cs_/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL(/\/demo\/partner\.html/);
    await waitForText(u.pickerStatus, 'Payment canceled. You have not been charged.');
    await noReturnParam(page);
    assert.doesNotMatch(page.url(), /tollgate_canceled/);
    assert.equal(await u.choose('pro').isEnabled(), true);
    await waitForText(u.meterPlan, /^Free$/);
    assert.equal((await apiGet<Subscription>(page, '/v1/subscription')).plan, 'free');
    assert.notEqual((await apiGet<CheckoutState>(page, `/v1/checkout/${checkout_id}`)).status, 'paid');
    assert.deepEqual(errors.all(), []);
  });
});

describe('seed backends against their fakes', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('mintbot: choose Agent → mintbot checkout → paid, provisioning, ready with the panel link; the meter shows Agent', async () => {
    const apiKey = 'mo_test_' + 'e2e'.repeat(11).slice(0, 32);
    const webhookSecret = 'mintbot_whsec_e2e';
    const fake = await startMintbotFake({ apiKey, webhookSecret });
    const server = await startConfiguredServer(exampleConfig('mintbot'), {
      MINTBOT_API_KEY: apiKey,
      MINTBOT_WEBHOOK_SECRET: webhookSecret,
      MINTBOT_API_BASE: fake.apiBaseUrl,
    }).catch(async (error) => (await fake.close(), Promise.reject(error)));
    const h = harnessFor(server, browser);
    try {
      const { page, errors } = await h.newPage();
      const u = await openPartner(h, page, 'agent');
      const { checkout_id } = await chooseAndCreate(page, u.choose('agent'));
      await page.waitForURL((url) => url.href.startsWith(fake.url + '/c/pay/'));
      const order = [...fake.state.orders.values()].find((o) => o.external_id === checkout_id);
      assert.ok(order, 'mintbot has the order for our checkout');
      assert.equal(order.tier, 's1');
      // mintbot's Stripe took the money: signed webhooks reach the server before the customer is back.
      assert.equal((await fake.control.pay(order.id))?.status, 200);
      assert.equal((await fake.control.provision(order.id))?.status, 200);
      await page.locator('#success').click(); // the fake checkout page's link to success_url ({ORDER_ID} filled in)
      await page.waitForURL(/\/demo\/partner\.html/);
      await waitForText(u.pickerStatus, 'Payment confirmed. You are now on Agent.', 15_000);
      await waitForText(u.meterPlan, /^Agent$/);
      await noReturnParam(page);
      assert.doesNotMatch(page.url(), /mintbot_order/);
      const provisioning = await apiGet<CheckoutState>(page, `/v1/checkout/${checkout_id}`);
      assert.equal(provisioning.status, 'paid');
      assert.equal(provisioning.fulfillment?.status, 'provisioning');
      const panel = 'https://panel.mintbot.test/agents/e2e';
      assert.equal((await fake.control.ready(order.id, panel, new Date(Date.now() + 30 * 86_400_000)))?.status, 200);
      const ready = await apiGet<CheckoutState>(page, `/v1/checkout/${checkout_id}`);
      assert.deepEqual([ready.fulfillment?.status, ready.fulfillment?.panel_url], ['ready', panel]);
      assert.equal((await apiGet<Subscription>(page, '/v1/subscription')).plan, 'agent');
      assert.deepEqual(ownErrors(errors, server.url), []);
    } finally {
      await h.close();
      await fake.close();
    }
  });

  test('MimicBot: choose Pro → MimicBot checkout → back without our id (sessionStorage) → paid, the meter shows Pro', async () => {
    const fake = await startMimicbotFake({ tokens: { mb_e2e: 'agency_e2e' } });
    const config = exampleConfig('mimicbot');
    config.providers = { razorpay: {}, mimicbot: {} }; // one shared upstream token from the environment
    const server = await startConfiguredServer(config, { MIMICBOT_TOKEN: 'mb_e2e', MIMICBOT_API_BASE: fake.url }).catch(async (error) => (await fake.close(), Promise.reject(error)));
    const h = harnessFor(server, browser);
    try {
      const { page, errors } = await h.newPage();
      const u = await openPartner(h, page, 'pro');
      const { checkout_id } = await chooseAndCreate(page, u.choose('pro'));
      await page.waitForURL((url) => url.href.startsWith(fake.url + '/c/pay/'));
      const record = fake.state.checkouts.at(-1)!;
      assert.equal(record.plan, 'pro');
      assert.equal(record.successUrl, `${server.url}/settings/billing?success=1`);
      fake.control.completeCheckout('mb_e2e', 'pro'); // MimicBot's own Stripe webhook
      // MimicBot sends the customer to /settings/billing?success=1 on the page's origin: on a partner site
      // that is the billing page with the element; here it is the partner demo page.
      await page.goto(h.url('/demo/partner.html?success=1'));
      await waitForText(u.pickerStatus, 'Payment confirmed. You are now on Pro.', 15_000);
      await waitForText(u.meterPlan, /^Pro$/);
      assert.equal((await apiGet<CheckoutState>(page, `/v1/checkout/${checkout_id}`)).status, 'paid');
      assert.equal((await apiGet<Subscription>(page, '/v1/subscription')).plan, 'pro');
      assert.equal(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('tollgate:')).length), 0);
      assert.deepEqual(ownErrors(errors, server.url), []);
    } finally {
      await h.close();
      await fake.close();
    }
  });

  test('Bonzai: choose Member → Bonzai checkout → paid upstream → back: has_access, the meter shows Member', async () => {
    const apiToken = 'bonzai_e2e_token';
    const fake = await startBonzaiFake({ apiToken });
    const server = await startConfiguredServer(exampleConfig('bonzai'), { BONZAI_API_TOKEN: apiToken, BONZAI_API_BASE: fake.apiBaseUrl }).catch(
      async (error) => (await fake.close(), Promise.reject(error)),
    );
    const h = harnessFor(server, browser);
    try {
      const { page, errors } = await h.newPage();
      const u = await openPartner(h, page, 'member');
      const { checkout_id } = await chooseAndCreate(page, u.choose('member'));
      await page.waitForURL((url) => url.href.startsWith(fake.url + '/manage/'));
      const order = [...fake.state.orders.values()].at(-1)!;
      assert.equal((order.metadata as Record<string, unknown>).tollgate_checkout_id, checkout_id);
      fake.control.pay(order.id);
      assert.ok(order.redirect_url, 'Bonzai knows where to send the customer back');
      await page.goto(order.redirect_url);
      await waitForText(u.pickerStatus, 'Payment confirmed. You are now on Member.', 15_000);
      await waitForText(u.meterPlan, /^Member$/);
      await noReturnParam(page);
      assert.equal((await apiGet<CheckoutState>(page, `/v1/checkout/${checkout_id}`)).status, 'paid');
      assert.equal((await apiGet<{ plan: string; has_access: boolean }>(page, '/v1/entitlements')).plan, 'member');
      assert.deepEqual(ownErrors(errors, server.url), []);
    } finally {
      await h.close();
      await fake.close();
    }
  });

  test('Mintoken: the Supabase JWT as the session, choose Pro → Razorpay (signed by the fake) → verify forwarded → the meter shows Pro', async () => {
    const jwtSecret = 'supabase-jwt-secret-for-e2e-0123456789abcdef';
    const fake = await startMintokenFake({ supabaseJwtSecret: jwtSecret });
    const server = await startConfiguredServer(exampleConfig('mintoken'), { MINTOKEN_API_BASE: fake.url, SUPABASE_JWT_SECRET: jwtSecret }).catch(
      async (error) => (await fake.close(), Promise.reject(error)),
    );
    const h = harnessFor(server, browser);
    try {
      const { page, errors } = await h.newPage();
      // Razorpay's real checkout.js cannot load here: a stand-in whose open() "pays" with a signature
      // made by the fake's Razorpay secret (the one Mintoken verifies against).
      let paymentId = '';
      await page.exposeFunction('__e2eSignPayment', (orderId: string) => {
        paymentId = `pay_e2e${Date.now()}`;
        return { payment_id: paymentId, signature: fake.control.signPayment(orderId, paymentId) };
      });
      await page.route('https://checkout.razorpay.com/v1/checkout.js', (route) =>
        route.fulfill({
          contentType: 'application/javascript',
          body: `window.Razorpay = class {
            constructor(options) { this.options = options; window.__e2eRazorpayOptions = options; }
            on() {}
            async open() {
              const paid = await window.__e2eSignPayment(this.options.order_id);
              this.options.handler({ razorpay_order_id: this.options.order_id, razorpay_payment_id: paid.payment_id, razorpay_signature: paid.signature });
            }
          };`,
        }),
      );
      const u = await openPartner(h, page, 'pro');
      const sub = 'user-e2e-' + (await demoCustomer(page));
      const jwt = await fake.control.issueJwt(sub, { email: 'e2e@acme.example' });
      await page.evaluate(async (token) => ((await import('/tollgate.js' as string)) as { configure(c: { session: string }): void }).configure({ session: token }), jwt);
      await waitForText(u.meterPlan, /^Free$/);
      await u.choose('pro').click();
      await waitForText(u.pickerStatus, 'Payment confirmed. You are now on Pro.', 15_000);
      await waitForText(u.meterPlan, /^Pro$/);
      const options = await page.evaluate(() => (window as unknown as { __e2eRazorpayOptions: { key: string; amount: number; currency: string } }).__e2eRazorpayOptions);
      assert.deepEqual([options.key, options.amount, options.currency], ['rzp_test_tollgate', 159900, 'INR']);
      assert.equal(fake.state.profiles.get(sub)?.plan, 'pro', 'Mintoken upgraded its own profile');
      assert.equal((await apiGet<Subscription>(page, '/v1/subscription', jwt)).plan, 'pro');
      assert.ok(paymentId);
      assert.deepEqual(ownErrors(errors, server.url), []);
    } finally {
      await h.close();
      await fake.close();
    }
  });
});
