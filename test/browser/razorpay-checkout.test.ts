import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../src/components/razorpay-checkout/razorpay-checkout.js';
import type { RazorpayCheckout } from '../../src/components/razorpay-checkout/razorpay-checkout.js';
import { checkoutTiming } from '../../src/checkout/checkout-controller.js';
import { configure } from '../../src/config.js';
import {
  $,
  FakeRazorpay,
  FakeServer,
  apiError,
  checkoutState,
  installRazorpay,
  modalTakesFocus,
  razorpayCheckout,
  removeRazorpay,
  text,
  until,
  verified,
} from './helpers.js';

describe('<razorpay-checkout>', () => {
  let server: FakeServer;

  beforeEach(() => {
    installRazorpay();
    server = new FakeServer({
      'POST /v1/checkout': () => razorpayCheckout(),
      'POST /v1/razorpay/verify': () => verified,
    });
  });
  afterEach(() => {
    server.restore();
    removeRazorpay();
  });

  async function make(): Promise<RazorpayCheckout> {
    return fixture<RazorpayCheckout>(html`<razorpay-checkout plan="pro" plan-name="Pro" session="tok_1" api="https://billing.test"></razorpay-checkout>`);
  }

  it('renders a labelled button and is accessible', async () => {
    const el = await make();
    expect(text($(el, 'button'))).to.equal('Upgrade to Pro');
    expect($(el, '[role="status"]')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('creates one order with an Idempotency-Key, opens Razorpay with the order, verifies, fires checkout-success', async () => {
    const el = await make();
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1, 3000, 'modal');
    const [create] = server.calls('POST /v1/checkout');
    expect(create.body).to.deep.equal({ plan: 'pro', provider: 'razorpay', return_url: location.href });
    expect(create.headers['idempotency-key']).to.match(/^[0-9a-f-]{36}$/);
    expect(create.headers.authorization).to.equal('Bearer tok_1');
    const options = FakeRazorpay.last.options;
    expect(options).to.include({ key: 'rzp_test_key', amount: 159900, currency: 'INR', order_id: 'order_1', name: 'Acme' });
    expect(options.prefill).to.deep.equal({ name: 'Asha', email: 'asha@example.com', contact: '+919999999999' });
    expect(options.theme).to.deep.equal({ color: '#123456' });
    expect(FakeRazorpay.last.opened).to.be.true;
    expect($(el, '[part~="base"]').getAttribute('aria-busy')).to.equal('true');

    const success = oneEvent(el, 'checkout-success');
    FakeRazorpay.last.pay('pay_1', 'sig_ok');
    const event = await success;
    expect(event.detail).to.deep.equal({ plan: 'pro', checkout_id: 'chk_1', new_plan: 'pro', old_plan: 'free', payment_id: 'pay_1' });
    expect(event.bubbles && event.composed).to.be.true;
    const [verify] = server.calls('POST /v1/razorpay/verify');
    expect(verify.body).to.deep.equal({ plan: 'pro', razorpay_order_id: 'order_1', razorpay_payment_id: 'pay_1', razorpay_signature: 'sig_ok' });
    expect(verify.headers['idempotency-key']).to.be.a('string').and.not.equal(create.headers['idempotency-key']);
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.contain('You are now on Pro.');
  });

  it('a subscription: checkout.js gets subscription_id (no order_id, no amount) and the verify sends razorpay_subscription_id', async () => {
    const subscription = razorpayCheckout();
    const { order_id: _order, ...rest } = subscription.action as Extract<typeof subscription.action, { type: 'razorpay' }>;
    server.on('POST /v1/checkout', () => ({ ...subscription, action: { ...rest, subscription_id: 'sub_1', recurring: true } }));
    const el = await make();
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1, 3000, 'modal');
    const options = FakeRazorpay.last.options;
    expect(options).to.include({ key: 'rzp_test_key', subscription_id: 'sub_1', currency: 'INR', name: 'Acme' });
    expect(options).to.not.have.property('order_id');
    expect(options).to.not.have.property('amount');
    const success = oneEvent(el, 'checkout-success');
    FakeRazorpay.last.pay('pay_1', 'sig_ok');
    await success;
    const [verify] = server.calls('POST /v1/razorpay/verify');
    expect(verify.body).to.deep.equal({ plan: 'pro', razorpay_subscription_id: 'sub_1', razorpay_payment_id: 'pay_1', razorpay_signature: 'sig_ok' });
  });

  it('a double click creates a single order', async () => {
    const el = await make();
    const button = $<HTMLButtonElement>(el, 'button');
    button.click();
    button.click();
    void el.start();
    await until(() => FakeRazorpay.instances.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.calls('POST /v1/checkout')).to.have.length(1);
    expect(FakeRazorpay.instances).to.have.length(1);
  });

  it('checkout-start is cancelable and canceling it stops the checkout', async () => {
    const el = await make();
    el.addEventListener('checkout-start', (e) => e.preventDefault(), { once: true });
    $(el, 'button').click();
    await new Promise((r) => setTimeout(r, 30));
    expect(server.requests).to.have.length(0);
  });

  it('reports dismissal and Razorpay payment failures', async () => {
    const el = await make();
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1);
    const failed = oneEvent(el, 'payment-failed');
    FakeRazorpay.last.fail({ code: 'BAD_REQUEST_ERROR', description: 'Card declined.', source: 'bank', step: 'payment_authorization', reason: 'payment_failed', metadata: { order_id: 'order_1', payment_id: 'pay_x' } });
    const failure = await failed;
    expect(failure.detail).to.include({ code: 'BAD_REQUEST_ERROR', description: 'Card declined.', reason: 'payment_failed', checkout_id: 'chk_1' });
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.contain('Card declined.');
    const dismissed = oneEvent(el, 'checkout-dismiss');
    FakeRazorpay.last.dismiss();
    expect((await dismissed).detail).to.deep.equal({ plan: 'pro', checkout_id: 'chk_1' });
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.contain('not been charged');
    expect(server.calls('POST /v1/razorpay/verify')).to.have.length(0);
  });

  it("a second attempt that fails to start reports no checkout id (not the first attempt's)", async () => {
    const el = await make();
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1);
    FakeRazorpay.last.dismiss();
    await el.updateComplete;
    server.on('POST /v1/checkout', () => apiError(502, 'upstream_error', 'Razorpay is down'));
    const error = oneEvent(el, 'checkout-error');
    const button = $<HTMLButtonElement>(el, '[part="button"]');
    expect(button.disabled).to.equal(false);
    button.click();
    const detail = (await error).detail as { code: string; checkout_id?: string };
    expect(detail.code).to.equal('upstream_error');
    expect(detail.checkout_id).to.equal(undefined);
  });

  it('the payment-failed line shows the provider reason once, then "You can try again."', async () => {
    const el = await make();
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1);
    FakeRazorpay.last.fail({ code: 'BAD_REQUEST_ERROR', description: "Your payment didn't go through as it was declined by the bank", source: 'bank', step: 'payment_authorization', reason: 'payment_failed', metadata: { order_id: 'order_1', payment_id: 'pay_x' } });
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.equal("Your payment didn't go through as it was declined by the bank. You can try again.");
    // No reason at all: the plain sentence, not a dangling " You can try again."
    FakeRazorpay.last.fail({ code: '', description: '', source: 'bank', step: 'payment_authorization', reason: '', metadata: { order_id: 'order_1', payment_id: 'pay_y' } });
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.equal('The payment did not go through, so your plan has not changed. You can try again.');
  });

  it('focus comes back from the modal: to the button when dismissed, to the status message once paid', async () => {
    const el = await make();
    const button = $<HTMLButtonElement>(el, 'button');
    button.focus();
    button.click();
    await until(() => FakeRazorpay.instances.length === 1, 3000, 'modal');
    modalTakesFocus()();
    FakeRazorpay.last.dismiss();
    await until(() => el.shadowRoot!.activeElement === button, 3000, 'focus on the pay button');

    button.click();
    await until(() => FakeRazorpay.instances.length === 2, 3000, 'modal');
    modalTakesFocus()();
    expect(document.activeElement).to.equal(document.body);
    FakeRazorpay.last.pay();
    await until(() => el.shadowRoot!.activeElement, 3000, 'focus inside the element');
    expect(button.disabled).to.equal(true);
    expect(el.shadowRoot!.activeElement).to.equal($(el, '[part~="status"]'));
    expect(document.activeElement).to.equal(el);
    await expect(el).to.be.accessible();
  });

  it('a bad signature is a checkout-error in plain words', async () => {
    server.on('POST /v1/razorpay/verify', () => apiError(400, 'invalid_signature', 'Signature mismatch'));
    const el = await make();
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1);
    const error = oneEvent(el, 'checkout-error');
    FakeRazorpay.last.pay();
    expect((await error).detail).to.include({ code: 'invalid_signature', message: 'Signature mismatch' });
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.contain('could not confirm this payment');
  });

  it('a paid order whose verify cannot reach the server says the payment went through; Retry verifies again with the same key, no new order', async () => {
    let calls = 0;
    // The client retries a network failure once by itself (same key); the third call answers.
    server.on('POST /v1/razorpay/verify', () => (++calls <= 2 ? Promise.reject(new TypeError('Failed to fetch')) : verified));
    const el = await make();
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1);
    const error = oneEvent(el, 'checkout-error');
    FakeRazorpay.last.pay();
    expect((await error).detail.code).to.equal('network_error');
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.contain('Your payment went through');
    expect(text($(el, '[role="status"]'))).to.contain('you will not be charged again');
    const success = oneEvent(el, 'checkout-success');
    $(el, '[part~="retry"]').click();
    expect((await success).detail.new_plan).to.equal('pro');
    const keys = server.calls('POST /v1/razorpay/verify').map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(3);
    expect(new Set(keys).size).to.equal(1);
    expect(server.calls('POST /v1/checkout')).to.have.length(1);
    expect(FakeRazorpay.instances).to.have.length(1);
  });

  /** 409 conflict with Retry-After: the server still holds the verify's key (in progress, or a crashed request's lease). */
  function inProgress(): Response {
    const res = apiError(409, 'conflict', 'A request with this Idempotency-Key is still in progress; retry shortly');
    res.headers.set('Retry-After', '1');
    return res;
  }

  it('a verify answered 409 conflict with Retry-After is retried by itself after Retry-After, with the same key, and succeeds', async () => {
    const at: number[] = [];
    server.on('POST /v1/razorpay/verify', () => (at.push(performance.now()), at.length <= 2 ? inProgress() : verified));
    const el = await make();
    const errors: Event[] = [];
    el.addEventListener('checkout-error', (e) => errors.push(e));
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1);
    const success = oneEvent(el, 'checkout-success');
    FakeRazorpay.last.pay();
    expect((await success).detail.new_plan).to.equal('pro');
    expect(errors).to.have.length(0);
    const keys = server.calls('POST /v1/razorpay/verify').map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(3);
    expect(new Set(keys).size).to.equal(1);
    // Each retry waited the server's Retry-After (1 s); a slow machine only makes the gaps longer.
    expect(at[1] - at[0]).to.be.at.least(950);
    expect(at[2] - at[1]).to.be.at.least(950);
    expect(server.calls('POST /v1/checkout')).to.have.length(1);
  });

  it('a verify still in progress after its automatic retries says the payment went through; Retry verifies again with the same key', async () => {
    const bound = checkoutTiming.verifyBusyRetries;
    checkoutTiming.verifyBusyRetries = 1;
    try {
      let calls = 0;
      server.on('POST /v1/razorpay/verify', () => (++calls <= 2 ? inProgress() : verified));
      const el = await make();
      $(el, 'button').click();
      await until(() => FakeRazorpay.instances.length === 1);
      const error = oneEvent(el, 'checkout-error');
      FakeRazorpay.last.pay();
      expect((await error).detail.code).to.equal('conflict');
      await el.updateComplete;
      expect(text($(el, '[role="status"]'))).to.contain('Your payment went through');
      const success = oneEvent(el, 'checkout-success');
      $(el, '[part~="retry"]').click();
      expect((await success).detail.new_plan).to.equal('pro');
      const keys = server.calls('POST /v1/razorpay/verify').map((r) => r.headers['idempotency-key']);
      expect(keys).to.have.length(3);
      expect(new Set(keys).size).to.equal(1);
      expect(server.calls('POST /v1/checkout')).to.have.length(1);
      expect(FakeRazorpay.instances).to.have.length(1);
    } finally {
      checkoutTiming.verifyBusyRetries = bound;
    }
  });

  it('a server error shows Retry, and Retry is a new attempt with a new key', async () => {
    let calls = 0;
    // 503 is retried once automatically with the same key, then reported
    server.on('POST /v1/checkout', () => (++calls <= 2 ? apiError(503, 'provider_unavailable') : razorpayCheckout()));
    const el = await make();
    const error = oneEvent(el, 'checkout-error');
    $(el, 'button').click();
    expect((await error).detail.code).to.equal('provider_unavailable');
    const keys = server.calls('POST /v1/checkout').map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[0]).to.equal(keys[1]);
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.contain('payment provider is unavailable');
    await expect(el).to.be.accessible();
    $(el, '[part~="retry"]').click();
    await until(() => FakeRazorpay.instances.length === 1);
    const third = server.calls('POST /v1/checkout')[2];
    expect(third.headers['idempotency-key']).to.not.equal(keys[0]);
  });

  it('checkout.js failing to load is a visible, retryable state', async () => {
    removeRazorpay();
    server.on('POST /v1/checkout', () => razorpayCheckout('chk_1', '/does-not-exist/checkout.js'));
    const el = await make();
    const error = oneEvent(el, 'checkout-error');
    $(el, 'button').click();
    expect((await error).detail.code).to.equal('script_failed');
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.contain('payment window could not be loaded');
    // Retry reuses the same order (no new POST) once the script is there.
    installRazorpay();
    $(el, '[part~="retry"]').click();
    await until(() => FakeRazorpay.instances.length === 1);
    expect(server.calls('POST /v1/checkout')).to.have.length(1);
  });

  it('network failure shows the network message', async () => {
    server.on('POST /v1/checkout', () => Promise.reject(new TypeError('Failed to fetch')));
    const el = await make();
    const error = oneEvent(el, 'checkout-error');
    $(el, 'button').click();
    expect((await error).detail.code).to.equal('network_error');
  });

  it('with a checkout attribute it starts that hand-off checkout instead of creating one, verifying the plan /start names', async () => {
    server.on('POST /v1/checkout/chk_9/start', () => razorpayCheckout('chk_9', undefined, 'team'));
    const el = await fixture<RazorpayCheckout>(html`<razorpay-checkout checkout="chk_9" session="tok_1"></razorpay-checkout>`);
    $(el, 'button').click();
    await until(() => FakeRazorpay.instances.length === 1);
    expect(server.calls('POST /v1/checkout')).to.have.length(0);
    expect(server.calls('POST /v1/checkout/chk_9/start')[0].body).to.deep.equal({});
    const success = oneEvent(el, 'checkout-success');
    FakeRazorpay.last.pay();
    expect((await success).detail).to.include({ plan: 'team', new_plan: 'pro', checkout_id: 'chk_9' });
    expect((server.calls('POST /v1/razorpay/verify')[0].body as { plan: string }).plan).to.equal('team');
    expect(server.calls('GET /v1/checkout/chk_9')).to.have.length(0); // /start already said which plan
  });

  it('hand-off mode: shows the link, fires cancelable handoff-open, never opens a window, polls until paid', async () => {
    // Paid only once the test has looked at the hand-off view: a fixed number of 20 ms polls could finish
    // (and take the view away) while the accessibility check runs on a slow machine.
    let paid = false;
    let polls = 0;
    server.on('POST /v1/checkout', () => ({
      checkout_id: 'chk_h',
      plan: 'pro',
      interval: 'month',
      action: { type: 'handoff', url: 'https://billing.test/pay/chk_h', status_url: '/v1/checkout/chk_h', expires_at: new Date(Date.now() + 60_000).toISOString() },
    }));
    server.on('GET /v1/checkout/chk_h', () => {
      polls++;
      return checkoutState({ checkout_id: 'chk_h', status: paid ? 'paid' : 'pending', payment_id: 'pay_h' });
    });
    const opened: unknown[] = [];
    const realOpen = window.open;
    window.open = (...args: unknown[]) => (opened.push(args), null);
    try {
      const el = await fixture<RazorpayCheckout>(html`<razorpay-checkout plan="pro" handoff session="tok_1"></razorpay-checkout>`);
      const success = oneEvent(el, 'checkout-success');
      $(el, 'button').click();
      await until(() => el.shadowRoot!.querySelector('[part~="handoff"]'));
      await el.updateComplete;
      expect((server.calls('POST /v1/checkout')[0].body as { mode: string }).mode).to.equal('handoff');
      expect($<HTMLInputElement>(el, '[part~="handoff-url"]').value).to.equal('https://billing.test/pay/chk_h');
      await expect(el).to.be.accessible();
      el.addEventListener('handoff-open', (e) => e.preventDefault(), { once: true });
      const open = oneEvent(el, 'handoff-open');
      $(el, '[part~="handoff-button"]').click();
      expect((await open).detail).to.deep.equal({ url: 'https://billing.test/pay/chk_h', checkout_id: 'chk_h' });
      await until(() => polls >= 2, 3000, 'a pending poll or two');
      paid = true;
      const done = await success;
      expect(done.detail).to.include({ checkout_id: 'chk_h', new_plan: 'pro', payment_id: 'pay_h' });
      expect(opened).to.have.length(0);
    } finally {
      window.open = realOpen;
    }
  });

  it('hand-off that expires shows a plain-words state with Retry', async () => {
    server.on('POST /v1/checkout', () => ({
      checkout_id: 'chk_e',
      plan: 'pro',
      interval: 'month',
      action: { type: 'handoff', url: 'https://billing.test/pay/chk_e', status_url: '/v1/checkout/chk_e', expires_at: new Date(Date.now() + 60_000).toISOString() },
    }));
    server.on('GET /v1/checkout/chk_e', () => checkoutState({ checkout_id: 'chk_e', status: 'expired' }));
    configure({ handoff: true });
    try {
      const el = await fixture<RazorpayCheckout>(html`<razorpay-checkout plan="pro" session="tok_1"></razorpay-checkout>`);
      const end = oneEvent(el, 'handoff-end');
      $(el, 'button').click();
      expect((await end).detail).to.deep.equal({ checkout_id: 'chk_e', status: 'expired' });
      await el.updateComplete;
      expect(text($(el, '[role="status"]'))).to.contain('link expired');
      expect($(el, '[part~="retry"]')).to.exist;
    } finally {
      configure({ handoff: false });
    }
  });

  it('speaks Hindi', async () => {
    const el = await fixture<RazorpayCheckout>(html`<razorpay-checkout plan="pro" plan-name="Pro" locale="hi"></razorpay-checkout>`);
    expect(text($(el, 'button'))).to.equal('Pro में अपग्रेड करें');
    await expect(el).to.be.accessible();
  });
});
