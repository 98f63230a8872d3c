// A small interval poller for Bonzai orders (docs/upstream/bonzai-business-api.txt has no webhook format we can verify, so GET /orders/{id}
// is the source of truth): unref()'d so it never holds the process open, stoppable, and with injectable timers.
import type { Logger } from '../../log.js';

export interface PollerTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface Poller {
  stop(): void;
  /** Resolves when the tick in progress (if any) has finished. */
  idle(): Promise<void>;
}

const nodeTimers: PollerTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Run `tick` every `intervalMs`; a tick never overlaps the previous one, and its errors are logged, never thrown. */
export function startPoller(options: { intervalMs: number; tick: () => Promise<unknown>; log: Logger; name: string; timers?: PollerTimers }): Poller {
  const timers = options.timers ?? nodeTimers;
  let running: Promise<void> | null = null;
  let stopped = false;
  const handle = timers.setInterval(() => {
    if (running || stopped) return;
    running = options
      .tick()
      .then(() => undefined)
      .catch((err: unknown) => options.log.warn('poller tick failed', { poller: options.name, error: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        running = null;
      });
  }, options.intervalMs);
  (handle as { unref?: () => void } | null)?.unref?.();
  return {
    stop() {
      stopped = true;
      timers.clearInterval(handle);
    },
    idle: () => running ?? Promise.resolve(),
  };
}
