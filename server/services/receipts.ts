// The receipt service: a stored receipt or credit note (store/receipts.ts) as the document the API answers,
// the HTML page and the PDF render, its short-lived links (a session token scoped to the one receipt, as the
// hand-off link's is to its checkout), and the config's receipts section as the numbering trigger reads it.
import type { Receipt, ReceiptLine, ReceiptSummary } from '../../src/contract/receipts.js';
import { formatDate, formatMoney, formatNumber } from '../../src/format.js';
import type { ServerConfig } from '../config.js';
import type { AppDeps } from '../context.js';
import { RECEIPT_LINK_TTL_S, issueSessionToken } from '../security/tokens.js';
import { iso } from '../store/checkouts.js';
import { creditNotesOf, type ReceiptRow, type ReceiptSettings } from '../store/receipts.js';
import { receiptStrings } from './receipt-strings.js';

/** What migration 17's trigger numbers and prints with: the config's receipts section, the seller defaulting to the config's name. */
export function receiptSettingsOf(config: ServerConfig): ReceiptSettings {
  const { receipts, name } = config.file;
  const seller = receipts.seller;
  return {
    series: receipts.series,
    credit_note_series: receipts.credit_note_series,
    format: receipts.format,
    seller: { legal_name: seller?.legal_name ?? name, address: seller?.address ?? null, email: seller?.email ?? null, gstin: seller?.gstin ?? null, vat_id: seller?.vat_id ?? null },
    public_url: config.publicUrl,
  };
}

/** The receipt's page and PDF, each with a token that opens this receipt only, for RECEIPT_LINK_TTL_S. */
export async function receiptLinks(deps: Pick<AppDeps, 'config' | 'now'>, row: Pick<ReceiptRow, 'id' | 'customer_id'>, locale: string): Promise<Receipt['links']> {
  const { config, now } = deps;
  const { token, expiresAt } = await issueSessionToken(config.sessionSecret, { customerId: row.customer_id, receiptScope: row.id }, RECEIPT_LINK_TTL_S, Math.floor(now().getTime() / 1000));
  const base = `${config.publicUrl}/v1/receipts/${row.id}`;
  const query = `?token=${token}&locale=${encodeURIComponent(locale)}`;
  return { html: `${base}/html${query}`, pdf: `${base}/pdf${query}`, expires_at: expiresAt.toISOString() };
}

