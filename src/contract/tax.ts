// The tax rounding rule (README "Taxes"), in integer minor units: the server prices every checkout with it and the
// elements show a seat count's tax with the same functions, so the amount shown is the amount charged.

/** The rate in hundredths of a percent (18 → 1800, 7.7 → 770): the integer every tax is priced with. */
function basisPoints(rate: number): number {
  return Math.round(rate * 100);
}

/** Exclusive: tax = round-half-up(net × rate / 100), in integers: floor((net × bp + 5000) / 10000). */
export function exclusiveTax(net: number, rate: number): number {
  return Math.floor((net * basisPoints(rate) + 5000) / 10000);
}

/**
 * Inclusive: the net is round-half-up(gross × 100 / (100 + rate)) and the tax is what is left, so net + tax is
 * the gross exactly: floor((2 × gross × 10000 + d) / (2 × d)) with d = 10000 + bp.
 */
export function inclusiveTax(gross: number, rate: number): number {
  const d = 10000 + basisPoints(rate);
  return gross - Math.floor((2 * gross * 10000 + d) / (2 * d));
}

