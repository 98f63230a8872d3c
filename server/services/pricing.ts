// What a checkout charges: the catalog price chosen for a new checkout, its seats, and the price stored with an existing one.
import type { Interval, ProviderName } from '../../src/contract/index.js';
import type { Catalog } from '../catalog.js';
import type { PlanConfig, PlanPriceConfig } from '../config.js';
import { AppError } from '../errors.js';
import { capabilitiesOf } from '../providers/capability-table.js';
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

/** The largest amount a checkout stores (an SQL integer) and a provider takes. */
const MAX_AMOUNT = 2_147_483_647;

/**
 * The seats a checkout of `price` buys (README "Seats"): a per-unit price takes `quantity` in its
 * [min_quantity, max_quantity] (default its min_quantity, else 1); any other price takes 1. Refused with
 * 400 validation_error; a provider that cannot take a quantity refuses a per-unit price (its `quantities` capability).
 */
export function checkoutQuantity(price: PlanPriceConfig, quantity: number | undefined): number {
  if (!price.per_unit) {
    if (quantity !== undefined && quantity !== 1) throw new AppError('validation_error', 'quantity: this price is not sold per seat; leave quantity out or send 1');
    return 1;
  }
  if (!capabilitiesOf(price.provider)?.quantities) throw new AppError('quantity_not_supported', `${price.provider} prices this plan itself and cannot sell it per seat; sell it through a provider that takes an amount (Razorpay, Stripe, Bonzai)`);
  const min = price.min_quantity ?? 1;
  const max = price.max_quantity ?? 100_000;
  const wanted = quantity ?? min;
  if (wanted < min || wanted > max) throw new AppError('validation_error', `quantity: this plan is sold from ${min} to ${max} seats; ${wanted} is out of range`);
  if (price.amount * wanted > MAX_AMOUNT) throw new AppError('validation_error', `quantity: ${wanted} seats is more than one checkout can charge`);
  return wanted;
}

/** How a seat top-up (services/seats.ts) is named to the payer: "Team · 2 more seats, prorated to 1 Jan 2027". */
export function seatTopUpDescription(planName: string, added: number, until: Date | null, locale = 'en'): string {
  const seats = `${added} more ${added === 1 ? 'seat' : 'seats'}`;
  if (!until) return `${planName} · ${seats}`;
  return `${planName} · ${seats}, prorated to ${new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(until)}`;
}
