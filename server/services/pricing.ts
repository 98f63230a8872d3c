// What a checkout charges: the catalog price chosen for a new checkout, and the price stored with an existing one.
import type { Interval, ProviderName } from '../../src/contract/index.js';
import type { Catalog } from '../catalog.js';
import type { PlanConfig, PlanPriceConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { CheckoutRow } from '../store/checkouts.js';

/**
 * The catalog price of a new checkout for `plan`: the interval's price for the requested provider and
 * currency (else the customer's currency), or 400 validation_error naming what is missing.
 */
export function chargePrice(catalog: Catalog, plan: PlanConfig, interval: Interval, wanted: { provider?: ProviderName; currency?: string; customerCurrency: string | null }): PlanPriceConfig {
  const price = catalog.chargePrice(plan, interval, { provider: wanted.provider, currency: wanted.currency ?? wanted.customerCurrency });
  const priceName = `${interval === 'once' ? 'one-off' : `${interval}ly`} price`;
  if (!price) throw new AppError('validation_error', `interval: plan "${plan.id}" has no ${priceName}${wanted.provider ? ` for ${wanted.provider}` : ''}`);
  if (wanted.currency && price.currency !== wanted.currency) throw new AppError('validation_error', `currency: plan "${plan.id}" has no ${priceName} in ${wanted.currency}`);
  return price;
}

/**
 * The price a checkout charges: the one stored with it when it was made, so the hand-off start, a retry,
 * a verify and a renewal all use exactly what the customer was shown. A checkout from before migration 5
 * is matched in the catalog on everything it stored (provider, currency, interval, amount).
 */
export function checkoutPrice(catalog: Catalog, checkout: CheckoutRow): PlanPriceConfig {
  if (checkout.price) return checkout.price;
  const same = catalog.plan(checkout.plan)?.prices.find((p) => p.provider === checkout.provider && p.currency === checkout.currency && p.interval === checkout.interval && p.amount === checkout.amount);
  return same ?? { provider: checkout.provider, currency: checkout.currency, amount: checkout.amount, interval: checkout.interval };
}
