import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../src/components/stripe-checkout/stripe-checkout.js';
import type { StripeCheckout } from '../../src/components/stripe-checkout/stripe-checkout.js';
import { FakeServer, $, checkoutState, text, until } from './helpers.js';

const embedded = (sandbox?: string) => ({
  checkout_id: 'chk_s',
  plan: 'pro',
  interval: 'month',
  action: { type: 'stripe_embedded', publishable_key: 'pk_test_1', client_secret: 'cs_test_secret', ...(sandbox ? { sandbox_url: sandbox } : {}) },
});

describe('<stripe-checkout>', () => {
  let server: FakeServer;
  beforeEach(() => {
    server = new FakeServer({ 'POST /v1/checkout': () => embedded() });
  });
  afterEach(() => server.restore());

  it('renders accessibly with a default label', async () => {
    const el = await fixture<StripeCheckout>(html`<stripe-checkout plan="pro"></stripe-checkout>`);
    expect(text($(el, 'button'))).to.equal('Pay with card');
    await expect(el).to.be.accessible();
  });

  it('loads Stripe.js lazily, mounts in a light-DOM child, confirms with the server before success', async () => {
    const mounted: HTMLElement[] = [];
    let onComplete!: () => void;
    const w = window as unknown as { Stripe?: unknown };
    w.Stripe = Object.assign(
      (key: string) => {
        expect(key).to.equal('pk_test_1');
        return {
          createEmbeddedCheckoutPage: async (options: { clientSecret: string; onComplete: () => void }) => {
            expect(options.clientSecret).to.equal('cs_test_secret');
            onComplete = options.onComplete;
            return { mount: (el: HTMLElement) => mounted.push(el), destroy: () => {} };
          },
        };
      },
      { version: 'endive' },
    );
    let polls = 0;
    server.on('GET /v1/checkout/chk_s', () => checkoutState({ checkout_id: 'chk_s', provider: 'stripe', status: ++polls >= 2 ? 'paid' : 'pending' }));
    try {
      const el = await fixture<StripeCheckout>(html`<stripe-checkout plan="pro" interval="year" session="tok_1"></stripe-checkout>`);
      $(el, 'button').click();
      await until(() => mounted.length === 1, 5000, 'stripe mount');
      expect(server.calls('POST /v1/checkout')[0].body).to.deep.equal({ plan: 'pro', interval: 'year', provider: 'stripe', ui_mode: 'embedded_page', return_url: location.href });
      expect(mounted[0].parentElement).to.equal(el); // light DOM, slotted
      expect(mounted[0].slot).to.equal('embedded');
      const success = oneEvent(el, 'checkout-success');
      onComplete();
      expect((await success).detail).to.include({ checkout_id: 'chk_s', new_plan: 'pro' });
      expect(polls).to.be.at.least(2);
    } finally {
      delete w.Stripe;
    }
  });

  it('sandbox: accepts the completion message only from the server origin and its own iframe', async () => {
    server.on('POST /v1/checkout', () => embedded('/sandbox/stripe/chk_s'));
    server.on('GET /v1/checkout/chk_s', () => checkoutState({ checkout_id: 'chk_s', provider: 'stripe', status: 'paid' }));
    const el = await fixture<StripeCheckout>(html`<stripe-checkout plan="pro" api=${location.origin}></stripe-checkout>`);
    $(el, 'button').click();
    await until(() => el.querySelector('iframe'));
    const iframe = el.querySelector('iframe')!;
    expect(iframe.src).to.equal(`${location.origin}/sandbox/stripe/chk_s`);
    const data = { type: 'tollgate:stripe-sandbox-complete', checkout_id: 'chk_s' };
    window.dispatchEvent(new MessageEvent('message', { data, origin: 'https://evil.example', source: iframe.contentWindow }));
    window.dispatchEvent(new MessageEvent('message', { data, origin: location.origin, source: window }));
    window.dispatchEvent(new MessageEvent('message', { data: { ...data, checkout_id: 'chk_other' }, origin: location.origin, source: iframe.contentWindow }));
    await new Promise((r) => setTimeout(r, 50));
    expect(server.calls('GET /v1/checkout/chk_s')).to.have.length(0);
    const success = oneEvent(el, 'checkout-success');
    window.dispatchEvent(new MessageEvent('message', { data, origin: location.origin, source: iframe.contentWindow }));
    await success;
    await el.updateComplete;
    expect(el.querySelector('iframe')).to.be.null; // unmounted after success
    await expect(el).to.be.accessible();
  });

  it('a checkout that never turns paid is reported, not assumed', async () => {
    server.on('POST /v1/checkout', () => embedded('/sandbox/stripe/chk_s'));
    server.on('GET /v1/checkout/chk_s', () => checkoutState({ checkout_id: 'chk_s', status: 'pending' }));
    const el = await fixture<StripeCheckout>(html`<stripe-checkout plan="pro" api=${location.origin}></stripe-checkout>`);
    $(el, 'button').click();
    await until(() => el.querySelector('iframe'));
    const error = oneEvent(el, 'checkout-error');
    window.dispatchEvent(
      new MessageEvent('message', { data: { type: 'tollgate:stripe-sandbox-complete', checkout_id: 'chk_s' }, origin: location.origin, source: el.querySelector('iframe')!.contentWindow }),
    );
    expect((await error).detail.code).to.equal('not_confirmed');
    await el.updateComplete;
    expect(text($(el, '[role="status"]'))).to.contain('not received the payment confirmation');
  });

  it('speaks Hindi', async () => {
    const el = await fixture<StripeCheckout>(html`<stripe-checkout plan="pro" locale="hi-IN"></stripe-checkout>`);
    expect(text($(el, 'button'))).to.equal('कार्ड से भुगतान करें');
  });
});