/** A party's field as stored (a jsonb snapshot), or null. */
const text = (v: string | null | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * The line of a payment: its plan and interval, quantity, and for a checkout's payment the checkout's own terms
 * (the unit price, the promotion code's discount, the tax line, split into CGST and SGST where configured); a
 * renewal's charge carries none of them. The line's amount is the payment's: the receipt's total equals what was paid.
 */
function lineOf(deps: Pick<AppDeps, 'catalog'>, row: ReceiptRow, locale: string): ReceiptLine {
  const words = receiptStrings(locale);
  const name = deps.catalog.planName(row.plan, deps.catalog.localeFor([locale])) ?? row.plan;
  const quantity = Math.max(1, row.quantity);
  // A seat top-up says what it is: "Team · 2 more seats, prorated to 1 Jan 2027" (the unit price is the catalog's, the amount prorated).
  const until = row.checkout_prorated_until ? formatDate(new Date(row.checkout_prorated_until).toISOString(), locale) : null;
  const seats = (quantity === 1 ? words.seat_more : words.seats_more).replace('{n}', formatNumber(quantity, locale));
  return {
    description: row.checkout_kind === 'seats' ? `${name} · ${until ? words.seats_prorated.replace('{seats}', seats).replace('{date}', until) : seats}` : `${name} · ${words[`interval.${row.interval}`]}`,
    plan: row.plan,
    interval: row.interval,
    quantity,
    unit_amount: row.checkout_unit_amount ?? Math.round(row.amount / quantity),
    discount: row.checkout_discount ? { code: row.checkout_promotion_code, description: row.checkout_promotion_code ?? '', amount: row.checkout_discount } : null,
    taxes: taxesOf(row.checkout_tax),
    amount: row.amount,
    period_start: iso(row.period_start),
    period_end: iso(row.period_end),
  };
}

/** A checkout's tax line as the receipt prints it: its halves where India's GST is split (CGST + SGST), else itself. */
function taxesOf(tax: ReceiptRow['checkout_tax']): ReceiptLine['taxes'] {
  if (!tax || !tax.amount) return [];
  if (tax.split?.length) return tax.split.map((part) => ({ name: part.name, rate: part.rate, amount: part.amount, inclusive: tax.inclusive }));
  return [{ name: tax.name, rate: tax.rate, amount: tax.amount, inclusive: tax.inclusive }];
}

/** One line of a business address, as printed. */
function addressText(a: NonNullable<NonNullable<ReceiptRow['checkout_business']>['address']>): string {
  return [a.line1, a.line2, a.city, a.state, a.postal_code, a.country].filter(Boolean).join(', ');
}

/** The full document of a stored receipt or credit note, in `locale`. */
export async function receiptDocument(deps: Pick<AppDeps, 'config' | 'now' | 'catalog' | 'store'>, row: ReceiptRow, locale: string): Promise<Receipt> {
  const lines = [lineOf(deps, row, locale)];
  const discountTotal = lines.reduce((sum, l) => sum + (l.discount?.amount ?? 0), 0);
  const taxTotal = lines.reduce((sum, l) => sum + l.taxes.reduce((s, t) => s + t.amount, 0), 0);
  // Before discounts and exclusive taxes: what the lines come to with their discounts given back.
  const subtotal = lines.reduce((sum, l) => sum + l.amount + (l.discount?.amount ?? 0) - l.taxes.reduce((s, t) => s + (t.inclusive ? 0 : t.amount), 0), 0);
  const seller = row.seller;
  const buyer = row.buyer;
  return {
    id: row.id,
    kind: row.kind,
    number: row.number,
    issued_at: iso(row.issued_at)!,
    locale,
    seller: { legal_name: text(seller.legal_name), address: text(seller.address), email: text(seller.email), gstin: text(seller.gstin), vat_id: text(seller.vat_id) },
    // The business details given at checkout, where the snapshot at issue has none.
    buyer: {
      customer_id: row.customer_id,
      name: text(buyer.name),
      email: text(buyer.email),
      legal_name: text(buyer.legal_name) ?? text(row.checkout_business?.legal_name),
      gstin: text(buyer.gstin) ?? text(row.checkout_business?.gstin ?? row.checkout_business?.vat_id),
      address: text(buyer.address) ?? (row.checkout_business?.address ? addressText(row.checkout_business.address) : null),
    },
    lines,
    currency: row.currency,
    subtotal,
    discount_total: discountTotal,
    tax_total: taxTotal,
    total: row.amount,
    total_formatted: formatMoney(row.amount, row.currency, locale),
    payment: { provider: row.provider, payment_id: row.payment_id, method: row.method, kind: row.payment_kind, status: row.payment_status, paid_at: iso(row.paid_at)! },
    credits: row.receipt_id && row.receipt_number ? { id: row.receipt_id, number: row.receipt_number } : null,
    credit_notes: row.kind === 'receipt' ? await creditNotesOf(deps.store, row.id) : [],
    links: await receiptLinks(deps, row, locale),
  };
}

/** Whether every tax on the receipt is inside its amounts (an inclusive price): printed as included, not added. */
export function taxIncluded(receipt: Pick<Receipt, 'lines'>): boolean {
  const taxes = receipt.lines.flatMap((l) => l.taxes);
  return taxes.length > 0 && taxes.every((t) => t.inclusive);
}

/** A row of the list. */
export async function receiptSummary(deps: Pick<AppDeps, 'config' | 'now'>, row: ReceiptRow, locale: string): Promise<ReceiptSummary> {
  return {
    id: row.id,
    kind: row.kind,
    number: row.number,
    issued_at: iso(row.issued_at)!,
    currency: row.currency,
    total: row.amount,
    total_formatted: formatMoney(row.amount, row.currency, locale),
    credits: row.receipt_id && row.receipt_number ? { id: row.receipt_id, number: row.receipt_number } : null,
    plan: row.plan,
    payment_id: row.payment_id,
    status: row.payment_status,
    links: await receiptLinks(deps, row, locale),
  };
}
