// Reading a webhook signed with the timestamped `t=…,v1=…` scheme (Stripe-Signature, X-Mintbot-Signature):
// the raw bytes and the signed timestamp, verified in constant time within 300 s either way, or 400 invalid_signature.
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { storableJson } from '../http.js';
import { verifyTimestampedSignature } from '../security/signatures.js';

/** Seed 000 "Verifying the signature" and Stripe's reference "Webhooks": 300 s, applied either way (no future-dated events). */
export const WEBHOOK_TOLERANCE_S = 300;

export async function readTimestampedWebhook(c: AppContext, options: { provider: string; secret: string; header: string }): Promise<{ raw: Uint8Array; timestamp: number }> {
  const raw = new Uint8Array(await c.req.arrayBuffer());
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
  return { raw, timestamp: verdict.timestamp };
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
