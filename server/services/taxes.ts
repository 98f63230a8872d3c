// Taxes (README "Taxes"): the rate a price carries for a buyer's country, and the one rounding rule that prices
// it in integer minor units, inclusive or exclusive, after a promotion code's discount.
import type { TaxLine } from '../../src/contract/index.js';
import { exclusiveTax, inclusiveTax } from '../../src/contract/tax.js';
import type { ConfigFile, PlanPriceConfig, TaxConfig } from '../config.js';

export { exclusiveTax, inclusiveTax };

/**
 * The buyer's country when the checkout names none: the country of the price's currency (INR → IN, EUR has
 * no single country, so no default). A rate for that country applies; none means no tax line.
 */
export const CURRENCY_COUNTRY: Readonly<Record<string, string>> = { INR: 'IN', USD: 'US', GBP: 'GB', JPY: 'JP', AUD: 'AU', CAD: 'CA', SGD: 'SG', CHF: 'CH', AED: 'AE', SEK: 'SE', NOK: 'NO', DKK: 'DK', PLN: 'PL' };

export interface TaxRule {
  /** `stripe_tax`: Stripe prices it at checkout (rate 0 here, name "Tax"); the checkout's line says so until paid. */
  mode: TaxConfig['mode'];
  country: string;
  rate: number;
  name: string;
  split?: 'cgst_sgst' | 'igst';
}

/** The tax rule of `price` for `country` (else its currency's country): the price's own `tax`, else the catalog's. */
export function taxRuleOf(file: Pick<ConfigFile, 'tax'>, price: Pick<PlanPriceConfig, 'tax' | 'currency'>, country: string | undefined): TaxRule | null {
  const config = price.tax ?? file.tax;
  const where = country ?? CURRENCY_COUNTRY[price.currency];
  if (config?.mode === 'stripe_tax') return { mode: 'stripe_tax', country: where ?? '', rate: 0, name: 'Tax' };
  const rate = config && where ? config.rates[where] : undefined;
  if (!config || !where || !rate) return null;
  return { mode: config.mode, country: where, rate: rate.rate, name: rate.name, ...(rate.split ? { split: rate.split } : {}) };
}

/**
 * The tax on `taxable` (the subtotal after the discount) and the total charged: exclusive adds the tax to it,
 * inclusive takes it out of it. India's GST split in halves: CGST = ceil(tax / 2), SGST the rest. Stripe Tax's is
 * unknown until paid: a line computed by Stripe with no amount, and the total before it (stripeTaxPaid records it).
 */
export function priceTax(taxable: number, rule: TaxRule | null): { tax: TaxLine | null; total: number } {
  if (!rule) return { tax: null, total: taxable };
  if (rule.mode === 'stripe_tax') return { tax: stripeTaxPending(rule.country), total: taxable };
  const inclusive = rule.mode === 'inclusive';
  const amount = inclusive ? inclusiveTax(taxable, rule.rate) : exclusiveTax(taxable, rule.rate);
  const half = Math.ceil(amount / 2);
  const split =
    rule.split === 'cgst_sgst'
      ? [{ name: 'CGST', rate: rule.rate / 2, amount: half }, { name: 'SGST', rate: rule.rate / 2, amount: amount - half }]
      : rule.split === 'igst'
        ? [{ name: 'IGST', rate: rule.rate, amount }]
        : undefined;
  return { tax: { amount, name: rule.name, rate: rule.rate, inclusive, country: rule.country, ...(split ? { split } : {}) }, total: inclusive ? taxable : taxable + amount };
}

/** A Stripe Tax line before payment: exclusive, its rate and amount Stripe's to compute from the buyer's address. */
function stripeTaxPending(country: string): TaxLine {
  return { amount: null, name: 'Tax', rate: null, inclusive: false, country, computed_by: 'stripe' };
}
