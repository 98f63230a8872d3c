// The webhook inbox: a verified event is stored before it is acknowledged (the events that arrive together
// go in one statement), then applied right after, exactly once: its outcome is set in the transaction that
// applies it. An event acknowledged before a crash, or whose application failed, is applied by the sweep.
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { Batcher } from '../store/batch.js';
import type { Store } from '../store/index.js';
import { acceptWebhookEvents, finishWebhookEvent, pendingWebhookEvents, recordWebhookAttempt, type Accepted, type InboxEvent } from '../store/webhook-events.js';
import type { WebhookEndpoint, WebhookEvent } from './webhooks.js';

/**
 * When a webhook is answered: `stored` once the event is in the inbox (the provider's delivery is done in
 * one short statement; the answer says `queued`), `applied` once it is applied too (the answer carries the
 * outcome; a failure answers 5xx and the provider retries).
 */
export type Acknowledge = 'stored' | 'applied';

/** How many events one statement stores at most. */
const BATCH = 500;
/** How often events stored but not applied are looked for (a crash, a failed attempt, another instance's). */
const SWEEP_MS = 5_000;

/** Thrown inside the applying transaction when the event turned out applied already: rolls back its change. */
class AppliedElsewhere extends Error {}

const keyOf = (provider: string, eventId: string) => `${provider}\n${eventId}`;

export class WebhookInbox {
  readonly acknowledge: Acknowledge;
  // Each provider's endpoint: its handlers apply the events the sweep finds.
  private readonly endpoints = new Map<string, WebhookEndpoint<unknown>>();
  private readonly applying = new Map<string, Promise<string>>();
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(private readonly deps: { store: Store; log: Logger; acknowledge?: Acknowledge; sweepMs?: number }) {
    this.acknowledge = deps.acknowledge ?? 'stored';
  }

  register<P>(endpoint: WebhookEndpoint<P>): void {
    this.endpoints.set(endpoint.provider, endpoint as WebhookEndpoint<unknown>);
  }

  /** Look for events left unapplied now (a restart after a crash) and every few seconds from now on. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), this.deps.sweepMs ?? SWEEP_MS).unref();
    void this.sweep();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.idle();
  }

  /** Resolves once nothing is being stored, applied or swept (tests, and a graceful stop). */
  async idle(): Promise<void> {
    while (this.stored.busy || this.applying.size > 0 || this.sweeping) {
      await Promise.allSettled([...this.applying.values(), this.sweeping, new Promise((resolve) => setImmediate(resolve))]);
    }
  }

  /** Store a verified event: whether it is new, else the outcome it was applied with (null: not yet). Durable when this resolves. */
  accept(event: InboxEvent): Promise<Accepted> {
    return this.stored.add(event);
  }

  /** One statement per batch of events (store/batch.ts). A second delivery of one event in the same batch is not new: the first one is. */
  private readonly stored = new Batcher<InboxEvent, Accepted>(async (events) => {
    const unique = new Map<string, InboxEvent>();
    for (const event of events) {
      const key = keyOf(event.provider, event.event_id);
      if (!unique.has(key)) unique.set(key, event);
    }
    const rows = await acceptWebhookEvents(this.deps.store, [...unique.values()]);
    const byKey = new Map(rows.map((row) => [keyOf(row.provider, row.event_id), row]));
    const told = new Set<string>();
    return events.map((event) => {
      const key = keyOf(event.provider, event.event_id);
      const row = byKey.get(key)!;
      const first = row.inserted && !told.has(key);
      told.add(key);
      return first ? row : { ...row, inserted: false };
    });
  }, BATCH);

  /** Whether this process is applying the event now. */
  isApplying(provider: string, eventId: string): boolean {
    return this.applying.has(keyOf(provider, eventId));
  }

  /** Apply a stored event once; concurrent calls in this process share one attempt. Its outcome (`duplicate`: applied elsewhere first). */
  apply<P>(endpoint: WebhookEndpoint<P>, event: WebhookEvent<P>): Promise<string> {
    const key = keyOf(endpoint.provider, event.id);
    let running = this.applying.get(key);
    if (!running) {
      running = this.applyOnce(endpoint, event).finally(() => this.applying.delete(key));
      this.applying.set(key, running);
    }
    return running;
  }

  /** Apply right after the answer; a failure is logged and left to the sweep. */
  applyLater<P>(endpoint: WebhookEndpoint<P>, event: WebhookEvent<P>, requestId?: string): void {
    this.apply(endpoint, event).catch((err: unknown) => {
      this.deps.log.warn(`${endpoint.provider} webhook not applied yet; retried shortly`, { request_id: requestId, event_id: event.id, event: event.type, error: err instanceof Error ? err.message : String(err) });
    });
  }

  private async applyOnce<P>(endpoint: WebhookEndpoint<P>, event: WebhookEvent<P>): Promise<string> {
    const { store, log } = this.deps;
    const { provider } = endpoint;
    try {
      // The handler's look-ups may call the upstream: before the transaction, so no transaction waits on the network.
      const handler = Object.hasOwn(endpoint.handlers, event.type) ? endpoint.handlers[event.type] : undefined;
      const step = handler ? await handler(event) : (endpoint.unhandled ?? 'ignored');
      let outcome: string;
      if (typeof step === 'string') outcome = (await finishWebhookEvent(store, provider, event.id, step)) ? step : 'duplicate';
      else {
        outcome = await store.transaction(async (tx) => {
          let result: string;
          try {
            result = await step.apply(tx);
          } catch (err) {
            // Another payment already paid the checkout: acknowledged as `conflict` and logged, so the provider stops retrying.
            if (!(err instanceof AppError && err.code === 'conflict')) throw err;
            log.warn(`${provider} webhook conflict`, { event_id: event.id, event: event.type, checkout_id: step.checkoutId ?? null, reason: err.message });
            result = 'conflict';
          }
          if (!(await finishWebhookEvent(tx, provider, event.id, result))) throw new AppliedElsewhere();
          return result;
        });
      }
      endpoint.after?.(event, outcome);
      log.info(`${provider} webhook applied`, { event_id: event.id, event: event.type, outcome });
      return outcome;
    } catch (err) {
      if (err instanceof AppliedElsewhere) return 'duplicate';
      await recordWebhookAttempt(store, provider, event.id).catch(() => 0);
      throw err;
    }
  }

  /** Apply what is stored but not applied, oldest first, skipping what this process is applying. */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        for (const row of await pendingWebhookEvents(this.deps.store, 100)) {
          const endpoint = this.endpoints.get(row.provider);
          if (!endpoint || this.isApplying(row.provider, row.event_id)) continue;
          const payload = endpoint.restore ? endpoint.restore(row.payload) : row.payload;
          try {
            await this.apply(endpoint, { id: row.event_id, type: row.type, payload });
          } catch (err) {
            this.deps.log.warn(`${row.provider} webhook not applied yet; retried shortly`, { event_id: row.event_id, event: row.type, attempts: row.attempts + 1, error: err instanceof Error ? err.message : String(err) });
          }
        }
      } catch (err) {
        this.deps.log.warn('webhook inbox sweep failed', { error: err instanceof Error ? err.message : String(err) });
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }
}
