// The words printed on a receipt or credit note (HTML and PDF), in English and Hindi; numbers, money and dates
// are formatted for the full locale (en-IN groups lakhs) by src/format.ts.
import { en } from '../../src/i18n/en.js';
import { hi } from '../../src/i18n/hi.js';
import { negotiateLocale } from '../locale.js';

/** The locales a receipt is rendered in: the words by language, the formats by the whole tag. */
export const RECEIPT_LOCALES = ['en', 'en-IN', 'hi', 'hi-IN'] as const;

const EN = {
  receipt: 'Receipt',
  credit_note: 'Credit note',
  receipt_number: 'Receipt number',
  credit_note_number: 'Credit note number',
  date: 'Date',
  seller: 'From',
  buyer: 'Billed to',
  description: 'Description',
  quantity: 'Qty',
  unit_amount: 'Unit price',
  discount: 'Discount',
  tax: 'Tax',
  tax_included: 'Tax included in the total',
  amount: 'Amount',
  subtotal: 'Subtotal',
  total_paid: 'Total paid',
  total_credited: 'Total credited',
  payment: 'Payment',
  paid_with: 'Paid with',
  method: 'Method',
  payment_id: 'Payment ID',
  period: 'Period',
  credits: 'Credits receipt',
  credit_notes: 'Credit notes',
  refunded: 'Refunded',
  gstin: 'GSTIN',
  vat_id: 'VAT ID',
  email: 'Email',
  no_tax: 'No tax charged',
  print: 'Print',
  pdf: 'Download PDF',
  'interval.month': en['interval.month'],
  'interval.year': en['interval.year'],
  'interval.once': 'One-off',
  seat_more: '{n} more seat',
  seats_more: '{n} more seats',
  seats_prorated: '{seats}, prorated to {date}',
};
export type ReceiptStrings = typeof EN;

const HI: ReceiptStrings = {
  receipt: 'रसीद',
  credit_note: 'क्रेडिट नोट',
  receipt_number: 'रसीद संख्या',
  credit_note_number: 'क्रेडिट नोट संख्या',
  date: 'दिनांक',
  seller: 'विक्रेता',
  buyer: 'ख़रीदार',
  description: 'विवरण',
  quantity: 'मात्रा',
  unit_amount: 'इकाई मूल्य',
  discount: 'छूट',
  tax: 'कर',
  tax_included: 'कुल राशि में शामिल कर',
  amount: 'राशि',
  subtotal: 'उप-योग',
  total_paid: 'कुल भुगतान',
  total_credited: 'कुल क्रेडिट',
  payment: 'भुगतान',
  paid_with: 'भुगतान माध्यम',
  method: 'तरीका',
  payment_id: 'भुगतान आईडी',
  period: 'अवधि',
  credits: 'इस रसीद का क्रेडिट',
  credit_notes: 'क्रेडिट नोट',
  refunded: 'रिफ़ंड किया गया',
  gstin: 'GSTIN',
  vat_id: 'VAT ID',
  email: 'ईमेल',
  no_tax: 'कोई कर नहीं लगाया गया',
  print: 'प्रिंट करें',
  pdf: 'PDF डाउनलोड करें',
  'interval.month': hi['interval.month'],
  'interval.year': hi['interval.year'],
  'interval.once': 'एक बार',
  seat_more: '{n} और सीट',
  seats_more: '{n} और सीटें',
  seats_prorated: '{seats}, {date} तक आनुपातिक',
};

/** How a payment's provider is printed. */
export const PROVIDER_LABELS: Record<string, string> = { razorpay: 'Razorpay', stripe: 'Stripe', mintbot: 'mintbot', mimicbot: 'MimicBot', mintoken: 'Mintoken', bonzai: 'Bonzai' };
/** The provider's payment methods as a receipt names them (Razorpay's `method`); any other as the provider sent it. */
const METHOD_LABELS: Record<string, string> = { upi: 'UPI', card: 'Card', netbanking: 'Netbanking', wallet: 'Wallet', emi: 'EMI', emandate: 'e-mandate', nach: 'NACH', paylater: 'Pay Later' };

/** "Razorpay (UPI)": who took the payment, and how when known. */
export function paidWith(payment: { provider: string; method: string | null }): string {
  const provider = PROVIDER_LABELS[payment.provider] ?? payment.provider;
  return payment.method ? `${provider} (${METHOD_LABELS[payment.method] ?? payment.method})` : provider;
}

/** The receipt locale for a caller's languages (`?locale=`, Accept-Language): `en-IN` stays `en-IN`, `en-US` is `en`. */
export function receiptLocale(requested: readonly string[]): string {
  return negotiateLocale(requested, RECEIPT_LOCALES) ?? 'en';
}

export function receiptStrings(locale: string): ReceiptStrings {
  return locale.toLowerCase().startsWith('hi') ? HI : EN;
}
