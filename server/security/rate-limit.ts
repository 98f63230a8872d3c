// Rate limits: per customer, and per IP for unauthenticated and failed-auth requests (the mintbot
// document's scheme: 120 / 60 s and 60 / 60 s). A sliding-window counter (the previous fixed window,
// weighted by how much of it still overlaps, plus the current one): O(1) per hit, whatever the limit.
// In memory: each instance counts its own traffic.
import { AppError } from '../errors.js';

interface Window {
  start: number;
  current: number;
  previous: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private lastSweep = 0;
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one hit for key; throws 429 rate_limited with Retry-After once the window is full. */
  hit(key: string): void {
    const now = this.now();
    this.sweep(now);
    const fixedStart = now - (now % this.windowMs);
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = { start: fixedStart, current: 0, previous: 0 }));
    if (w.start !== fixedStart) {
      w.previous = fixedStart - w.start === this.windowMs ? w.current : 0;
      w.current = 0;
      w.start = fixedStart;
    }
    const overlap = 1 - (now - fixedStart) / this.windowMs;
    const count = w.previous * overlap + w.current;
    if (count >= this.limit) {
      // When the weighted previous window alone is at the limit, wait for enough of it to slide out.
      const untilBelow = w.previous > 0 ? Math.max(0, (count - this.limit + 1) / w.previous) * this.windowMs : fixedStart + this.windowMs - now;
      const retryAfter = Math.max(1, Math.ceil(Math.min(untilBelow, fixedStart + this.windowMs - now + this.windowMs) / 1000));
      throw new AppError('rate_limited', `Too many requests; retry in ${retryAfter} s`, { headers: { 'Retry-After': String(retryAfter) } });
    }
    w.current += 1;
  }

  /** Drop keys idle for two windows, now and then, so the map does not grow without bound. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, w] of this.windows) if (w.start < now - 2 * this.windowMs) this.windows.delete(key);
  }
}
