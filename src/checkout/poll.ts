// The one poll of a checkout's status behind every wait (hand-off, an embedded form's confirmation,
// the way back from a hosted page, an agent's set-up): a schedule, an end condition, an abort signal.
import type { CheckoutState } from '../contract/index.js';
import type { TollgateElement } from '../base/tollgate-element.js';

export interface PollOptions {
  /** Sees every state; `true` ends the poll with it. */
  until(state: CheckoutState): boolean;
  /**
   * The wait in milliseconds before poll `n` (0: the first), knowing whether the last one `failed`
   * (threw); `undefined` gives up, and the poll resolves to `undefined`.
   */
  backoff(n: number, failed: boolean): number | undefined;
  signal: AbortSignal;
  /** The client's automatic retries per poll (default none: the next poll is the retry). */
  retries?: number;
  /** Skip this poll while false (the page may still be fetching its session); the schedule goes on. */
  ready?(): boolean;
  /** An error that ends the poll: it is thrown to the caller. Any other error is a failed poll. */
  fatal?(error: unknown): boolean;
}

/** `GET /v1/checkout/{id}`'s path. */
export const checkoutPath = (id: string): string => `/v1/checkout/${encodeURIComponent(id)}`;

/**
 * Poll `url` (a checkout's status) as `host`'s client (fresh each poll: the session may arrive or change
 * meanwhile) until `until` holds; resolves to that state, or to `undefined` once aborted or given up.
 */
export async function pollCheckout(host: TollgateElement, url: string, { until, backoff, signal, retries = 0, ready, fatal }: PollOptions): Promise<CheckoutState | undefined> {
  let failed = false;
  for (let n = 0; ; n++) {
    const wait = backoff(n, failed);
    if (wait === undefined || signal.aborted) return undefined;
    if (wait > 0) await sleep(wait, signal);
    if (signal.aborted) return undefined;
    if (ready && !ready()) continue;
    try {
      const state = await host.client().get<CheckoutState>(url, { signal, retries });
      failed = false;
      if (until(state)) return state;
    } catch (error) {
      if (signal.aborted) return undefined;
      if (fatal?.(error)) throw error;
      failed = true;
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
