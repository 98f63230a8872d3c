// Whether the store answers (for /healthz): one check at a time, and its answer kept for a second, so a
// load balancer probing every instance often (or a flood of /healthz) costs the store one query a second.
import type { Sql } from './index.js';

/** How long a check's answer stands. */
export const HEALTH_CHECK_KEEP_MS = 1_000;

const checks = new WeakMap<Sql, { at: number; answer: Promise<boolean> }>();

export function storeReachable(sql: Sql, now: () => number = () => performance.now()): Promise<boolean> {
  const last = checks.get(sql);
  if (last && now() - last.at < HEALTH_CHECK_KEEP_MS) return last.answer;
  const answer = sql.query('SELECT 1').then(
    () => true,
    () => false,
  );
  checks.set(sql, { at: now(), answer });
  return answer;
}
