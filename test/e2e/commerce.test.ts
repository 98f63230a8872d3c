// A sandbox purchase with a promotion code and 3 seats on the partner page (examples/commerce.json: Team at ₹499 a
// seat, GST 18 % inclusive as CGST + SGST, LAUNCH20), then its receipt: the PDF's text says the quantity, unit
// price, discount, tax lines and total that <plan-picker> showed (en-IN) and that the Razorpay order was made for;
// <usage-meter receipts> lists it and links to its page, on the partner page and under the webview's strict CSP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Browser, Request } from 'playwright-core';
import { PDFParse } from 'pdf-parse';
import type { CheckoutPricing, CheckoutResponse, Entitlements } from '../../src/contract/index.js';
import type { ReceiptList } from '../../src/contract/receipts.js';
import { inclusiveTax } from '../../src/contract/tax.js';
import { apiGet, sessionOf, until, waitForText, type Harness, type ServerHandle } from './harness.js';
import { exampleConfig, harnessFor, launchBrowser, openPartner, startConfiguredServer } from './backends.js';

const LOCALE = 'en-IN';
/** "₹1,197.60" in a text → 119760 paise. */
const paiseOf = (shown: string): number => {
  const match = /₹\s?([\d,]+(?:\.\d{2})?)/.exec(shown);
  assert.ok(match, `an amount in ${JSON.stringify(shown)}`);
  return Math.round(Number(match[1].replace(/,/g, '')) * 100);
};

