// An API base with a path (a server mounted at /billing): every request, and every path the server sends back
// (a verify_path), goes under it; absolute URLs pass through; the default base of a script the server serves
// keeps the path before the file.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../src/components/plan-picker/plan-picker.js';
import '../../src/components/razorpay-checkout/razorpay-checkout.js';
import type { PlanPicker } from '../../src/components/plan-picker/plan-picker.js';
import type { RazorpayCheckout } from '../../src/components/razorpay-checkout/razorpay-checkout.js';
import { ApiClient, apiUrl } from '../../src/api/client.js';
import { DEFAULT_API_BASE, apiBaseOf } from '../../src/config.js';
import { $, FakeRazorpay, FakeServer, catalog, installRazorpay, razorpayCheckout, removeRazorpay, until, verified } from './helpers.js';

describe('an API base under a mount path', () => {
  it('joins a path to the base keeping its path, with or without a trailing slash', () => {
    expect(apiUrl('https://app.example/billing', '/v1/plans')).to.equal('https://app.example/billing/v1/plans');
    expect(apiUrl('https://app.example/billing/', '/v1/plans')).to.equal('https://app.example/billing/v1/plans');
    expect(apiUrl('https://app.example/billing', 'v1/plans?currency=USD')).to.equal('https://app.example/billing/v1/plans?currency=USD');
    expect(apiUrl('https://app.example', '/v1/plans')).to.equal('https://app.example/v1/plans');
    expect(new ApiClient({ base: 'https://app.example/a/b' }).url('/v1/subscription')).to.equal('https://app.example/a/b/v1/subscription');
  });

  it('passes absolute URLs through unchanged', () => {
    expect(apiUrl('https://app.example/billing', 'https://other.example/x?y=1')).to.equal('https://other.example/x?y=1');
    expect(apiUrl('https://app.example/billing', 'http://127.0.0.1:9/v1/plans')).to.equal('http://127.0.0.1:9/v1/plans');
  });

  it('<plan-picker api="…/billing"> asks GET /billing/v1/plans', async () => {
    const server = new FakeServer({ 'GET /billing/v1/plans': () => catalog });
    try {
      const el = await fixture<PlanPicker>(html`<plan-picker api="https://app.example/billing"></plan-picker>`);
      await until(() => el.shadowRoot?.querySelector('[role="radiogroup"]'), 3000, 'the plans');
      expect(server.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /billing/v1/plans']);
    } finally {
      server.restore();
    }
  });

  it("a checkout's verify_path from the server is joined under the mount path too", async () => {
    installRazorpay();
    const server = new FakeServer({
      'POST /billing/v1/checkout': () => razorpayCheckout(),
      'POST /billing/v1/razorpay/verify': () => verified,
    });
    try {
      const el = await fixture<RazorpayCheckout>(
        html`<razorpay-checkout plan="pro" plan-name="Pro" session="tok_1" api="https://app.example/billing/"></razorpay-checkout>`,
      );
      $(el, 'button').click();
      await until(() => FakeRazorpay.instances.length === 1, 3000, 'modal');
      const success = oneEvent(el, 'checkout-success');
      FakeRazorpay.last.pay('pay_1', 'sig_ok');
      expect((await success).detail.new_plan).to.equal('pro');
      expect(server.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['POST /billing/v1/checkout', 'POST /billing/v1/razorpay/verify']);
    } finally {
      server.restore();
      removeRazorpay();
    }
  });
});

describe('the default API base', () => {
  it('of a script the server serves is its origin and the path before the file', () => {
    expect(apiBaseOf('https://app.example/billing/tollgate.js')).to.equal('https://app.example/billing');
    expect(apiBaseOf('https://app.example/billing/tollgate.iife.js')).to.equal('https://app.example/billing');
    expect(apiBaseOf('https://app.example/billing/elements/plan-picker.js')).to.equal('https://app.example/billing');
    expect(apiBaseOf('https://app.example/a/b/chunks/shared-D89ai5pB.js')).to.equal('https://app.example/a/b');
    expect(apiBaseOf('https://app.example/tollgate.js')).to.equal('https://app.example');
    expect(apiBaseOf('https://app.example/chunks/shared-D89ai5pB.js?v=1')).to.equal('https://app.example');
  });

  it("of any other script (an app's bundle, node_modules in a dev server) is the script's origin", () => {
    expect(apiBaseOf('https://shop.example/assets/index-abc123.js')).to.equal('https://shop.example');
    expect(apiBaseOf('http://localhost:5173/node_modules/.vite/deps/tollgate.js')).to.equal('http://localhost:5173');
    expect(apiBaseOf('http://localhost:5173/node_modules/tollgate/dist/chunks/shared-x.js')).to.equal('http://localhost:5173');
    expect(apiBaseOf('https://shop.example/_next/static/chunks/app-1.js')).to.equal('https://shop.example');
    expect(apiBaseOf('https://shop.example/billing/tollgate.json')).to.equal('https://shop.example');
  });

  it('is what the elements use when neither api nor configure() sets one', async () => {
    // These sources are served from /src/config.ts: not a file the server serves, so the origin.
    expect(DEFAULT_API_BASE).to.equal(location.origin);
    const el = await fixture<PlanPicker>(html`<plan-picker .plans=${catalog}></plan-picker>`);
    expect(el.apiBase).to.equal(location.origin);
  });
});
