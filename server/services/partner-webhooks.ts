// The dispatcher of events to the partner's backend (Standard Webhooks): delivers what the outbox holds
// (store/outbox.ts), each endpoint's deliveries in order, under a lease, with back-off and jitter, then failed.
import { createHmac, randomBytes } from 'node:crypto';
import type { PartnerWebhookConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { FetchLike } from '../providers/upstream.js';
import type { Store } from '../store/index.js';
import { claimEndpoint, pendingDeliveries, recordAttempt, releaseEndpoint, syncEndpoints, type DueDelivery } from '../store/outbox.js';

/**
 * The wait after each failed attempt (README "Events to your backend"): each drawn between half and all of
 * its step, so 8 attempts span 16–32 h (24 h on average); the 8th failure marks the delivery failed.
 */
export const RETRY_SCHEDULE_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 14 * 3_600_000];

/** How often the outbox is looked at for what this process was not told of (other instances, a restart, a due retry). */
const SWEEP_MS = 5_000;
/** How long an endpoint's lease outlasts one attempt: an instance that died mid-attempt holds it this much longer. */
const LEASE_MARGIN_MS = 10_000;
/** Deliveries read at once per endpoint. */
const BATCH = 50;

export interface PartnerWebhookOptions {
  /** The waits after failed attempts (tests use milliseconds); its length + 1 attempts in all. */
  retryScheduleMs?: readonly number[];
  sweepMs?: number;
}

/** The Standard Webhooks headers of one attempt: the same webhook-id every time, this attempt's timestamp and signature. */
export function signedHeaders(key: Uint8Array, id: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const timestamp = String(nowSeconds);
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/** What an attempt came to: 2xx delivered; anything else (a 3xx too: redirects are not followed) a failure. */
type Outcome = { ok: boolean; status: number | null; error: string | null };

export class PartnerWebhooks {
  private readonly owner = `dsp_${randomBytes(6).toString('hex')}`;
  private readonly schedule: readonly number[];
  private sweepTimer?: NodeJS.Timeout;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private running?: Promise<void>;
  private again = false;
  private closed = false;
  private unwatch?: () => void;
  /** Resolves once partner_endpoints is the configured endpoints (start). */
  ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: { store: Store; log: Logger; endpoints: readonly PartnerWebhookConfig[]; fetch?: FetchLike; random?: () => number } & PartnerWebhookOptions,
  ) {
    this.schedule = deps.retryScheduleMs ?? RETRY_SCHEDULE_MS;
  }

  /** Sync the endpoints, then deliver what is pending (a restart resumes here) and keep delivering. */
  start(): void {
    const { store, log, endpoints } = this.deps;
    this.ready = syncEndpoints(store, endpoints).catch((err: unknown) => {
      log.error('partner webhooks: endpoints not synced', { error: err instanceof Error ? err.message : String(err) });
    });
    if (endpoints.length === 0) return;
    // A change committed in this process may have queued events: deliver them now, not at the next sweep.
    this.unwatch = store.watchWrites?.(() => this.kick());
    this.sweepTimer = setInterval(() => this.kick(), this.deps.sweepMs ?? SWEEP_MS).unref();
    void this.ready.then(() => this.kick());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unwatch?.();
    clearInterval(this.sweepTimer);
    clearTimeout(this.wakeTimer);
    await this.ready;
    await this.running;
  }

  /** Resolves once no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Run a delivery pass soon; one runs at a time, and a kick during it runs one more after it. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      await this.ready;
      do {
        this.again = false;
        await Promise.all(this.deps.endpoints.map((endpoint) => this.deliverTo(endpoint)));
      } while (this.again && !this.closed);
    })().finally(() => (this.running = undefined));
  }

  /** Deliver an endpoint's due deliveries in order, if this process gets its lease; stop at the first one not done. */
  private async deliverTo(endpoint: PartnerWebhookConfig): Promise<void> {
    const { store, log } = this.deps;
    const leaseMs = endpoint.timeoutMs + LEASE_MARGIN_MS;
    try {
      if (!(await claimEndpoint(store, endpoint.url, this.owner, leaseMs))) return;
      try {
        for (;;) {
          const due = await pendingDeliveries(store, endpoint.url, BATCH);
          for (const delivery of due) {
            if (this.closed) return;
            if (delivery.wait_ms > 0) return this.wakeIn(delivery.wait_ms);
            const outcome = await this.attempt(endpoint, delivery);
            const attempts = delivery.attempts + 1;
            const retryInMs = outcome.ok || attempts > this.schedule.length ? null : this.jittered(this.schedule[attempts - 1]);
            await recordAttempt(store, { id: delivery.id, url: endpoint.url, owner: this.owner, leaseMs, attempts, retryInMs, ...outcome });
            if (outcome.ok) continue;
            log.warn(retryInMs === null ? 'partner webhook failed; no attempt left' : 'partner webhook not delivered; retried later', {
              endpoint: endpoint.url, event_id: delivery.event_id, event: delivery.type, attempts, error: outcome.error, retry_in_ms: retryInMs,
            });
            // The deliveries after it wait behind it, so the endpoint gets its events in order.
            if (retryInMs !== null) return this.wakeIn(retryInMs);
          }
          if (due.length < BATCH) return;
        }
      } finally {
        await releaseEndpoint(store, endpoint.url, this.owner);
      }
    } catch (err) {
      log.warn('partner webhooks: delivery pass failed; retried at the next sweep', { endpoint: endpoint.url, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** One POST: the event as `{type, timestamp, data}`, freshly signed, within the endpoint's timeout, no redirect followed. */
  private async attempt(endpoint: PartnerWebhookConfig, delivery: DueDelivery): Promise<Outcome> {
    const body = JSON.stringify({ type: delivery.type, timestamp: new Date(delivery.created_at).toISOString(), data: delivery.data });
    const fetchFn = this.deps.fetch ?? globalThis.fetch;
    try {
      const res = await fetchFn(endpoint.url, {
        method: 'POST',
        headers: { ...signedHeaders(endpoint.key, delivery.event_id, body), 'user-agent': 'tollgate-webhooks' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(endpoint.timeoutMs),
      });
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null };
      const error = res.status >= 300 && res.status < 400 ? `HTTP ${res.status} redirect not followed${res.headers.get('location') ? ` (to ${res.headers.get('location')})` : ''}` : `HTTP ${res.status}`;
      return { ok: false, status: res.status, error };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const error = e.name === 'TimeoutError' ? `timed out after ${endpoint.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { ok: false, status: null, error: String(error).slice(0, 500) };
    }
  }

  /** A wait between half and all of `ms`. */
  private jittered(ms: number): number {
    return Math.round(ms / 2 + (this.deps.random ?? Math.random)() * (ms / 2));
  }

  /** Run a pass in `ms` (the first retry due), unless one is set for sooner. */
  private wakeIn(ms: number): void {
    const at = Date.now() + ms;
    if (this.closed || at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeAt = Infinity;
      this.kick();
    }, Math.max(0, Math.ceil(ms))).unref();
  }
}
