// The prices <plan-picker> shows: what a plan charges per interval, and the saving of paying yearly.
import type { Interval, Price, PublicPlan } from '../../contract/index.js';

/** The price this customer pays for `interval`, else a one-time price, else its other interval's (a plan sold monthly only), else nothing (free). */
export function chargeFor(plan: PublicPlan, interval: Interval): Price | undefined {
  return plan.charge.find((c) => c.interval === interval) ?? plan.charge.find((c) => c.interval === 'once') ?? plan.charge[0];
}

/** Whole percent saved by paying yearly instead of twelve monthly charges, when both exist. */
export function yearlySaving(plan: PublicPlan): number | undefined {
  const month = plan.charge.find((c) => c.interval === 'month');
  const year = plan.charge.find((c) => c.interval === 'year');
  if (!month || !year || month.currency !== year.currency || month.amount <= 0) return undefined;
  const pct = Math.round(((month.amount * 12 - year.amount) / (month.amount * 12)) * 100);
  return pct > 0 ? pct : undefined;
}
