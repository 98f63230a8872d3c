// Promotion codes: find a code, check that it applies to a price now, price the discount (one rounding rule),
// check that the price's provider can honour it, and say its duration in words (README "Promotion codes").
import type { Interval, PromotionPreview, TaxLine } from '../../src/contract/index.js';
import { formatMoney } from '../../src/format.js';
import type { Catalog } from '../catalog.js';
import type { PlanConfig, PlanPriceConfig, PromotionCodeConfig } from '../config.js';
import { AppError } from '../errors.js';
import { capabilitiesOf } from '../providers/capability-table.js';
import { priceTax, type TaxRule } from './taxes.js';

/** The code's terms a checkout keeps (checkouts.promotion): enough to start it again after the config changed. */
export interface AppliedPromotion {
  code: string;
  duration: PromotionCodeConfig['duration'];
  duration_periods: number | null;
  percent_off: number | null;
  stripe_coupon_id: string | null;
  /** The Razorpay Offer a Razorpay subscription needs for this code (razorpayOfferFor). */
  razorpay_offer_id: string | null;
}

/**
 * What a checkout charges, in integer minor units: `subtotal = unit_amount × quantity`, then the discount, then
 * the tax (README "Taxes"): `total = subtotal - discount (+ tax when exclusive)`. One shape for every provider.
 */
export interface PricedCheckout {
  unit_amount: number;
  quantity: number;
  subtotal: number;
  discount: number;
  tax: TaxLine | null;
  total: number;
  currency: string;
  promotion: AppliedPromotion | null;
}

/**
 * The rounding rule: a percent discount is `amount × percent / 100` rounded half up to the minor unit, in
 * integer arithmetic on hundredths of a percent (`floor((amount × bp + 5000) / 10000)`, bp = percent × 100), so
 * ₹1,599.00 at 12.5 % is 19987.5 → 19988 paise off. A fixed discount is the code's amount for the currency,
 * never more than the amount.
 */
export function percentDiscount(amount: number, percent: number): number {
  const bp = Math.round(percent * 100);
  return Math.floor((amount * bp + 5000) / 10000);
}

/** The discount a code takes off `amount` in `currency`, or undefined when it has no amount for that currency. */
export function discountOf(promo: Pick<PromotionCodeConfig, 'percent_off' | 'amount_off'>, amount: number, currency: string): number | undefined {
  if (promo.percent_off !== undefined) return percentDiscount(amount, promo.percent_off);
  const off = promo.amount_off?.[currency];
  return off === undefined ? undefined : Math.min(off, amount);
}

/** The configured code, matched without regard to case and surrounding space, or 404 promotion_unknown. */
export function findPromotion(catalog: Catalog, code: string): PromotionCodeConfig {
  const wanted = code.trim().toUpperCase();
  const promo = catalog.file.promotion_codes.find((p) => p.code === wanted);
  if (!promo) throw new AppError('promotion_unknown', `There is no promotion code "${code.trim()}"; check the spelling`);
  return promo;
}

const INTERVAL_WORD: Record<Interval, string> = { month: 'month', year: 'year', once: 'payment' };

/** "20 % off for 3 months", "₹500 off the first payment", "10 % off every month" (English; the elements word it in the page's language). */
export function describePromotion(promo: Pick<AppliedPromotion, 'duration' | 'duration_periods' | 'percent_off'>, off: { discount: number; currency: string }, interval: Interval): string {
  const what = `${promo.percent_off !== null ? `${promo.percent_off} %` : formatMoney(off.discount, off.currency, 'en')} off`;
  const unit = INTERVAL_WORD[interval];
  if (promo.duration === 'forever') return `${what} every ${unit}`;
  if (promo.duration === 'repeating' && promo.duration_periods !== null) return `${what} for ${promo.duration_periods} ${unit}${promo.duration_periods === 1 ? '' : 's'}`;
  return interval === 'once' ? what : `${what} the first ${unit}`;
}

/**
 * A code's checks that need no store: its window, its plans and intervals, a recurring-only duration, an
 * amount for the currency, and a discount that leaves something to pay. Throws the typed error.
 */
export function assertPromotionApplies(promo: PromotionCodeConfig, plan: PlanConfig, price: PlanPriceConfig, now: Date, subtotal = price.amount): number {
  if (promo.starts_at && now.getTime() < Date.parse(promo.starts_at)) throw new AppError('promotion_expired', `The code ${promo.code} is not valid yet`);
  if (promo.expires_at && now.getTime() >= Date.parse(promo.expires_at)) throw new AppError('promotion_expired', `The code ${promo.code} has expired`);
  if (promo.plans && !promo.plans.includes(plan.id)) throw new AppError('promotion_not_applicable', `The code ${promo.code} is not for the ${plan.name} plan`);
  const intervalName = price.interval === 'once' ? 'one-off' : `${price.interval}ly`;
  if (promo.intervals && !promo.intervals.includes(price.interval)) throw new AppError('promotion_not_applicable', `The code ${promo.code} is not for ${intervalName} billing`);
  if (promo.duration !== 'once' && price.interval === 'once') throw new AppError('promotion_not_applicable', `The code ${promo.code} is for subscriptions, not for a one-off payment`);
  const discount = discountOf(promo, subtotal, price.currency);
  if (discount === undefined) throw new AppError('promotion_not_applicable', `The code ${promo.code} has no discount in ${price.currency}`);
  if (discount >= subtotal) throw new AppError('promotion_not_applicable', `The code ${promo.code} would make the ${plan.name} plan free; it cannot be used on it`);
  return discount;
}

