// Group commit: the same statement for many concurrent requests sent once. Items that arrive while a batch
// is in flight wait for the next one, so there is one statement in flight per batcher and nothing waits
// for a timer: under load the batches grow, and an item that arrives alone goes at once (next turn). When a
// batch fails, its items are sent again one by one, so one bad item fails alone.
import type { Store } from './index.js';

export class Batcher<I, O> {
  private waiting: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  /** `run` answers one result per item, in order. */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly max = 500,
  ) {}

  /** Whether a batch is waiting or in flight. */
  get busy(): boolean {
    return this.running;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.running) return;
      this.running = true;
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, this.max);
      try {
        const results = await this.run(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        // One item's failure is not the others': each is sent again alone, and only the failing ones fail.
        else await Promise.all(batch.map(async (b) => this.run([b.item]).then(([result]) => b.resolve(result), b.reject)));
      }
    }
    this.running = false;
  }
}

/** One `make(store)` per store, made on first use (each store's batchers: a statement in flight per store). */
export function perStore<T>(make: (store: Store) => T): (store: Store) => T {
  const made = new WeakMap<Store, T>();
  return (store) => {
    if (!made.has(store)) made.set(store, make(store));
    return made.get(store)!;
  };
}
