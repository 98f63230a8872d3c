// The webhook_events table, the webhook inbox: one row per provider event id, written (with the event)
// before the event is acknowledged, and its outcome set in the transaction that applies it, so a redelivery
// is applied once and an event acknowledged before a crash is applied after it (providers/webhook-inbox.ts).
import type { Sql } from './index.js';

export interface InboxEvent {
  provider: string;
  event_id: string;
  type: string;
  payload: unknown;
}

/** What the inbox knew of an event when it was offered: new (stored now), or its outcome (null: not applied yet). */
export interface Accepted {
  provider: string;
  event_id: string;
  inserted: boolean;
  outcome: string | null;
}

/**
 * Store a batch of verified events (each key once) in one statement; each comes back with whether it is
 * new and, if not, the outcome it was applied with. Committed when this resolves.
 */
export async function acceptWebhookEvents(sql: Sql, events: readonly InboxEvent[]): Promise<Accepted[]> {
  return sql.query<Accepted>(
    `WITH v AS (SELECT * FROM json_to_recordset($1::json) AS v(provider text, event_id text, type text, payload jsonb)),
     ins AS (INSERT INTO webhook_events (provider, event_id, type, payload) SELECT provider, event_id, type, payload FROM v ON CONFLICT DO NOTHING RETURNING provider, event_id)
     SELECT v.provider, v.event_id, (ins.event_id IS NOT NULL) AS inserted, e.outcome
     FROM v LEFT JOIN ins ON ins.provider = v.provider AND ins.event_id = v.event_id
       LEFT JOIN webhook_events e ON e.provider = v.provider AND e.event_id = v.event_id`,
    [JSON.stringify(events)],
  );
}

/** Set an event's outcome, once: false when it had one already (applied by another request or instance). Call in the applying transaction. */
export async function finishWebhookEvent(sql: Sql, provider: string, eventId: string, outcome: string): Promise<boolean> {
  const rows = await sql.query("UPDATE webhook_events SET outcome = $3, applied_at = now() WHERE provider = $1 AND event_id = $2 AND outcome IS NULL RETURNING event_id", [provider, eventId, outcome]);
  return rows.length === 1;
}

/** An attempt to apply the event failed (an upstream look-up, the store): counted, for the retry's delay and the log. */
export async function recordWebhookAttempt(sql: Sql, provider: string, eventId: string): Promise<number> {
  const [row] = await sql.query<{ attempts: number }>('UPDATE webhook_events SET attempts = attempts + 1, last_attempt_at = now() WHERE provider = $1 AND event_id = $2 RETURNING attempts', [provider, eventId]);
  return row?.attempts ?? 0;
}

/** Events stored but not applied (acknowledged before a crash, or whose application failed), oldest first. */
export async function pendingWebhookEvents(sql: Sql, limit: number): Promise<(InboxEvent & { attempts: number })[]> {
  // After a failed attempt, the next one waits 2^attempts seconds, at most 5 minutes.
  return sql.query(
    `SELECT provider, event_id, type, payload, attempts FROM webhook_events
     WHERE outcome IS NULL AND (attempts = 0 OR last_attempt_at + LEAST(power(2, attempts), 300) * interval '1 second' <= now())
     ORDER BY received_at LIMIT $1`,
    [limit],
  );
}
