// The usage_counters table: what each customer used of each metric, per calendar month (UTC).
import { Batcher, perStore } from './batch.js';
import type { Sql, Store } from './index.js';

export function usagePeriod(now: Date): string {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  // Past 9999 (or before year 0) toISOString signs the year: keep its form there.
  if (year < 0 || year > 9999) return now.toISOString().slice(0, 7);
  return `${year < 1000 ? String(year).padStart(4, '0') : year}-${month < 10 ? '0' : ''}${month}`;
}

/**
 * Add `quantity` (negative to correct) to this period's counter, floored at 0; null when it would pass 2^31 - 1
 * (an SQL integer). `limit`: what the plan in force allows, kept with the counter for usage.threshold_reached
 * (migration 14; null when unknown or unlimited).
 */
export async function addUsage(sql: Sql, input: { customerId: string; metric: string; period: string; quantity: number; limit?: number | null }): Promise<number | null> {
  const [row] = await sql.query<{ used: number }>(
    `INSERT INTO usage_counters (customer_id, metric, period, used, usage_limit) VALUES ($1, $2, $3, GREATEST($4, 0), $5)
     ON CONFLICT (customer_id, metric, period) DO UPDATE SET used = GREATEST(usage_counters.used + $4, 0), usage_limit = EXCLUDED.usage_limit
     WHERE usage_counters.used::bigint + $4 <= 2147483647 RETURNING used`,
    [input.customerId, input.metric, input.period, input.quantity, input.limit ?? null],
  );
  return row ? row.used : null;
}

/** This period's counters of one customer. */
export async function periodUsage(sql: Sql, customerId: string, period: string): Promise<{ metric: string; used: number }[]> {
  return sql.query<{ metric: string; used: number }>('SELECT metric, used FROM usage_counters WHERE customer_id = $1 AND period = $2', [customerId, period]);
}

/**
 * Add `quantity` only if the counter stays within `limit` (null: unlimited; always within 2^31 - 1), in one
 * conditional upsert: the row is locked while the condition is checked, so concurrent consumes never take
 * it past the limit. `allowed: false` leaves it as it was; `used` is the count after (or as it stands).
 */
export async function consumeUsage(sql: Pick<Sql, 'query'>, input: { customerId: string; metric: string; period: string; quantity: number; limit: number | null }): Promise<{ allowed: boolean; used: number }> {
  const [row] = await sql.query<{ used: number }>(
    `INSERT INTO usage_counters (customer_id, metric, period, used, usage_limit) SELECT $1, $2, $3, $4::int, $5::int WHERE $5::int IS NULL OR $4::int <= $5::int
     ON CONFLICT (customer_id, metric, period) DO UPDATE SET used = usage_counters.used + EXCLUDED.used, usage_limit = EXCLUDED.usage_limit
     WHERE ($5::int IS NULL OR usage_counters.used + EXCLUDED.used <= $5::int) AND usage_counters.used::bigint + EXCLUDED.used <= 2147483647
     RETURNING used`,
    [input.customerId, input.metric, input.period, input.quantity, input.limit],
  );
  if (row) return { allowed: true, used: row.used };
  const [current] = await sql.query<{ used: number }>('SELECT used FROM usage_counters WHERE customer_id = $1 AND metric = $2 AND period = $3', [input.customerId, input.metric, input.period]);
  return { allowed: false, used: current?.used ?? 0 };
}

type ConsumeInput = Parameters<typeof consumeUsage>[1];
type ConsumeResult = Awaited<ReturnType<typeof consumeUsage>>;

/**
 * consumeUsage for the consumes that arrive together (store/batch.ts), in one statement (tollgate_consume,
 * migration 20): each is the same conditional upsert, in the order they came, and all commit at once (one
 * round trip and one WAL flush, not one per consume).
 * Outside a transaction only. Its writes do not drop the cached views: the caller hands each answer to
 * CustomerViews.noteUsage.
 */
