// The IDE webview page (VS Code–like CSP, hand-off mode): choosing Pro shows a link for the system
// browser and opens nothing itself; paying on that link elsewhere flips the webview by polling the
// server; the page reports no CSP violation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiGet, startHarness, until, waitForText, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

describe('IDE webview (hand-off)', () => {
  test('choose Pro → hand-off link, no popup; pay in the "system browser"; the webview flips by itself with zero CSP violations', async () => {
    const { context, page, errors } = await h.newPage();
    const system = await h.newPage(); // the system browser: another context, no shared storage
    try {
      let popups = 0;
      context.on('page', () => popups++);
      const cspEvents: unknown[] = [];
      await page.exposeFunction('__cspEvent', (detail: unknown) => cspEvents.push(detail));
      await page.addInitScript(() => {
        const w = window as unknown as { __openCalls: number; __cspEvent(d: unknown): void };
        w.__openCalls = 0;
        window.open = function () {
          w.__openCalls++;
          return null;
        };
        document.addEventListener('securitypolicyviolation', (e) => w.__cspEvent({ directive: e.effectiveDirective, blocked: e.blockedURI }), true);
      });

      const response = await page.goto(h.url('/demo/webview.html'));
      assert.ok(response && response.ok(), 'the webview page loads');
      const csp = response.headers()['content-security-policy'] ?? '';
      assert.match(csp, /(^|;\s*)default-src 'none'/);
      assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]+'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);

      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      const gate = page.locator('paywall-gate');
      const meterPlan = page.locator('usage-meter [part="plan-name"]');
      await waitForText(meterPlan, /^Free$/);
      const choosePro = gate.locator('[part~="paywall"] plan-picker button[part~="cta"][data-plan="pro"]');
      await waitForText(choosePro, 'Choose Pro');
      const unlocked = gate.getByRole('heading', { name: 'Export is unlocked' });
      assert.equal(await unlocked.isVisible(), false, 'export is locked on Free');

      const checkoutIds: string[] = [];
      page.on('response', async (r) => {
        if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/v1/checkout') {
          const body = (await r.json().catch(() => ({}))) as { checkout_id?: string; action?: { type?: string } };
          if (body.checkout_id && body.action?.type === 'handoff') checkoutIds.push(body.checkout_id);
        }
      });

      await choosePro.click();
      const handoffView = gate.locator('plan-picker [part~="handoff"]');
      await waitForText(handoffView, 'Continue in your browser');
      await waitForText(gate.locator('plan-picker [part="status"]'), 'Waiting for the payment to finish…');
      const hostLink = page.locator('[data-testid="handoff-url"]');
      assert.equal(await hostLink.isVisible(), false, 'the extension host shows nothing until asked');

      await handoffView.locator('[part~="handoff-button"]').click();
      await hostLink.waitFor({ state: 'visible' });
      const url = (await hostLink.getAttribute('href')) ?? '';
      assert.equal((await hostLink.textContent())?.trim(), url);
      assert.equal(checkoutIds.length, 1);
      assert.match(url, new RegExp(`^${h.server.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/pay/${checkoutIds[0]}#token=[\\w.-]+$`));
      // The element's own copy of the link, to select and copy by hand.
      assert.equal(await handoffView.locator('input[part~="handoff-url"]').inputValue(), url);

      // Nothing tried to open a window.
      assert.equal(await page.evaluate(() => (window as unknown as { __openCalls: number }).__openCalls), 0, 'window.open was never called');
      assert.equal(popups, 0, 'no popup page');
      assert.equal(context.pages().length, 1);

      // The system browser opens the link and pays.
      const pay = system.page;
      await pay.goto(url);
      assert.equal(new URL(pay.url()).hash, '', 'the pay page removes the token from the address bar');
      await waitForText(pay.locator('[data-plan]'), /^Pro$/);
      await waitForText(pay.locator('[data-interval]'), /^Monthly$/);
      await waitForText(pay.locator('[data-amount]'), /^₹1,599$/);
      await pay.locator('razorpay-checkout').getByRole('button', { name: 'Pay now' }).click();
      const modal = pay.locator('[data-razorpay-sandbox]');
      await modal.getByRole('button', { name: /^Pay ₹1,599/ }).click();
      await pay.locator('[data-outcome-success]').waitFor({ state: 'visible' });
      await waitForText(pay.locator('[data-outcome-success]'), 'Payment confirmed.');
      assert.equal(await pay.locator('[data-outcome-error]').isHidden(), true);
      assert.deepEqual(system.errors.all(), []);

      // The webview learns it from the server (its status poll), without a reload.
      const checkout = await apiGet<{ status: string; plan: string }>(page, `/v1/checkout/${checkoutIds[0]}`);
      assert.equal(checkout.status, 'paid');
      await unlocked.waitFor({ state: 'visible', timeout: 20_000 });
      await waitForText(meterPlan, /^Pro$/);
      await waitForText(page.locator('[data-paid]'), /^Payment confirmed by the server: you are on pro now\./i);
      assert.equal(await page.locator('[data-extension-host]').isHidden(), true, 'the hand-off panel closes');
      assert.equal((await apiGet<{ plan: string }>(page, '/v1/subscription')).plan, 'pro');

      // Zero CSP violations, by the page's own report and by our listener; no popup, no window.open.
      assert.deepEqual(await page.evaluate(() => (window as unknown as { __cspViolations: unknown[] }).__cspViolations), []);
      assert.deepEqual(cspEvents, []);
      await waitForText(page.locator('[data-csp-count]'), /^0 violations$/);
      assert.equal(await page.evaluate(() => (window as unknown as { __openCalls: number }).__openCalls), 0);
      assert.equal(popups, 0);
      assert.deepEqual(errors.all(), []);
    } finally {
      await system.context.close();
      await context.close();
    }
  });

  test('a fresh webview load reports zero CSP violations and a nonce that changes per request', async () => {
    const { context, page, errors } = await h.newPage();
    try {
      const first = await page.goto(h.url('/demo/webview.html'));
      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      await waitForText(page.locator('usage-meter [part="plan-name"]'), /^Free$/);
      await page.locator('paywall-gate plan-picker button[data-plan="pro"]').waitFor({ state: 'visible' });
      const second = await page.request.get('/demo/webview.html');
      const nonceOf = (csp: string | undefined) => /'nonce-([^']+)'/.exec(csp ?? '')?.[1];
      const a = nonceOf(first?.headers()['content-security-policy']);
      const b = nonceOf(second.headers()['content-security-policy']);
      assert.ok(a && b && a !== b, 'a fresh nonce per response');
      // The nonce in the header is the one on the page's scripts.
      assert.equal(await page.evaluate(() => (document.querySelector('script[src="/tollgate.js"]') as HTMLScriptElement).nonce), a);
      await until(async () => (await page.evaluate(() => document.fonts.status)) === 'loaded', { what: 'fonts' });
      assert.deepEqual(await page.evaluate(() => (window as unknown as { __cspViolations: unknown[] }).__cspViolations), []);
      assert.deepEqual(errors.all(), []);

      // Control: the recorder does catch what the policy refuses (an inline script without the nonce).
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__ran = true';
        document.head.append(script);
      });
      await page.waitForFunction(() => (window as unknown as { __cspViolations: unknown[] }).__cspViolations.length === 1);
      assert.equal(await page.evaluate(() => (window as unknown as { __ran?: boolean }).__ran), undefined, 'the inline script did not run');
      await waitForText(page.locator('[data-csp-count]'), /^1 violation$/);
    } finally {
      await context.close();
    }
  });
});

describe('the server answers what the HTTP parser refuses in the envelope too', () => {
  test('headers over 16 KB → 431 payload_too_large; malformed HTTP → 400 validation_error; both JSON', async () => {
    const { connect } = await import('node:net');
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const { hostname, port } = new URL(h.server.url);
        const socket = connect(Number(port), hostname, () => socket.write(request));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    const parse = (answer: string) => {
      const [head, body] = answer.split('\r\n\r\n');
      return { status: Number(head!.split(' ')[1]), type: /content-type: (.*)/i.exec(head!)?.[1], body: JSON.parse(body!) };
    };
    const big = parse(await raw(`GET /v1/plans HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`));
    assert.equal(big.status, 431);
    assert.equal(big.type, 'application/json');
    assert.equal(big.body.error.code, 'payload_too_large');
    assert.match(big.body.error.request_id, /^req_/);
    const bad = parse(await raw('NOT HTTP\r\n\r\n'));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'validation_error');
    // The server is still up.
    assert.equal((await fetch(`${h.server.url}/healthz`)).status, 200);
  });
});
