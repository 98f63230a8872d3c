// Receipts and credit notes as the API answers them (README "Receipts"): amounts in integer minor units of
// `currency`; discount, quantity and tax lines are typed here and default to none, 1 and none until checkout
// prices them.
import { z } from 'zod';
import { Interval } from './index.js';

export const ReceiptKind = z.enum(['receipt', 'credit_note']);
export type ReceiptKind = z.infer<typeof ReceiptKind>;

/** A receipt's or credit note's number and where to fetch it (API key: `url` is the partner's route). */
export const ReceiptRef = z.object({ id: z.string(), number: z.string() });
export type ReceiptRef = z.infer<typeof ReceiptRef>;

export const ReceiptParty = z.object({
  legal_name: z.string().nullable(),
  address: z.string().nullable(),
  email: z.string().nullable(),
  gstin: z.string().nullable(),
  vat_id: z.string().nullable(),
});

export const ReceiptBuyer = z.object({
  customer_id: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  /** Business details: null until the checkout collects them. */
  legal_name: z.string().nullable(),
  gstin: z.string().nullable(),
  address: z.string().nullable(),
});

/** A discount on a line (a promotion code): `amount` off the line's gross. */
export const ReceiptDiscount = z.object({ code: z.string().nullable(), description: z.string(), amount: z.number().int().nonnegative() });
/** A tax on a line: `name` as printed (`GST`, `CGST`, `SGST`, `IGST`, `VAT`), `rate` in percent (null: Stripe Tax's, by address), `amount` in minor units. */
export const ReceiptTax = z.object({ name: z.string(), rate: z.number().nonnegative().nullable(), amount: z.number().int().nonnegative(), inclusive: z.boolean() });

export const ReceiptLine = z.object({
  /** The plan's name in the answer's language, and its interval. */
  description: z.string(),
  plan: z.string(),
  interval: Interval,
  quantity: z.number().int().min(1),
  unit_amount: z.number().int().nonnegative(),
  discount: ReceiptDiscount.nullable(),
  taxes: z.array(ReceiptTax),
  /** What the line comes to: quantity × unit_amount − discount (+ exclusive taxes). */
  amount: z.number().int().nonnegative(),
  period_start: z.string().nullable(),
  period_end: z.string().nullable(),
});
export type ReceiptLine = z.infer<typeof ReceiptLine>;

export const Receipt = z.object({
  id: z.string(),
  kind: ReceiptKind,
  number: z.string(),
  issued_at: z.string(),
  locale: z.string(),
  seller: ReceiptParty,
  buyer: ReceiptBuyer,
  lines: z.array(ReceiptLine),
  currency: z.string(),
  subtotal: z.number().int(),
  discount_total: z.number().int(),
  tax_total: z.number().int(),
  /** The amount paid (a receipt) or credited (a credit note): the payment's amount. */
  total: z.number().int(),
  /** `total` in the answer's locale ("₹1,599"). */
  total_formatted: z.string(),
  payment: z.object({
    provider: z.string(),
    payment_id: z.string(),
    method: z.string().nullable(),
    kind: z.enum(['checkout', 'renewal']),
    status: z.enum(['paid', 'refunded']),
    paid_at: z.string(),
  }),
  /** A credit note's receipt; null on a receipt. */
  credits: ReceiptRef.nullable(),
  /** The credit notes issued against a receipt; empty on a credit note. */
  credit_notes: z.array(ReceiptRef),
  /** The receipt as a page and as a PDF, openable in a browser without credentials until `expires_at`. */
  links: z.object({ html: z.string(), pdf: z.string(), expires_at: z.string() }),
});
export type Receipt = z.infer<typeof Receipt>;

/** One row of `GET /v1/receipts`. */
export const ReceiptSummary = Receipt.pick({ id: true, kind: true, number: true, issued_at: true, currency: true, total: true, total_formatted: true, credits: true, links: true }).extend({
  plan: z.string(),
  payment_id: z.string(),
  status: z.enum(['paid', 'refunded']),
});
export type ReceiptSummary = z.infer<typeof ReceiptSummary>;

export const ReceiptList = z.object({ receipts: z.array(ReceiptSummary) });
export type ReceiptList = z.infer<typeof ReceiptList>;
