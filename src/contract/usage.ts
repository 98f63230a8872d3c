// The one reader of `/v1/subscription`'s `usage` keys: `<metric>Used` / `<metric>Limit` pairs as typed metrics.
import type { Subscription } from './index.js';

/** One metric's usage this period; `limit: null` is unlimited. */
export interface MetricUsage {
  id: string;
  used: number;
  limit: number | null;
}

/**
 * `usage.messagesUsed` / `usage.messagesLimit` → `{id: 'messages', used, limit}`, in the answer's order.
 * The wire keeps MimicBot's flat `usage` object (docs/upstream/mimicbot-billing-api.txt, `docs/mimicbot.md`), which partners read as
 * it is; this accessor is where the widget turns it back into metrics, so no element parses the keys.
 */
export function usageMetrics(usage: Subscription['usage']): MetricUsage[] {
  return Object.keys(usage)
    .filter((key) => key.endsWith('Used'))
    .map((key) => {
      const id = key.slice(0, -'Used'.length);
      return { id, used: usage[key] ?? 0, limit: usage[`${id}Limit`] ?? null };
    });
}
