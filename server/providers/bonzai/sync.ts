// Reading Bonzai's orders back (docs/upstream/bonzai-business-api.txt has no webhook we can verify, so GET /orders/{id} is the source of
// truth): one order on a customer's return, every due order on the poller's tick, and grants linked by email.
import { effectivePlan, type CustomerRow } from '../../billing.js';
import { AppError } from '../../errors.js';
import type { ProviderDeps } from '../types.js';
import type { BonzaiClient } from './client.js';
import type { BonzaiSettings } from './settings.js';
import { applyGrant, applyOrderObservation, type GrantRow, type TrackedOrder } from './state.js';

export interface PollSummary {
  checked: number;
  failed: number;
  outcomes: Record<string, number>;
  linkedGrants: number;
  abandoned: number;
}

export function createBonzaiSync(deps: ProviderDeps, client: BonzaiClient, settings: BonzaiSettings): { refresh(checkoutId: string, orderId: string): Promise<string>; pollOnce(): Promise<PollSummary> } {
  const { store, log, catalog, now } = deps;
  const stateDeps = { catalog, log };

  /** Read one order upstream and apply it; the observation time is taken when Bonzai answered. */
  async function refresh(checkoutId: string, orderId: string): Promise<string> {
    const order = await client.getOrder(orderId);
    const observedAt = now();
    if (!order) {
      log.warn('bonzai order not found', { checkout_id: checkoutId, order_id: orderId });
      await store.query('UPDATE bonzai_orders SET checked_at = $2 WHERE checkout_id = $1', [checkoutId, observedAt]);
      return 'not_found';
    }
    const outcome = await applyOrderObservation(store, stateDeps, { checkoutId, order, observedAt, now: observedAt });
    if (outcome !== 'unchanged' && outcome !== 'stale') log.info('bonzai order applied', { checkout_id: checkoutId, order_id: orderId, outcome, has_access: order.has_access });
    return outcome;
  }

  /** Grants made before their customer existed: link them by email once the customer shows up. */
  async function linkPendingGrants(): Promise<number> {
    const pending = await store.query<{ grant_id: number; customer_id: string }>(
      `SELECT g.id AS grant_id, MIN(c.id) AS customer_id FROM bonzai_grants g JOIN customers c ON lower(c.email) = lower(g.email)
       WHERE g.customer_id IS NULL AND g.revoked_at IS NULL GROUP BY g.id HAVING COUNT(c.id) = 1 LIMIT 100`,
    );
    for (const p of pending) {
      await store.transaction(async (tx) => {
        const [grant] = await tx.query<GrantRow>('UPDATE bonzai_grants SET customer_id = $2 WHERE id = $1 AND customer_id IS NULL AND revoked_at IS NULL RETURNING *', [p.grant_id, p.customer_id]);
        if (grant) await applyGrant(tx, stateDeps, grant, now());
      });
    }
    return pending.length;
  }

  async function pollOnce(): Promise<PollSummary> {
    const summary: PollSummary = { checked: 0, failed: 0, outcomes: {}, linkedGrants: 0, abandoned: 0 };
    if (settings.mode !== 'live') return summary;
    summary.linkedGrants = await linkPendingGrants();
    const at = now();
    const cutoff = new Date(at.getTime() - settings.pendingTtlMs);
    const abandoned = await store.query("UPDATE bonzai_orders SET state = 'abandoned', checked_at = $2 WHERE state = 'open' AND created_at < $1 RETURNING checkout_id", [cutoff, at]);
    summary.abandoned = abandoned.length;
    const due = await store.query<TrackedOrder>(
      "SELECT * FROM bonzai_orders WHERE state IN ('open', 'active', 'cancelling') ORDER BY checked_at ASC NULLS FIRST LIMIT $1",
      [settings.pollBatch],
    );
    for (const row of due) await pollOrder(row, summary);
    if (settings.endedPollIntervalMs > 0) {
      // Access that ended may come back ("If the user later regains access, a new access object will be
      // created", docs/upstream/bonzai-business-api.txt): paid orders whose access ended are read again, less often, while their customer
      // is on no other paid plan (a regained order never takes over a later purchase).
      const ended = await store.query<TrackedOrder & { customer_id: string }>(
        `SELECT b.*, k.customer_id FROM bonzai_orders b JOIN checkouts k ON k.id = b.checkout_id
         WHERE b.state = 'ended' AND k.status = 'paid' AND (b.checked_at IS NULL OR b.checked_at <= $1)
         ORDER BY b.checked_at ASC NULLS FIRST LIMIT $2`,
        [new Date(at.getTime() - settings.endedPollIntervalMs), settings.pollBatch],
      );
      for (const row of ended) {
        const [customer] = await store.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [row.customer_id]);
        if (effectivePlan(customer, catalog, at).planId === catalog.freePlan.id) await pollOrder(row, summary);
        else await store.query('UPDATE bonzai_orders SET checked_at = $2 WHERE checkout_id = $1', [row.checkout_id, at]);
      }
    }
    return summary;
  }

  /** Re-read one tracked order into `summary`; a failure is counted and logged, never thrown. */
  async function pollOrder(row: TrackedOrder, summary: PollSummary): Promise<void> {
    try {
      const outcome = await refresh(row.checkout_id, row.order_id);
      summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
      summary.checked += 1;
    } catch (err) {
      // One failing order never stops the others; it is retried on the next tick.
      summary.failed += 1;
      await store.query('UPDATE bonzai_orders SET checked_at = $2 WHERE checkout_id = $1', [row.checkout_id, now()]);
      log.warn('bonzai poll failed', { checkout_id: row.checkout_id, order_id: row.order_id, code: err instanceof AppError ? err.code : 'error' });
    }
  }

  return { refresh, pollOnce };
}
