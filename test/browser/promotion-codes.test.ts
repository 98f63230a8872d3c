// The promotion code field of <plan-picker> and <razorpay-checkout> in Chromium: loaded on "Have a code?", the
// server's preview shown as a struck-through and a discounted price with its duration in words (en, en-IN, hi),
// the tax of the discounted price, refusals in plain words, the code sent with the checkout, keyboard use and axe.
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/components/plan-picker/plan-picker.js';
import '../../src/components/razorpay-checkout/razorpay-checkout.js';
import type { PlanPicker } from '../../src/components/plan-picker/plan-picker.js';
import type { RazorpayCheckout } from '../../src/components/razorpay-checkout/razorpay-checkout.js';
import type { CheckoutRequest, PromotionPreview, PromotionPreviewRequest } from '../../src/contract/index.js';
import { exclusiveTax, inclusiveTax } from '../../src/contract/tax.js';
import { formatMoney } from '../../src/format.js';
import { loadCatalog } from '../../src/i18n/index.js';
import { $, FakeServer, apiError, catalog, installRazorpay, razorpayCheckout, removeRazorpay, subscription, text, until } from './helpers.js';

/** The server's answer for LAUNCH20 (20 % off for 3 months) on the plan and interval asked for, priced from the catalog's charge. */
function preview(request: PromotionPreviewRequest): PromotionPreview {
  const plan = catalog.plans.find((p) => p.id === request.plan)!;
  const charge = plan.charge.find((c) => c.interval === (request.interval ?? 'month'))!;
  const discount = Math.floor((charge.amount * 2000 + 5000) / 10000);
  return { valid: true, code: 'LAUNCH20', currency: charge.currency, interval: charge.interval, amount: charge.amount, discount, total: charge.amount - discount, percent_off: 20, duration: 'repeating', duration_periods: 3, description: '20 % off for 3 months' };
}

async function openField(el: HTMLElement & { updateComplete: Promise<boolean> }): Promise<HTMLInputElement> {
  const toggle = await until(() => el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="promotion-toggle"]'), 3000, 'the toggle').then(() => $(el, '[part~="promotion-toggle"]'));
  expect(text(toggle)).to.equal(el.getAttribute('locale') === 'hi' ? 'कोई कोड है?' : 'Have a code?');
  toggle.click();
  await until(() => el.shadowRoot!.querySelector('[part~="promotion-input"]'), 3000, 'the code field');
  return $(el, '[part~="promotion-input"]') as HTMLInputElement;
}

async function typeAndApply(el: HTMLElement, input: HTMLInputElement, code: string): Promise<void> {
  input.focus();
  await sendKeys({ type: code });
  await sendKeys({ press: 'Enter' });
  await until(() => !text(el.shadowRoot!.querySelector('[part~="promotion-result"]')).match(/Checking|जाँचा/) && text(el.shadowRoot!.querySelector('[part~="promotion-result"]')), 3000, 'the result');
}

