// The webhook_events table: one row per provider event id, so a redelivery is applied once.
import type { Sql } from './index.js';

/**
 * Whether a webhook event id is recorded already: a redelivery is answered "duplicate" from this before
 * any look-up that may call the provider. A read only; the claim below still decides a race.
 */
export async function webhookEventSeen(sql: Sql, provider: string, eventId: string): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM webhook_events WHERE provider = $1 AND event_id = $2', [provider, eventId])).length === 1;
}

/** Record a webhook event id; false when it was seen before (a redelivery). Call inside the event's transaction. */
export async function claimWebhookEvent(sql: Sql, provider: string, eventId: string, type: string): Promise<boolean> {
  const rows = await sql.query('INSERT INTO webhook_events (provider, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id', [provider, eventId, type]);
  return rows.length === 1;
}
