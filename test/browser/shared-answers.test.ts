// The page's shared GET answers (src/api/client.ts): however many elements ask, one request per resource
// (URL, session, locale), once more after a checkout succeeds; other sessions and locales are their own
// resources; a failure is asked again, and so is an answer older than the page keeps one.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/components/plan-picker/plan-picker.js';
import '../../src/components/usage-meter/usage-meter.js';
import '../../src/components/paywall-gate/paywall-gate.js';
import type { PlanPicker } from '../../src/components/plan-picker/plan-picker.js';
import type { UsageMeter } from '../../src/components/usage-meter/usage-meter.js';
import type { PaywallGate } from '../../src/components/paywall-gate/paywall-gate.js';
import {
  $,
  $$,
  FakeRazorpay,
  FakeServer,
  apiError,
  catalog,
  entitlements,
  installRazorpay,
  razorpayCheckout,
  removeRazorpay,
  subscription,
  text,
  until,
  verified,
} from './helpers.js';

/** Every <plan-picker>, <usage-meter> and <paywall-gate> under `root` (open shadow roots too) has its data. */
async function settled(root: Element): Promise<void> {
  const all = (selector: string): Element[] => {
    const found: Element[] = [];
    const walk = (node: Element | ShadowRoot) =>
      node.querySelectorAll('*').forEach((el) => {
        if (el.matches(selector)) found.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      });
    walk(root);
    return found;
  };
  const ready = (el: Element): boolean =>
    Boolean(el.shadowRoot?.querySelector('[role="radiogroup"], [part="plan-name"], [role="alert"], slot:not([name]), [part~="paywall"]'));
  await until(() => all('plan-picker, usage-meter, paywall-gate').every(ready), 3000, 'every element to show its data');
  // Anything a settled page still asks for would be asked for by now: the counts below are final.
  await new Promise((r) => setTimeout(r, 100));
}

const byAuth = (server: FakeServer, route: string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const r of server.calls(route)) counts[r.headers.authorization ?? 'none'] = (counts[r.headers.authorization ?? 'none'] ?? 0) + 1;
  return counts;
};