export function consumeUsageBatched(store: Store, input: ConsumeInput): Promise<ConsumeResult> {
  return consumeBatcher(store).add(input);
}
const consumeBatcher = perStore(
  (store) =>
    new Batcher<ConsumeInput, ConsumeResult>(async (items) => {
      // Untracked: the route writes each new count into the cached view (CustomerViews.noteUsage) instead.
      const sql = store.untracked ?? store;
      if (items.length === 1) return [await consumeUsage(sql, items[0])];
      // Several: one statement (migration 20's tollgate_consume runs each conditional upsert in order).
      const [row] = await sql.query<{ answers: [boolean, number][] | string }>('SELECT tollgate_consume($1::jsonb) AS answers', [
        JSON.stringify(items.map((i) => ({ customer_id: i.customerId, metric: i.metric, period: i.period, quantity: i.quantity, limit: i.limit }))),
      ]);
      const answers = typeof row.answers === 'string' ? (JSON.parse(row.answers) as [boolean, number][]) : row.answers;
      return answers.map(([allowed, used]) => ({ allowed, used }));
    }),
);

/** What went wrong with a report, for the route to answer. */
export type RecordUsageResult = { used: number; duplicate: boolean } | { error: 'overflow' } | { error: 'event_mismatch' };

/**
 * A usage report: addUsage, and with an `eventId` the event kept (usage_events, unique per customer) in
 * the same transaction, so the same event again counts once, on any instance, concurrently too (the
 * second INSERT waits for the first and finds it); a negative quantity is a correction, audited in
 * usage_adjustments with what was asked and what was applied (the count stops at 0).
 */
export async function recordUsage(
  store: Store,
  input: { customerId: string; metric: string; period: string; quantity: number; limit?: number | null; eventId?: string; reason?: string; requestId?: string },
): Promise<RecordUsageResult> {
  if (input.eventId === undefined && input.quantity >= 0) {
    const used = await addUsage(store, input);
    return used === null ? { error: 'overflow' } : { used, duplicate: false };
  }
  try {
    return await store.transaction(async (tx) => {
      if (input.eventId !== undefined) {
        const claimed = await tx.query(
          'INSERT INTO usage_events (customer_id, event_id, metric, period, quantity, used) VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT DO NOTHING RETURNING event_id',
          [input.customerId, input.eventId, input.metric, input.period, input.quantity],
        );
        if (!claimed.length) {
          const [event] = await tx.query<{ metric: string; quantity: number; used: number }>('SELECT metric, quantity, used FROM usage_events WHERE customer_id = $1 AND event_id = $2', [input.customerId, input.eventId]);
          if (event.metric !== input.metric || event.quantity !== input.quantity) return { error: 'event_mismatch' } as const;
          return { used: event.used, duplicate: true };
        }
      }
      let used: number | null;
      if (input.quantity < 0) {
        const [before] = await tx.query<{ used: number }>('SELECT used FROM usage_counters WHERE customer_id = $1 AND metric = $2 AND period = $3 FOR UPDATE', [input.customerId, input.metric, input.period]);
        used = (await addUsage(tx, input))!;
        const usedBefore = before?.used ?? 0;
        await tx.query(
          `INSERT INTO usage_adjustments (customer_id, metric, period, requested, applied, used_before, used_after, event_id, reason, request_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [input.customerId, input.metric, input.period, input.quantity, used - usedBefore, usedBefore, used, input.eventId ?? null, input.reason ?? null, input.requestId ?? null],
        );
      } else {
        used = await addUsage(tx, input);
        if (used === null) throw new Overflow();
      }
      if (input.eventId !== undefined) await tx.query('UPDATE usage_events SET used = $3 WHERE customer_id = $1 AND event_id = $2', [input.customerId, input.eventId, used]);
      return { used, duplicate: false };
    });
  } catch (err) {
    // Rolled back: the event is not kept, so a corrected retry of it may count.
    if (err instanceof Overflow) return { error: 'overflow' };
    throw err;
  }
}

class Overflow extends Error {}