describe('promotion codes in the elements', () => {
  let server: FakeServer;
  beforeEach(() => {
    installRazorpay();
    server = new FakeServer({
      'GET /v1/plans': () => catalog,
      'GET /v1/subscription': () => subscription(),
      'POST /v1/promotion-codes/validate': (r) => {
        const body = r.body as PromotionPreviewRequest;
        if (body.code.toUpperCase() === 'LAUNCH20') return preview(body);
        if (body.code.toUpperCase() === 'OLD') return apiError(400, 'promotion_expired', 'The code OLD has expired');
        if (body.code.toUpperCase() === 'TEAM') return apiError(400, 'promotion_not_applicable', 'The code TEAM is not for the Pro plan');
        if (body.code.toUpperCase() === 'USED') return apiError(409, 'promotion_already_used', 'You have already used the code USED');
        return apiError(404, 'promotion_unknown', 'There is no such code');
      },
      'POST /v1/checkout': () => razorpayCheckout(),
    });
  });
  afterEach(() => {
    server.restore();
    removeRazorpay();
  });

  describe('<plan-picker promotion-codes>', () => {
    it('has no code field without the attribute', async () => {
      const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1"></plan-picker>`);
      await until(() => el.shadowRoot!.querySelector('[role="radiogroup"]'), 3000, 'catalog');
      expect(el.shadowRoot!.querySelector('[part~="promotion-toggle"]')).to.equal(null);
    });

    it('checks the code for the selected plan, shows the struck-through and discounted price in en-IN, and sends the code with the checkout', async () => {
      const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1" promotion-codes></plan-picker>`);
      const input = await openField(el);
      await el.updateComplete;
      expect(el.shadowRoot!.activeElement).to.equal(input); // focus moves into the field
      expect($(el, 'label[for="tg-promo-code"]').textContent).to.equal('Promotion code');
      await typeAndApply(el, input, 'launch20');
      const [call] = server.calls('POST /v1/promotion-codes/validate');
      expect(call.body).to.deep.equal({ plan: 'pro', interval: 'month', provider: 'razorpay', currency: 'INR', code: 'launch20' });
      const result = $(el, '[part~="promotion-result"]');
      expect(result.getAttribute('role')).to.equal('status');
      expect(result.getAttribute('aria-live')).to.equal('polite');
      expect(text($(el, '[part~="promotion-result"] s'))).to.equal('₹1,599');
      expect(text($(el, '[part~="promotion-total"]'))).to.equal('₹1,279.20');
      expect(text($(el, '[part~="promotion-duration"]'))).to.equal('Code LAUNCH20 applied: 20 % off for 3 months.');
      expect(text($(el, '[part~="promotion-result"] .sr-only'))).to.equal('Was ₹1,599, now');
      await expect(el).to.be.accessible();

      // Choosing the plan sends the code the server accepted; the server prices it again.
      $(el, '[part~="cta"][data-plan="pro"]').click();
      await until(() => server.calls('POST /v1/checkout').length === 1, 3000, 'the checkout');
      expect((server.calls('POST /v1/checkout')[0].body as CheckoutRequest).promotion_code).to.equal('LAUNCH20');
    });

    it('checks the code again when the interval changes, and yearly shows its own price', async () => {
      const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1" promotion-codes></plan-picker>`);
      const input = await openField(el);
      await typeAndApply(el, input, 'LAUNCH20');
      el.interval = 'year';
      await until(() => server.calls('POST /v1/promotion-codes/validate').length === 2, 3000, 'a second check');
      await until(() => text(el.shadowRoot!.querySelector('[part~="promotion-total"]')) === formatMoney(1599000 - 319800, 'INR', 'en-IN'), 3000, 'the yearly price');
      expect((server.calls('POST /v1/promotion-codes/validate')[1].body as PromotionPreviewRequest).interval).to.equal('year');
      expect(text($(el, '[part~="promotion-duration"]'))).to.equal('Code LAUNCH20 applied: 20 % off for 3 years.');
    });

    it('says why a code is refused in plain words, marks the field invalid, and sends no code with the checkout', async () => {
      const el = await fixture<PlanPicker>(html`<plan-picker locale="en" session="tok_1" promotion-codes></plan-picker>`);
      const input = await openField(el);
      const cases: [string, string][] = [
        ['OLD', 'This code has expired.'],
        ['TEAM', 'This code is not for this plan.'],
        ['USED', 'You have already used this code.'],
        ['NOPE', 'That code is not valid. Check the spelling.'],
      ];
      for (const [code, words] of cases) {
        input.value = '';
        input.dispatchEvent(new Event('input'));
        await typeAndApply(el, input, code);
        await until(() => text(el.shadowRoot!.querySelector('[part~="promotion-result"] .error')) === words, 3000, `the words for ${code}`);
        expect(input.getAttribute('aria-invalid')).to.equal('true');
      }
      await expect(el).to.be.accessible();
      $(el, '[part~="cta"][data-plan="pro"]').click();
      await until(() => server.calls('POST /v1/checkout').length === 1, 3000, 'the checkout');
      expect((server.calls('POST /v1/checkout')[0].body as CheckoutRequest).promotion_code).to.equal(undefined);
    });

    it('works from the keyboard: Tab to "Have a code?", Enter opens it, type, Enter applies, Remove clears it', async () => {
      const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1" promotion-codes></plan-picker>`);
      await until(() => el.shadowRoot!.querySelector('[part~="promotion-toggle"]'), 3000, 'the toggle');
      $(el, '[part~="promotion-toggle"]').focus();
      await sendKeys({ press: 'Enter' });
      await until(() => el.shadowRoot!.activeElement?.matches('[part~="promotion-input"]'), 3000, 'focus in the field');
      await sendKeys({ type: 'LAUNCH20' });
      await sendKeys({ press: 'Enter' });
      await until(() => el.shadowRoot!.querySelector('[part~="promotion-total"]'), 3000, 'the price');
      await sendKeys({ press: 'Tab' }); // Apply
      await sendKeys({ press: 'Tab' }); // Remove
      expect(el.shadowRoot!.activeElement?.getAttribute('part')).to.contain('promotion-remove');
      await sendKeys({ press: 'Enter' });
      await until(() => !el.shadowRoot!.querySelector('[part~="promotion-total"]'), 3000, 'the code removed');
      expect(el.shadowRoot!.activeElement?.matches('[part~="promotion-input"]')).to.equal(true);
      expect(($(el, '[part~="promotion-input"]') as HTMLInputElement).value).to.equal('');
    });

    it('words the discount and the prices in Hindi', async () => {
      await loadCatalog('hi');
      const el = await fixture<PlanPicker>(html`<plan-picker locale="hi" session="tok_1" promotion-codes></plan-picker>`);
      const input = await openField(el);
      expect($(el, 'label[for="tg-promo-code"]').textContent).to.equal('प्रोमो कोड');
      await typeAndApply(el, input, 'LAUNCH20');
      expect(text($(el, '[part~="promotion-result"] s'))).to.equal(formatMoney(159900, 'INR', 'hi'));
      expect(text($(el, '[part~="promotion-total"]'))).to.equal(formatMoney(127920, 'INR', 'hi'));
      expect(text($(el, '[part~="promotion-duration"]'))).to.equal(`कोड LAUNCH20 लागू हुआ: 3 महीनों के लिए 20 % की छूट।`);
      server.on('POST /v1/promotion-codes/validate', () => apiError(400, 'promotion_expired'));
      await typeAndApply(el, input, 'X');
      await until(() => text(el.shadowRoot!.querySelector('[part~="promotion-result"] .error')) === 'इस कोड की अवधि समाप्त हो गई है।', 3000, 'the Hindi refusal');
      await expect(el).to.be.accessible();
    });

    it('shows the tax of the discounted price, as the server priced it: "incl. ₹195.13 GST" (en-IN), "₹195.13 GST सहित" (hi)', async () => {
      // The server's preview carries the tax on what is left after the discount (README "Taxes": discount first).
      server.on('POST /v1/promotion-codes/validate', (r) => {
        const answer = preview(r.body as PromotionPreviewRequest);
        return { ...answer, tax: { amount: inclusiveTax(answer.total, 18), name: 'GST', rate: 18, inclusive: true, country: 'IN' } };
      });
      const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1" promotion-codes></plan-picker>`);
      await typeAndApply(el, await openField(el), 'LAUNCH20');
      // ₹1,279.20 less its GST at 18 %: net ₹1,084.07, GST ₹195.13.
      expect(text($(el, '[part~="promotion-result"] [part~="tax"]'))).to.equal('incl. ₹195.13 GST');
      await expect(el).to.be.accessible();
      const applyAgain = async () => {
        const input = $(el, '[part~="promotion-input"]') as HTMLInputElement;
        input.select();
        await typeAndApply(el, input, 'LAUNCH20');
      };
      await loadCatalog('hi');
      el.locale = 'hi';
      await applyAgain();
      await until(() => text(el.shadowRoot!.querySelector('[part~="promotion-result"] [part~="tax"]')) === `${formatMoney(19513, 'INR', 'hi')} GST सहित`, 3000, 'the Hindi tax line');
      // Exclusive: the tax is added to the discounted price.
      server.on('POST /v1/promotion-codes/validate', (r) => {
        const answer = preview(r.body as PromotionPreviewRequest);
        return { ...answer, tax: { amount: exclusiveTax(answer.total, 18), name: 'GST', rate: 18, inclusive: false, country: 'IN' } };
      });
      el.locale = 'en-IN';
      await applyAgain();
      await until(() => text(el.shadowRoot!.querySelector('[part~="promotion-result"] [part~="tax"]')) === '+ ₹230.26 GST', 3000, 'the exclusive tax line');
    });
  });

  describe('<razorpay-checkout promotion-codes>', () => {
    it('checks the code for its plan and sends it with the checkout; the Razorpay order is the server’s', async () => {
      const el = await fixture<RazorpayCheckout>(html`<razorpay-checkout plan="pro" plan-name="Pro" interval="month" session="tok_1" locale="en-IN" promotion-codes></razorpay-checkout>`);
      const input = await openField(el);
      await typeAndApply(el, input, 'LAUNCH20');
      expect(server.calls('POST /v1/promotion-codes/validate')[0].body).to.deep.equal({ plan: 'pro', interval: 'month', provider: 'razorpay', code: 'LAUNCH20' });
      expect(text($(el, '[part~="promotion-total"]'))).to.equal('₹1,279.20');
      await expect(el).to.be.accessible();
      $(el, 'button[part="button"]').click();
      await until(() => server.calls('POST /v1/checkout').length === 1, 3000, 'the checkout');
      expect((server.calls('POST /v1/checkout')[0].body as CheckoutRequest).promotion_code).to.equal('LAUNCH20');
    });
  });
});
