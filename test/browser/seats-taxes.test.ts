// The seat stepper and the tax line of <plan-picker> in Chromium: loaded for a per-seat or taxed catalog, − and +
// and the keyboard inside the price's limits, the live total and its tax in en, en-IN and hi, the quantity sent
// with the checkout, and axe.
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/components/plan-picker/plan-picker.js';
import type { PlanPicker } from '../../src/components/plan-picker/plan-picker.js';
import type { CheckoutRequest, PlansResponse, PublicPlan } from '../../src/contract/index.js';
import { inclusiveTax, exclusiveTax } from '../../src/contract/tax.js';
import { formatMoney } from '../../src/format.js';
import { loadCatalog } from '../../src/i18n/index.js';
import { $, FakeServer, catalog, installRazorpay, razorpayCheckout, removeRazorpay, subscription, text, until } from './helpers.js';

const GST_INCL = { name: 'GST', rate: 18, inclusive: true, amount: inclusiveTax(49900, 18) };
const GST_EXCL = { name: 'GST', rate: 18, inclusive: false, amount: exclusiveTax(159900, 18) };

/** The shared catalog with a per-seat Team plan (₹499 a seat, 2 to 5, GST inclusive) and Pro priced GST exclusive. */
function taxedCatalog(): PlansResponse {
  const plans: PublicPlan[] = catalog.plans.map((plan) => {
    if (plan.id === 'team') {
      const seat = { provider: 'razorpay' as const, currency: 'INR', amount: 49900, interval: 'month' as const, per_unit: true, min_quantity: 2, max_quantity: 5, tax: GST_INCL };
      return { ...plan, prices: [seat], charge: [seat] };
    }
    if (plan.id === 'pro') return { ...plan, charge: plan.charge.map((c) => (c.interval === 'month' ? { ...c, tax: GST_EXCL } : c)) };
    return plan;
  });
  return { ...catalog, plans };
}

async function picker(locale: string): Promise<PlanPicker> {
  const el = await fixture<PlanPicker>(html`<plan-picker locale=${locale} session="tok_1"></plan-picker>`);
  await until(() => el.shadowRoot!.querySelector('[part~="seats-input"]'), 3000, 'the seat stepper');
  return el;
}

const input = (el: PlanPicker) => $<HTMLInputElement>(el, '[part~="seats-input"]');

