// One error type for the whole server, rendered into the `{"error":{code,message,request_id}}` envelope.
import { randomFillSync } from 'node:crypto';
import type { ErrorCode } from '../src/contract/index.js';

export type { ErrorCode };

export const STATUS_OF: Record<ErrorCode, number> = {
  unauthenticated: 401,
  invalid_token: 401,
  validation_error: 400,
  not_found: 404,
  invalid_signature: 400,
  missing_idempotency_key: 400,
  idempotency_key_mismatch: 409,
  rate_limited: 429,
  provider_unavailable: 503,
  upstream_error: 502,
  conflict: 409,
  subscription_exists: 409,
  downgrade_not_available: 409,
  payload_too_large: 413,
  request_timeout: 408,
  forbidden: 403,
  promotion_unknown: 404,
  promotion_expired: 400,
  promotion_not_applicable: 400,
  promotion_exhausted: 409,
  promotion_already_used: 409,
  promotion_first_purchase_only: 409,
  promotion_not_supported: 400,
  quantity_not_supported: 400,
  tax_not_supported: 400,
  internal_error: 500,
};

export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  /** Extra response headers (Retry-After). */
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, options: { status?: number; cause?: unknown; headers?: Record<string, string> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? STATUS_OF[code];
    this.headers = options.headers ?? {};
  }
}

/** The id of one request, in `X-Request-Id` and every log line and error body about it. */
/** Random bytes for request ids, drawn 9 at a time from a pool filled 4.5 KB at once (one system call per 512 ids). */
const ID_POOL = Buffer.alloc(9 * 512);
let idOffset = ID_POOL.length;

export function newRequestId(): string {
  if (idOffset === ID_POOL.length) {
    randomFillSync(ID_POOL);
    idOffset = 0;
  }
  const id = ID_POOL.toString('base64url', idOffset, idOffset + 9);
  idOffset += 9;
  return `req_${id}`;
}

export function errorBody(code: string, message: string, requestId: string) {
  return { error: { code, message, request_id: requestId } };
}

/** A start-up error in the config file or the environment; its message names the field and the fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
