// The outbox of events to the partner's backend (migration 13): events queued in the transaction of the change
// that causes them (triggers, or enqueueEvent), one delivery per endpoint, claimed per endpoint under a lease.
import type { Sql, Store } from './index.js';

/** The event types Tollgate sends (README "Events to your backend"). */
export const PARTNER_EVENT_TYPES = ['customer.plan_changed', 'checkout.paid', 'checkout.failed', 'subscription.updated', 'payment.refunded', 'usage.threshold_reached'] as const;
export type PartnerEventType = (typeof PARTNER_EVENT_TYPES)[number];

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * Queue an event in `sql`'s transaction, for every endpoint that takes its type: committed with the change
 * that causes it, or rolled back with it. Its webhook-id (`msg_…`), or null when no endpoint takes the type.
 * The hook for changes no trigger sees (usage.threshold_reached).
 */
export async function enqueueEvent(sql: Sql, type: PartnerEventType, data: Record<string, unknown>): Promise<string | null> {
  const [row] = await sql.query<{ id: string | null }>('SELECT tollgate_enqueue_event($1, $2::jsonb) AS id', [type, JSON.stringify(data)]);
  return row.id;
}

/**
 * The triggers that queue events (their functions are migration 13's). They exist only while an endpoint is
 * configured, so that with none a change pays nothing, not even a trigger's call.
 */
const TRIGGERS: { name: string; table: string; create: string }[] = [
  { name: 'plan_changes_event', table: 'plan_changes', create: 'AFTER INSERT ON plan_changes FOR EACH ROW EXECUTE FUNCTION tollgate_plan_changed_event()' },
  {
    name: 'checkouts_event',
    table: 'checkouts',
    create: `AFTER UPDATE OF status ON checkouts FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('paid', 'failed', 'refunded'))
      EXECUTE FUNCTION tollgate_checkout_event()`,
  },
  {
    name: 'customers_subscription_event',
    table: 'customers',
    create: `AFTER UPDATE ON customers FOR EACH ROW
      WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end OR OLD.current_period_end IS DISTINCT FROM NEW.current_period_end)
      EXECUTE FUNCTION tollgate_subscription_event()`,
  },
  {
    name: 'usage_counters_threshold_event',
    table: 'usage_counters',
    create: `AFTER INSERT OR UPDATE OF used ON usage_counters FOR EACH ROW WHEN (NEW.usage_limit IS NOT NULL AND NEW.usage_limit > 0)
      EXECUTE FUNCTION tollgate_usage_threshold_event()`,
  },
];

/**
 * Make partner_endpoints the configured endpoints, and the triggers exist exactly when there is one: from
 * the commit on, changes queue events for exactly these. The DDL runs only when that changes (a first start
 * with endpoints, or without them after), under a lock, so instances starting together do it once.
 */
