// A receipt or credit note as an A4 PDF (pdfkit), with the same words, money and dates as the page. The text is
// set in Noto Sans Devanagari (@fontsource, OFL), whose subsets are chosen per run of characters: Latin,
// Latin Extended (and most currency signs) and Devanagari (and ₹), so English, Hindi and every amount print.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import type { Receipt } from '../../src/contract/receipts.js';
import { formatDate, formatMoney, formatNumber } from '../../src/format.js';
import { paidWith, receiptStrings } from './receipt-strings.js';
import { taxIncluded } from './receipts.js';

const FONT_DIR = join(dirname(createRequire(import.meta.url).resolve('@fontsource/noto-sans-devanagari/package.json')), 'files');
type Subset = 'latin' | 'latin-ext' | 'devanagari';
const fontName = (subset: Subset, bold: boolean) => `${subset}-${bold ? 700 : 400}`;

/**
 * A WOFF 1.0 font as the TrueType it wraps (https://www.w3.org/TR/WOFF/): its tables inflated with Node's zlib.
 * pdfkit would inflate each WOFF for every document with a JavaScript inflate, which took most of a render
 * (`node --cpu-prof`: ~0.8 s of 1 s); the TrueType is made once per process and given to every document.
 */
export function woffToSfnt(woff: Buffer): Buffer {
  if (woff.readUInt32BE(0) !== 0x774f4646) throw new Error('not a WOFF font');
  const count = woff.readUInt16BE(12);
  const tables = Array.from({ length: count }, (_, i) => {
    const at = 44 + i * 20;
    const [offset, compLength, origLength] = [woff.readUInt32BE(at + 4), woff.readUInt32BE(at + 8), woff.readUInt32BE(at + 12)];
    const stored = woff.subarray(offset, offset + compLength);
    return { tag: woff.readUInt32BE(at), checksum: woff.readUInt32BE(at + 16), data: compLength < origLength ? inflateSync(stored) : stored };
  });
  let searchRange = 1;
  let entrySelector = 0;
  while (searchRange * 2 <= count) {
    searchRange *= 2;
    entrySelector++;
  }
  const header = Buffer.alloc(12 + count * 16);
  header.writeUInt32BE(woff.readUInt32BE(4), 0); // the flavor: 0x00010000 (TrueType) or 'OTTO'
  header.writeUInt16BE(count, 4);
  header.writeUInt16BE(searchRange * 16, 6);
  header.writeUInt16BE(entrySelector, 8);
  header.writeUInt16BE(count * 16 - searchRange * 16, 10);
  const parts: Buffer[] = [header];
  let offset = header.length;
  tables.forEach((t, i) => {
    const at = 12 + i * 16;
    header.writeUInt32BE(t.tag, at);
    header.writeUInt32BE(t.checksum, at + 4);
    header.writeUInt32BE(offset, at + 8);
    header.writeUInt32BE(t.data.length, at + 12);
    const padded = Buffer.alloc((t.data.length + 3) & ~3);
    t.data.copy(padded);
    parts.push(padded);
    offset += padded.length;
  });
  return Buffer.concat(parts);
}

const fonts = new Map<string, Buffer>();
function fontBytes(subset: Subset, bold: boolean): Buffer {
  const name = fontName(subset, bold);
  let bytes = fonts.get(name);
  if (!bytes) {
    bytes = woffToSfnt(readFileSync(join(FONT_DIR, `noto-sans-devanagari-${name}-normal.woff`)));
    fonts.set(name, bytes);
  }
  return bytes;
}

const DEVANAGARI = /[\u0900-\u097F\u1CD0-\u1CFF\uA8E0-\uA8FF\u200C\u200D\u20B9]/;
/** Latin Extended and the currency signs the Latin subset lacks (it has $, £, ¥ and €; ₹ is Devanagari's). */
const LATIN_EXT = /[\u0100-\u024F\u1E00-\u1EFF\u20A0-\u20AB\u20AD-\u20B8\u20BA-\u20CF]/;

