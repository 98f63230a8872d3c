// `tollgate/client`: a typed client for your backend's calls to the Tollgate server with TOLLGATE_API_KEY
// (customer sessions for the elements, usage reports). Any runtime with fetch; never ship the key to a browser.

/** `POST /v1/sessions` (README "API"): who the session is for; a new customer starts on the free plan. */
export interface SessionRequest {
  customer_id: string;
  email?: string;
  name?: string;
  contact?: string;
  /** ISO 4217 (`INR`): the routing rule picks the provider by it. */
  currency?: string;
}

export interface SessionResponse {
  /** The customer session (a JWT, at most `session_ttl_seconds`). */
  token: string;
  expires_at: string;
}

export interface ClientOptions {
  /** The Tollgate server, with its mount path if any: `https://billing.example.com`, `https://app.example.com/billing`. */
  baseUrl: string;
  /** TOLLGATE_API_KEY. */
  apiKey: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface UsageReport {
  customer_id: string;
  metric: string;
  quantity: number;
}

export interface UsageAnswer {
  customer_id: string;
  metric: string;
  /** This period's count after the report. */
  used: number;
}

/** A Tollgate error answer: the envelope's code and message, the HTTP status and the request id to quote. */
export class TollgateError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'TollgateError';
  }
}

export interface TollgateClient {
  sessions: {
    /** `POST /v1/sessions`: a customer session token for the elements (`session` attribute or `configure({ session })`). */
    create(request: SessionRequest, options?: { idempotencyKey?: string }): Promise<SessionResponse>;
  };
  /** `POST /v1/usage`: add to this period's usage counter of a metric. */
  track(report: UsageReport): Promise<UsageAnswer>;
}

export function createClient(options: ClientOptions): TollgateClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchFn = options.fetch ?? globalThis.fetch;
  async function post<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${options.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' };
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    const response = await fetchFn(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
    const answer = (await response.json().catch(() => undefined)) as { error?: { code: string; message: string; request_id?: string } } | undefined;
    if (!response.ok) {
      const error = answer?.error;
      throw new TollgateError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status}`, error?.request_id ?? response.headers.get('X-Request-Id') ?? undefined);
    }
    return answer as T;
  }
  return {
    sessions: { create: (request, o = {}) => post<SessionResponse>('/v1/sessions', request, o.idempotencyKey ?? crypto.randomUUID()) },
    track: (report) => post<UsageAnswer>('/v1/usage', report),
  };
}
