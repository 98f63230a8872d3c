// HMAC signatures: Razorpay payment and webhook signatures, and the timestamped `t=…,v1=…` scheme
// shared by Stripe and mintbot. Raw bytes in, constant-time compares, an injectable clock (as stripe-node's Webhooks.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';

export type RawBody = Uint8Array | string;

function assertRaw(payload: unknown): asserts payload is RawBody {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw new TypeError('Webhook payload must be the raw request body (string or bytes), not parsed JSON: re-serialised JSON changes the bytes and breaks the signature');
  }
}

export function hmacSha256Hex(secret: string, ...parts: RawBody[]): string {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
}

/** Compare two hex strings in constant time; any length mismatch or non-hex input is simply unequal. */
export function hexEquals(expectedHex: string, givenHex: string): boolean {
  if (!/^[0-9a-f]*$/i.test(givenHex) || givenHex.length !== expectedHex.length || givenHex.length % 2 !== 0) {
    // Still spend the time of one compare, so a wrong length answers no faster than a wrong value.
    const dummy = Buffer.from(expectedHex, 'hex');
    timingSafeEqual(dummy, dummy);
    return false;
  }
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(givenHex.toLowerCase(), 'hex'));
}

/**
 * Razorpay Checkout success: `hex(HMAC_SHA256(key_secret, order_id + "|" + payment_id))`, with the order id
 * stored on the server, never the one the browser sends back (docs/upstream/razorpay.md, "Payment signature").
 */
export function signRazorpayPayment(keySecret: string, storedOrderId: string, paymentId: string): string {
  return hmacSha256Hex(keySecret, `${storedOrderId}|${paymentId}`);
}

export function verifyRazorpayPayment(keySecret: string, storedOrderId: string, paymentId: string, signature: string): boolean {
  return hexEquals(signRazorpayPayment(keySecret, storedOrderId, paymentId), signature);
}

/**
 * Razorpay Subscriptions checkout success: `hex(HMAC_SHA256(key_secret, payment_id + "|" + subscription_id))` —
 * the REVERSE of the orders order — with the subscription id stored on the server (razorpay-subscriptions.md, "Checkout").
 */
export function signRazorpaySubscriptionPayment(keySecret: string, paymentId: string, storedSubscriptionId: string): string {
  return hmacSha256Hex(keySecret, `${paymentId}|${storedSubscriptionId}`);
}

export function verifyRazorpaySubscriptionPayment(keySecret: string, paymentId: string, storedSubscriptionId: string, signature: string): boolean {
  return hexEquals(signRazorpaySubscriptionPayment(keySecret, paymentId, storedSubscriptionId), signature);
}

/** Razorpay webhooks: `X-Razorpay-Signature: hex(HMAC_SHA256(webhook_secret, raw body))`. */
export function signRazorpayWebhook(webhookSecret: string, rawBody: RawBody): string {
  assertRaw(rawBody);
  return hmacSha256Hex(webhookSecret, rawBody);
}

export function verifyRazorpayWebhook(webhookSecret: string, rawBody: RawBody, signature: string | undefined): boolean {
  assertRaw(rawBody);
  if (!signature) return false;
  return hexEquals(hmacSha256Hex(webhookSecret, rawBody), signature);
}

export type TimestampedVerdict = { ok: true; timestamp: number } | { ok: false; reason: 'missing_header' | 'malformed_header' | 'no_signature_match' | 'timestamp_outside_tolerance' };

/**
 * `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` over `"{t}.{raw body}"` (Stripe-Signature, X-Mintbot-Signature).
 * Any matching v1 passes; |now - t| must be within the tolerance, in both directions (no future-dated events).
 */
export function verifyTimestampedSignature(options: {
  secret: string;
  payload: RawBody;
  header: string | undefined;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): TimestampedVerdict {
  assertRaw(options.payload);
  if (!options.header) return { ok: false, reason: 'missing_header' };
  let timestamp = NaN;
  const signatures: string[] = [];
  for (const item of options.header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') timestamp = /^\d{1,12}$/.test(value) ? Number(value) : NaN;
    else if (key === 'v1') signatures.push(value);
  }
  if (!Number.isFinite(timestamp) || signatures.length === 0) return { ok: false, reason: 'malformed_header' };
  const expected = hmacSha256Hex(options.secret, `${timestamp}.`, options.payload);
  // Check every candidate (no early exit) so the time taken does not tell which one matched.
  let matched = false;
  for (const candidate of signatures) matched = hexEquals(expected, candidate) || matched;
  if (!matched) return { ok: false, reason: 'no_signature_match' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return { ok: false, reason: 'timestamp_outside_tolerance' };
  return { ok: true, timestamp };
}

export function signTimestamped(secret: string, payload: RawBody, timestampSeconds = Math.floor(Date.now() / 1000)): string {
  assertRaw(payload);
  return `t=${timestampSeconds},v1=${hmacSha256Hex(secret, `${timestampSeconds}.`, payload)}`;
}