function subsetOf(ch: string): Subset {
  return DEVANAGARI.test(ch) ? 'devanagari' : LATIN_EXT.test(ch) ? 'latin-ext' : 'latin';
}

/** `text` cut into runs of one subset each (spaces and punctuation are Latin's: the Devanagari subset has none). */
export function fontRuns(text: string): { subset: Subset; text: string }[] {
  const runs: { subset: Subset; text: string }[] = [];
  for (const ch of text) {
    const subset = subsetOf(ch);
    const last = runs[runs.length - 1];
    if (last?.subset === subset) last.text += ch;
    else runs.push({ subset, text: ch });
  }
  return runs;
}

type Doc = PDFKit.PDFDocument;
interface TextStyle {
  size?: number;
  bold?: boolean;
  color?: string;
  align?: 'left' | 'right';
}

function useFont(doc: Doc, subset: Subset, style: TextStyle): Doc {
  return doc.font(fontName(subset, style.bold ?? false)).fontSize(style.size ?? 10);
}

function widthOf(doc: Doc, text: string, style: TextStyle): number {
  return fontRuns(text).reduce((w, r) => w + useFont(doc, r.subset, style).widthOfString(r.text), 0);
}

/** One line of text at (x, y); right-aligned text ends at x. No wrapping: see {@link wrap}. */
function line(doc: Doc, text: string, x: number, y: number, style: TextStyle = {}): void {
  let at = style.align === 'right' ? x - widthOf(doc, text, style) : x;
  doc.fillColor(style.color ?? '#111111');
  for (const r of fontRuns(text)) {
    useFont(doc, r.subset, style).text(r.text, at, y, { lineBreak: false });
    at += doc.widthOfString(r.text);
  }
}

/** `text` broken into lines no wider than `width` (at spaces; its own newlines kept). */
function wrap(doc: Doc, text: string, width: number, style: TextStyle): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let current = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const next = current ? `${current} ${word}` : word;
      if (current && widthOf(doc, next, style) > width) {
        out.push(current);
        current = word;
      } else current = next;
    }
    out.push(current);
  }
  return out;
}

/** A block of lines from (x, y); the y below it. */
function block(doc: Doc, lines: (string | null)[], x: number, y: number, width: number, style: TextStyle = {}): number {
  const size = style.size ?? 10;
  for (const text of lines) {
    if (text === null) continue;
    for (const l of wrap(doc, text, width, style)) {
      line(doc, l, x, y, style);
      y += size * 1.45;
    }
  }
  return y;
}

const LEFT = 50;
const RIGHT = 545;
const GREY = '#555555';

