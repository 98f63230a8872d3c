// Receipts and credit notes (README "Receipts"): the customer's list and each one as JSON, as a print-friendly
// page and as a PDF; the page and the PDF also open from a receipt's signed link (`?token=`, a session token
// scoped to that receipt), so a browser needs no API key and no session. The API key's routes are in partner.ts.
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { requestedLocales } from '../locale.js';
import { requireCustomer } from '../http.js';
import { receiptHtml } from '../services/receipt-html.js';
import { receiptPdf } from '../services/receipt-pdf.js';
import { receiptLocale } from '../services/receipt-strings.js';
import { receiptDocument, receiptSummary } from '../services/receipts.js';
import { getReceipt, listReceipts, type ReceiptRow } from '../store/receipts.js';
import { strictCsp } from './pages.js';

export const receiptRoutes = new Hono<AppEnv>();

/** A receipt's id (`rct_…`, `crn_…`) or number as printed ("TG-2026-000042"). */
const REF = /^[A-Za-z0-9_-]{1,80}$/;

/** The receipt language of this request (`?locale=`, else Accept-Language), announced in Content-Language. */
export function receiptLocaleOf(c: AppContext): string {
  const locale = receiptLocale(requestedLocales(c.req.query('locale'), c.req.header('Accept-Language')));
  c.header('Content-Language', locale);
  c.header('Vary', 'Accept-Language', { append: true });
  return locale;
}

/** One of `customerId`'s receipts by id or number; another customer's, or none, is 404 (the same answer). */
export async function ownReceipt(c: AppContext, customerId: string, ref: string): Promise<ReceiptRow> {
  const row = REF.test(ref) ? await getReceipt(c.get('deps').store, customerId, ref) : null;
  if (!row) throw new AppError('not_found', `No receipt "${ref.slice(0, 80)}"`);
  return row;
}

export async function receiptListAnswer(c: AppContext, customerId: string): Promise<Response> {
  const deps = c.get('deps');
  const locale = receiptLocaleOf(c);
  const rows = await listReceipts(deps.store, customerId);
  c.header('Cache-Control', 'no-store');
  return c.json({ receipts: await Promise.all(rows.map((r) => receiptSummary(deps, r, locale))) });
}

export async function receiptAnswer(c: AppContext, row: ReceiptRow): Promise<Response> {
  c.header('Cache-Control', 'no-store');
  return c.json(await receiptDocument(c.get('deps'), row, receiptLocaleOf(c)));
}

/** The page or the PDF of a receipt. */
export async function renderedReceipt(c: AppContext, row: ReceiptRow, as: 'html' | 'pdf'): Promise<Response> {
  const receipt = await receiptDocument(c.get('deps'), row, receiptLocaleOf(c));
  const headers = { 'Cache-Control': 'private, no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' };
  if (as === 'pdf') {
    const bytes = await receiptPdf(receipt);
    return new Response(new Uint8Array(bytes), {
      headers: { ...headers, 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="${receipt.number}.pdf"`, 'Content-Language': receipt.locale },
    });
  }
  const nonce = randomBytes(16).toString('base64');
  const page = await receiptHtml(receipt, nonce, receipt.links.pdf);
  return new Response(page, {
    headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': strictCsp(new URL(c.req.url).origin, nonce), 'Content-Language': receipt.locale },
  });
}

/** Who may open a receipt's page or PDF: its link's token (`?token=`, for this receipt only), else the customer session. */
async function receiptReader(c: AppContext, ref: string): Promise<ReceiptRow> {
  const token = c.req.query('token');
  if (token === undefined) return ownReceipt(c, (await requireCustomer(c)).customerId, ref);
  const identity = await c.get('deps').verifyToken(token);
  if (!identity.receiptScope) throw new AppError('forbidden', 'Open a receipt with its link (GET /v1/receipts/{id} gives one), or send the session as Bearer');
  const row = await ownReceipt(c, identity.customerId, ref);
  if (row.id !== identity.receiptScope) throw new AppError('forbidden', 'This link is for another receipt');
  return row;
}

receiptRoutes.get('/v1/receipts', async (c) => receiptListAnswer(c, (await requireCustomer(c)).customerId));
receiptRoutes.get('/v1/receipts/:ref', async (c) => receiptAnswer(c, await ownReceipt(c, (await requireCustomer(c)).customerId, c.req.param('ref'))));
receiptRoutes.get('/v1/receipts/:ref/html', async (c) => renderedReceipt(c, await receiptReader(c, c.req.param('ref')), 'html'));
receiptRoutes.get('/v1/receipts/:ref/pdf', async (c) => renderedReceipt(c, await receiptReader(c, c.req.param('ref')), 'pdf'));
