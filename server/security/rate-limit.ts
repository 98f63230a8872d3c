// Sliding-window rate limits: per customer, and per IP for unauthenticated and failed-auth requests
// (the mintbot document's scheme: 120 / 60 s and 60 / 60 s). In memory: one instance's view.
import { AppError } from '../errors.js';

export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
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
    const since = now - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (list.length >= this.limit) {
      const retryAfter = Math.max(1, Math.ceil((list[0] + this.windowMs - now) / 1000));
      this.hits.set(key, list);
      throw new AppError('rate_limited', `Too many requests; retry in ${retryAfter} s`, { headers: { 'Retry-After': String(retryAfter) } });
    }
    list.push(now);
    this.hits.set(key, list);
  }

  /** Drop idle keys now and then so the map does not grow without bound. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, list] of this.hits) if (!list.length || list[list.length - 1] <= now - this.windowMs) this.hits.delete(key);
  }
}
