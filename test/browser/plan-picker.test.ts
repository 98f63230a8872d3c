import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { checkoutTiming } from '../../src/checkout/checkout-controller.js';
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
  modalTakesFocus,
  navigations,
  razorpayCheckout,
  removeRazorpay,
  subscription,
  text,
  until,
  verified,
  watchForFlash,
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

  it('a plan sold monthly only keeps its monthly price under the yearly switch; a plan with no price in this currency is not offered', async () => {
    const pro = catalog.plans[1]!;
    const autopay = { ...pro, id: 'pro-autopay', name: 'Pro Autopay', popular: false, charge: pro.charge.filter((c) => c.interval === 'month').map((c) => ({ ...c, recurring: true as const })) };
    // Sold in rupees only: asked for dollars, the server sends it with nothing to charge.
    const elsewhere = { ...pro, id: 'inr-only', name: 'Rupees only', popular: false, charge: [] };
    server.on('GET /v1/plans', () => ({ ...catalog, plans: [catalog.plans[0]!, pro, autopay, elsewhere, ...catalog.plans.slice(2)] }));
    const el = await fixture<PlanPicker>(html`<plan-picker locale="en-IN"></plan-picker>`);
    await loaded(el);
    expect($$(el, '[role="radio"]').map((r) => r.dataset.plan)).to.deep.equal(['free', 'pro', 'pro-autopay', 'team']);
    $$<HTMLButtonElement>(el, '[part~="interval-switch"] button')[1]!.click();
    await el.updateComplete;
    expect(text($$(el, '[part~="price"]')[1])).to.equal('₹15,990 /year');
    expect(text($$(el, '[part~="price"]')[2])).to.equal('₹1,599 /month');
    // Arrow keys walk the plans on screen only: from Pro (chosen) to Pro Autopay, then past the hidden one to Team.
    $(el, '[role="radio"][data-plan="pro"]').focus();
    await sendKeys({ press: 'ArrowDown' });
    await el.updateComplete;
    expect(el.shadowRoot!.activeElement?.getAttribute('data-plan')).to.equal('pro-autopay');
    await sendKeys({ press: 'ArrowDown' });
    await el.updateComplete;
    expect(el.shadowRoot!.activeElement?.getAttribute('data-plan')).to.equal('team');
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

  it('on Pro monthly, the yearly tab offers Pro yearly (a switch), and Enter there chooses it; the monthly tab keeps it current', async () => {
    server.on('GET /v1/subscription', () => subscription({ plan: 'pro', planName: 'Pro', interval: 'month' }));
    const el = await fixture<PlanPicker>(html`<plan-picker session="tok_1"></plan-picker>`);
    await loaded(el);
    await until(() => el.shadowRoot!.querySelector('[part~="badge-current"]'));
    const proCta = () => $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]');
    expect(proCta().disabled).to.be.true;
    $$<HTMLButtonElement>(el, '[part~="interval-switch"] button')[1].click();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[part~="badge-current"]')).to.equal(null);
    expect(proCta().disabled).to.be.false;
    expect(text(proCta())).to.equal('Choose Pro');
    const select = oneEvent(el, 'plan-select');
    $(el, '[role="radio"][data-plan="pro"]').focus();
    await sendKeys({ press: 'Enter' });
    expect((await select).detail).to.include({ plan: 'pro', interval: 'year' });
  });

  it('a session that arrives after the plans keeps them on screen while they are fetched again for the customer', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await loaded(el);
    let release!: () => void;
    server.on('GET /v1/plans', () => new Promise((resolve) => (release = () => resolve(catalog))));
    const placeholder = watchForFlash(el, '.skeleton');
    const height = el.getBoundingClientRect().height;
    el.session = 'tok_late';
    await until(() => server.calls('GET /v1/plans').some((c) => c.headers.authorization === 'Bearer tok_late'));
    await el.updateComplete;
    expect($$(el, '[part~="plan"]')).to.have.length(catalog.plans.length);
    expect(el.getBoundingClientRect().height).to.equal(height);
    release();
    await until(() => el.shadowRoot!.querySelector('[part~="badge-current"]'));
    expect(placeholder.stop()).to.equal(false);
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
  const refusals = [
    {
      code: 'subscription_exists',
      en: 'You already have a subscription. To change your plan, use Manage billing.',
      hi: 'आपके पास पहले से एक सदस्यता है। अपना प्लान बदलने के लिए ‘बिलिंग प्रबंधित करें’ पर जाएँ।',
    },
    {
      code: 'downgrade_not_available',
      en: 'You can move to a lower plan when your current plan ends. Until then you keep everything it includes.',
      hi: 'आपका मौजूदा प्लान समाप्त होने पर आप निचले प्लान पर जा सकते हैं। तब तक इसमें शामिल सब कुछ आपके पास रहेगा।',
    },
  ];
  for (const { code, en, hi } of refusals) {
    for (const [locale, message] of [['en', en], ['hi', hi]] as const) {
      it(`a 409 ${code} shows its message (${locale}) without Retry, and the plans stay choosable`, async () => {
        server.on('POST /v1/checkout', () => apiError(409, code, 'Refused by the server.'));
        const el = await fixture<PlanPicker>(html`<plan-picker locale=${locale} session="tok_1"></plan-picker>`);
        await loaded(el);
        await until(() => $<HTMLButtonElement>(el, '[part~="cta"][data-plan="free"]').disabled, 3000, 'the current plan');
        const error = oneEvent(el, 'checkout-error');
        $<HTMLButtonElement>(el, '[part~="cta"][data-plan="team"]').click();
        expect((await error).detail).to.include({ code, message: 'Refused by the server.' });
        await el.updateComplete;
        const status = $(el, '[part~="status"]');
        expect(text(status)).to.equal(message);
        expect(status.getAttribute('data-phase')).to.equal('error');
        expect($$(el, '[part~="retry"]')).to.have.length(0);
        expect($<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').disabled).to.equal(false);
        expect($<HTMLButtonElement>(el, '[part~="cta"][data-plan="team"]').disabled).to.equal(false);
        expect($(el, '[part~="base"]').getAttribute('aria-busy')).to.equal('false');
        await expect(el).to.be.accessible();
        // Another plan starts a new checkout.
        server.on('POST /v1/checkout', () => razorpayCheckout());
        $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
        await until(() => FakeRazorpay.instances.length === 1, 3000, 'the payment window');
        expect(server.calls('POST /v1/checkout')).to.have.length(2);
      });
    }
  }

  it('other checkout failures keep Retry', async () => {
    let calls = 0;
    server.on('POST /v1/checkout', () => (++calls === 1 ? apiError(409, 'conflict') : razorpayCheckout()));
    const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
    await loaded(el);
    const error = oneEvent(el, 'checkout-error');
    $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
    await error;
    await el.updateComplete;
    $(el, '[part~="retry"]').click();
    await until(() => FakeRazorpay.instances.length === 1, 3000, 'the payment window');
  });

  it('asks for its locale (Accept-Language), shows the catalog text the server sends in it, and refetches when the locale changes', async () => {
    const limited = catalog.plans.map((p) => (p.id === 'free' ? { ...p, limits: { messages: 1000, seats: 1, projects: 2, storage: 5 } } : p));
    const english = [
      { id: 'messages', label: 'Messages' },
      { id: 'seats', label: 'Seats', label_one: 'Seat' },
      { id: 'projects', label: 'Projects' },
      { id: 'storage', label: 'GB storage' },
    ];
    // As the server answers: translated labels where the catalog has them, the catalog's own otherwise.
    const hindi = [{ id: 'messages', label: 'संदेश' }, { id: 'seats', label: 'सीट' }, { id: 'projects', label: 'प्रोजेक्ट' }, english[3]];
    server.on('GET /v1/plans', (req) => ({ plans: limited, metrics: req.headers['accept-language'] === 'hi' ? hindi : english }));
    const el = await fixture<PlanPicker>(html`<plan-picker locale="hi"></plan-picker>`);
    await loaded(el);
    await until(() => text($(el, '[part~="features"]')).includes('संदेश'), 3000, 'the Hindi catalog');
    expect(server.calls('GET /v1/plans')[0].headers['accept-language']).to.equal('hi');
    const items = () => $$(el, '[part~="plan"]:first-child [part~="features"] li').map(text);
    expect(items().slice(0, 4)).to.deep.equal([`${(1000).toLocaleString('hi')} संदेश`, '1 सीट', '2 प्रोजेक्ट', '5 gb storage']);
    expect(text($$(el, '[part~="features"]')[2])).to.contain('असीमित संदेश');
    await expect(el).to.be.accessible();

    el.locale = 'en-IN';
    await until(() => items()[0] === '1,000 messages', 3000, 'the English catalog');
    expect(server.calls('GET /v1/plans').at(-1)!.headers['accept-language']).to.equal('en-IN');
    expect(items().slice(0, 3)).to.deep.equal(['1,000 messages', '1 seat', '2 projects']);
  });

  it('the monthly/yearly switch stays on one line in a 240 px column', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker style="inline-size: 240px" locale="en"></plan-picker>`);
    await loaded(el);
    const buttons = $$(el, '[part~="interval-switch"] button');
    expect(buttons[0].getBoundingClientRect().top).to.equal(buttons[1].getBoundingClientRect().top);
    expect($(el, '[part~="interval-switch"]').getBoundingClientRect().right).to.be.at.most(el.getBoundingClientRect().right);
  });

  it('the disabled "Your current plan" action is opaque, off the brand colour, and readable', async () => {
    const el = await fixture<PlanPicker>(html`<plan-picker session="tok_1"></plan-picker>`);
    await loaded(el);
    await until(() => $<HTMLButtonElement>(el, '[part~="cta"][data-plan="free"]').disabled, 3000, 'the current plan');
    const current = getComputedStyle($(el, '[part~="cta"][data-plan="free"]'));
    const choose = getComputedStyle($(el, '[part~="cta"][data-plan="pro"]'));
    expect(current.opacity).to.equal('1');
    expect(current.backgroundColor).not.to.equal(choose.backgroundColor);
    await expect(el).to.be.accessible();
  });

  describe('focus after the payment window closes', () => {
    async function choosePro(el: PlanPicker): Promise<HTMLButtonElement> {
      const cta = $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]');
      cta.focus();
      cta.click();
      return cta;
    }
    const focused = (el: PlanPicker) => el.shadowRoot!.activeElement;
    /** A loaded picker with Pro chosen from its focused button and the payment window open (`prepare` runs before the choice). */
    async function proWindowOpen(prepare?: (el: PlanPicker) => void): Promise<{ el: PlanPicker; cta: HTMLButtonElement }> {
      const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
      await loaded(el);
      prepare?.(el);
      const cta = await choosePro(el);
      await until(() => FakeRazorpay.instances.length === 1, 3000, 'the payment window');
      return { el, cta };
    }

    it('dismissed: back on the plan\'s button once the modal lets go of focus', async () => {
      const { el, cta } = await proWindowOpen();
      const close = modalTakesFocus();
      close();
      expect(document.activeElement).to.equal(document.body);
      FakeRazorpay.last.dismiss();
      await until(() => focused(el) === cta, 3000, 'focus on the Pro button');
      expect(document.activeElement).to.equal(el);
    });

    it('waits while the closing modal still holds focus in its frame', async () => {
      const { el, cta } = await proWindowOpen();
      const close = modalTakesFocus();
      FakeRazorpay.last.dismiss();
      await new Promise((r) => setTimeout(r, 120));
      expect(focused(el)).to.equal(null);
      close();
      await until(() => focused(el) === cta, 3000, 'focus on the Pro button');
    });

    it('paid: the button became "Your current plan", so focus goes to the status message inside the element', async () => {
      const { el, cta } = await proWindowOpen();
      modalTakesFocus()();
      const success = oneEvent(el, 'checkout-success');
      FakeRazorpay.last.pay();
      await success;
      await until(() => focused(el), 3000, 'focus inside the element');
      expect(cta.disabled).to.equal(true);
      const status = $(el, '[part~="status"]');
      expect(focused(el)).to.equal(status);
      expect(status.tabIndex).to.equal(-1);
      expect(text(status)).to.equal('Payment confirmed. You are now on Pro.');
      expect(document.activeElement).to.equal(el);
      await expect(el).to.be.accessible();
    });

    it('refused (409): back on the button that was chosen', async () => {
      let answer: (() => void) | undefined;
      server.on('POST /v1/checkout', () => new Promise<Response>((resolve) => (answer = () => resolve(apiError(409, 'downgrade_not_available')))));
      const el = await fixture<PlanPicker>(html`<plan-picker></plan-picker>`);
      await loaded(el);
      const error = oneEvent(el, 'checkout-error');
      const cta = await choosePro(el);
      // Disabled while the checkout is created, the button loses focus to <body>.
      await until(() => answer && document.activeElement === document.body, 3000, 'focus on <body>');
      answer!();
      await error;
      await until(() => focused(el) === cta, 3000, 'focus on the Pro button');
    });

    it('a first attempt whose button lost focus while the checkout code loaded still gets it back', async () => {
      // As in production, where the button is disabled (and so blurred) before the lazy chunk arrives
      // (here too, most of the time, as the chunk's import resolves a task later).
      const { el, cta } = await proWindowOpen((picker) =>
        picker.addEventListener('checkout-start', () => (picker.shadowRoot!.activeElement as HTMLElement | null)?.blur(), { once: true, capture: true }),
      );
      modalTakesFocus()();
      FakeRazorpay.last.dismiss();
      await until(() => focused(el) === cta, 3000, 'focus on the Pro button');
    });

    it('focus the customer put elsewhere stays there', async () => {
      const { el } = await proWindowOpen();
      modalTakesFocus()();
      const search = document.createElement('input');
      search.setAttribute('aria-label', 'Search');
      document.body.append(search);
      try {
        search.focus();
        FakeRazorpay.last.dismiss();
        await new Promise((r) => setTimeout(r, 100));
        expect(document.activeElement).to.equal(search);
        expect(focused(el)).to.equal(null);
      } finally {
        search.remove();
      }
    });
  });

  describe('hand-off', () => {
    const timing = { ...checkoutTiming };
    beforeEach(() => {
      Object.assign(checkoutTiming, { pollMs: 30, maxPollMs: 30 });
      server.on('POST /v1/checkout', () => ({
        checkout_id: 'chk_h',
        plan: 'pro',
        plan_name: 'Pro',
        interval: 'month',
        action: { type: 'handoff', url: 'https://billing.test/pay/chk_h', status_url: '/v1/checkout/chk_h', expires_at: new Date(Date.now() + 60_000).toISOString() },
      }));
    });
    afterEach(() => {
      Object.assign(checkoutTiming, timing);
    });

    it('while waiting, the other plans cannot start a second checkout; paying the first still flips the page', async () => {
      let paid = false;
      server.on('GET /v1/checkout/chk_h', () => checkoutState({ checkout_id: 'chk_h', status: paid ? 'paid' : 'pending' }));
      const el = await fixture<PlanPicker>(html`<plan-picker handoff session="tok_1"></plan-picker>`);
      await loaded(el);
      $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
      await until(() => el.shadowRoot!.querySelector('[part~="handoff"]'), 3000, 'the hand-off view');
      const team = $<HTMLButtonElement>(el, '[part~="cta"][data-plan="team"]');
      expect(team.disabled).to.equal(true);
      team.click();
      $(el, '[role="radio"][data-plan="team"]').focus();
      await sendKeys({ press: 'Enter' });
      expect(server.calls('POST /v1/checkout')).to.have.length(1);
      expect($(el, '[part~="base"]').getAttribute('aria-busy')).to.equal('false');
      await expect(el).to.be.accessible();
      paid = true;
      const success = await oneEvent(el, 'checkout-success');
      expect(success.detail).to.include({ checkout_id: 'chk_h', new_plan: 'pro' });
    });

    it('"Start over" stops waiting and makes the plans choosable again', async () => {
      server.on('GET /v1/checkout/chk_h', () => checkoutState({ checkout_id: 'chk_h', status: 'pending' }));
      const el = await fixture<PlanPicker>(html`<plan-picker handoff session="tok_1"></plan-picker>`);
      await loaded(el);
      $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
      await until(() => el.shadowRoot!.querySelector('[part~="start-over"]'), 3000, 'Start over');
      const dismissed = oneEvent(el, 'checkout-dismiss');
      $(el, '[part~="start-over"]').click();
      expect((await dismissed).detail).to.include({ checkout_id: 'chk_h', plan: 'pro' });
      await el.updateComplete;
      expect(el.shadowRoot!.querySelector('[part~="handoff"]')).to.equal(null);
      const polls = server.calls('GET /v1/checkout/chk_h').length;
      await new Promise((r) => setTimeout(r, 120));
      expect(server.calls('GET /v1/checkout/chk_h').length).to.equal(polls);
      const team = $<HTMLButtonElement>(el, '[part~="cta"][data-plan="team"]');
      expect(team.disabled).to.equal(false);
      team.click();
      await until(() => server.calls('POST /v1/checkout').length === 2, 3000, 'a new checkout');
    });

    it('"Start over" gives focus back to the plan\'s button (it goes away itself)', async () => {
      server.on('GET /v1/checkout/chk_h', () => checkoutState({ checkout_id: 'chk_h', status: 'pending' }));
      const el = await fixture<PlanPicker>(html`<plan-picker handoff session="tok_1"></plan-picker>`);
      await loaded(el);
      const cta = $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]');
      cta.focus();
      cta.click();
      await until(() => el.shadowRoot!.querySelector('[part~="start-over"]'), 3000, 'Start over');
      const startOver = $<HTMLButtonElement>(el, '[part~="start-over"]');
      startOver.focus();
      startOver.click();
      await until(() => el.shadowRoot!.activeElement === cta, 3000, 'focus on the Pro button');
      expect(cta.disabled).to.equal(false);
    });
  });

  it('a paid mintbot checkout shows the agent set-up, then the panel link', async () => {
    const timing = { ...checkoutTiming };
    Object.assign(checkoutTiming, { pollMs: 20, maxPollMs: 20, fulfillmentPollMs: 20 });
    const states = [
      checkoutState({ checkout_id: 'chk_m', status: 'paid', fulfillment: { status: 'provisioning', panel_url: null, expires_at: null } }),
      checkoutState({ checkout_id: 'chk_m', status: 'paid', fulfillment: { status: 'provisioning', panel_url: null, expires_at: null } }),
      checkoutState({ checkout_id: 'chk_m', status: 'paid', fulfillment: { status: 'ready', panel_url: 'https://panel.mintbot.test/a1', expires_at: null } }),
    ];
    server.on('GET /v1/checkout/chk_m', () => states.length > 1 ? states.shift()! : states[0]);
    server.on('POST /v1/checkout', () => ({
      checkout_id: 'chk_m',
      plan: 'pro',
      plan_name: 'Pro',
      interval: 'month',
      action: { type: 'handoff', url: 'https://billing.test/pay/chk_m', status_url: '/v1/checkout/chk_m', expires_at: new Date(Date.now() + 60_000).toISOString() },
    }));
    try {
      const el = await fixture<PlanPicker>(html`<plan-picker handoff session="tok_1"></plan-picker>`);
      await loaded(el);
      $<HTMLButtonElement>(el, '[part~="cta"][data-plan="pro"]').click();
      await oneEvent(el, 'checkout-success');
      await el.updateComplete;
      expect(text($(el, '[part~="status"]'))).to.equal('Payment confirmed. You are now on Pro. Setting up your agent…');
      await until(() => el.shadowRoot!.querySelector('[part~="panel-link"]'), 3000, 'the panel link');
      expect(text($(el, '[part~="status"]'))).to.equal('Payment confirmed. You are now on Pro. Your agent is ready.');
      expect($(el, '[part~="panel-link"]').getAttribute('href')).to.equal('https://panel.mintbot.test/a1');
      expect(text($(el, '[part~="panel-link"]'))).to.equal('Open panel');
      await expect(el).to.be.accessible();
    } finally {
      Object.assign(checkoutTiming, timing);
    }
  });
});
