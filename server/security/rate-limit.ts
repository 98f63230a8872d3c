// Rate limits: per customer, per API key for the partner's backend, and per IP for unauthenticated and
// failed-auth requests (the mintbot document's scheme: 120 / 60 s and 60 / 60 s). A sliding-window counter
// (the previous fixed window, weighted by how much of it still overlaps, plus the current one): O(1) per hit,
// whatever the limit. In memory when one process owns the store (PGlite); in a PostgreSQL table when several
// instances share DATABASE_URL, so the limit holds across them: one upsert for the hits that arrive together.
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { Batcher } from '../store/batch.js';
import type { Sql } from '../store/index.js';

export interface Limiter {
  /** Count one hit for key; throws 429 rate_limited with Retry-After once the window is full. */
  hit(key: string): void | Promise<void>;
}

interface Window {
  start: number;
  current: number;
  previous: number;
}

/** The start of the fixed window `now` falls in, and how much of the previous one still overlaps (1 → 0). */
function windowAt(now: number, windowMs: number): { fixedStart: number; overlap: number } {
  const fixedStart = now - (now % windowMs);
  return { fixedStart, overlap: 1 - (now - fixedStart) / windowMs };
}

/** The weighted count of the two windows. */
function weighted(w: { previous: number; current: number }, now: number, windowMs: number): number {
  return w.previous * windowAt(now, windowMs).overlap + w.current;
}

/** 429 rate_limited with a Retry-After of when the weighted count will be under the limit again. */
function rateLimited(w: { previous: number; current: number }, now: number, limit: number, windowMs: number): AppError {
  const { fixedStart } = windowAt(now, windowMs);
  const count = weighted(w, now, windowMs);
  // When the weighted previous window alone is at the limit, wait for enough of it to slide out.
  const untilBelow = w.previous > 0 ? Math.max(0, (count - limit + 1) / w.previous) * windowMs : fixedStart + windowMs - now;
  const retryAfter = Math.max(1, Math.ceil(Math.min(untilBelow, fixedStart + windowMs - now + windowMs) / 1000));
  return new AppError('rate_limited', `Too many requests; retry in ${retryAfter} s`, { headers: { 'Retry-After': String(retryAfter) } });
}

/** The counters of one process. */
export class RateLimiter implements Limiter {
  private readonly windows = new Map<string, Window>();
  private lastSweep = 0;
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  hit(key: string): void {
    const now = this.now();
    this.sweep(now);
    const { fixedStart } = windowAt(now, this.windowMs);
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = { start: fixedStart, current: 0, previous: 0 }));
    if (w.start !== fixedStart) {
      w.previous = fixedStart - w.start === this.windowMs ? w.current : 0;
      w.current = 0;
      w.start = fixedStart;
    }
    if (weighted(w, now, this.windowMs) >= this.limit) throw rateLimited(w, now, this.limit, this.windowMs);
    w.current += 1;
  }

  /** Drop keys idle for two windows, now and then, so the map does not grow without bound. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, w] of this.windows) if (w.start < now - 2 * this.windowMs) this.windows.delete(key);
  }
}

/**
 * One hit, one single-row upsert: the row of a key holds its current and previous window. Under the row
 * lock of ON CONFLICT it slides to this window (an instance whose clock lags never moves it back), and adds
 * one only while the weighted count is under the limit: a refused hit counts nothing, as in memory.
 * $3 this window's start, $4 the window in ms, $5 the previous window's overlap, $6 the limit.
 */
const SLID_PREVIOUS = `CASE WHEN c.window_start >= $3::bigint THEN c.previous WHEN c.window_start = $3::bigint - $4::bigint THEN c.current ELSE 0 END`;
const SLID_CURRENT = `CASE WHEN c.window_start >= $3::bigint THEN c.current ELSE 0 END`;
/**
 * Of `requested` hits on a key, how many fit: hit i (from 0) fits while the weighted count plus i is under
 * the limit, so this is min(requested, ⌈limit − weighted⌉), at least 0 — for one hit, one while under the limit.
 */
