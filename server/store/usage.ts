// The usage_counters table: what each customer used of each metric, per calendar month (UTC).
import type { Sql } from './index.js';

export function usagePeriod(now: Date): string {
  return now.toISOString().slice(0, 7);
}

/** Add `quantity` (negative to correct) to this period's counter, floored at 0; null when it would pass 2^31 - 1 (an SQL integer). */
export async function addUsage(sql: Sql, input: { customerId: string; metric: string; period: string; quantity: number }): Promise<number | null> {
  const [row] = await sql.query<{ used: number }>(
    `INSERT INTO usage_counters (customer_id, metric, period, used) VALUES ($1, $2, $3, GREATEST($4, 0))
     ON CONFLICT (customer_id, metric, period) DO UPDATE SET used = GREATEST(usage_counters.used + $4, 0)
     WHERE usage_counters.used::bigint + $4 <= 2147483647 RETURNING used`,
    [input.customerId, input.metric, input.period, input.quantity],
  );
  return row ? row.used : null;
}

/** This period's counters of one customer. */
export async function periodUsage(sql: Sql, customerId: string, period: string): Promise<{ metric: string; used: number }[]> {
  return sql.query<{ metric: string; used: number }>('SELECT metric, used FROM usage_counters WHERE customer_id = $1 AND period = $2', [customerId, period]);
}
