// Promotion code redemptions in SQL (migration 18): one hold per checkout, claimed within the code's limits in
// one statement (`tollgate_claim_promotion`), released when the checkout expires, redeemed when it is paid.
import type { PromotionCodeConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { Sql } from './index.js';

const REFUSALS = {
  exhausted: ['promotion_exhausted', (code: string) => `The code ${code} has been used as often as it may be`],
  already_used: ['promotion_already_used', (code: string) => `You have already used the code ${code}`],
  first_purchase_only: ['promotion_first_purchase_only', (code: string) => `The code ${code} is for a first purchase only`],
} as const;

/**
 * Hold one redemption of `promo` for a checkout, or throw the limit that refuses it. In the transaction that
 * makes the checkout (a refusal rolls it back); a checkout that holds it already (a retry) holds it once.
 */
export async function claimPromotion(sql: Sql, input: { promo: PromotionCodeConfig; checkoutId: string; customerId: string; now: Date; holdTtlS: number }): Promise<void> {
  const { promo } = input;
  const perCustomer = promo.first_purchase_only ? 1 : promo.max_per_customer;
  const [row] = await sql.query<{ result: string }>('SELECT tollgate_claim_promotion($1, $2, $3, $4, $5, $6, $7, $8) AS result', [
    promo.code,
    input.checkoutId,
    input.customerId,
    promo.max_redemptions ?? null,
    perCustomer,
    promo.first_purchase_only,
    input.now,
    new Date(input.now.getTime() + input.holdTtlS * 1000),
  ]);
  const refusal = REFUSALS[row.result as keyof typeof REFUSALS];
  if (refusal) throw new AppError(refusal[0], refusal[1](promo.code));
}

/**
 * The same limits, read without claiming (the validate route's preview; the claim at checkout decides).
 * Expired holds still count here until the next claim releases them.
 */
export async function assertPromotionAvailable(sql: Sql, input: { promo: PromotionCodeConfig; customerId: string }): Promise<void> {
  const { promo } = input;
  const [row] = await sql.query<{ total: number; mine: number; paid_before: boolean }>(
    `SELECT COALESCE((SELECT used FROM promotion_counts WHERE code = $1 AND customer_id = ''), 0) AS total,
            COALESCE((SELECT used FROM promotion_counts WHERE code = $1 AND customer_id = $2), 0) AS mine,
            EXISTS (SELECT 1 FROM checkouts WHERE customer_id = $2 AND status IN ('paid', 'refunded')) AS paid_before`,
    [promo.code, input.customerId],
  );
  const result =
    promo.first_purchase_only && (row.paid_before || row.mine >= 1)
      ? 'first_purchase_only'
      : promo.max_redemptions !== undefined && row.total >= promo.max_redemptions
        ? 'exhausted'
        : row.mine >= promo.max_per_customer
          ? 'already_used'
          : undefined;
  const refusal = result && REFUSALS[result];
  if (refusal) throw new AppError(refusal[0], refusal[1](promo.code));
}
