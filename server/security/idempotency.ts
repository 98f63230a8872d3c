// Idempotency-Key for every browser POST: the first response is kept for 24 h and replayed with
// `Idempotent-Replay: true`; the same key with another body is 409 idempotency_key_mismatch. The key's
// uniqueness is a primary key in SQL, so concurrent retries resolve in the store, not in memory.
import { createHash } from 'node:crypto';
import type { AppContext } from '../context.js';
import { AppError, errorBody } from '../errors.js';

const TTL_MS = 24 * 60 * 60 * 1000;
const WAIT_FOR_FIRST_MS = 8_000;

interface KeyRow {
  fingerprint: string;
  status: number | null;
  body: string | null;
  content_type: string | null;
  created_at: Date;
}

export function idempotencyKeyOf(c: AppContext): string {
  const key = c.req.header('Idempotency-Key');
  if (!key) throw new AppError('missing_idempotency_key', 'POST requests need an Idempotency-Key header (a fresh UUID per attempt)');
  if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) throw new AppError('validation_error', 'Idempotency-Key must be 1–255 visible ASCII characters');
  return key;
}

/**
 * Run `handler` once per (scope, key). Responses of 5xx and 429 are not kept: the client may retry
 * the same key and nothing is lost. The handler runs outside any transaction (it may call upstreams).
 */
export async function withIdempotency(c: AppContext, scope: string, handler: () => Promise<Response>): Promise<Response> {
  const { store } = c.get('deps');
  const key = idempotencyKeyOf(c);
  const raw = await c.req.text();
  const fingerprint = createHash('sha256').update(`${c.req.method} ${c.req.path}\n`).update(raw).digest('hex');

  for (let attempt = 0; attempt < 2; attempt++) {
    const claimed = await store.query('INSERT INTO idempotency_keys (scope, key, fingerprint) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key', [scope, key, fingerprint]);
    if (claimed.length) return runAndKeep(c, scope, key, handler);

    const started = Date.now();
    for (;;) {
      const [row] = await store.query<KeyRow>('SELECT fingerprint, status, body, content_type, created_at FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
      if (!row) break; // the first request failed with a 5xx and released the key: claim it again
      if (Date.now() - new Date(row.created_at).getTime() > TTL_MS) {
        await store.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at = $3', [scope, key, row.created_at]);
        break;
      }
      if (row.fingerprint !== fingerprint) throw new AppError('idempotency_key_mismatch', 'This Idempotency-Key was already used with a different request; use a fresh key for a new request');
      if (row.status !== null) {
        return new Response(row.body, { status: row.status, headers: { 'Content-Type': row.content_type ?? 'application/json', 'Idempotent-Replay': 'true' } });
      }
      if (Date.now() - started > WAIT_FOR_FIRST_MS) throw new AppError('conflict', 'A request with this Idempotency-Key is still in progress; retry shortly', { headers: { 'Retry-After': '1' } });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new AppError('conflict', 'Could not claim the Idempotency-Key; retry shortly', { headers: { 'Retry-After': '1' } });
}

async function runAndKeep(c: AppContext, scope: string, key: string, handler: () => Promise<Response>): Promise<Response> {
  const { store } = c.get('deps');
  let response: Response;
  try {
    response = await handler();
  } catch (err) {
    const status = err instanceof AppError ? err.status : 500;
    if (status >= 500 || status === 429 || !(err instanceof AppError)) {
      await store.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
    } else {
      // A 4xx is the answer to this request: keep it, rendered as onError will render it.
      const body = JSON.stringify(errorBody(err.code, err.message, c.get('requestId')));
      await store.query('UPDATE idempotency_keys SET status = $3, body = $4, content_type = $5 WHERE scope = $1 AND key = $2', [scope, key, status, body, 'application/json']);
    }
    throw err;
  }
  if (response.status >= 500 || response.status === 429) {
    await store.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
    return response;
  }
  // Read the body once and answer with a fresh Response of the same text. Not `response.clone()`:
  // undici then registers the original for finalization, and when Hono re-wraps its body stream in
  // a new Response the original becomes garbage and a GC cancels the stream the client is about to
  // read ("Body is unusable"), an empty answer to a payment that went through.
  const body = await response.text();
  await store.query('UPDATE idempotency_keys SET status = $3, body = $4, content_type = $5 WHERE scope = $1 AND key = $2', [
    scope,
    key,
    response.status,
    body,
    response.headers.get('Content-Type') ?? 'application/json',
  ]);
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