/** The PDF's bytes. */
export function receiptPdf(receipt: Receipt): Promise<Buffer> {
  const t = receiptStrings(receipt.locale);
  const { locale, currency } = receipt;
  const money = (minor: number) => formatMoney(minor, currency, locale);
  const credit = receipt.kind === 'credit_note';
  const title = credit ? t.credit_note : t.receipt;
  const doc = new PDFDocument({
    size: 'A4',
    margin: LEFT,
    info: { Title: `${title} ${receipt.number}`, Author: receipt.seller.legal_name ?? '', CreationDate: new Date(receipt.issued_at) },
  });
  for (const subset of ['latin', 'latin-ext', 'devanagari'] as const) for (const bold of [false, true]) doc.registerFont(fontName(subset, bold), fontBytes(subset, bold));
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  // Header: the title on the left, number and date on the right.
  line(doc, title, LEFT, 50, { size: 22, bold: true });
  line(doc, `${credit ? t.credit_note_number : t.receipt_number}: ${receipt.number}`, RIGHT, 54, { align: 'right', bold: true });
  line(doc, `${t.date}: ${formatDate(receipt.issued_at, locale)}`, RIGHT, 70, { align: 'right' });
  if (receipt.credits) line(doc, `${t.credits}: ${receipt.credits.number}`, RIGHT, 86, { align: 'right' });
  doc.moveTo(LEFT, 106).lineTo(RIGHT, 106).lineWidth(1.5).strokeColor('#111111').stroke();

  // Seller and buyer side by side.
  const s = receipt.seller;
  const b = receipt.buyer;
  const half = (RIGHT - LEFT) / 2;
  line(doc, t.seller.toUpperCase(), LEFT, 122, { size: 8, color: GREY, bold: true });
  line(doc, t.buyer.toUpperCase(), LEFT + half, 122, { size: 8, color: GREY, bold: true });
  const sellerEnd = block(
    doc,
    [s.legal_name, s.address, s.email, s.gstin ? `${t.gstin}: ${s.gstin}` : null, s.vat_id ? `${t.vat_id}: ${s.vat_id}` : null],
    LEFT,
    136,
    half - 16,
  );
  const buyerEnd = block(doc, [b.legal_name ?? b.name, b.address, b.email, b.gstin ? `${t.gstin}: ${b.gstin}` : null], LEFT + half, 136, half - 16);

  // The lines.
  const cols = { qty: 370, unit: 455, amount: RIGHT };
  let y = Math.max(sellerEnd, buyerEnd) + 20;
  line(doc, t.description, LEFT, y, { bold: true });
  line(doc, t.quantity, cols.qty, y, { bold: true, align: 'right' });
  line(doc, t.unit_amount, cols.unit, y, { bold: true, align: 'right' });
  line(doc, t.amount, cols.amount, y, { bold: true, align: 'right' });
  y += 16;
  doc.moveTo(LEFT, y).lineTo(RIGHT, y).lineWidth(0.5).strokeColor('#999999').stroke();
  y += 8;
  for (const l of receipt.lines) {
    const top = y;
    const details = [
      l.description,
      l.period_start && l.period_end ? `${t.period}: ${formatDate(l.period_start, locale)} – ${formatDate(l.period_end, locale)}` : null,
      l.discount ? `${t.discount}: ${l.discount.description} −${money(l.discount.amount)}` : null,
      ...l.taxes.map((x) => `${x.name}${x.rate === null ? '' : ` ${formatNumber(x.rate, locale)} %`}: ${money(x.amount)}`),
    ];
    y = block(doc, details, LEFT, y, cols.qty - LEFT - 50);
    line(doc, formatNumber(l.quantity, locale), cols.qty, top, { align: 'right' });
    line(doc, money(l.unit_amount), cols.unit, top, { align: 'right' });
    line(doc, money(l.amount), cols.amount, top, { align: 'right' });
    y += 4;
    doc.moveTo(LEFT, y).lineTo(RIGHT, y).lineWidth(0.5).strokeColor('#cccccc').stroke();
    y += 8;
  }

  // Totals, right-aligned under the amounts.
  const label = 330;
  const total = (name: string, value: string, style: TextStyle = {}) => {
    line(doc, name, label, y, style);
    line(doc, value, cols.amount, y, { ...style, align: 'right' });
    y += (style.size ?? 10) * 1.6;
  };
  total(t.subtotal, money(receipt.subtotal));
  if (receipt.discount_total) total(t.discount, `−${money(receipt.discount_total)}`);
  total(receipt.tax_total ? (taxIncluded(receipt) ? t.tax_included : t.tax) : t.no_tax, money(receipt.tax_total));
  doc.moveTo(label, y).lineTo(RIGHT, y).lineWidth(1.5).strokeColor('#111111').stroke();
  y += 8;
  total(credit ? t.total_credited : t.total_paid, money(receipt.total), { bold: true, size: 13 });

  // The payment.
  y += 16;
  line(doc, t.payment.toUpperCase(), LEFT, y, { size: 8, color: GREY, bold: true });
  y += 14;
  const rows: [string, string][] = [
    [t.paid_with, paidWith(receipt.payment)],
    [t.payment_id, receipt.payment.payment_id],
    [t.date, formatDate(receipt.payment.paid_at, locale)],
  ];
  if (receipt.credit_notes.length) rows.push([t.credit_notes, `${receipt.credit_notes.map((c) => c.number).join(', ')} (${t.refunded})`]);
  for (const [name, value] of rows) {
    line(doc, name, LEFT, y, { color: GREY });
    line(doc, value, LEFT + 130, y);
    y += 15;
  }

  doc.end();
  return done;
}