describe('a purchase with a code and 3 seats, and its receipt (sandbox, examples/commerce.json)', () => {
  let server: ServerHandle;
  let browser: Browser;
  let h: Harness;
  before(async () => {
    // Sandbox mode allows the server's own origin (the partner page) when no origins are listed.
    server = await startConfiguredServer({ ...exampleConfig('commerce'), allowed_origins: [] }, {});
    browser = await launchBrowser();
    h = harnessFor(server, browser);
  });
  after(async () => {
    await h?.close();
    await browser?.close();
  });

  test('3 Team seats with LAUNCH20, paid in the modal: the receipt PDF has the amounts the picker showed and the order was made for', async () => {
    const { page, errors } = await h.newPage();
    const isCheckout = (request: Request) => request.method() === 'POST' && new URL(request.url()).pathname === '/v1/checkout';
    let checkoutPosts = 0;
    page.on('request', (request) => void (isCheckout(request) && checkoutPosts++));
    const u = await openPartner(h, page, 'team');
    // What a partner page writes: the code field on, and the prices in Indian English.
    await u.picker.evaluate((el) => {
      el.setAttribute('locale', 'en-IN');
      el.setAttribute('promotion-codes', '');
    });
    const team = u.picker.locator('.card:has([role="radio"][data-plan="team"])');
    await team.locator('[role="radio"]').click();

    // The stepper, with the keyboard: 1 → 3, committed when the field is left.
    const seats = team.locator('input[part~="seats-input"]');
    await seats.focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Tab');
    assert.equal(await seats.inputValue(), '3');
    const seatsShown = await waitForText(team.locator('[part~="seats-total"]'), /^3 seats: ₹1,497 /);
    const unitShown = await waitForText(team.locator('[part="price"]'), /^₹499 /);

    // "Have a code?" → LAUNCH20 → Enter.
    await u.picker.getByRole('button', { name: 'Have a code?' }).click();
    const code = u.picker.getByLabel('Promotion code');
    await code.fill('LAUNCH20');
    await code.press('Enter');
    const result = u.picker.locator('[part~="promotion-result"]');
    const promoShown = await waitForText(result, /LAUNCH20 applied/);
    const was = paiseOf(await result.locator('s').innerText());
    const now = paiseOf(await result.locator('[part~="promotion-total"]').innerText());
    const taxShown = await result.locator('[part~="tax"]').innerText();
    await u.picker.screenshot({ path: '/tmp/commerce-picker.png' }); // to look at; the assertions are below

    // Pay in the sandbox modal.
    const answered = page.waitForResponse((response) => isCheckout(response.request()));
    await team.locator('button[part~="cta"][data-plan="team"]').click();
    const checkout = (await (await answered).json()) as CheckoutResponse;
    const modal = page.locator('[data-razorpay-sandbox]');
    const pay = modal.getByRole('button', { name: /^Pay ₹/ });
    const modalShown = (await pay.textContent()) ?? '';
    await pay.click();
    await waitForText(u.meterPlan, /^Team$/, 20_000);
    assert.equal(checkoutPosts, 1, 'one order');
    assert.equal(checkout.action.type, 'razorpay');
    const pricing = checkout.pricing as CheckoutPricing;

    // The receipt, through the customer API with the page's session, and its PDF through its link.
    const token = await sessionOf(page);
    const { receipts } = (await until(async () => {
      const list = await apiGet<ReceiptList>(page, `/v1/receipts?locale=${LOCALE}`, token);
      return list.receipts.length ? list : undefined;
    }, { what: 'the receipt' }))!;
    assert.equal(receipts.length, 1);
    const pdf = await page.request.get(receipts[0].links.pdf);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    writeFileSync('/tmp/commerce-receipt.pdf', await pdf.body()); // for a look with pdftoppm (not part of the test)
    const parser = new PDFParse({ data: new Uint8Array(await pdf.body()) });
    const text = (await parser.getText()).text;
    await parser.destroy();
    const pdfLine = (pattern: RegExp): RegExpExecArray => {
      const match = pattern.exec(text);
      assert.ok(match, `${pattern} in the PDF's text ${JSON.stringify(text)}`);
      return match;
    };

    // What the picker showed, in paise: 3 seats at ₹499 = ₹1,497, LAUNCH20 takes ₹299.40 off, ₹1,197.60 incl. ₹182.68 GST.
    const shown = {
      quantity: Number(await seats.inputValue()),
      unit: paiseOf(unitShown),
      subtotal: paiseOf(seatsShown),
      discount: was - now,
      tax: paiseOf(taxShown),
      total: now,
    };
    assert.match(taxShown, /^incl\. ₹[\d,.]+ GST$/);
    assert.match(promoShown, /Code LAUNCH20 applied: 20 % off/);
    assert.equal(was, shown.subtotal, 'the struck-through price is the seats total');
    assert.deepEqual(shown, { quantity: 3, unit: 49900, subtotal: 149700, discount: 29940, tax: inclusiveTax(119760, 18), total: 119760 });

    // The PDF's line: description, then the discount and the CGST + SGST halves, then quantity, unit price and amount.
    const [, qty, unit, amount] = pdfLine(/^(\d+) (₹[\d,.]+) (₹[\d,.]+)$/m);
    assert.deepEqual([Number(qty), paiseOf(unit), paiseOf(amount)], [shown.quantity, shown.unit, shown.total]);
    assert.equal(paiseOf(pdfLine(/^Discount: LAUNCH20 −(₹[\d,.]+)$/m)[1]), shown.discount);
    const halves = [pdfLine(/^CGST 9 %: (₹[\d,.]+)$/m), pdfLine(/^SGST 9 %: (₹[\d,.]+)$/m)].map((m) => paiseOf(m[1]));
    assert.equal(halves[0] + halves[1], shown.tax, `CGST ${halves[0]} + SGST ${halves[1]}`);
    // The totals.
    assert.equal(paiseOf(pdfLine(/^Subtotal (₹[\d,.]+)$/m)[1]), shown.subtotal);
    assert.equal(paiseOf(pdfLine(/^Discount −(₹[\d,.]+)$/m)[1]), shown.discount);
    assert.equal(paiseOf(pdfLine(/^Tax included in the total (₹[\d,.]+)$/m)[1]), shown.tax);
    assert.equal(paiseOf(pdfLine(/^Total paid (₹[\d,.]+)$/m)[1]), shown.total);
    assert.equal(pdfLine(/^Receipt Receipt number: (\S+)$/m)[1], receipts[0].number); // the title and the number share a line
    assert.match(receipts[0].number, /^INK-\d{4}-00001$/, 'the example\'s own series and format');
    pdfLine(/^GSTIN: 29AAHCI1234K1ZG$/m); // the seller from the example config
    pdfLine(new RegExp(`^Payment ID ${receipts[0].payment_id}$`, 'm'));

    // And what Razorpay was asked for: the order (its amount as the sandbox answered its creation) and the modal.
    assert.equal(checkout.action.type === 'razorpay' && checkout.action.amount, shown.total);
    assert.equal(paiseOf(modalShown), shown.total);
    assert.deepEqual([pricing.quantity, pricing.unit_amount, pricing.discount, pricing.tax?.amount, pricing.total], [shown.quantity, shown.unit, shown.discount, shown.tax, shown.total]);
    // The seats bought are the customer's seats limit.
    assert.equal((await apiGet<Entitlements>(page, '/v1/entitlements', token)).limits.seats, 3);

    // The partner page's <usage-meter receipts> lists it without a reload; its link opens the receipt page in a new tab.
    const history = page.locator('#account usage-meter [part~="receipts"]');
    const link = history.getByRole('link', { name: `Receipt ${receipts[0].number} (opens in a new tab)` });
    await waitForText(history.locator('[part~="receipt"]'), new RegExp(`^Receipt ${receipts[0].number} .* ₹1,197\\.60$`));
    assert.equal(await history.locator('[part~="receipt"]').count(), 1);
    await page.locator('#account usage-meter').screenshot({ path: '/tmp/commerce-history.png' }); // to look at
    const [receiptPage] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await receiptPage.waitForLoadState();
    const pageText = (await receiptPage.locator('body').innerText()).replace(/\s+/g, ' ');
    for (const expected of [receipts[0].number, 'LAUNCH20', '₹1,197.60', '₹299.40', 'CGST', 'SGST']) assert.ok(pageText.includes(expected), `${expected} on the receipt page: ${pageText}`);
    await receiptPage.close();
    assert.deepEqual(errors.all(), []);

    // The same history in the IDE webview, under its strict CSP (no inline script or style): the chunk loads, no violation.
    await page.goto(h.url('/demo/webview.html'));
    await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
    const webviewMeter = page.locator('usage-meter');
    await webviewMeter.evaluate((el) => el.setAttribute('receipts', ''));
    await waitForText(webviewMeter.locator('[part~="receipt-link"]'), `Receipt ${receipts[0].number}`);
    assert.equal(await page.locator('[data-csp]').getAttribute('data-count'), '0', await page.locator('[data-csp]').innerText());
    assert.deepEqual(errors.all(), []);
  });
});
