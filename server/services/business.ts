// Business details a buyer may give at checkout (README "Taxes"): a GSTIN (format and check character), a VAT
// id (format per country prefix, no online check), a legal name and a billing address, for the receipt.
import type { CheckoutRequest } from '../../src/contract/index.js';
import { AppError } from '../errors.js';

export type BusinessDetails = NonNullable<CheckoutRequest['business']>;

const GSTIN_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** 2-digit state code, the holder's PAN (5 letters, 4 digits, 1 letter), entity number, 'Z' (by default), check character. */
const GSTIN_FORMAT = /^[0-3][0-9][A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][A-Z0-9][0-9A-Z]$/;

/**
 * The GSTIN check character: over the first 14 characters (base-36 values), weights 1, 2, 1, 2, …; each product
 * adds its base-36 digits (quotient + remainder by 36); the check is (36 − sum mod 36) mod 36.
 */
export function gstinCheckCharacter(first14: string): string {
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    const product = GSTIN_CHARS.indexOf(first14[i]!) * (i % 2 === 0 ? 1 : 2);
    sum += Math.floor(product / 36) + (product % 36);
  }
  return GSTIN_CHARS[(36 - (sum % 36)) % 36]!;
}

/** Why a GSTIN is refused, or null when its format and check character are right. */
export function gstinProblem(gstin: string): string | null {
  if (!GSTIN_FORMAT.test(gstin)) return 'a GSTIN is 15 characters: a 2-digit state code, the 10-character PAN, the entity number, Z and a check character (e.g. 27AAPFU0939F1ZV)';
  const state = Number(gstin.slice(0, 2));
  if (state < 1 || state > 38) return `${gstin.slice(0, 2)} is not an Indian state code (01–38)`;
  if (gstinCheckCharacter(gstin.slice(0, 14)) !== gstin[14]) return 'its check character (the last) does not match: a character is mistyped';
  return null;
}

/** VAT id formats by country prefix (the EU's VIES formats, and GB's); any other prefix: 2 letters and 2–13 letters or digits. */
const VAT_FORMATS: Readonly<Record<string, RegExp>> = {
  AT: /^ATU\d{8}$/, BE: /^BE[01]\d{9}$/, BG: /^BG\d{9,10}$/, CY: /^CY\d{8}[A-Z]$/, CZ: /^CZ\d{8,10}$/, DE: /^DE\d{9}$/, DK: /^DK\d{8}$/,
  EE: /^EE\d{9}$/, EL: /^EL\d{9}$/, ES: /^ES[A-Z0-9]\d{7}[A-Z0-9]$/, FI: /^FI\d{8}$/, FR: /^FR[A-HJ-NP-Z0-9]{2}\d{9}$/, HR: /^HR\d{11}$/,
  HU: /^HU\d{8}$/, IE: /^IE\d[A-Z0-9+*]\d{5}[A-Z]{1,2}$/, IT: /^IT\d{11}$/, LT: /^LT(\d{9}|\d{12})$/, LU: /^LU\d{8}$/, LV: /^LV\d{11}$/,
  MT: /^MT\d{8}$/, NL: /^NL\d{9}B\d{2}$/, PL: /^PL\d{10}$/, PT: /^PT\d{9}$/, RO: /^RO\d{2,10}$/, SE: /^SE\d{12}$/, SI: /^SI\d{8}$/, SK: /^SK\d{10}$/,
  GB: /^GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/, XI: /^XI(\d{9}|\d{12})$/, CH: /^CHE\d{9}(MWST|TVA|IVA)?$/, NO: /^NO\d{9}(MVA)?$/,
};

/** Why a VAT id is refused (spaces, dots and dashes are ignored), or null. */
export function vatIdProblem(vatId: string): string | null {
  const id = vatId.replace(/[\s.-]/g, '');
  const format = VAT_FORMATS[id.slice(0, 2)];
  if (format ? format.test(id) : /^[A-Z]{2}[A-Z0-9]{2,13}$/.test(id)) return null;
  return format ? `${id} is not in the ${id.slice(0, 2)} VAT id format` : 'a VAT id starts with its country prefix (e.g. DE123456789)';
}

/** The business details as stored (a VAT id without separators), or 400 validation_error naming the field. */
export function checkBusinessDetails(business: BusinessDetails | undefined): BusinessDetails | null {
  if (!business) return null;
  if (business.gstin) {
    const problem = gstinProblem(business.gstin);
    if (problem) throw new AppError('validation_error', `business.gstin: ${problem}`);
  }
  if (business.vat_id) {
    const problem = vatIdProblem(business.vat_id);
    if (problem) throw new AppError('validation_error', `business.vat_id: ${problem}`);
  }
  return { ...business, ...(business.vat_id ? { vat_id: business.vat_id.replace(/[\s.-]/g, '') } : {}) };
}
