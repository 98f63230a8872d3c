// <usage-meter receipts> in Chromium: off by default (no chunk, no request), the latest five receipts and credit
// notes as a headed list of links named by their number (en-IN and hi formatting), asked again after a paid
// checkout, the empty and the failed list, and axe.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/components/usage-meter/usage-meter.js';
import type { UsageMeter } from '../../src/components/usage-meter/usage-meter.js';
import type { ReceiptSummary } from '../../src/contract/receipts.js';
import { emit } from '../../src/events.js';
import { formatDate, formatMoney } from '../../src/format.js';
import { loadCatalog } from '../../src/i18n/index.js';
import { $, $$, FakeServer, apiError, subscription, text, until } from './helpers.js';

/** The server's row for receipt `n` (TG-2026-00000n), paid on 1 Dec 2026 + n days. */
function receipt(n: number, overrides: Partial<ReceiptSummary> = {}): ReceiptSummary {
  const id = `rct_${n}`;
  return {
    id,
    kind: 'receipt',
    number: `TG-2026-${String(n).padStart(6, '0')}`,
    issued_at: new Date(Date.UTC(2026, 11, n)).toISOString(),
    currency: 'INR',
    total: 119760 + n,
    total_formatted: 'not used: the element formats for its own locale',
    credits: null,
    links: { html: `https://billing.example/v1/receipts/${id}/html?token=t${n}`, pdf: `https://billing.example/v1/receipts/${id}/pdf?token=t${n}`, expires_at: new Date(Date.now() + 15 * 60_000).toISOString() },
    plan: 'team',
    payment_id: `pay_${n}`,
    status: 'paid',
    ...overrides,
  };
}

/** Newest first, as the server lists them: six receipts, the newest a credit note of receipt 5. */
const SIX: ReceiptSummary[] = [
  receipt(6, { id: 'crn_1', kind: 'credit_note', number: 'CN-2026-000001', total: 49900, credits: { id: 'rct_5', number: 'TG-2026-000005' } }),
  receipt(5, { status: 'refunded' }),
  receipt(4),
  receipt(3),
  receipt(2),
  receipt(1),
];

async function meter(attrs: { locale: string; receipts?: boolean }): Promise<UsageMeter> {
  const el = await fixture<UsageMeter>(html`<usage-meter session="tok_1" locale=${attrs.locale} ?receipts=${attrs.receipts}></usage-meter>`);
  await until(() => el.shadowRoot!.querySelector('[part~="plan-name"]'), 3000, 'the subscription');
  return el;
}

const rows = (el: UsageMeter) => $$(el, '[part~="receipt"]');

