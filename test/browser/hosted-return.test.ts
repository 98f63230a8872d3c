// Coming back from a hosted payment page (Stripe hosted, mintbot, MimicBot, Bonzai): the element
// that claims the return polls GET /v1/checkout/{id} and shows the outcome.
import { expect, fixture, fixtureCleanup, html, oneEvent } from '@open-wc/testing';
import '../../src/components/plan-picker/plan-picker.js';
import '../../src/components/razorpay-checkout/razorpay-checkout.js';
import '../../src/components/usage-meter/usage-meter.js';
import type { PlanPicker } from '../../src/components/plan-picker/plan-picker.js';
import { pendingKey, resetReturnClaim } from '../../src/checkout/lazy-checkout.js';
import { checkoutTiming } from '../../src/checkout/checkout-controller.js';
import { configure, DEFAULT_API_BASE } from '../../src/config.js';
import { $, FakeServer, catalog, checkoutState, navigations, pageEvent, subscription, text, until } from './helpers.js';

const KEY = pendingKey(DEFAULT_API_BASE);
const home = location.pathname + location.search;

function returnTo(query: string): void {
  const url = new URL(location.href);
  for (const [name, value] of new URLSearchParams(query)) url.searchParams.set(name, value);
  history.replaceState(null, '', url.href);
}

function status(el: Element): HTMLElement {
  return $(el, '[part~="status"]');
}

