import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/components/plan-picker/plan-picker.js';
import type { PlanPicker } from '../../src/components/plan-picker/plan-picker.js';
import { formatMoney } from '../../src/format.js';
import {
  $,
  $$,
  FakeRazorpay,
  FakeServer,
  apiError,
  catalog,
  checkoutState,
  installRazorpay,
  navigations,
  razorpayCheckout,
  removeRazorpay,
  subscription,
  text,
  until,
  verified,
} from './helpers.js';

async function loaded(el: PlanPicker): Promise<void> {
  await until(() => el.shadowRoot!.querySelector('[role="radiogroup"], [role="alert"]'), 3000, 'catalog');
  await el.updateComplete;
}

describe('<plan-picker>', () => {
  let server: FakeServer;
  beforeEach(() => {
    installRazorpay();
    server = new FakeServer({
      'GET /v1/plans': () => catalog,
      'GET /v1/subscription': () => subscription(),
      'POST /v1/checkout': () => razorpayCheckout(),
      'POST /v1/razorpay/verify': () => verified,
    });
  });
  afterEach(() => {
    server.restore();
    removeRazorpay();
  });

  it('shows same-size placeholders while loading, then the plans as a radio group', async () => {
    let release!: () => void;
    server.on('GET /v1/plans', () => new Promise((resolve) => (release = () => resolve(catalog))));
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN" style="width: 320px"></plan-picker>`);
    expect($$(el, '.skeleton')).to.have.length(3);
    expect($(el, '[part~="base"]').getAttribute('aria-busy')).to.equal('true');
    release();
    await loaded(el);
    const radios = $$(el, '[role="radio"]');
    expect(radios).to.have.length(3);
    expect(radios.map((r) => r.getAttribute('aria-checked'))).to.deep.equal(['false', 'true', 'false']); // popular preselected
    expect(radios.map((r) => r.tabIndex)).to.deep.equal([-1, 0, -1]);
    expect(text($$(el, '[part~="price"]')[1])).to.equal('₹1,599 /month');
    expect(text($$(el, '[part~="price"]')[2])).to.equal('₹1,59,900 /month');
    expect(text($$(el, '[part~="price"]')[0])).to.equal('Free');
    expect(text($$(el, '[part~="plan"]')[1])).to.contain('Most popular').and.contain('14-day free trial');
    expect(text($$(el, '[part~="features"]')[2])).to.contain('Unlimited messages');
    expect(el.scrollWidth).to.be.at.most(320);
    await expect(el).to.be.accessible();
  });

  it('formats money through Intl: whole amounts drop the fraction, other amounts keep it', () => {
    expect(formatMoney(159900, 'INR', 'en-IN')).to.equal('₹1,599');
    expect(formatMoney(159950, 'INR', 'en-IN')).to.equal('₹1,599.50');
    expect(formatMoney(1900, 'USD', 'en-US')).to.equal('$19');
    expect(formatMoney(500, 'JPY', 'ja-JP')).to.match(/500/);
    expect(formatMoney(15990000, 'INR', 'hi')).to.equal(new Intl.NumberFormat('hi', { style: 'currency', currency: 'INR', maximumFractionDigits: 0 }).format(159900));
  });

  it('the monthly/yearly switch changes prices and shows the saving', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN"></plan-picker>`);
    await loaded(el);
    const [monthly, yearly] = $$<HTMLButtonElement>(el, '[part~="interval-switch"] button');
    expect(monthly.getAttribute('aria-pressed')).to.equal('true');
    expect(text(yearly)).to.contain('Save 17%');
    yearly.click();
    await el.updateComplete;
    expect(el.interval).to.equal('year');
    expect(text($$(el, '[part~="price"]')[1])).to.equal('₹15,990 /year');
    expect(text($$(el, '[part~="plan"]')[1])).to.contain('Save 17%');
    expect(text($$(el, '[part~="price"]')[2])).to.equal('₹15,99,000.50 /year');
  });

  it('arrow keys move selection and focus (roving tabindex), wrapping, Home/End', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await loaded(el);
    $$(el, '[role="radio"]')[1].focus();
    await sendKeys({ press: 'ArrowRight' });
    await el.updateComplete;
    const checked = () => $$(el, '[role="radio"]').findIndex((r) => r.getAttribute('aria-checked') === 'true');
    expect(checked()).to.equal(2);
    expect(el.shadowRoot!.activeElement?.getAttribute('data-plan')).to.equal('team');
    await sendKeys({ press: 'ArrowDown' });
    await el.updateComplete;
    expect(checked()).to.equal(0);
    await sendKeys({ press: 'ArrowLeft' });
    await el.updateComplete;
    expect(checked()).to.equal(2);
    await sendKeys({ press: 'Home' });
    await el.updateComplete;
    expect(checked()).to.equal(0);
    expect($$(el, '[role="radio"]').map((r) => r.tabIndex)).to.deep.equal([0, -1, -1]);
  });

  it('Enter on a radio chooses that plan', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await loaded(el);
    $$(el, '[role="radio"]')[1].focus();
    const select = oneEvent(el, 'plan-select');
    await sendKeys({ press: 'Enter' });
    expect((await select).detail.plan).to.equal('pro');
  });

  it('marks the current plan from /v1/subscription and disables its action', async () => {
    server.on('GET /v1/subscription', () => subscription({ plan: 'pro', planName: 'Pro' }));
    const el = await fixture<PlanPicker>(html`<plan-picker session="tok_1"></plan-picker>`);
    await loaded(el);
    await until(() => el.shadowRoot!.querySelector('[part~="badge-current"]'));
    const pro = $$(el, '[part~="plan"]')[1];
    expect(text(pro)).to.contain('Current plan');
    const cta = pro.querySelector<HTMLButtonElement>('[part~="cta"]')!;
    expect(cta.disabled).to.be.true;
    expect(text(cta)).to.equal('Your current plan');
    expect(server.calls('GET /v1/subscription')[0].headers.authorization).to.equal('Bearer tok_1');
  });

  it('plan-select is cancelable; canceled means no checkout', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await loaded(el);
    el.addEventListener('plan-select', (e) => e.preventDefault(), { once: true });
    const select = oneEvent(el, 'plan-select');
    $<HTMLButtonElement>(el, '[part~="cta"][data-plan="team"]').click();
    const event = await select;
    expect(event.detail).to.deep.equal({ plan: 'team', interval: 'month', amount: 15990000, currency: 'INR' });
    await new Promise((r) => setTimeout(r, 30));
    expect(server.calls('POST /v1/checkout')).to.have.length(0);
  });

  it('a currency attribute asks the server for that currency', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker currency="USD"></plan-picker>`);
    await loaded(el);
    expect(server.calls('GET /v1/plans')[0].search).to.equal('?currency=USD');
    await expect(el).to.be.accessible();
  });

  it('choosing a plan runs the Razorpay flow and marks the new plan as current', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await loaded(el);
    $$<HTMLButtonElement>(el, '[part~="interval-switch"] button')[1].click();
    await el.updateComplete;
    $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => FakeRazorpay.instances.length === 1);
    expect(server.calls('POST /v1/checkout')[0].body).to.deep.equal({ plan: 'pro', interval: 'year', provider: 'razorpay', currency: 'INR', return_url: location.href });
    const success = oneEvent(el, 'checkout-success');
    FakeRazorpay.last.pay();
    await success;
    await el.updateComplete;
    expect(text($$(el, '[part~="plan"]')[1])).to.contain('Current plan');
  });

  it('a redirect action navigates', async () => {
    server.on('POST /v1/checkout', () => ({ checkout_id: 'chk_r', plan: 'pro', interval: 'month', action: { type: 'redirect', url: 'https://pay.example/cs_1' } }));
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await loaded(el);
    $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => navigations.includes('https://pay.example/cs_1'));
    sessionStorage.clear(); // the pending checkout it remembered would be resumed by the next test's element
  });

  it('a stripe_embedded sandbox action mounts an iframe in the light DOM and confirms with the server', async () => {
    server.on('POST /v1/checkout', () => ({
      checkout_id: 'chk_s',
      plan: 'pro',
      interval: 'month',
      action: { type: 'stripe_embedded', publishable_key: 'pk_test', client_secret: 'cs_secret', sandbox_url: '/sandbox/stripe/chk_s' },
    }));
    server.on('GET /v1/checkout/chk_s', () => checkoutState({ checkout_id: 'chk_s', provider: 'stripe', status: 'paid', payment_id: 'pi_1' }));
    const el = await fixture<PlanPicker>(html`<plan-picker api=${location.origin}></plan-picker>`);
    await loaded(el);
    $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => el.querySelector('[slot="embedded"] iframe'));
    const iframe = el.querySelector<HTMLIFrameElement>('[slot="embedded"] iframe')!;
    const success = oneEvent(el, 'checkout-success');
    window.dispatchEvent(new MessageEvent('message', { data: { type: 'tollgate:stripe-sandbox-complete', checkout_id: 'chk_s' }, origin: location.origin, source: iframe.contentWindow }));
    expect((await success).detail).to.include({ checkout_id: 'chk_s', new_plan: 'pro', payment_id: 'pi_1' });
  });

  it('a catalog error shows plain words and Retry refetches', async () => {
    let calls = 0;
    server.on('GET /v1/plans', () => (++calls <= 2 ? Promise.reject(new TypeError('offline')) : catalog));
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await loaded(el);
    expect(text($(el, '[role="alert"]'))).to.contain('could not reach the billing server');
    await expect(el).to.be.accessible();
    $(el, '[part~="retry"]').click();
    await until(() => el.shadowRoot!.querySelector('[role="radiogroup"]'));
  });

  it('takes a plans property instead of fetching, and renders Hindi', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker locale="hi" .plans=${catalog}></plan-picker>`);
    await loaded(el);
    expect(server.calls('GET /v1/plans')).to.have.length(0);
    expect($(el, '[role="radiogroup"]').getAttribute('aria-label')).to.equal('प्लान चुनें');
    expect(text($(el, '[part~="cta"][data-plan="pro"]'))).to.equal('Pro चुनें');
    expect(text($$(el, '[part~="price"]')[1])).to.contain(formatMoney(159900, 'INR', 'hi')).and.contain('/माह');
    await expect(el).to.be.accessible();
  });

  it('hand-off attribute sends mode handoff', async () => {
    server.on('POST /v1/checkout', () => apiError(409, 'conflict'));
    const el = await fixture<PlanPicker>(html`<plan-picker handoff></plan-picker>`);
    await loaded(el);
    const error = oneEvent(el, 'checkout-error');
    $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
    await error;
    expect((server.calls('POST /v1/checkout')[0].body as { mode: string }).mode).to.equal('handoff');
  });
});