/**
 * Whether the price's provider can charge the discount as the code means it (its `discounts` capability):
 * a coupon of its own does any duration; an amount we send lasts as long as that amount is charged: one
 * payment for an order (one-off, or one period that nothing renews), every payment for a subscription.
 */
export function assertProviderHonours(promo: PromotionCodeConfig, price: PlanPriceConfig): void {
  const caps = capabilitiesOf(price.provider);
  if (!caps?.discounts) throw new AppError('promotion_not_supported', `Promotion codes cannot be used with ${price.provider}, which prices this plan itself`);
  if (caps.discounts === 'coupon') return;
  // A recurring price is a Razorpay Subscription, priced upstream by its plan: the code must be an Offer there.
  if (price.recurring) {
    razorpayOfferFor(appliedPromotion(promo));
    return;
  }
  const everyPayment = price.interval !== 'once' && caps.renewal !== 'one_period';
  if (everyPayment && promo.duration !== 'forever') {
    throw new AppError('promotion_not_supported', `${price.provider} charges a subscription the same amount every ${price.interval}; the code ${promo.code} is not a discount on every payment`);
  }
  if (!everyPayment && promo.duration !== 'once') {
    throw new AppError('promotion_not_supported', `A ${price.provider} order pays for one ${price.interval === 'once' ? 'purchase' : price.interval}; the code ${promo.code} discounts later payments too, which it cannot carry`);
  }
}

/** The code's terms as a checkout stores them. */
export function appliedPromotion(promo: PromotionCodeConfig): AppliedPromotion {
  return {
    code: promo.code,
    duration: promo.duration,
    duration_periods: promo.duration_periods ?? null,
    percent_off: promo.percent_off ?? null,
    stripe_coupon_id: promo.stripe_coupon_id ?? null,
    razorpay_offer_id: promo.razorpay_offer_id ?? null,
  };
}

/**
 * A Razorpay subscription is priced by its Razorpay plan, not by an amount we send: a code reaches it only as
 * a configured Offer (`offer_id` on the subscription). For the subscription path (branch rzp-subs) to call
 * before creating one; a code without an offer is refused, never ignored.
 */
export function razorpayOfferFor(promo: AppliedPromotion): string {
  if (!promo.razorpay_offer_id) throw new AppError('promotion_not_supported', `The code ${promo.code} has no Razorpay Offer for subscriptions; set promotion_codes[].razorpay_offer_id`);
  return promo.razorpay_offer_id;
}

/**
 * The price of a new checkout: the catalog price × `quantity` (services/pricing.ts checks it), less the code's
 * discount when a code is given and applies here, then the tax of `taxRule` on what is left.
 */
export function priceCheckout(catalog: Catalog, input: { plan: PlanConfig; price: PlanPriceConfig; code?: string; now: Date; quantity?: number; taxRule?: TaxRule | null }): PricedCheckout & { rule: PromotionCodeConfig | null } {
  const { price } = input;
  const quantity = input.quantity ?? 1;
  const subtotal = price.amount * quantity;
  const base = { unit_amount: price.amount, quantity, subtotal, currency: price.currency };
  if (!input.code) return { ...base, discount: 0, ...priceTax(subtotal, input.taxRule ?? null), promotion: null, rule: null };
  const promo = findPromotion(catalog, input.code);
  const discount = assertPromotionApplies(promo, input.plan, price, input.now, subtotal);
  assertProviderHonours(promo, price);
  return { ...base, discount, ...priceTax(subtotal - discount, input.taxRule ?? null), promotion: appliedPromotion(promo), rule: promo };
}

/** The price a stored checkout charges (its amount is the total; the quantity, discount, tax and terms are beside it). */
export function pricedCheckoutOf(row: { amount: number; currency: string; discount?: number | null; promotion?: AppliedPromotion | null; quantity?: number | null; tax?: TaxLine | null }, price: PlanPriceConfig): PricedCheckout {
  const discount = row.discount ?? 0;
  const quantity = row.quantity ?? 1;
  const tax = row.tax ?? null;
  const subtotal = row.amount + discount - (tax && !tax.inclusive ? (tax.amount ?? 0) : 0);
  return { unit_amount: price.amount, quantity, subtotal, discount, tax, total: row.amount, currency: row.currency, promotion: row.promotion ?? null };
}

/** The validate route's answer for one priced checkout. */
export function promotionPreview(priced: PricedCheckout, interval: Interval): PromotionPreview {
  const promo = priced.promotion!;
  return {
    valid: true,
    code: promo.code,
    currency: priced.currency,
    interval,
    amount: priced.subtotal,
    discount: priced.discount,
    total: priced.subtotal - priced.discount,
    percent_off: promo.percent_off,
    duration: promo.duration,
    duration_periods: promo.duration_periods,
    description: describePromotion(promo, priced, interval),
    // The tax on the total (README "Taxes"): included in it, or added to it; none without a tax.
    ...(priced.tax ? { tax: priced.tax } : {}),
  };
}