const GRANTED = `LEAST(EXCLUDED.requested, GREATEST(0, CEIL($6::float8 - ((${SLID_PREVIOUS}) * $5::float8 + (${SLID_CURRENT})))))::integer`;
/** The hits of several keys in one statement ($1 the bucket, $2 `[{key, n}]`, one entry per key). */
const HIT_SQL = `
INSERT INTO rate_limit_counters AS c (bucket, key, window_start, previous, current, counted, requested, granted)
SELECT $1, v.key, $3::bigint, 0, LEAST(v.n, CEIL($6::float8)::integer), true, v.n, LEAST(v.n, CEIL($6::float8)::integer) FROM json_to_recordset($2::json) AS v(key text, n integer)
ON CONFLICT (bucket, key) DO UPDATE SET
  window_start = GREATEST(c.window_start, $3::bigint),
  previous = ${SLID_PREVIOUS},
  current = ${SLID_CURRENT} + ${GRANTED},
  counted = ${GRANTED} > 0,
  requested = EXCLUDED.requested,
  granted = ${GRANTED}
RETURNING key, previous, current, granted`;

/**
 * The counters of every instance on one PostgreSQL (rate_limit_counters, migration 7). Keys idle for two
 * windows are deleted once a window. Should the store fail, the process falls back to its own counters
 * (logged) rather than answer 500 to every request.
 */
export class SharedRateLimiter implements Limiter {
  private lastPrune = 0;
  private failing = false;
  private readonly fallback: RateLimiter;
  constructor(
    private readonly sql: Sql,
    private readonly bucket: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    this.fallback = new RateLimiter(limit, windowMs, now);
  }

  /**
   * The hits of concurrent requests in one statement (store/batch.ts), each key once with its number of
   * hits; of a key's hits in a batch, the first ones that fit are let through, in arrival order.
   */
  private readonly hits = new Batcher<string, { row: { previous: number; current: number }; fits: boolean; now: number }>(async (keys) => {
    const now = this.now();
    const { fixedStart, overlap } = windowAt(now, this.windowMs);
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    const rows = await this.sql.query<{ key: string; previous: number; current: number; granted: number }>(HIT_SQL, [
      this.bucket,
      JSON.stringify([...counts].map(([key, n]) => ({ key, n }))),
      fixedStart,
      this.windowMs,
      overlap,
      this.limit,
    ]);
    this.prune(now, fixedStart);
    const byKey = new Map(rows.map((r) => [r.key, { row: r, left: r.granted }]));
    return keys.map((key) => {
      const entry = byKey.get(key)!;
      return { row: entry.row, fits: entry.left-- > 0, now };
    });
  });

  async hit(key: string): Promise<void> {
    let verdict: { row: { previous: number; current: number }; fits: boolean; now: number };
    try {
      verdict = await this.hits.add(key);
    } catch (err) {
      if (!this.failing) this.log.warn('shared rate limit unavailable; counting in this process until the store answers', { bucket: this.bucket, error: err instanceof Error ? err.message : String(err) });
      this.failing = true;
      return this.fallback.hit(key);
    }
    this.failing = false;
    if (!verdict.fits) throw rateLimited(verdict.row, verdict.now, this.limit, this.windowMs);
  }

  private prune(now: number, fixedStart: number): void {
    if (now - this.lastPrune < this.windowMs) return;
    this.lastPrune = now;
    this.sql.query('DELETE FROM rate_limit_counters WHERE bucket = $1 AND window_start < $2::bigint', [this.bucket, fixedStart - this.windowMs]).catch((err: Error) => this.log.warn('rate limit prune failed', { bucket: this.bucket, error: err.message }));
  }
}

/** The limiter of one bucket: shared through the store when `shared` (PostgreSQL), else in this process. */
export function createRateLimiter(options: { bucket: string; limit: number; windowS: number; shared: boolean; sql: Sql; now: () => number; log: Logger }): Limiter {
  const windowMs = options.windowS * 1000;
  return options.shared ? new SharedRateLimiter(options.sql, options.bucket, options.limit, windowMs, options.now, options.log) : new RateLimiter(options.limit, windowMs, options.now);
}
