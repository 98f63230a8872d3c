// Rate limits: per customer, per API key for the partner's backend, and per IP for unauthenticated and
// failed-auth requests (the mintbot document's scheme: 120 / 60 s and 60 / 60 s). A sliding-window counter
// (the previous fixed window, weighted by how much of it still overlaps, plus the current one): O(1) per hit,
// whatever the limit. In memory when one process owns the store (PGlite); in a PostgreSQL table, one
// statement per hit, when several instances share DATABASE_URL, so the limit holds across them.
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
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
 * One hit in one round trip: read the previous window's count, and add one to the current window's only
 * while the weighted sum is under the limit (the row lock of ON CONFLICT makes the check and the increment
 * one step across instances). A refused hit counts nothing, as in memory. $5 overlap, $6 limit.
 */
const HIT_SQL = `
WITH prev AS (
  SELECT COALESCE((SELECT n FROM rate_limit_hits WHERE bucket = $1 AND key = $2 AND window_start = $4::bigint), 0) AS n
), hit AS (
  INSERT INTO rate_limit_hits AS h (bucket, key, window_start, n)
  SELECT $1, $2, $3::bigint, 1 FROM prev WHERE prev.n * $5::float8 < $6::float8
  ON CONFLICT (bucket, key, window_start) DO UPDATE SET n = h.n + 1
    WHERE (SELECT n FROM prev) * $5::float8 + h.n < $6::float8
  RETURNING h.n
)
SELECT (SELECT n FROM prev) AS previous, (SELECT n FROM hit) AS counted,
  (SELECT n FROM rate_limit_hits WHERE bucket = $1 AND key = $2 AND window_start = $3::bigint) AS current`;

/**
 * The counters of every instance on one PostgreSQL (rate_limit_hits, migration 7). Windows older than the
 * previous one are deleted once a window. Should the store fail, the process falls back to its own counters
 * (logged) rather than answer 500 to every request.
 */
export class SharedRateLimiter implements Limiter {
  private lastPrune = 0;
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

  async hit(key: string): Promise<void> {
    const now = this.now();
    const { fixedStart, overlap } = windowAt(now, this.windowMs);
    let row: { previous: number; counted: number | null; current: number | null } | undefined;
    try {
      [row] = await this.sql.query<{ previous: number; counted: number | null; current: number | null }>(HIT_SQL, [this.bucket, key, fixedStart, fixedStart - this.windowMs, overlap, this.limit]);
    } catch (err) {
      this.log.warn('shared rate limit unavailable; counting in this process', { bucket: this.bucket, error: err instanceof Error ? err.message : String(err) });
      return this.fallback.hit(key);
    }
    this.prune(now, fixedStart);
    // Refused in SQL (the count it saw under the row lock may be newer than this statement's snapshot of it).
    if (row.counted === null) throw rateLimited({ previous: row.previous, current: row.current ?? 0 }, now, this.limit, this.windowMs);
  }

  private prune(now: number, fixedStart: number): void {
    if (now - this.lastPrune < this.windowMs) return;
    this.lastPrune = now;
    this.sql.query('DELETE FROM rate_limit_hits WHERE bucket = $1 AND window_start < $2::bigint', [this.bucket, fixedStart - this.windowMs]).catch((err: Error) => this.log.warn('rate limit prune failed', { bucket: this.bucket, error: err.message }));
  }
}

/** The limiter of one bucket: shared through the store when `shared` (PostgreSQL), else in this process. */
export function createRateLimiter(options: { bucket: string; limit: number; windowS: number; shared: boolean; sql: Sql; now: () => number; log: Logger }): Limiter {
  const windowMs = options.windowS * 1000;
  return options.shared ? new SharedRateLimiter(options.sql, options.bucket, options.limit, windowMs, options.now, options.log) : new RateLimiter(options.limit, windowMs, options.now);
}
