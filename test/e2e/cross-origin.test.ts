// The README's script-tag recipe on a partner page served from another origin than the Tollgate server
// (a second local HTTP server, `localhost` vs the server's `127.0.0.1`, another port): the elements,
// the sandbox Razorpay modal and the sandbox Stripe pages all work cross-origin, to the plan upgraded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { freePort, startHarness, waitForText, type Harness } from './harness.js';

/** The sandbox's default partner API key (server/config.ts): the partner backend mints sessions with it. */
const SANDBOX_API_KEY = 'tg_sandbox_api_key';

/** The README's recipe ("Script tag on a partner site"), with `https://billing.partner.com` → the server's URL. */
function recipePage(serverUrl: string, elements: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>Partner app</title>
<script type="module" src="${serverUrl}/tollgate.js"></script>
<script type="module">
  import { configure } from '${serverUrl}/tollgate.js';
  // The token comes from your backend: POST /v1/sessions with your API key.
  const { token } = await fetch('/my-backend/tollgate-session', { method: 'POST' }).then((r) => r.json());
  configure({ session: token });
  document.body.dataset.session = 'ready';
</script>
</head>
<body>
<main>
${elements}
</main>
</body>
</html>`;
}

const PAGES: Record<string, string> = {
  '/': `<plan-picker>
  <h2 slot="header">Pricing</h2>
</plan-picker>
<usage-meter></usage-meter>
<paywall-gate feature="export">
  <button>Export PDF</button>
</paywall-gate>`,
  // In dollars the same plans are charged through Stripe (the hosted page).
  '/usd': `<plan-picker currency="USD">
  <h2 slot="header">Pricing</h2>
</plan-picker>
<usage-meter></usage-meter>`,
  // Stripe's embedded page: in sandbox, the server's simulated form in an iframe.
  '/embedded': `<stripe-checkout plan="pro"></stripe-checkout>
<usage-meter></usage-meter>`,
};

interface PartnerSite {
  origin: string;
  close(): Promise<void>;
}

/**
 * The partner's own site and backend on another origin: the pages above, and `POST /my-backend/tollgate-session`,
 * which asks the Tollgate server for a customer session (`POST /v1/sessions` with the API key) for the
 * customer of this browser (a cookie of the partner site).
 */
async function startPartnerSite(serverUrl: string): Promise<PartnerSite> {
  const port = await freePort();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://partner.invalid');
    const cookie = /(?:^|;\s*)customer=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (req.method === 'POST' && url.pathname === '/my-backend/tollgate-session') {
      const customerId = cookie ?? `xo_${randomUUID().slice(0, 12)}`;
      const minted = await fetch(`${serverUrl}/v1/sessions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${SANDBOX_API_KEY}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
        body: JSON.stringify({ customer_id: customerId, email: `${customerId}@partner.example` }),
      });
      res.writeHead(minted.status, { 'Content-Type': 'application/json', 'Set-Cookie': `customer=${customerId}; Path=/; SameSite=Lax` });
      res.end(await minted.text());
      return;
    }
    const elements = req.method === 'GET' ? PAGES[url.pathname] : undefined;
    if (elements === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(recipePage(serverUrl, elements));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    // `localhost`, not 127.0.0.1: another host as well as another port.
    origin: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let h: Harness;
let partner: PartnerSite;

before(async () => {
  h = await startHarness();
  partner = await startPartnerSite(h.server.url);
});

after(async () => {
  await partner?.close();
  await h?.close();
});

/** The page's requests to the Tollgate server that failed (a CORS refusal is one), and the paths it POSTed to. */
function watchServer(page: Page) {
  const failed: string[] = [];
  const posts: string[] = [];
  page.on('requestfailed', (request) => {
    if (request.url().startsWith(h.server.url)) failed.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on('request', (request) => {
    if (request.url().startsWith(h.server.url) && request.method() === 'POST') posts.push(new URL(request.url()).pathname);
  });
  return { failed, posts };
}

/** The plan from the server, for the customer of this partner session (the partner backend mints a token). */
async function serverPlan(page: Page): Promise<string> {
  const { token } = (await (await page.request.post(`${partner.origin}/my-backend/tollgate-session`)).json()) as { token: string };
  const response = await page.request.get(`${h.server.url}/v1/subscription`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status(), 200, await response.text());
  return ((await response.json()) as { plan: string }).plan;
}

async function openPartner(page: Page, path: string) {
  await page.goto(partner.origin + path);
  assert.notEqual(new URL(page.url()).origin, new URL(h.server.url).origin, 'the partner page is on another origin');
  await page.locator('body[data-session="ready"]').waitFor({ state: 'attached' });
  const meterPlan = page.locator('main > usage-meter [part="plan-name"]');
  await waitForText(meterPlan, /^Free$/);
  return { meterPlan };
}

describe('the script-tag recipe on another origin (sandbox)', () => {
  test('Razorpay: choose Pro, Pay in the sandbox modal → Pro, in the meter and the gate', async () => {
    const { context, page, errors } = await h.newPage({ baseURL: partner.origin });
    try {
      const server = watchServer(page);
      const { meterPlan } = await openPartner(page, '/');
      const choosePro = page.locator('main > plan-picker button[part~="cta"][data-plan="pro"]');
      await waitForText(choosePro, 'Choose Pro');
      await choosePro.click();
      const modal = page.locator('[data-razorpay-sandbox]');
      const pay = modal.getByRole('button', { name: /^Pay ₹/ });
      await pay.click();
      // Before the fix: the modal's POST /sandbox/razorpay/pay was refused (preflight 404): "Network error. Try again."
      await Promise.race([
        modal.waitFor({ state: 'detached' }),
        waitForText(modal.locator('[role="alert"]'), /./).then((text) => assert.fail(`the modal said: ${text}`)),
      ]);
      await waitForText(page.locator('main > plan-picker [part="status"]'), /^Payment confirmed\./);
      await waitForText(meterPlan, /^Pro$/);
      await page.locator('paywall-gate').getByRole('button', { name: 'Export PDF' }).waitFor({ state: 'visible' });
      assert.equal(await serverPlan(page), 'pro');
      assert.ok(server.posts.includes('/sandbox/razorpay/pay'), `the modal paid through the server: ${server.posts.join(', ')}`);
      assert.deepEqual(server.failed, []);
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('Stripe hosted page: choose Pro in dollars, Pay on the sandbox page, back on the partner origin → Pro', async () => {
    const { context, page, errors } = await h.newPage({ baseURL: partner.origin });
    try {
      const server = watchServer(page);
      await openPartner(page, '/usd');
      const choosePro = page.locator('main > plan-picker button[part~="cta"][data-plan="pro"]');
      await waitForText(page.locator('main > plan-picker [data-plan="pro"][role="radio"] [part="price"]'), /^\$19/);
      await choosePro.click();
      await page.waitForURL((url) => url.href.startsWith(`${h.server.url}/sandbox/stripe/checkout/cs_`));
      await page.getByRole('button', { name: 'Pay' }).click();
      await page.waitForURL((url) => url.origin === partner.origin && url.pathname === '/usd');
      await waitForText(page.locator('main > plan-picker [part="status"]'), /^Payment confirmed\./);
      await waitForText(page.locator('main > usage-meter [part="plan-name"]'), /^Pro$/);
      assert.equal(await serverPlan(page), 'pro');
      assert.deepEqual(server.failed, []);
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });

  test('Stripe embedded page: <stripe-checkout> mounts the sandbox form, Pay → Pro', async () => {
    const { context, page, errors } = await h.newPage({ baseURL: partner.origin });
    try {
      const server = watchServer(page);
      const { meterPlan } = await openPartner(page, '/embedded');
      await page.locator('stripe-checkout').getByRole('button').click();
      const form = page.frameLocator('stripe-checkout iframe');
      await form.getByRole('button', { name: 'Pay' }).click();
      // The form posts its outcome to the partner page's origin; the element confirms it with the server.
      await waitForText(page.locator('stripe-checkout [part="status"]'), /^Payment confirmed\./);
      await waitForText(meterPlan, /^Pro$/);
      assert.equal(await serverPlan(page), 'pro');
      assert.ok(server.posts.some((path) => /^\/sandbox\/stripe\/embedded\/cs_\w+\/pay$/.test(path)), `the form paid through the server: ${server.posts.join(', ')}`);
      assert.deepEqual(server.failed, []);
      assert.deepEqual(errors.all(), []);
    } finally {
      await context.close();
    }
  });
});
