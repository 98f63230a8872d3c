// A receipt or credit note as a print-friendly page: no script, one nonce'd stylesheet (the strict CSP of the
// server's other pages), every value escaped by hono/html, money and dates in the receipt's locale.
import { html, raw } from 'hono/html';
import type { Receipt } from '../../src/contract/receipts.js';
import { formatDate, formatMoney, formatNumber } from '../../src/format.js';
import { paidWith, receiptStrings } from './receipt-strings.js';
import { taxIncluded } from './receipts.js';

const STYLE = `
:root { color-scheme: light; font-family: system-ui, "Noto Sans", "Noto Sans Devanagari", sans-serif; color: #111; }
body { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 2px solid #111; padding-bottom: .5rem; }
h1 { font-size: 1.6rem; margin: 0; }
.meta { text-align: end; }
.parties { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; margin: 1.5rem 0; }
.parties h2, .payment h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #555; margin: 0 0 .25rem; }
.address { white-space: pre-line; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: .4rem .3rem; text-align: start; border-bottom: 1px solid #ccc; vertical-align: top; }
th.num, td.num { text-align: end; font-variant-numeric: tabular-nums; }
tfoot td { border-bottom: none; }
tfoot tr.total td { font-weight: 700; border-top: 2px solid #111; font-size: 1.1rem; }
.payment { margin-top: 1.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dt { color: #555; }
dd { margin: 0; }
nav { margin-top: 2rem; }
@media print { nav { display: none; } body { margin: 0; } }
`;

function party(lines: (string | null)[]) {
  return lines.filter((l): l is string => l !== null).map((l, i) => (i === 0 ? html`<strong>${l}</strong><br>` : html`<span class="address">${l}</span><br>`));
}

/** The page; `nonce` is the CSP's for its stylesheet, `pdfUrl` the link to the same receipt as a PDF. */
export function receiptHtml(receipt: Receipt, nonce: string, pdfUrl: string): Promise<string> {
  const t = receiptStrings(receipt.locale);
  const { locale, currency } = receipt;
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const credit = receipt.kind === 'credit_note';
  const s = receipt.seller;
  const b = receipt.buyer;
  const page = html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${credit ? t.credit_note : t.receipt} ${receipt.number}</title>
<style nonce="${nonce}">${raw(STYLE)}</style>
</head>
<body>
<header>
  <h1>${credit ? t.credit_note : t.receipt}</h1>
  <div class="meta">
    <div>${credit ? t.credit_note_number : t.receipt_number}: <strong data-field="number">${receipt.number}</strong></div>
    <div>${t.date}: <time datetime="${receipt.issued_at}">${formatDate(receipt.issued_at, locale)}</time></div>
    ${receipt.credits ? html`<div>${t.credits}: ${receipt.credits.number}</div>` : ''}
  </div>
</header>
<section class="parties">
  <div><h2>${t.seller}</h2>${party([s.legal_name, s.address, s.email])}${s.gstin ? html`${t.gstin}: ${s.gstin}<br>` : ''}${s.vat_id ? html`${t.vat_id}: ${s.vat_id}<br>` : ''}</div>
  <div><h2>${t.buyer}</h2>${party([b.legal_name ?? b.name, b.address, b.email])}${b.gstin ? html`${t.gstin}: ${b.gstin}<br>` : ''}</div>
</section>
<table>
  <thead><tr><th>${t.description}</th><th class="num">${t.quantity}</th><th class="num">${t.unit_amount}</th><th class="num">${t.amount}</th></tr></thead>
  <tbody>
    ${receipt.lines.map(
      (l) => html`<tr>
      <td>${l.description}${l.period_start && l.period_end ? html`<br><small>${t.period}: ${formatDate(l.period_start, locale)} – ${formatDate(l.period_end, locale)}</small>` : ''}${l.discount ? html`<br><small>${t.discount}: ${l.discount.description} −${money(l.discount.amount)}</small>` : ''}${l.taxes.map((x) => html`<br><small>${x.name}${x.rate === null ? '' : ` ${formatNumber(x.rate, locale)} %`}: ${money(x.amount)}</small>`)}</td>
      <td class="num">${formatNumber(l.quantity, locale)}</td><td class="num">${money(l.unit_amount)}</td><td class="num">${money(l.amount)}</td>
    </tr>`,
    )}
  </tbody>
  <tfoot>
    <tr><td colspan="3">${t.subtotal}</td><td class="num">${money(receipt.subtotal)}</td></tr>
    ${receipt.discount_total ? html`<tr><td colspan="3">${t.discount}</td><td class="num">−${money(receipt.discount_total)}</td></tr>` : ''}
    <tr><td colspan="3">${receipt.tax_total ? (taxIncluded(receipt) ? t.tax_included : t.tax) : t.no_tax}</td><td class="num">${money(receipt.tax_total)}</td></tr>
    <tr class="total"><td colspan="3">${credit ? t.total_credited : t.total_paid}</td><td class="num" data-field="total">${money(receipt.total)}</td></tr>
  </tfoot>
</table>
<section class="payment">
  <h2>${t.payment}</h2>
  <dl>
    <dt>${t.paid_with}</dt><dd>${paidWith(receipt.payment)}</dd>
    <dt>${t.payment_id}</dt><dd>${receipt.payment.payment_id}</dd>
    <dt>${t.date}</dt><dd>${formatDate(receipt.payment.paid_at, locale)}</dd>
    ${receipt.credit_notes.length ? html`<dt>${t.credit_notes}</dt><dd>${receipt.credit_notes.map((c) => c.number).join(', ')} (${t.refunded})</dd>` : ''}
  </dl>
</section>
<nav><a href="${pdfUrl}">${t.pdf}</a></nav>
</body>
</html>`;
  return Promise.resolve(page).then(String);
}