export async function syncEndpoints(store: Store, endpoints: readonly { url: string; events: readonly string[] | null }[]): Promise<void> {
  await store.transaction(async (tx) => {
    if (store.engine === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(72617)');
    await tx.query('DELETE FROM partner_endpoints WHERE NOT (url = ANY ($1::text[]))', [endpoints.map((e) => e.url)]);
    for (const e of endpoints) {
      await tx.query('INSERT INTO partner_endpoints (url, events) VALUES ($1, $2::text[]) ON CONFLICT (url) DO UPDATE SET events = EXCLUDED.events', [e.url, e.events]);
    }
    const present = new Set(
      (await tx.query<{ tgname: string }>('SELECT tgname FROM pg_trigger WHERE tgrelid = ANY ($1::regclass[]) AND NOT tgisinternal', [TRIGGERS.map((t) => t.table)])).map((r) => r.tgname),
    );
    for (const t of TRIGGERS) {
      if (endpoints.length > 0 && !present.has(t.name)) await tx.exec(`CREATE TRIGGER ${t.name} ${t.create}`);
      if (endpoints.length === 0 && present.has(t.name)) await tx.exec(`DROP TRIGGER ${t.name} ON ${t.table}`);
    }
  });
}

/**
 * Lease an endpoint to `owner` for `leaseMs` (renewing its own lease) when a delivery to it is due, unless
 * another instance holds it: the row is locked with SKIP LOCKED, so instances racing for it never wait and
 * exactly one wins. Nothing due: one statement that changes nothing.
 */
export async function claimEndpoint(store: Store, url: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await store.query(
    `UPDATE partner_endpoints e SET lease_owner = $2, leased_until = clock_timestamp() + $3 * interval '1 millisecond'
     FROM (SELECT url FROM partner_endpoints WHERE url = $1 AND (leased_until IS NULL OR leased_until < clock_timestamp() OR lease_owner = $2)
             AND EXISTS (SELECT 1 FROM webhook_deliveries WHERE endpoint = $1 AND status = 'pending' AND next_attempt_at <= clock_timestamp())
           FOR UPDATE SKIP LOCKED) c
     WHERE e.url = c.url RETURNING e.url`,
    [url, owner, leaseMs],
  );
  return rows.length === 1;
}

export async function releaseEndpoint(store: Store, url: string, owner: string): Promise<void> {
  await store.query('UPDATE partner_endpoints SET lease_owner = NULL, leased_until = NULL WHERE url = $1 AND lease_owner = $2', [url, owner]);
}

export interface DueDelivery {
  id: string;
  event_id: string;
  type: string;
  data: unknown;
  created_at: Date;
  attempts: number;
  /** ms until it is due; ≤ 0: now. */
  wait_ms: number;
}

/** The endpoint's pending deliveries, oldest first (the first may not be due yet: the rest wait behind it). */
export async function pendingDeliveries(store: Store, url: string, limit: number): Promise<DueDelivery[]> {
  return store.query<DueDelivery>(
    `SELECT d.id::text AS id, d.event_id, e.type, e.data, e.created_at, d.attempts,
            EXTRACT(EPOCH FROM (d.next_attempt_at - clock_timestamp())) * 1000 AS wait_ms
     FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id
     WHERE d.endpoint = $1 AND d.status = 'pending' ORDER BY d.id LIMIT $2`,
    [url, limit],
  ).then((rows) => rows.map((r) => ({ ...r, wait_ms: Number(r.wait_ms) })));
}

/**
 * Record one attempt of a pending delivery (a replay since it was read resets it: then nothing is written),
 * renewing the endpoint's lease. `retryInMs` null: no retry left, the delivery is failed.
 */
export async function recordAttempt(
  store: Store,
  input: { id: string; url: string; owner: string; leaseMs: number; attempts: number; ok: boolean; status: number | null; error: string | null; retryInMs: number | null },
): Promise<void> {
  await store.query(
    `WITH d AS (
       UPDATE webhook_deliveries SET attempts = $2, last_attempt_at = clock_timestamp(), last_status = $4, last_error = $5,
         status = CASE WHEN $3 THEN 'delivered' WHEN $6::float8 IS NULL THEN 'failed' ELSE 'pending' END,
         delivered_at = CASE WHEN $3 THEN clock_timestamp() ELSE delivered_at END,
         next_attempt_at = CASE WHEN $3 OR $6::float8 IS NULL THEN next_attempt_at ELSE clock_timestamp() + $6::float8 * interval '1 millisecond' END
       WHERE id = $1::bigint AND status = 'pending' AND attempts = $2 - 1 RETURNING id)
     UPDATE partner_endpoints SET leased_until = clock_timestamp() + $9 * interval '1 millisecond' WHERE url = $7 AND lease_owner = $8`,
    [input.id, input.attempts, input.ok, input.status, input.error, input.retryInMs, input.url, input.owner, input.leaseMs],
  );
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  endpoint: string;
  status: DeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

const VIEW = `SELECT d.id::text AS id, d.event_id, e.type AS event_type, d.endpoint, d.status, d.attempts, d.last_status, d.last_error,
  d.last_attempt_at, CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at, d.delivered_at, d.created_at
  FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id`;

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : new Date(String(v)).toISOString());
const viewOf = (r: Record<string, unknown>): DeliveryView =>
  ({ ...r, last_attempt_at: iso(r.last_attempt_at), next_attempt_at: iso(r.next_attempt_at), delivered_at: iso(r.delivered_at), created_at: iso(r.created_at) }) as DeliveryView;

/** The most recent deliveries first, of one status or all. */
export async function listDeliveries(store: Store, options: { status?: DeliveryStatus; limit: number }): Promise<DeliveryView[]> {
  const rows = await store.query(`${VIEW} WHERE ($1::text IS NULL OR d.status = $1) ORDER BY d.id DESC LIMIT $2`, [options.status ?? null, options.limit]);
  return rows.map(viewOf);
}

/** Queue a delivery again now, with a fresh schedule and the same webhook-id; null when there is no such delivery. */
export async function replayDelivery(store: Store, id: string): Promise<DeliveryView | null> {
  const [row] = await store.query<{ id: string }>(
    "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = clock_timestamp() WHERE id = $1::bigint RETURNING id",
    [id],
  );
  if (!row) return null;
  const [view] = await store.query(`${VIEW} WHERE d.id = $1::bigint`, [id]);
  return viewOf(view);
}
