// What the simulated Razorpay APIs share on the wire: Razorpay-style ids, the error envelope, JSON bodies and
// the notes rules (≤ 15 keys, values ≤ 256 characters; empty notes come back as `[]`).
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import type { RazorpayPayment } from '../client.js';

export const rid = (prefix: string) => `${prefix}_${randomBytes(10).toString('base64url').replace(/[-_]/g, 'x').slice(0, 14)}`;

export function rzpError(description: string, field?: string, code = 'BAD_REQUEST_ERROR') {
  return { error: { code, description, source: 'business', step: 'payment_initiation', reason: 'input_validation_failed', metadata: {}, ...(field ? { field } : {}) } };
}

/** A 400 in the error envelope. */
export const badRequest = (c: Context, description: string, field?: string) => c.json(rzpError(description, field), 400);

/** The JSON object body (`optional`: an empty body is `{}`), or the 400 Razorpay answers for anything else. */
export async function readBody(c: Context, options: { optional?: boolean } = {}): Promise<Record<string, unknown> | Response> {
  try {
    const text = await c.req.text();
    if (options.optional && !text.trim()) return {};
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // fall through
  }
  return badRequest(c, 'The request body is not valid JSON');
}

/** Why these notes are refused, or undefined when they are fine. */
export function notesProblem(notes: unknown): string | undefined {
  if (notes === undefined) return undefined;
  if (typeof notes !== 'object' || notes === null || Array.isArray(notes)) return 'The notes field must be an object.';
  const entries = Object.entries(notes);
  if (entries.length > 15) return 'Number of notes cannot exceed 15.';
  if (entries.some(([, v]) => String(v).length > 256)) return 'Notes value cannot exceed 256 characters.';
  return undefined;
}

/** Notes as Razorpay stores them: string values, and `[]` when there are none. */
export function notesValue(notes: unknown): Record<string, string> | [] {
  return notes && typeof notes === 'object' && Object.keys(notes).length ? (Object.fromEntries(Object.entries(notes).map(([k, v]) => [k, String(v)])) as Record<string, string>) : [];
}

/** A payment the bank declined, as Razorpay reports it (orders and subscriptions alike). */
export function declinePayment(payment: RazorpayPayment): void {
  Object.assign(payment, {
    status: 'failed',
    captured: false,
    error_code: 'BAD_REQUEST_ERROR',
    error_description: "Your payment didn't go through as it was declined by the bank. Try another payment method or contact your bank.",
    error_source: 'bank',
    error_step: 'payment_authorization',
    error_reason: 'payment_failed',
  });
}

/** What checkout.js's `payment.failed` handler receives for a declined payment, with the entity ids in `metadata`. */
export function checkoutFailure<M extends Record<string, string>>(payment: RazorpayPayment, metadata: M) {
  return {
    error: { code: payment.error_code!, description: payment.error_description!, source: payment.error_source!, step: payment.error_step!, reason: payment.error_reason!, metadata },
  };
}
