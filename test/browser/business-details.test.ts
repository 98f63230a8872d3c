// The business details of <plan-picker business-details> in Chromium: off by default (no toggle, no chunk), the
// disclosure "Buying for a business?", the form's values sent with POST /v1/checkout as `business` (a GSTIN or a VAT
// id from one field, the billing country from the catalog currency), a half-given address stopped before the
// checkout, the server's 400 validation_error shown at the field it names, keyboard use, axe, and Hindi.
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/components/plan-picker/plan-picker.js';
import type { PlanPicker } from '../../src/components/plan-picker/plan-picker.js';
import type { CheckoutRequest } from '../../src/contract/index.js';
import { loadCatalog } from '../../src/i18n/index.js';
import { $, FakeServer, apiError, catalog, installRazorpay, razorpayCheckout, removeRazorpay, subscription, text, until } from './helpers.js';

const input = (el: PlanPicker, field: string): HTMLInputElement => $(el, `#tg-business-${field}`) as HTMLInputElement;

/** Wait for the toggle, open the disclosure from the keyboard, and answer the legal name's input (which has the focus). */
async function openForm(el: PlanPicker): Promise<HTMLButtonElement> {
  await until(() => el.shadowRoot!.querySelector('[part~="business-toggle"]'), 3000, 'the toggle');
  const toggle = $<HTMLButtonElement>(el, '[part~="business-toggle"]');
  expect(toggle.getAttribute('aria-expanded')).to.equal('false');
  toggle.focus();
  await sendKeys({ press: 'Enter' });
  await until(() => el.shadowRoot!.querySelector('#tg-business-legal_name'), 3000, 'the form');
  await el.updateComplete;
  expect(toggle.getAttribute('aria-expanded')).to.equal('true');
  expect(el.shadowRoot!.activeElement).to.equal(input(el, 'legal_name'));
  return toggle;
}

async function typeInto(el: PlanPicker, field: string, value: string): Promise<void> {
  input(el, field).focus();
  await sendKeys({ type: value });
}