describe('<plan-picker> seats and taxes', () => {
  let server: FakeServer;
  beforeEach(() => {
    installRazorpay();
    server = new FakeServer({ 'GET /v1/plans': () => taxedCatalog(), 'GET /v1/subscription': () => subscription(), 'POST /v1/checkout': () => razorpayCheckout('chk_1', '/fake/razorpay-checkout.js', 'team') });
  });
  afterEach(() => {
    server.restore();
    removeRazorpay();
  });

  it('loads no stepper for a catalog without per-seat or taxed prices', async () => {
    server.on('GET /v1/plans', () => catalog);
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en" session="tok_1"></plan-picker>`);
    await until(() => el.shadowRoot!.querySelector('[role="radiogroup"]'), 3000, 'catalog');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[part~="seats"]')).to.equal(null);
    expect(el.shadowRoot!.querySelector('[part~="tax"]')).to.equal(null);
  });

  it('a labelled number input with − and +, starting at the minimum, the total and its GST announced live (en-IN)', async () => {
    const el = await picker('en-IN');
    const field = input(el);
    expect(field.type).to.equal('number');
    expect([field.min, field.max, field.value]).to.deep.equal(['2', '5', '2']);
    expect(text($(el, `label[for="${field.id}"]`))).to.equal('Seats');
    const fewer = $<HTMLButtonElement>(el, '[part~="seats-fewer"]');
    const more = $<HTMLButtonElement>(el, '[part~="seats-more"]');
    expect(fewer.disabled, 'at the minimum').to.equal(true);
    expect([fewer.getAttribute('aria-label'), more.getAttribute('aria-label')]).to.deep.equal(['Fewer seats', 'More seats']);
    const total = $(el, '[part~="seats-total"]');
    expect(total.getAttribute('aria-live')).to.equal('polite');
    more.click();
    await el.updateComplete;
    expect(input(el).value).to.equal('3');
    // 3 × ₹499 = ₹1,497, of which GST (inclusive, the server's rounding) ₹228.36.
    expect(text($(el, '[part~="seats-total"]'))).to.equal(`3 seats: ₹1,497 incl. ${formatMoney(inclusiveTax(149700, 18), 'INR', 'en-IN')} GST`);
    expect(text($(el, '[part~="seats-total"]'))).to.contain('₹228.36');
    await expect(el).to.be.accessible();
  });

  it('the keyboard steps the seats, and the limits hold (typed, stepped and clicked)', async () => {
    const el = await picker('en');
    input(el).focus();
    await sendKeys({ press: 'ArrowUp' });
    await sendKeys({ press: 'ArrowUp' });
    await sendKeys({ press: 'Tab' }); // the change lands when the field is left
    await el.updateComplete;
    expect(input(el).value).to.equal('4');
    $<HTMLButtonElement>(el, '[part~="seats-more"]').click();
    await el.updateComplete;
    expect(input(el).value).to.equal('5');
    expect($<HTMLButtonElement>(el, '[part~="seats-more"]').disabled, 'at the maximum').to.equal(true);
    input(el).focus();
    input(el).select();
    await sendKeys({ type: '99' });
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(input(el).value, 'typed above the maximum').to.equal('5');
    input(el).select();
    await sendKeys({ type: '1' });
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(input(el).value, 'typed below the minimum').to.equal('2');
  });

  it('with a code applied to the chosen plan, one tax figure: the code’s line has the tax of what is charged, the seat total none', async () => {
    server.on('POST /v1/promotion-codes/validate', (r) => {
      const body = r.body as { plan: string; quantity?: number };
      const amount = 49900 * (body.quantity ?? 1);
      const discount = Math.floor((amount * 2000 + 5000) / 10000);
      const total = amount - discount;
      return { valid: true, code: 'LAUNCH20', currency: 'INR', interval: 'month', amount, discount, total, percent_off: 20, duration: 'once', duration_periods: null, description: '20 % off', tax: { amount: inclusiveTax(total, 18), name: 'GST', rate: 18, inclusive: true, country: 'IN' } };
    });
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1" promotion-codes></plan-picker>`);
    await until(() => el.shadowRoot!.querySelector('[part~="seats-input"]'), 3000, 'the seat stepper');
    $(el, '[role="radio"][data-plan="team"]').click();
    $<HTMLButtonElement>(el, '[part~="seats-more"]').click();
    await el.updateComplete;
    expect(text($(el, '[part~="seats-total"]'))).to.equal('3 seats: ₹1,497 incl. ₹228.36 GST');
    await until(() => el.shadowRoot!.querySelector('[part~="promotion-toggle"]'), 3000, 'the code toggle');
    $<HTMLButtonElement>(el, '[part~="promotion-toggle"]').click();
    await until(() => el.shadowRoot!.querySelector('[part~="promotion-input"]'), 3000, 'the code field');
    $<HTMLInputElement>(el, '[part~="promotion-input"]').focus();
    await sendKeys({ type: 'LAUNCH20' });
    await sendKeys({ press: 'Enter' });
    await until(() => el.shadowRoot!.querySelector('[part~="promotion-result"] [part~="tax"]'), 3000, 'the discounted tax');
    await el.updateComplete;
    // ₹1,497 − 20 % = ₹1,197.60, of which GST ₹182.68: that is the only tax on screen.
    expect(text($(el, '[part~="promotion-result"] [part~="tax"]'))).to.equal('incl. ₹182.68 GST');
    expect(text($(el, '[part~="seats-total"]'))).to.equal('3 seats: ₹1,497');
    expect(el.shadowRoot!.querySelectorAll('[part~="tax"]').length, 'Pro’s own price line keeps its tax').to.equal(2);
    $<HTMLButtonElement>(el, '[part~="promotion-remove"]').click();
    await until(() => text(el.shadowRoot!.querySelector('[part~="seats-total"]')).includes('GST'), 3000, 'the seat total’s tax again');
    expect(text($(el, '[part~="seats-total"]'))).to.equal('3 seats: ₹1,497 incl. ₹228.36 GST');
  });

  it('one seat is "1 seat", in English and Hindi', async () => {
    const one = taxedCatalog();
    one.plans = one.plans.map((p) => (p.id === 'team' ? { ...p, charge: p.charge.map((c) => ({ ...c, min_quantity: 1 })) } : p));
    server.on('GET /v1/plans', () => one);
    let el = await picker('en-IN');
    expect(text($(el, '[part~="seats-total"]'))).to.equal(`1 seat: ₹499 incl. ${formatMoney(inclusiveTax(49900, 18), 'INR', 'en-IN')} GST`);
    await loadCatalog('hi');
    el = await picker('hi');
    expect(text($(el, '[part~="seats-total"]'))).to.match(/^1 सीट: /);
  });

  it('sends the chosen seats with the checkout (the server prices them)', async () => {
    const el = await picker('en');
    $<HTMLButtonElement>(el, '[part~="seats-more"]').click();
    await el.updateComplete;
    $(el, '[part~="cta"][data-plan="team"]').click();
    await until(() => server.calls('POST /v1/checkout').length === 1, 3000, 'the checkout');
    const body = server.calls('POST /v1/checkout')[0].body as CheckoutRequest;
    expect([body.plan, body.quantity]).to.deep.equal(['team', 3]);
  });

  it('the tax line of a price: "+ ₹287.82 GST" (exclusive) in en and en-IN, and in Hindi', async () => {
    const en = await picker('en');
    const proTax = () => en.shadowRoot!.querySelector('.card:has([data-plan="pro"]) [part~="tax"]');
    expect(text(proTax())).to.equal(`+ ${formatMoney(28782, 'INR', 'en')} GST`);
    const enIn = await picker('en-IN');
    expect(text(enIn.shadowRoot!.querySelector('.card:has([data-plan="pro"]) [part~="tax"]'))).to.equal('+ ₹287.82 GST');
    await loadCatalog('hi');
    const hi = await picker('hi');
    await until(() => text(hi.shadowRoot!.querySelector('[part~="seats-total"]')).includes('सीटें'), 3000, 'Hindi');
    expect(text($(hi, `label[for="${input(hi).id}"]`))).to.equal('सीटें');
    expect(text($(hi, '[part~="seats-total"]'))).to.equal(`2 सीटें: ${formatMoney(99800, 'INR', 'hi')} ${formatMoney(inclusiveTax(99800, 18), 'INR', 'hi')} GST सहित`);
    expect(text(hi.shadowRoot!.querySelector('.card:has([data-plan="pro"]) [part~="tax"]'))).to.equal(`+ ${formatMoney(28782, 'INR', 'hi')} GST`);
    await expect(hi).to.be.accessible();
  });

  it('a Stripe Tax price has no tax figure of ours: "+ tax, calculated at checkout", and in Hindi', async () => {
    const stripeTax = { name: 'Tax', rate: null, inclusive: false, amount: null, computed_by: 'stripe' as const };
    const plans = taxedCatalog().plans.map((p) => (p.id === 'pro' ? { ...p, charge: p.charge.map((c) => (c.interval === 'month' ? { ...c, tax: stripeTax } : c)) } : p));
    server.on('GET /v1/plans', () => ({ ...catalog, plans }));
    const proTax = (el: PlanPicker) => el.shadowRoot!.querySelector('.card:has([data-plan="pro"]) [part~="tax"]');
    const en = await picker('en');
    expect(text(proTax(en))).to.equal('+ tax, calculated at checkout');
    await loadCatalog('hi');
    const hi = await picker('hi');
    await until(() => text(proTax(hi)).includes('कर'), 3000, 'Hindi');
    expect(text(proTax(hi))).to.equal('+ कर, चेकआउट पर जोड़ा जाएगा');
    await expect(hi).to.be.accessible();
  });
});
