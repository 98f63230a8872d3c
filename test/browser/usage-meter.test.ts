import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../src/components/usage-meter/usage-meter.js';
import type { UsageMeter } from '../../src/components/usage-meter/usage-meter.js';
import { formatDate } from '../../src/format.js';
import { emit } from '../../src/events.js';
import { forgetAnswers } from '../../src/api/client.js';
import { configure } from '../../src/config.js';
import { $, $$, FakeServer, apiError, navigations, subscription, text, until, watchForFlash, withSessionGrace } from './helpers.js';

async function loaded(el: UsageMeter): Promise<void> {
  await until(() => el.shadowRoot!.querySelector('[part~="plan-name"], [role="alert"]'), 3000, 'subscription');
  await el.updateComplete;
}

describe('<usage-meter>', () => {
  let server: FakeServer;
  beforeEach(() => {
    server = new FakeServer({
      'GET /v1/subscription': () =>
        subscription({ plan: 'pro', planName: 'Pro', usage: { messagesUsed: 850, messagesLimit: 1000, seatsUsed: 6, seatsLimit: 5, agentsUsed: 1234, agentsLimit: null } }),
      'POST /v1/portal': () => ({ url: 'https://portal.example/session' }),
    });
  });
  afterEach(() => server.restore());

  it('renders a labelled meter per metric with levels, and unlimited as such', async () => {
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1" locale="en-IN"></usage-meter>`);
    await loaded(el);
    expect(text($(el, '[part~="plan-name"]'))).to.equal('Pro');
    expect(text($(el, '[part~="plan-status"]'))).to.equal('Active');
    const meters = $$(el, '[role="meter"]');
    expect(meters).to.have.length(2);
    const [messages, seats] = meters;
    expect(messages.getAttribute('aria-valuemin')).to.equal('0');
    expect(messages.getAttribute('aria-valuemax')).to.equal('1000');
    expect(messages.getAttribute('aria-valuenow')).to.equal('850');
    expect(messages.getAttribute('aria-valuetext')).to.equal('850 of 1,000, Almost at the limit');
    expect(text(el.shadowRoot!.getElementById(messages.getAttribute('aria-labelledby')!))).to.equal('Messages');
    expect($(el, '[data-metric="messages"]').dataset.level).to.equal('warning');
    expect($(el, '[data-metric="seats"]').dataset.level).to.equal('over');
    expect(seats.getAttribute('aria-valuetext')).to.contain('Over the limit');
    expect(text($(el, '[data-metric="agents"]'))).to.contain('1,234 used, unlimited');
    expect(text(el.shadowRoot!.querySelector('.period'))).to.equal(`Renews on ${formatDate('2026-12-31T00:00:00.000Z', 'en-IN')}`);
    await expect(el).to.be.accessible();
  });

  it('warn-at and critical-at move the thresholds', async () => {
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1" warn-at="90" critical-at="150"></usage-meter>`);
    await loaded(el);
    expect($(el, '[data-metric="messages"]').dataset.level).to.equal('ok');
    expect($(el, '[data-metric="seats"]').dataset.level).to.equal('warning');
  });

  it('shows status in plain words and the cancels-at-period-end notice', async () => {
    server.on('GET /v1/subscription', () => subscription({ status: 'past_due', cancelAtPeriodEnd: true }));
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1" locale="en-US"></usage-meter>`);
    await loaded(el);
    expect(text($(el, '[part~="plan-status"]'))).to.equal('Payment past due');
    expect(text($(el, '[part~="notice"]'))).to.contain('will not renew').and.contain(formatDate('2026-12-31T00:00:00.000Z', 'en-US'));
    expect(el.shadowRoot!.querySelector('.period'), 'the notice carries the date; no second line repeats it').to.equal(null);
  });

  it('Manage billing posts /v1/portal and navigates; hidden without a portal', async () => {
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await loaded(el);
    $(el, '[part~="manage"]').click();
    await until(() => navigations.includes('https://portal.example/session'));
    const [portal] = server.calls('POST /v1/portal');
    expect(portal.headers['idempotency-key']).to.be.a('string');
    expect(portal.body).to.deep.equal({ return_url: location.href });

    server.on('GET /v1/subscription', () => subscription({ hasPortal: false }));
    await el.refresh();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[part~="manage"]')).to.be.null;
  });

  it('in hand-off mode, Manage billing hands the portal link to the page (handoff-open); it navigates only when nobody takes it', async () => {
    server.on('POST /v1/portal', () => ({ url: 'https://billing.example/portal#token=t1', expires_at: '2026-12-01T00:15:00.000Z' }));
    configure({ handoff: true });
    try {
      const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
      await loaded(el);
      const taken = (event: Event) => event.preventDefault();
      document.addEventListener('handoff-open', taken);
      const open = oneEvent(el, 'handoff-open');
      $(el, '[part~="manage"]').click();
      const event = await open;
      expect(event.detail).to.deep.equal({ url: 'https://billing.example/portal#token=t1', checkout_id: '' });
      expect(event.cancelable).to.equal(true);
      await el.updateComplete;
      expect(navigations).to.not.include('https://billing.example/portal#token=t1');
      document.removeEventListener('handoff-open', taken);
      $(el, '[part~="manage"]').click();
      await until(() => navigations.includes('https://billing.example/portal#token=t1'));
    } finally {
      configure({ handoff: false });
    }
  });

  it('hides Manage billing when the portal answers not_found', async () => {
    server.on('POST /v1/portal', () => apiError(404, 'not_found'));
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await loaded(el);
    $(el, '[part~="manage"]').click();
    await until(() => !el.shadowRoot!.querySelector('[part~="manage"]'));
  });

  it('Upgrade fires upgrade-request', async () => {
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await loaded(el);
    const request = oneEvent(el, 'upgrade-request');
    $(el, '[part~="upgrade"]').click();
    expect((await request).detail).to.deep.equal({ plan: 'pro' });
  });

  it('hides Upgrade on the top plan (canUpgrade false) and keeps it when canUpgrade is true or unknown', async () => {
    server.on('GET /v1/subscription', () => subscription({ plan: 'team', planName: 'Team', canUpgrade: false }));
    const top = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await loaded(top);
    expect($$(top, '[part~="upgrade"]')).to.have.length(0);
    expect($$(top, '[part~="manage"]')).to.have.length(1);
    await expect(top).to.be.accessible();
    for (const canUpgrade of [true, undefined]) {
      server.on('GET /v1/subscription', () => subscription({ plan: 'pro', planName: 'Pro', canUpgrade }));
      forgetAnswers(); // each meter stands for another page load: not the answer the page already shares
      const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
      await loaded(el);
      expect($$(el, '[part~="upgrade"]'), `canUpgrade ${canUpgrade}`).to.have.length(1);
    }
    // A refresh after a plan change to the top plan takes Upgrade away.
    server.on('GET /v1/subscription', () => subscription({ plan: 'pro', planName: 'Pro', canUpgrade: true }));
    forgetAnswers();
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await loaded(el);
    server.on('GET /v1/subscription', () => subscription({ plan: 'team', planName: 'Team', canUpgrade: false }));
    await el.refresh();
    await el.updateComplete;
    expect(text($(el, '[part~="plan-name"]'))).to.equal('Team');
    expect($$(el, '[part~="upgrade"]')).to.have.length(0);
  });

  it('refreshes when a checkout-success bubbles to the document, and on refresh-interval', async () => {
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await loaded(el);
    server.on('GET /v1/subscription', () => subscription({ plan: 'team', planName: 'Team' }));
    emit(document.body, 'checkout-success', { plan: 'team', checkout_id: 'chk_1', new_plan: 'team' });
    await until(() => text(el.shadowRoot!.querySelector('[part~="plan-name"]')) === 'Team');
    const before = server.calls('GET /v1/subscription').length;
    el.refreshInterval = 0.05;
    await until(() => server.calls('GET /v1/subscription').length >= before + 2, 2000, 'interval refresh');
    el.refreshInterval = 0;
  });

  it('errors show plain words with Retry; no session says so', async () => {
    let calls = 0;
    server.on('GET /v1/subscription', () => (++calls <= 2 ? apiError(503, 'provider_unavailable') : subscription()));
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1"></usage-meter>`);
    await loaded(el);
    expect(text($(el, '[role="alert"]'))).to.contain('unavailable');
    await expect(el).to.be.accessible();
    $(el, '[part~="retry"]').click();
    await until(() => el.shadowRoot!.querySelector('[part~="plan-name"]'));

    await withSessionGrace(50, async () => {
      const anonymous = await fixture<UsageMeter>(html`<usage-meter></usage-meter>`);
      await loaded(anonymous);
      expect(text($(anonymous, '[role="alert"]'))).to.equal('Sign in to see your plan.');
    });
  });

  it('a session that arrives a moment late: the placeholder stays, no sign-in line flashes, and its size holds', async () => {
    // The grace is long here: a session arriving after a 200 ms wait must never race the default 1.5 s
    // on a slow machine (the sign-in line once the grace is over has its own test, with a short one).
    await withSessionGrace(5000, async () => {
      const el = await fixture<UsageMeter>(html`<usage-meter></usage-meter>`);
      const signIn = watchForFlash(el, '[role="alert"]');
      expect(el.shadowRoot!.querySelector('.skeleton')).to.exist;
      const placeholderHeight = el.getBoundingClientRect().height;
      await new Promise((r) => setTimeout(r, 200));
      expect(el.getBoundingClientRect().height).to.equal(placeholderHeight);
      el.session = 'tok_late';
      await loaded(el);
      expect(signIn.stop()).to.equal(false);
      expect(text($(el, '[part~="plan-name"]'))).to.equal('Pro');
      expect(server.calls('GET /v1/subscription')[0].headers.authorization).to.equal('Bearer tok_late');
    });
  });

  it('shows a final-size placeholder while loading; compact variant', async () => {
    let release!: () => void;
    server.on('GET /v1/subscription', () => new Promise((resolve) => (release = () => resolve(subscription()))));
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1" compact></usage-meter>`);
    expect($$(el, '.skeleton')).to.have.length(3);
    release();
    await loaded(el);
    expect(el.hasAttribute('compact')).to.be.true;
    expect(getComputedStyle($(el, '.actions')).display).to.equal('none');
  });

  it('formats in Hindi', async () => {
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1" locale="hi"></usage-meter>`);
    await loaded(el);
    expect(text($(el, '[part~="plan-status"]'))).to.equal('सक्रिय');
    expect(text($(el, '[data-metric="messages"]'))).to.contain('संदेश');
    expect($(el, '[role="meter"]').getAttribute('aria-valuetext')).to.contain(`${new Intl.NumberFormat('hi').format(1000)} में से 850`);
    expect(text($(el, '[part~="manage"]'))).to.equal('बिलिंग प्रबंधित करें');
    await expect(el).to.be.accessible();
  });
  it("asks in its locale and labels metrics with the server's catalog labels (plan name too); refetches when the locale changes", async () => {
    server.on('GET /v1/subscription', (req) =>
      req.headers['accept-language'] === 'hi'
        ? subscription({ plan: 'pro', planName: 'प्रो', usage: { agentsUsed: 3, agentsLimit: 10 }, metricLabels: { agents: 'एजेंट' } })
        : subscription({ plan: 'pro', planName: 'Pro', usage: { agentsUsed: 3, agentsLimit: 10 }, metricLabels: { agents: 'AI agents' } }),
    );
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1" locale="hi"></usage-meter>`);
    await loaded(el);
    expect(server.calls('GET /v1/subscription')[0].headers['accept-language']).to.equal('hi');
    expect(text($(el, '[part~="plan-name"]'))).to.equal('प्रो');
    expect(text($(el, '[data-metric="agents"] .metric-head span'))).to.equal('एजेंट');
    el.locale = 'en-IN';
    await until(() => text($(el, '[part~="plan-name"]')) === 'Pro', 3000, 'the English answer');
    expect(text($(el, '[data-metric="agents"] .metric-head span'))).to.equal('AI agents');
  });

  it('names known metrics in Hindi (projects included), unknown ones from their id', async () => {
    server.on('GET /v1/subscription', () =>
      subscription({ plan: 'pro', planName: 'Pro', usage: { projectsUsed: 2, projectsLimit: 5, seatsUsed: 1, seatsLimit: 5, agentsUsed: 1, agentsLimit: null } }),
    );
    const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1" locale="hi"></usage-meter>`);
    await loaded(el);
    await until(() => text($(el, '[data-metric="projects"]')).includes('प्रोजेक्ट'), 3000, 'the Hindi catalog');
    expect(text($(el, '[data-metric="seats"] .metric-head span'))).to.equal('सीट');
    expect(text($(el, '[data-metric="agents"] .metric-head span'))).to.equal('Agents');
    await expect(el).to.be.accessible();
  });
});