describe('<usage-meter receipts>', () => {
  let server: FakeServer;
  beforeEach(() => {
    server = new FakeServer({ 'GET /v1/subscription': () => subscription({ plan: 'team', planName: 'Team' }), 'GET /v1/receipts': () => ({ receipts: SIX }) });
  });
  afterEach(() => server.restore());

  it('is off by default: no payment history, and no request for it, not even after a paid checkout', async () => {
    const el = await meter({ locale: 'en-IN' });
    emit(document.body, 'checkout-success', { plan: 'team', checkout_id: 'chk_1', new_plan: 'team' });
    await until(() => server.calls('GET /v1/subscription').length === 2, 3000, 'the meter asked again');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[part~="receipts"]')).to.equal(null);
    expect(server.calls('GET /v1/receipts')).to.have.length(0);
  });

  it('lists the latest five under a heading, each a link to its receipt page named by its number (en-IN)', async () => {
    const el = await meter({ locale: 'en-IN', receipts: true });
    await until(() => rows(el).length, 3000, 'the rows');
    const [call] = server.calls('GET /v1/receipts');
    expect([call.headers.authorization, call.headers['accept-language']]).to.deep.equal(['Bearer tok_1', 'en-IN']);
    const section = $(el, '[part~="receipts"]');
    expect(text(el.shadowRoot!.getElementById(section.getAttribute('aria-labelledby')!))).to.equal('Payment history');
    expect(el.shadowRoot!.getElementById(section.getAttribute('aria-labelledby')!)!.tagName).to.equal('H3');
    expect(rows(el)).to.have.length(5);
    expect(rows(el)[0].tagName).to.equal('LI');
    const links = $$<HTMLAnchorElement>(el, '[part~="receipt-link"]');
    expect(links.map((a) => text(a))).to.deep.equal([
      'Credit note CN-2026-000001 (opens in a new tab)',
      'Receipt TG-2026-000005 (opens in a new tab)',
      'Receipt TG-2026-000004 (opens in a new tab)',
      'Receipt TG-2026-000003 (opens in a new tab)',
      'Receipt TG-2026-000002 (opens in a new tab)',
    ]);
    expect(links.map((a) => a.href)).to.deep.equal(SIX.slice(0, 5).map((r) => r.links.html));
    expect([links[1].target, links[1].rel]).to.deep.equal(['_blank', 'noopener']);
    // The date and the amount in the element's locale (en-IN groups lakhs); a refunded receipt says so.
    expect(text(rows(el)[1])).to.equal(`Receipt TG-2026-000005 (opens in a new tab) ${formatDate(SIX[1].issued_at, 'en-IN')} Refunded ₹1,197.65`);
    expect(text(rows(el)[0])).to.contain('₹499');
    await expect(el).to.be.accessible();
  });

  it('asks again after a paid checkout: the new receipt shows without a reload', async () => {
    const el = await meter({ locale: 'en', receipts: true });
    await until(() => rows(el).length === 5, 3000, 'the rows');
    server.on('GET /v1/receipts', () => ({ receipts: [receipt(7, { total: 159900 }), ...SIX] }));
    emit(document.body, 'checkout-success', { plan: 'team', checkout_id: 'chk_2', new_plan: 'team' });
    await until(() => text(rows(el)[0]).startsWith('Receipt TG-2026-000007'), 3000, 'the new receipt');
    expect(text(rows(el)[0])).to.contain(formatMoney(159900, 'INR', 'en'));
    expect(rows(el)).to.have.length(5);
  });

  it('says so when there are none, and when the list cannot be had', async () => {
    server.on('GET /v1/receipts', () => ({ receipts: [] }));
    const el = await meter({ locale: 'en', receipts: true });
    await until(() => text($(el, '[part~="receipts"] p')) === 'No payments yet.', 3000, 'the empty list');
    await expect(el).to.be.accessible();
    server.on('GET /v1/receipts', () => apiError(401, 'invalid_token'));
    void el.refresh();
    await until(() => el.shadowRoot!.querySelector('[part~="receipts"] [role="alert"]'), 3000, 'the error');
    expect(text($(el, '[part~="receipts"] [role="alert"]'))).to.equal('Your session has expired. Reload the page and sign in again.');
  });

  it('in Hindi: its words, dates and amounts', async () => {
    await loadCatalog('hi');
    const el = await meter({ locale: 'hi', receipts: true });
    await until(() => rows(el).length === 5, 3000, 'the rows');
    expect(text($(el, '[part~="receipts"] h3'))).to.equal('भुगतान इतिहास');
    expect(text($(el, '[part~="receipt-link"]'))).to.equal('क्रेडिट नोट CN-2026-000001 (नए टैब में खुलता है)');
    expect(text(rows(el)[1])).to.equal(`रसीद TG-2026-000005 (नए टैब में खुलता है) ${formatDate(SIX[1].issued_at, 'hi')} रिफ़ंड किया गया ${formatMoney(119765, 'INR', 'hi')}`);
    expect(server.calls('GET /v1/receipts')[0].headers['accept-language']).to.equal('hi');
    await expect(el).to.be.accessible();
  });
});