describe('back from a hosted page', () => {
  let server: FakeServer;
  let states: Array<ReturnType<typeof checkoutState>>;
  const timing = { ...checkoutTiming };

  beforeEach(() => {
    resetReturnClaim();
    sessionStorage.clear();
    configure({ session: 'tok_test' });
    Object.assign(checkoutTiming, { returnPollMs: 20, returnMaxPollMs: 40, returnBoundMs: 400, returnSlowPollMs: 60 });
    states = [];
    server = new FakeServer({
      'GET /v1/plans': () => catalog,
      'GET /v1/subscription': () => subscription(),
      'GET /v1/checkout/chk_h': () => states.shift() ?? checkoutState({ checkout_id: 'chk_h', status: 'pending' }),
    });
  });
  afterEach(() => {
    server.restore();
    fixtureCleanup();
    history.replaceState(null, '', home);
    sessionStorage.clear();
    Object.assign(checkoutTiming, timing);
    configure({ session: undefined });
  });

  /** A picker whose Pro checkout (chk_h) answers a redirect to `url`: Pro chosen, and the page sent there. */
  async function choosePlanRedirectedTo(url: string): Promise<PlanPicker> {
    server.on('POST /v1/checkout', () => ({ checkout_id: 'chk_h', plan: 'pro', plan_name: 'Pro', interval: 'month', action: { type: 'redirect', url } }));
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await until(() => el.shadowRoot!.querySelector('[part~="cta"][data-plan="pro"]'), 3000, 'plans');
    $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
    await until(() => navigations.includes(url));
    return el;
  }

  it('a redirect remembers the checkout in sessionStorage and returns to this page', async () => {
    const el = await choosePlanRedirectedTo('https://pay.example/cs_h');
    const stored = JSON.parse(sessionStorage.getItem(KEY) ?? '{}');
    expect(stored).to.include({ checkout_id: 'chk_h', plan: 'pro', plan_name: 'Pro' });
    expect(Date.now() - stored.at).to.be.below(5000);
    expect((server.calls('POST /v1/checkout')[0].body as { return_url: string }).return_url).to.equal(location.href);
  });

  it('with ?tollgate_checkout: polls until paid, fires checkout-success and removes the parameter', async () => {
    returnTo('tollgate_checkout=chk_h&keep=1');
    sessionStorage.setItem(KEY, JSON.stringify({ checkout_id: 'chk_h', plan: 'pro', plan_name: 'Pro', at: Date.now() }));
    states = [checkoutState({ checkout_id: 'chk_h' }), checkoutState({ checkout_id: 'chk_h', status: 'paid', payment_id: 'pi_1' })];
    const meterLoads = () => server.calls('GET /v1/subscription').length;
    const meter = await fixture(html`<usage-meter></usage-meter>`);
    const resolved = pageEvent('checkout-success');
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    const success = await resolved;
    expect(success.target).to.equal(el);
    expect(success.detail).to.include({ checkout_id: 'chk_h', new_plan: 'pro', payment_id: 'pi_1' });
    expect(server.calls('GET /v1/checkout/chk_h')).to.have.length(2);
    expect(new URL(location.href).searchParams.has('tollgate_checkout')).to.equal(false);
    expect(new URL(location.href).searchParams.get('keep')).to.equal('1');
    await el.updateComplete;
    expect(text(status(el))).to.equal('Payment confirmed. You are now on Pro.');
    expect(sessionStorage.getItem(KEY)).to.equal(null);
    await until(() => meterLoads() >= 2, 3000, 'the meter to refresh');
    expect(meter).to.exist;
    await expect(el).to.be.accessible();
  });

  it('with only the stored pending checkout (MimicBot returns without our id): resumes it', async () => {
    returnTo('success=1');
    sessionStorage.setItem(KEY, JSON.stringify({ checkout_id: 'chk_h', plan: 'pro', plan_name: 'Pro', at: Date.now() - 60_000 }));
    states = [checkoutState({ checkout_id: 'chk_h', status: 'paid' })];
    const resolved = pageEvent('checkout-success');
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    const success = await resolved;
    expect(success.target).to.equal(el);
    expect(success.detail.new_plan).to.equal('pro');
    expect(sessionStorage.getItem(KEY)).to.equal(null);
  });

  it('ignores a stored pending checkout older than an hour', async () => {
    sessionStorage.setItem(KEY, JSON.stringify({ checkout_id: 'chk_h', plan: 'pro', at: Date.now() - 2 * 3600_000 }));
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await until(() => sessionStorage.getItem(KEY) === null, 3000, 'the stale entry to be cleared');
    expect(server.calls('GET /v1/checkout/chk_h')).to.have.length(0);
    expect(text(status(el))).to.equal('');
  });

  it('failed: a visible error with Retry that starts a new checkout of the same plan', async () => {
    returnTo('tollgate_checkout=chk_h');
    states = [checkoutState({ checkout_id: 'chk_h', status: 'failed', provider: 'stripe', currency: 'USD' })];
    server.on('POST /v1/checkout', () => ({ checkout_id: 'chk_2', plan: 'pro', plan_name: 'Pro', interval: 'month', action: { type: 'redirect', url: 'https://pay.example/cs_2' } }));
    const failed = pageEvent('checkout-error');
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    const error = await failed;
    expect(error.target).to.equal(el);
    expect(error.detail.code).to.equal('payment_failed');
    await el.updateComplete;
    expect(status(el).getAttribute('data-phase')).to.equal('error');
    expect(text(status(el))).to.contain('did not go through');
    await expect(el).to.be.accessible();
    $<HTMLButtonElement>(el, '[part~="retry"]').click();
    await until(() => navigations.includes('https://pay.example/cs_2'));
    expect(server.calls('POST /v1/checkout')[0].body).to.deep.include({ plan: 'pro', interval: 'month', provider: 'stripe', currency: 'USD' });
  });

  it('back through the cancel URL: canceled, nothing charged, the plans stay choosable', async () => {
    returnTo('tollgate_checkout=chk_h&tollgate_canceled=1');
    const dismissed = pageEvent('checkout-dismiss');
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    expect((await dismissed).target).to.equal(el);
    await el.updateComplete;
    expect(text(status(el))).to.equal('Payment canceled. You have not been charged.');
    expect(location.search).not.to.contain('tollgate_');
    expect(server.calls('GET /v1/checkout/chk_h')).to.have.length(1);
  });

  it('back through the cancel URL after the session expired: still "canceled", not an error', async () => {
    returnTo('tollgate_checkout=chk_h&tollgate_canceled=1');
    states = [checkoutState({ checkout_id: 'chk_h', status: 'expired' })];
    const dismissed = pageEvent('checkout-dismiss');
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    expect((await dismissed).target).to.equal(el);
    await el.updateComplete;
    expect(status(el).getAttribute('data-phase')).to.equal('dismissed');
    expect(text(status(el))).to.equal('Payment canceled. You have not been charged.');
  });

  it('an expired checkout on return (no cancel): says so, with Retry', async () => {
    returnTo('tollgate_checkout=chk_h');
    states = [checkoutState({ checkout_id: 'chk_h', status: 'expired' })];
    const failed = pageEvent('checkout-error');
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    expect((await failed).detail.code).to.equal('payment_expired');
    await el.updateComplete;
    expect(status(el).getAttribute('data-phase')).to.equal('error');
    expect(text(status(el))).to.equal('The payment page expired before the payment was made. You can try again.');
    expect($(el, '[part~="retry"]')).to.exist;
  });

  it('still pending after the bound: says so, keeps a slow poll, then succeeds', async () => {
    returnTo('tollgate_checkout=chk_h');
    let paid = false;
    server.on('GET /v1/checkout/chk_h', () => checkoutState({ checkout_id: 'chk_h', status: paid ? 'paid' : 'pending' }));
    // The bound passes when the test has seen "Confirming…" (each poll reads it): with 400 ms from the
    // start, a slow first render could miss that phase altogether.
    checkoutTiming.returnBoundMs = 60_000;
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await until(() => status(el).getAttribute('data-phase') === 'returning', 3000, 'returning');
    expect(text(status(el))).to.equal('Confirming your payment…');
    checkoutTiming.returnBoundMs = 0;
    await until(() => status(el).getAttribute('data-phase') === 'unconfirmed', 3000, 'unconfirmed');
    expect(text(status(el))).to.contain('still confirming your payment');
    // Choosing another plan would stop watching this payment: the plans wait, "Start over" is offered.
    expect($<HTMLButtonElement>(el, '[part~="cta"][data-plan="team"]').disabled).to.equal(true);
    expect(text($(el, '[part~="start-over"]'))).to.equal('Start over');
    await expect(el).to.be.accessible();
    const success = oneEvent(el, 'checkout-success');
    paid = true;
    await success;
    expect(sessionStorage.getItem(KEY)).to.equal(null);
  });

  it('only one element per page resumes the return', async () => {
    returnTo('tollgate_checkout=chk_h');
    states = [checkoutState({ checkout_id: 'chk_h', status: 'paid' })];
    const resolved = pageEvent('checkout-success');
    const wrapper = await fixture(html`<div><plan-picker></plan-picker><razorpay-checkout plan="pro"></razorpay-checkout></div>`);
    expect((await resolved).target).to.equal(wrapper.querySelector('plan-picker'));
    await new Promise((r) => setTimeout(r, 100));
    expect(server.calls('GET /v1/checkout/chk_h')).to.have.length(1);
    expect(text(status(wrapper.querySelector('razorpay-checkout')!))).to.equal('');
  });

  it('waits for the session before asking the server', async () => {
    configure({ session: undefined });
    returnTo('tollgate_checkout=chk_h');
    states = [checkoutState({ checkout_id: 'chk_h', status: 'paid' })];
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.calls('GET /v1/checkout/chk_h')).to.have.length(0);
    const success = oneEvent(el, 'checkout-success');
    configure({ session: 'tok_late' });
    await success;
    expect(server.calls('GET /v1/checkout/chk_h')[0].headers.authorization).to.equal('Bearer tok_late');
  });
  it('"Start over" while still confirming: stops the poll, forgets the pending checkout, the plans are choosable', async () => {
    returnTo('tollgate_checkout=chk_h');
    sessionStorage.setItem(KEY, JSON.stringify({ checkout_id: 'chk_h', plan: 'pro', at: Date.now() }));
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await until(() => status(el).getAttribute('data-phase') === 'unconfirmed', 3000, 'unconfirmed');
    $(el, '[part~="start-over"]').click();
    await el.updateComplete;
    expect(status(el).getAttribute('data-phase')).to.equal('idle');
    expect(sessionStorage.getItem(KEY)).to.equal(null);
    const polls = server.calls('GET /v1/checkout/chk_h').length;
    await new Promise((r) => setTimeout(r, 150));
    expect(server.calls('GET /v1/checkout/chk_h').length).to.equal(polls);
    expect($<HTMLButtonElement>(el, '[part~="cta"][data-plan="team"]').disabled).to.equal(false);
  });

  it('with only ?tollgate_checkout (no stored entry): the success message names the plan from the catalog', async () => {
    returnTo('tollgate_checkout=chk_h');
    states = [checkoutState({ checkout_id: 'chk_h', plan: 'team', status: 'paid' })];
    const resolved = pageEvent('checkout-success');
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    expect((await resolved).target).to.equal(el);
    await until(() => text(status(el)) === 'Payment confirmed. You are now on Team.', 3000, 'the plan name');
    await expect(el).to.be.accessible();
  });

  it('Back restores the page from the back-forward cache: the redirect state resets and the pending checkout is checked', async () => {
    const el = await choosePlanRedirectedTo('https://pay.example/cs_b');
    await el.updateComplete;
    expect(text(status(el))).to.equal('Taking you to the payment page…');
    // A pageshow that is not from the cache changes nothing.
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }));
    await el.updateComplete;
    expect(status(el).getAttribute('data-phase')).to.equal('redirecting');
    states = [checkoutState({ checkout_id: 'chk_h', status: 'pending' }), checkoutState({ checkout_id: 'chk_h', status: 'paid' })];
    const success = oneEvent(el, 'checkout-success');
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await el.updateComplete;
    expect(text(status(el))).to.equal('Confirming your payment…');
    expect((await success).detail).to.include({ checkout_id: 'chk_h', new_plan: 'pro' });
    await el.updateComplete;
    expect(text(status(el))).to.equal('Payment confirmed. You are now on Pro.');
    await expect(el).to.be.accessible();
  });
});
