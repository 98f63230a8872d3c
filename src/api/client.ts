// The one fetch wrapper the elements use: base URL, bearer token, Idempotency-Key, timeouts, the
// server's error envelope turned into a typed TollgateError, and the page's shared GET answers.
import type { ErrorEnvelope } from '../contract/index.js';

/** An API or network failure in plain data: `code` is the server's stable snake_case code. */
export class TollgateError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId?: string;
  constructor(
    code: string,
    message: string,
    status = 0,
    requestId?: string,
    /** The server's Retry-After in seconds (429, a 409 `conflict` for a key still in progress); 0 or NaN when it sent none or an HTTP date. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'TollgateError';
    this.code = code;
    this.status = status;
    this.requestId = requestId;
  }
}

export interface ClientOptions {
  /** Server base URL, e.g. `https://billing.partner.com`. */
  base: string;
  /** Customer session token; sent as `Authorization: Bearer …`. */
  token?: string;
  /** Per-request timeout in milliseconds (default 15 s). */
  timeoutMs?: number;
  /** The element's locale, sent as Accept-Language: the server answers catalog text in it where it can. */
  locale?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Required for POST: one key per user attempt, reused on automatic retries. */
  idempotencyKey?: string;
  /** Automatic retries on network errors and 502/503 (same key). Default 1. */
  retries?: number;
}

/** A fresh Idempotency-Key for one user attempt. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/**
 * `path` against the API base `base`, keeping the base's own path: `/v1/plans` on `https://app.example/billing` is
 * `https://app.example/billing/v1/plans`. The paths the server sends (a `verify_path`, a `sandbox_url`) are
 * API-relative and joined the same way; an absolute URL passes through unchanged.
 */
export function apiUrl(base: string, path: string): string {
  return new URL(/^[a-z][\w+.-]*:/i.test(path) ? path : base.replace(/\/*$/, '/') + path.replace(/^\/+/, ''), globalThis.location?.href).href;
}

const RETRYABLE_STATUS = new Set([502, 503]);

/**
 * The GET answers every element on the page shares, by URL, session and locale, each until it expires:
 * the first element to ask sends the request, the others wait for the same answer. A failure is not kept.
 */
const answers = new Map<string, [answer: Promise<unknown>, expires: number]>();

/**
 * How long an answer is shared: long enough for every element of a page load (a paywall's picker comes
 * a round trip or two after the rest), short enough that an element mounted later (a single-page app's
 * next view) asks again.
 */
const ANSWER_KEEP_MS = 30_000;

/** Forget the page's shared answers: the next element to ask for each sends one request again. */
export function forgetAnswers(): void {
  answers.clear();
}

// A paid checkout changes the plan, the subscription and the entitlements: every checkout-success (whoever
// fires it) clears the answers in the capture phase on window, before any element's listener refetches.
// Only where there is a window: importing this in Node (SSR, a test runner) must not throw.
globalThis.addEventListener?.('checkout-success', forgetAnswers, true);

export class ApiClient {
  constructor(private readonly options: ClientOptions) {}

  /** Resolve a path (`/v1/plans`) or absolute URL against the base (see {@link apiUrl}). */
  url(path: string): string {
    return apiUrl(this.options.base, path);
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, undefined, options);
  }

  /**
   * `GET path`, shared with every element on the page that asks for it with the same base, session and
   * locale for {@link ANSWER_KEEP_MS} (see {@link answers}). No abort signal: others may be waiting on it;
   * a stale caller's Task ignores what it resolves to.
   */
  shared<T>(path: string): Promise<T> {
    const key = [this.url(path), this.options.token, this.options.locale].join(' ');
    const kept = answers.get(key);
    if (kept && kept[1] > Date.now()) return kept[0] as Promise<T>;
    const answer = this.get<T>(path);
    const entry: [Promise<T>, number] = [answer, Date.now() + ANSWER_KEEP_MS];
    answers.set(key, entry);
    answer.catch(() => answers.get(key) === entry && answers.delete(key));
    return answer;
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, body ?? {}, { ...options, idempotencyKey: options.idempotencyKey ?? newIdempotencyKey() });
  }

  private async request<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
    const retries = options.retries ?? 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(method, path, body, options);
      } catch (error) {
        const retryable =
          error instanceof TollgateError && (error.code === 'network_error' || RETRYABLE_STATUS.has(error.status));
        if (!retryable || attempt >= retries || options.signal?.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, 300 * 2 ** attempt));
      }
    }
  }

  private async once<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    if (this.options.locale) headers['Accept-Language'] = this.options.locale;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 15_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        credentials: 'omit',
      });
    } catch (error) {
      if (options.signal?.aborted) throw error; // the caller gave up: not an error to show
      if (timeout.aborted) throw new TollgateError('timeout', 'The server took too long to answer.');
      throw new TollgateError('network_error', 'Could not reach the server.');
    }
    const requestId = response.headers.get('X-Request-Id') ?? undefined;
    const text = await response.text();
    let payload: unknown = undefined;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (a proxy's HTML error page): handled below
    }
    if (!response.ok) {
      const envelope = payload as Partial<ErrorEnvelope> | undefined;
      const error = envelope?.error;
      if (error && typeof error.code === 'string') {
        throw new TollgateError(error.code, error.message ?? '', response.status, error.request_id ?? requestId, +response.headers.get('Retry-After')!);
      }
      throw new TollgateError('http_error', `HTTP ${response.status}`, response.status, requestId);
    }
    if (payload === undefined) throw new TollgateError('bad_response', 'The server sent an empty answer.', response.status, requestId);
    return payload as T;
  }
}
