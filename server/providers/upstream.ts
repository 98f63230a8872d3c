// fetch for upstream billing APIs: a timeout on every call, network failures and timeouts as 502
// upstream_error with the upstream's own status and code kept in `cause` (and logged, never returned).
import { AppError } from '../errors.js';
import { storableJson } from '../http.js';
import type { Logger } from '../log.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface UpstreamOptions {
  provider: string;
  fetch: FetchLike;
  timeoutMs: number;
  log: Logger;
}

export interface UpstreamFailure {
  provider: string;
  status?: number;
  code?: string;
  description?: string;
}

/** One upstream call; throws AppError(upstream_error) on network failure or timeout. */
export async function upstreamFetch(options: UpstreamOptions, url: string, init: RequestInit): Promise<Response> {
  try {
    return await options.fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (err) {
    const timedOut = (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError';
    const failure: UpstreamFailure = { provider: options.provider, code: timedOut ? 'timeout' : 'network_error', description: (err as Error)?.message };
    options.log.warn('upstream unreachable', { provider: options.provider, upstream_code: failure.code, path: new URL(url).pathname });
    throw new AppError('upstream_error', `The ${options.provider} API ${timedOut ? 'did not answer in time' : 'could not be reached'}; try again`, { cause: failure });
  }
}

/** Turn an upstream error response into 502 upstream_error, logging the upstream's status and code. */
export function upstreamError(options: UpstreamOptions, path: string, status: number, code: string | undefined, description: string | undefined): AppError {
  options.log.warn('upstream error', { provider: options.provider, path, upstream_status: status, upstream_code: code ?? null });
  return new AppError('upstream_error', `The ${options.provider} API rejected the request`, { cause: { provider: options.provider, status, code, description } satisfies UpstreamFailure });
}

/** The upstream's JSON answer, its strings storable in SQL (storableText); null when it is none or not JSON. */
export async function readUpstreamJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text, storableJson) : null;
  } catch {
    return null;
  }
}
