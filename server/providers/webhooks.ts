// The one webhook pipeline (as stripe-node's Webhooks.ts): raw bytes verified → parsed → stored in the inbox →
// the handler's change applied once (providers/webhook-inbox.ts); providers supply the verifier and the
// handlers by event type. Also the reader of the timestamped `t=…,v1=…` scheme (Stripe-Signature, X-Mintbot-Signature).
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { storableJson } from '../http.js';
import type { Logger } from '../log.js';
import { verifyTimestampedSignature } from '../security/signatures.js';
import type { Sql } from '../store/index.js';
import type { WebhookInbox } from './webhook-inbox.js';

/** docs/upstream/mintbot-partner-api.txt "Verifying the signature" and Stripe's reference "Webhooks": 300 s, applied either way (no future-dated events). */
export const WEBHOOK_TOLERANCE_S = 300;

/** Check a `t=…,v1=…` signature over the raw body the pipeline read; the signed timestamp (s), else 400 invalid_signature. */
export function verifyTimestampedWebhook(c: AppContext, raw: Uint8Array, options: { provider: string; secret: string; header: string }): number {
  const verdict = verifyTimestampedSignature({
    secret: options.secret,
    payload: raw,
    header: c.req.header(options.header),
    toleranceSeconds: WEBHOOK_TOLERANCE_S,
    nowSeconds: Math.floor(c.get('deps').now().getTime() / 1000),
  });
  if (!verdict.ok) {
    c.get('deps').log.warn(`${options.provider} webhook rejected`, { request_id: c.get('requestId'), reason: verdict.reason });
    throw new AppError('invalid_signature', verdict.reason === 'timestamp_outside_tolerance' ? `Webhook timestamp is outside the ${WEBHOOK_TOLERANCE_S} s tolerance` : 'Invalid webhook signature');
  }
  return verdict.timestamp;
}

/**
 * A verified webhook body as a JSON object, else 400 validation_error (malformed JSON, or an array, a
 * string, `null`…). U+0000 and lone UTF-16 surrogates, which PostgreSQL text and jsonb cannot hold, become
 * U+FFFD in every string and key: a signed event must not fail its transaction on every delivery because
 * of its text (the provider would retry, then disable the endpoint), and no stored id holds one, so an id
 * with one still matches nothing.
 */
export function parseWebhookObject(raw: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw).toString('utf8'), storableJson);
  } catch {
    throw new AppError('validation_error', 'The webhook body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new AppError('validation_error', 'The webhook body is not a JSON object');
  return value as Record<string, unknown>;
}

/** A verified, parsed webhook: the id it is deduplicated on, its type, and the provider's own payload. */
export interface WebhookEvent<P> {
  id: string;
  type: string;
  payload: P;
}

/**
 * What a handler decided, after its look-ups (which may call the upstream, so they run before the
 * transaction and no transaction waits on the network): an outcome with nothing to write beyond the
 * event's claim, or the change to apply in the transaction that claims it.
 */
export type WebhookStep = string | { apply: (tx: Sql) => Promise<string>; /** For the log of a conflict. */ checkoutId?: string };

export type WebhookHandler<P> = (event: WebhookEvent<P>) => Promise<WebhookStep>;

/** One provider's webhook endpoint: the verifier and parser, and the handlers by event type (Lago's EVENT_MAPPING). */
export interface WebhookEndpoint<P> {
  provider: string;
  path: string;
  /** 503 provider_unavailable when the provider is not configured. */
  requireAvailable(): void;
  /** Check the signature over the raw bytes and parse them (AppError invalid_signature or validation_error). */
  read(c: AppContext, raw: Uint8Array): WebhookEvent<P> | Promise<WebhookEvent<P>>;
  handlers: Readonly<Record<string, WebhookHandler<P>>>;
  /** The outcome of an event type without a handler (recorded all the same); default `ignored`. */
  unhandled?: string;
  /** The payload as read, from the JSON the inbox stored (for payloads that are not plain JSON); default: as stored. */
  restore?(stored: unknown): P;
  /** Called with the outcome, for logging beyond the one line every event gets. */
  after?(event: WebhookEvent<P>, outcome: string): void;
}

/**
 * The endpoint's route: raw body → verify and parse → stored in the inbox (a redelivery is `duplicate` from
 * there, before any look-up that may call the provider) → applied once (providers/webhook-inbox.ts) →
 * `{received: true, outcome}`. With `webhooks.acknowledge: "stored"` the answer goes once the event is stored
 * (`queued`) and it is applied right after; with `"applied"` once it is applied, with its outcome.
 */
export function webhookRoutes<P>(deps: { webhookInbox: WebhookInbox; log: Logger }, endpoint: WebhookEndpoint<P>): Hono<AppEnv> {
  const inbox = deps.webhookInbox;
  inbox.register(endpoint);
  const routes = new Hono<AppEnv>();
  routes.post(endpoint.path, async (c) => {
    endpoint.requireAvailable();
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const event = await endpoint.read(c, raw);
    const accepted = await inbox.accept({ provider: endpoint.provider, event_id: event.id, type: event.type, payload: event.payload });
    let outcome: string;
    if (accepted.outcome !== null) outcome = 'duplicate';
    else if (inbox.acknowledge === 'applied') {
      // A delivery that finds the event being applied waits for it (and fails with it, so the provider retries).
      const applyingAlready = !accepted.inserted && inbox.isApplying(endpoint.provider, event.id);
      const applied = await inbox.apply(endpoint, event);
      outcome = applyingAlready ? 'duplicate' : applied;
    } else {
      if (!inbox.isApplying(endpoint.provider, event.id)) inbox.applyLater(endpoint, event, c.get('requestId'));
      outcome = 'queued';
    }
    deps.log.info(`${endpoint.provider} webhook`, { request_id: c.get('requestId'), event_id: event.id, event: event.type, outcome });
    return c.json({ received: true, outcome });
  });
  return routes;
}
