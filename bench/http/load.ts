// The HTTP bench's load generators: a closed loop (autocannon, N connections each sending its next request when
// the last one is answered) and a paced open loop (requests sent on a fixed schedule whatever the answers, with
// latency measured from each request's scheduled send time, so a stall shows in full instead of pausing the load).
import { Agent, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';

export interface Req {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Gives each request; null when the supply of fresh requests (checkouts to verify) has run out. */
export type NextRequest = () => Req | null;

export interface ClosedResult {
  /** 2xx answers per second. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  /** Non-2xx answers and connection errors and timeouts. */
  failed: number;
  seconds: number;
  /** Why the run ended before its time, if it did. */
  note?: string;
}

/** `connections` clients each sending the next request as soon as the last is answered, for `seconds` (or until `next` runs dry). */
export async function closedLoop(url: string, next: NextRequest, options: { connections: number; seconds: number }): Promise<ClosedResult> {
  let ok = 0;
  let failed = 0;
  let dry = false;
  let instance: autocannon.Instance | undefined;
  const started = performance.now();
  let stoppedAt = 0;
  const result = await new Promise<autocannon.Result>((done, fail) => {
    instance = autocannon(
      {
        url,
        connections: options.connections,
        duration: options.seconds,
        timeout: 10,
        requests: [
          {
            setupRequest: (req, context: { counted?: boolean }) => {
              const r = next();
              if (!r) {
                // Out of fresh requests: stop; until then send harmless ones that are not counted.
                context.counted = false;
                if (!dry) {
                  dry = true;
                  stoppedAt = performance.now();
                  setImmediate(() => instance!.stop());
                }
                return { ...req, method: 'GET', path: '/healthz', headers: {}, body: undefined };
              }
              context.counted = true;
              // autocannon adds Content-Length for a body itself.
              return { ...req, method: r.method, path: r.path, headers: r.headers ?? {}, body: r.body };
            },
            onResponse: (status, _body, context: { counted?: boolean }) => {
              if (!context.counted) return;
              if (status >= 200 && status < 300) ok++;
              else failed++;
            },
          },
        ],
      },
      (err, res) => (err ? fail(err) : done(res)),
    );
  });
  const seconds = ((stoppedAt || performance.now()) - started) / 1000;
  return {
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    failed: failed + result.errors + result.timeouts,
    seconds,
    note: dry ? `ran out of fresh requests after ${seconds.toFixed(1)} s` : undefined,
  };
}

/**
 * One request and its answer (status 0 for a network error). Without `agent` it goes on a connection of its
 * own, closed after: the bench's one-off requests never reuse a keep-alive connection left idle for minutes.
 */
export function httpSend(url: string, r: Req, agent?: Agent): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((done) => {
    const req = httpRequest(
      {
        agent: agent ?? false,
        host: target.hostname,
        port: target.port,
        method: r.method,
        path: r.path,
        headers: { ...r.headers, ...(r.body !== undefined ? { 'content-length': String(Buffer.byteLength(r.body)) } : {}), ...(agent ? {} : { connection: 'close' }) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        res.on('error', () => done({ status: 0, body }));
      },
    );
    req.on('error', (err) => done({ status: 0, body: String(err) }));
    req.end(r.body);
  });
}

export interface OpenResult {
  rate: number;
  /** Answers (any status) per second, from the first scheduled send to the last answer. */
  achieved: number;
  p50: number;
  p99: number;
  max: number;
  sent: number;
  /** Non-2xx answers and connection errors. */
  failed: number;
  /** The generator's own worst lateness in sending (its scheduling, not the server's): it should stay small. */
  maxSendLagMs: number;
  /** p99 over 1 s. */
  collapsed: boolean;
  /** Requests not sent because the supply of fresh ones ran out. */
  skipped: number;
  /** Requests still unanswered when the run gave up waiting (counted in failed, and in the latencies at what they had reached). */
  unanswered: number;
}

/**
 * Send `rate` requests a second for `seconds` on a fixed schedule, over keep-alive connections opened as needed
 * (no cap: the generator never waits for a free connection). Latency is from the scheduled send time. Answers
 * are awaited `drainMs` (default 5 s) after the last send at most.
 */
export async function openLoop(url: string, next: NextRequest, options: { rate: number; seconds: number; warmConnections?: number; drainMs?: number }): Promise<OpenResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096, scheduling: 'lifo' });
  const send = (r: Req) => httpSend(url, r, agent).then((res) => res.status);
  // Open the connections first so the run does not measure TCP handshakes.
  await Promise.all(Array.from({ length: options.warmConnections ?? 64 }, () => send({ method: 'GET', path: '/healthz' })));

  const total = Math.round(options.rate * options.seconds);
  const latencies: number[] = [];
  let failed = 0;
  let skipped = 0;
  let maxSendLagMs = 0;
  const inFlight = new Map<number, { scheduled: number; answer: Promise<void> }>();
  const t0 = performance.now() + 20;
  let lastAnswer = t0;
  let answered = 0;
  let i = 0;
  await new Promise<void>((finished) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + (i * 1000) / options.rate <= now) {
        const scheduled = t0 + (i * 1000) / options.rate;
        const id = i++;
        maxSendLagMs = Math.max(maxSendLagMs, now - scheduled);
        const r = next();
        if (!r) {
          skipped++;
          continue;
        }
        const answer = send(r).then((status) => {
          if (!inFlight.delete(id)) return; // given up on already
          const end = performance.now();
          lastAnswer = Math.max(lastAnswer, end);
          answered++;
          latencies.push(end - scheduled);
          if (status < 200 || status >= 300) failed++;
        });
        inFlight.set(id, { scheduled, answer });
      }
      if (i >= total) return finished();
      // Sleep until the next slot (timers are ~1 ms coarse: several requests may go out per tick, each timed from its own slot).
      setTimeout(tick, Math.max(0, t0 + (i * 1000) / options.rate - performance.now()));
    };
    tick();
  });
  // A server that fell behind may hold minutes of queued requests: wait a bounded time for them, then count the
  // rest as failed with the latency they had reached (a lower bound on what they would have had).
  const drainMs = options.drainMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all([...inFlight.values()].map((f) => f.answer)), new Promise((r) => (timer = setTimeout(r, drainMs)))]);
  clearTimeout(timer);
  const cutoff = performance.now();
  const unanswered = inFlight.size;
  for (const { scheduled } of inFlight.values()) latencies.push(cutoff - scheduled);
  failed += unanswered;
  inFlight.clear();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const p99 = pct(99);
  return {
    rate: options.rate,
    achieved: answered / ((lastAnswer - t0) / 1000),
    p50: pct(50),
    p99,
    max: latencies[latencies.length - 1] ?? NaN,
    sent: latencies.length,
    failed,
    maxSendLagMs,
    collapsed: p99 > 1000,
    skipped,
    unanswered,
  };
}
