// Idempotency-Key for every browser POST: the first response is kept for 24 h and replayed with
// `Idempotent-Replay: true`; the same key with another body is 409 idempotency_key_mismatch. The key's
// uniqueness is a primary key in SQL, so concurrent retries resolve in the store, not in memory; an
// in-progress claim is a lease its request renews, so a claim whose process died is taken over.
import { createHash, randomUUID } from 'node:crypto';
import type { AppContext } from '../context.js';
import { AppError, errorBody } from '../errors.js';
import { storableText } from '../http.js';
import { Batcher, perStore } from '../store/batch.js';

const TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long an in-progress claim holds without news from its request. The request renews it every
 * {@link RENEW_MS} while its handler runs, so only a claim whose process is gone (kill -9, a crash, a
 * lost machine) runs out, and the next retry of the key takes it over. Should a stalled process lose
 * its lease and a retry run the handler too, the store's unique keys still allow one order and one
 * upgrade (the payment's own keys, not this table, guarantee that).
 */
const LEASE_MS = 6_000;
const RENEW_MS = 1_500;
/** How long a retry waits for the first request's answer before a 409 `conflict` with Retry-After. */
const WAIT_FOR_FIRST_MS = 4_000;

interface KeyRow {
  fingerprint: string;
  status: number | null;
  body: string | null;
  content_type: string | null;
  created_at: Date;
  /** Milliseconds left on the claim's lease (store clock); null for a claim that has none. */
  lease_left_ms: number | null;
}

/** `now() + LEASE_MS` in SQL: leases are timed by the store's clock, which every instance shares. */
const LEASE_END = `now() + ${LEASE_MS} * interval '1 millisecond'`;

interface Claim {
  scope: string;
  key: string;
  fingerprint: string;
  owner: string;
}
interface Kept {
  scope: string;
  key: string;
  owner: string;
  status: number;
  body: string;
  content_type: string;
}

/**
 * The two statements every keyed POST makes, each sent once for all the requests that make it together
 * (store/batch.ts), per store: the claims, and the answers kept. Two claims of one key in a batch: the
 * first one listed gets it.
 */
const batchersOf = perStore((store) => ({
  claim: new Batcher<Claim, boolean>(async (claims) => {
    const rows = await store.query<{ owner: string }>(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, owner, locked_until)
       SELECT scope, key, fingerprint, owner, ${LEASE_END} FROM json_to_recordset($1::json) AS v(scope text, key text, fingerprint text, owner text)
       ON CONFLICT DO NOTHING RETURNING owner`,
      [JSON.stringify(claims)],
    );
    const won = new Set(rows.map((r) => r.owner));
    return claims.map((c) => won.has(c.owner));
  }),
  keep: new Batcher<Kept, void>(async (answers) => {
    await store.query(
      `UPDATE idempotency_keys k SET status = v.status, body = v.body, content_type = v.content_type, locked_until = NULL
       FROM json_to_recordset($1::json) AS v(scope text, key text, owner text, status integer, body text, content_type text)
       WHERE k.scope = v.scope AND k.key = v.key AND k.owner = v.owner AND k.status IS NULL`,
      // As text parameters did: U+0000 and lone surrogates, which a json parameter refuses, become U+FFFD.
      [JSON.stringify(answers.map((a) => ({ ...a, body: storableText(a.body) })))],
    );
    return answers.map(() => undefined);
  }),
}));

export function idempotencyKeyOf(c: AppContext): string {
  const key = c.req.header('Idempotency-Key');
  if (!key) throw new AppError('missing_idempotency_key', 'POST requests need an Idempotency-Key header (a fresh UUID per attempt)');
  if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) throw new AppError('validation_error', 'Idempotency-Key must be 1–255 visible ASCII characters');
  return key;
}

function inProgress(leftMs: number): AppError {
  // Come back about when the lease would run out, and no later than 2 s: the first request may well answer sooner.
  const seconds = Math.min(2, Math.max(1, Math.ceil(leftMs / 1000)));
  return new AppError('conflict', 'A request with this Idempotency-Key is still in progress; retry shortly', { headers: { 'Retry-After': String(seconds) } });
}

/**
 * Run `handler` once per (scope, key). Responses of 5xx and 429 are not kept: the client may retry
 * the same key and nothing is lost. The handler runs outside any transaction (it may call upstreams).
 */
export async function withIdempotency(c: AppContext, scope: string, handler: () => Promise<Response>): Promise<Response> {
  const { store, log } = c.get('deps');
  const key = idempotencyKeyOf(c);
  const raw = await c.req.text();
  const fingerprint = createHash('sha256').update(`${c.req.method} ${c.req.path}\n`).update(raw).digest('hex');
  const owner = randomUUID();

  for (let attempt = 0; attempt < 3; attempt++) {
    if (await batchersOf(store).claim.add({ scope, key, fingerprint, owner })) return runAndKeep(c, scope, key, owner, handler);

    const started = Date.now();
    for (;;) {
      const [row] = await store.query<KeyRow>(
        `SELECT fingerprint, status, body, content_type, created_at,
           (EXTRACT(EPOCH FROM (locked_until - now())) * 1000)::float8 AS lease_left_ms
         FROM idempotency_keys WHERE scope = $1 AND key = $2`,
        [scope, key],
      );
      if (!row) break; // the first request failed with a 5xx and released the key: claim it again
      if (Date.now() - new Date(row.created_at).getTime() > TTL_MS) {
        await store.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND created_at = $3', [scope, key, row.created_at]);
        break;
      }
      if (row.fingerprint !== fingerprint) throw new AppError('idempotency_key_mismatch', 'This Idempotency-Key was already used with a different request; use a fresh key for a new request');
      if (row.status !== null) {
        return new Response(row.body, { status: row.status, headers: { 'Content-Type': row.content_type ?? 'application/json', 'Idempotent-Replay': 'true' } });
      }
      const left = row.lease_left_ms === null ? 0 : Number(row.lease_left_ms);
      if (left <= 0) {
        // Nobody renewed the claim: its request is gone. Take it over, in one conditional UPDATE so that
        // of several retries arriving together exactly one runs the handler.
        const taken = await store.query(
          `UPDATE idempotency_keys SET owner = $3, locked_until = ${LEASE_END}
           WHERE scope = $1 AND key = $2 AND fingerprint = $4 AND status IS NULL AND (locked_until IS NULL OR locked_until <= now()) RETURNING key`,
          [scope, key, owner, fingerprint],
        );
        if (taken.length) {
          log.warn('idempotency key taken over from a request that stopped', { request_id: c.get('requestId'), scope, key });
          return runAndKeep(c, scope, key, owner, handler);
        }
        continue; // another retry took it, or the answer just came: look again
      }
      if (Date.now() - started > WAIT_FOR_FIRST_MS) throw inProgress(left);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new AppError('conflict', 'Could not claim the Idempotency-Key; retry shortly', { headers: { 'Retry-After': '1' } });
}

async function runAndKeep(c: AppContext, scope: string, key: string, owner: string, handler: () => Promise<Response>): Promise<Response> {
  const { store, log } = c.get('deps');
  // Writes below are conditioned on still owning the claim: a request that lost its lease (stalled past
  // it) answers its client but neither overwrites nor releases what the request that took over keeps.
  const mine = 'scope = $1 AND key = $2 AND owner = $3 AND status IS NULL';
  const renewal = setInterval(() => {
    store.query(`UPDATE idempotency_keys SET locked_until = ${LEASE_END} WHERE ${mine}`, [scope, key, owner]).catch((err: unknown) => {
      log.warn('idempotency lease renewal failed', { request_id: c.get('requestId'), error: err instanceof Error ? err.message : String(err) });
    });
  }, RENEW_MS);
  let response: Response;
  try {
    response = await handler();
  } catch (err) {
    clearInterval(renewal);
    const status = err instanceof AppError ? err.status : 500;
    if (status >= 500 || status === 429 || !(err instanceof AppError)) {
      await store.query(`DELETE FROM idempotency_keys WHERE ${mine}`, [scope, key, owner]);
    } else {
      // A 4xx is the answer to this request: keep it, rendered as onError will render it.
      const body = JSON.stringify(errorBody(err.code, err.message, c.get('requestId')));
      await batchersOf(store).keep.add({ scope, key, owner, status, body, content_type: 'application/json' });
    }
    throw err;
  }
  clearInterval(renewal);
  if (response.status >= 500 || response.status === 429) {
    await store.query(`DELETE FROM idempotency_keys WHERE ${mine}`, [scope, key, owner]);
    return response;
  }
  // Read the body once and answer with a fresh Response of the same text. Not `response.clone()`:
  // undici then registers the original for finalization, and when Hono re-wraps its body stream in
  // a new Response the original becomes garbage and a GC cancels the stream the client is about to
  // read ("Body is unusable"), an empty answer to a payment that went through.
  const body = await response.text();
  await batchersOf(store).keep.add({ scope, key, owner, status: response.status, body, content_type: response.headers.get('Content-Type') ?? 'application/json' });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** The Idempotency-Key scope of the partner backend's (API-key) calls. */
export const API_KEY_SCOPE = 'api_key';

/** {@link withIdempotency} when the request carries an Idempotency-Key, else `handler` as it is (API-key calls, where the key is optional). */
export function withOptionalIdempotency(c: AppContext, scope: string, handler: () => Promise<Response>): Promise<Response> {
  return c.req.header('Idempotency-Key') === undefined ? handler() : withIdempotency(c, scope, handler);
}