describe('shared answers', () => {
  let server: FakeServer;
  beforeEach(() => {
    installRazorpay();
    server = new FakeServer({
      'GET /v1/plans': () => catalog,
      'GET /v1/subscription': () => subscription(),
      'GET /v1/entitlements': () => entitlements({ plan: 'free', features: [], has_access: false }),
      'POST /v1/checkout': () => razorpayCheckout(),
      'POST /v1/razorpay/verify': () => verified,
    });
  });
  afterEach(() => {
    server.restore();
    removeRazorpay();
  });

  it('several elements on one page make one request per resource', async () => {
    const page = await fixture(html`<div>
      <plan-picker session="tok_1"></plan-picker>
      <plan-picker session="tok_1" interval="year"></plan-picker>
      <usage-meter session="tok_1"></usage-meter>
      <usage-meter session="tok_1" compact></usage-meter>
      <paywall-gate feature="export" session="tok_1"><p>Export</p></paywall-gate>
      <paywall-gate feature="sso" session="tok_1"><p>SSO</p></paywall-gate>
    </div>`);
    await settled(page);
    // Both gates are locked, so each shows a default paywall with a third and fourth <plan-picker>.
    const gates = [...page.querySelectorAll<PaywallGate>('paywall-gate')];
    expect(gates.map((g) => Boolean(g.shadowRoot!.querySelector('plan-picker')))).to.deep.equal([true, true]);
    expect(server.calls('GET /v1/plans')).to.have.length(1);
    expect(server.calls('GET /v1/subscription')).to.have.length(1);
    expect(server.calls('GET /v1/entitlements')).to.have.length(1);
    // Every element shows the one answer.
    for (const meter of page.querySelectorAll('usage-meter')) expect(text($(meter, '[part="plan-name"]'))).to.equal('Free');
    for (const picker of page.querySelectorAll('plan-picker')) expect($$(picker, '[role="radio"]')).to.have.length(3);
  });

  it('elements that ask while the first request is still out wait for it instead of sending their own', async () => {
    let release!: () => void;
    server.on('GET /v1/plans', () => new Promise((resolve) => (release = () => resolve(catalog))));
    const first = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await until(() => server.calls('GET /v1/plans').length === 1);
    const second = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await second.updateComplete;
    release();
    await settled(first.parentElement!.parentElement!);
    expect($$(first, '[role="radio"]')).to.have.length(3);
    expect($$(second, '[role="radio"]')).to.have.length(3);
    expect(server.calls('GET /v1/plans')).to.have.length(1);
  });

  it('after a checkout succeeds, each resource an element shows is fetched exactly once more, for all of them', async () => {
    const page = await fixture(html`<div>
      <plan-picker session="tok_1"></plan-picker>
      <usage-meter session="tok_1"></usage-meter>
      <usage-meter session="tok_1" compact></usage-meter>
      <paywall-gate feature="export" session="tok_1"><p>Export</p></paywall-gate>
    </div>`);
    await settled(page);
    const before = { plans: server.calls('GET /v1/plans').length, subscription: server.calls('GET /v1/subscription').length, entitlements: server.calls('GET /v1/entitlements').length };
    expect(before).to.deep.equal({ plans: 1, subscription: 1, entitlements: 1 });
    // The server's state after the payment: what every element must show without a reload.
    server.on('GET /v1/subscription', () => subscription({ plan: 'pro', planName: 'Pro' }));
    server.on('GET /v1/entitlements', () => entitlements({ plan: 'pro', features: ['export'], has_access: true }));
    const picker = page.querySelector<PlanPicker>('plan-picker')!;
    $<HTMLButtonElement>(picker, '[part~="cta"][data-plan="pro"]').click();
    await until(() => FakeRazorpay.instances.length === 1);
    FakeRazorpay.last.pay();
    const gate = page.querySelector<PaywallGate>('paywall-gate')!;
    const meters = [...page.querySelectorAll<UsageMeter>('usage-meter')];
    await until(() => gate.allowed && meters.every((m) => text(m.shadowRoot!.querySelector('[part="plan-name"]')) === 'Pro'), 3000, 'the page to show Pro');
    await settled(page);
    expect(server.calls('GET /v1/subscription')).to.have.length(before.subscription + 1);
    expect(server.calls('GET /v1/entitlements')).to.have.length(before.entitlements + 1);
    expect(server.calls('GET /v1/plans'), 'no element shows a catalog that a payment changes').to.have.length(before.plans);
  });

  it('a checkout-success from anywhere makes the next ask go to the server', async () => {
    const meter = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await settled(meter.parentElement!);
    server.on('GET /v1/subscription', () => subscription({ plan: 'pro', planName: 'Pro' }));
    document.body.dispatchEvent(new CustomEvent('checkout-success', { detail: { plan: 'pro', checkout_id: 'chk_x', new_plan: 'pro' }, bubbles: true, composed: true }));
    await until(() => text(meter.shadowRoot!.querySelector('[part="plan-name"]')) === 'Pro', 3000, 'the meter to show Pro');
    const late = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await settled(late.parentElement!);
    expect(text($(late, '[part="plan-name"]'))).to.equal('Pro');
    expect(server.calls('GET /v1/subscription')).to.have.length(2);
  });

  it('different sessions are different resources: each asks with its own token and shows its own answer', async () => {
    server.on('GET /v1/subscription', (r) =>
      r.headers.authorization === 'Bearer tok_a' ? subscription({ plan: 'free', planName: 'Free' }) : subscription({ plan: 'team', planName: 'Team' }),
    );
    const page = await fixture(html`<div>
      <usage-meter session="tok_a"></usage-meter>
      <usage-meter session="tok_b"></usage-meter>
      <usage-meter session="tok_a"></usage-meter>
    </div>`);
    await settled(page);
    expect(byAuth(server, 'GET /v1/subscription')).to.deep.equal({ 'Bearer tok_a': 1, 'Bearer tok_b': 1 });
    expect([...page.querySelectorAll('usage-meter')].map((m) => text($(m, '[part="plan-name"]')))).to.deep.equal(['Free', 'Team', 'Free']);
    // The signed-out catalog and a customer's catalog differ too (the server prices per customer).
    const pickers = await fixture(html`<div><plan-picker></plan-picker><plan-picker session="tok_a"></plan-picker></div>`);
    await settled(pickers);
    expect(byAuth(server, 'GET /v1/plans')).to.deep.equal({ none: 1, 'Bearer tok_a': 1 });
  });

  it('different locales are different resources (the server translates the catalog)', async () => {
    const page = await fixture(html`<div>
      <plan-picker locale="en-IN"></plan-picker>
      <plan-picker locale="hi"></plan-picker>
      <plan-picker locale="en-IN"></plan-picker>
    </div>`);
    await settled(page);
    expect(server.calls('GET /v1/plans').map((r) => r.headers['accept-language']).sort()).to.deep.equal(['en-IN', 'hi']);
  });

  it('a failure is not kept: Retry asks again, and the answer after it is shared', async () => {
    server.on('GET /v1/plans', () => apiError(500, 'internal_error'));
    const page = await fixture(html`<div><plan-picker></plan-picker><plan-picker></plan-picker></div>`);
    await settled(page);
    const [first, second] = [...page.querySelectorAll<PlanPicker>('plan-picker')];
    expect([first, second].map((p) => Boolean(p.shadowRoot!.querySelector('[role="alert"]')))).to.deep.equal([true, true]);
    expect(server.calls('GET /v1/plans')).to.have.length(1);
    server.on('GET /v1/plans', () => catalog);
    $(first, '[part~="retry"]').click();
    await until(() => $$(first, '[role="radio"]').length === 3, 3000, 'the first picker to show the plans');
    expect(server.calls('GET /v1/plans')).to.have.length(2);
    $(second, '[part~="retry"]').click();
    await until(() => $$(second, '[role="radio"]').length === 3, 3000, 'the second picker to show the plans');
    expect(server.calls('GET /v1/plans')).to.have.length(2);
  });

  it('refresh() and recheck() ask the server, whatever the page keeps', async () => {
    const page = await fixture(html`<div>
      <usage-meter session="tok_1"></usage-meter>
      <paywall-gate feature="export" session="tok_1"><p>Export</p></paywall-gate>
    </div>`);
    await settled(page);
    server.on('GET /v1/subscription', () => subscription({ plan: 'pro', planName: 'Pro' }));
    server.on('GET /v1/entitlements', () => entitlements({ plan: 'pro', features: ['export'], has_access: true }));
    const meter = page.querySelector<UsageMeter>('usage-meter')!;
    await meter.refresh();
    await meter.updateComplete;
    expect(text($(meter, '[part="plan-name"]'))).to.equal('Pro');
    const gate = page.querySelector<PaywallGate>('paywall-gate')!;
    await gate.recheck();
    expect(gate.allowed).to.be.true;
    expect(server.calls('GET /v1/subscription').length).to.be.at.least(2);
    expect(server.calls('GET /v1/entitlements')).to.have.length(2);
  });

  it('an answer older than the page keeps one is asked for again by the next element', async () => {
    const first = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await settled(first.parentElement!);
    expect(server.calls('GET /v1/subscription')).to.have.length(1);
    const now = Date.now;
    Date.now = () => now() + 31_000; // half a minute later: a single-page app's next view
    try {
      const later = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
      await settled(later.parentElement!);
    } finally {
      Date.now = now;
    }
    expect(server.calls('GET /v1/subscription')).to.have.length(2);
  });
});