describe('<plan-picker business-details>', () => {
  let server: FakeServer;
  beforeEach(() => {
    installRazorpay();
    server = new FakeServer({
      'GET /v1/plans': () => catalog,
      'GET /v1/subscription': () => subscription(),
      'POST /v1/checkout': () => razorpayCheckout(),
    });
  });
  afterEach(() => {
    server.restore();
    removeRazorpay();
  });

  // First in the file: no other test has loaded the form's chunk yet.
  it('offers nothing, and loads no business code, without the attribute', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1"></plan-picker>`);
    await until(() => el.shadowRoot!.querySelector('[role="radiogroup"]'), 3000, 'catalog');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(el.shadowRoot!.querySelector('[part~="business-toggle"]')).to.equal(null);
    expect(el.shadowRoot!.querySelector('[part~="business"]')).to.equal(null);
    expect(performance.getEntriesByType('resource').filter((e) => e.name.includes('business-field'))).to.deep.equal([]);
    $(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => server.calls('POST /v1/checkout').length === 1, 3000, 'the checkout');
    expect(server.calls('POST /v1/checkout')[0].body).not.to.have.property('business');
  });

  it('opens the disclosure, labels every field, and sends the values with the checkout as `business` (a GSTIN, country from INR)', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1" business-details></plan-picker>`);
    const toggle = await openForm(el);
    expect(performance.getEntriesByType('resource').some((e) => e.name.includes('business-field'))).to.equal(true);
    expect(text(toggle)).to.equal('Buying for a business? Add GST details');
    expect(text($(el, '[part~="business"] legend'))).to.equal('Business details for the GST invoice (optional)');
    const labels = [...el.shadowRoot!.querySelectorAll('[part~="business-field"] > span:first-child')].map(text);
    expect(labels).to.deep.equal(['Legal name', 'GSTIN or VAT ID', 'Address', 'City', 'Postal code', 'State', 'Country code']);
    expect(input(el, 'country').value).to.equal('IN'); // the catalog's Pro is sold in INR
    await expect(el).to.be.accessible();

    await sendKeys({ type: 'Acme Software Pvt Ltd' }); // the legal name has the focus
    await typeInto(el, 'tax_id', '27aapfu0939f1zv');
    await typeInto(el, 'line1', '12 MG Road');
    await typeInto(el, 'city', 'Pune');
    await typeInto(el, 'postal_code', '411001');
    await typeInto(el, 'state', 'Maharashtra');
    $(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => server.calls('POST /v1/checkout').length === 1, 3000, 'the checkout');
    expect((server.calls('POST /v1/checkout')[0].body as CheckoutRequest).business).to.deep.equal({
      legal_name: 'Acme Software Pvt Ltd',
      gstin: '27AAPFU0939F1ZV',
      address: { line1: '12 MG Road', city: 'Pune', postal_code: '411001', country: 'IN', state: 'Maharashtra' },
    });
  });

  it('sends anything else in the one field as a VAT id, and nothing once the disclosure is closed again', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en" session="tok_1" business-details></plan-picker>`);
    const toggle = await openForm(el);
    await typeInto(el, 'tax_id', 'de 123 456 789');
    $(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => server.calls('POST /v1/checkout').length === 1, 3000, 'the checkout');
    expect((server.calls('POST /v1/checkout')[0].body as CheckoutRequest).business).to.deep.equal({ vat_id: 'DE123456789' });

    const closed = await fixture<PlanPicker>(html`<plan-picker locale="en" session="tok_1" business-details></plan-picker>`);
    const closedToggle = await openForm(closed);
    await typeInto(closed, 'tax_id', 'DE123456789');
    closedToggle.click();
    await until(() => !closed.shadowRoot!.querySelector('#tg-business-tax_id'), 3000, 'the form closed');
    expect(closedToggle.getAttribute('aria-expanded')).to.equal('false');
    $(closed, '[part~="cta"][data-plan="pro"]').click();
    await until(() => server.calls('POST /v1/checkout').length === 2, 3000, 'the second checkout');
    expect(server.calls('POST /v1/checkout')[1].body).not.to.have.property('business');
    expect(toggle.isConnected).to.equal(true);
  });

  it('stops a half-given address before the checkout and marks the missing fields', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1" business-details></plan-picker>`);
    await openForm(el);
    await typeInto(el, 'city', 'Pune');
    $(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => input(el, 'line1').getAttribute('aria-invalid') === 'true', 3000, 'the missing line marked');
    expect(server.calls('POST /v1/checkout')).to.have.length(0);
    expect(input(el, 'postal_code').getAttribute('aria-invalid')).to.equal('true');
    expect(input(el, 'city').getAttribute('aria-invalid')).to.equal('false');
    expect(text($(el, '#' + input(el, 'line1').getAttribute('aria-describedby')))).to.equal('Needed for the billing address.');
    expect(el.shadowRoot!.activeElement).to.equal(input(el, 'line1'));
    await expect(el).to.be.accessible();
  });

  it("shows the server's 400 validation_error for business.gstin at the GSTIN field, in plain words, until it is edited", async () => {
    server.on('POST /v1/checkout', () => apiError(400, 'validation_error', 'business.gstin: its check character (the last) does not match: a character is mistyped'));
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" session="tok_1" business-details></plan-picker>`);
    await openForm(el);
    await typeInto(el, 'tax_id', '27AAPFU0939F1ZA');
    $(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => input(el, 'tax_id').getAttribute('aria-invalid') === 'true', 3000, 'the GSTIN marked');
    expect((server.calls('POST /v1/checkout')[0].body as CheckoutRequest).business).to.deep.equal({ gstin: '27AAPFU0939F1ZA' });
    const described = input(el, 'tax_id').getAttribute('aria-describedby')!.split(' ');
    expect(described).to.deep.equal(['tg-business-hint', 'tg-business-tax_id-error']);
    expect(text($(el, '#tg-business-tax_id-error'))).to.equal('This GSTIN is not valid: check each character (15, e.g. 27AAPFU0939F1ZV).');
    expect(input(el, 'legal_name').getAttribute('aria-invalid')).to.equal('false');
    await until(() => el.shadowRoot!.activeElement === input(el, 'tax_id'), 3000, 'the focus on the GSTIN');
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Backspace' });
    await until(() => input(el, 'tax_id').getAttribute('aria-invalid') === 'false', 3000, 'the mark cleared');
    expect(el.shadowRoot!.querySelector('#tg-business-tax_id-error')).to.equal(null);
  });

  it('speaks Hindi: the toggle, the labels and the refusal', async () => {
    await loadCatalog('hi');
    server.on('POST /v1/checkout', () => apiError(400, 'validation_error', 'business.address.country: address.country: an upper-case ISO 3166 code such as "IN"'));
    const el = await fixture<PlanPicker>(html`<plan-picker locale="hi" session="tok_1" business-details></plan-picker>`);
    const toggle = await openForm(el);
    expect(text(toggle)).to.equal('व्यवसाय के लिए खरीद रहे हैं? GST विवरण जोड़ें');
    const labels = [...el.shadowRoot!.querySelectorAll('[part~="business-field"] > span:first-child')].map(text);
    expect(labels).to.deep.equal(['कानूनी नाम', 'GSTIN या VAT ID', 'पता', 'शहर', 'पिन कोड', 'राज्य', 'देश कोड']);
    await typeInto(el, 'line1', '12 MG Road');
    await typeInto(el, 'city', 'Pune');
    await typeInto(el, 'postal_code', '411001');
    $(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => input(el, 'country').getAttribute('aria-invalid') === 'true', 3000, 'the country marked');
    expect(text($(el, '#tg-business-country-error'))).to.equal('देश का दो अक्षरों वाला कोड दें, जैसे IN।');
    await expect(el).to.be.accessible();
  });
});
