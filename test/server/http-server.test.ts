// The HTTP layer over real sockets: the real server (server/serve.ts) listening on 127.0.0.1, driven by
// Node's fetch and by raw node:net sockets for slow, partial, aborted and odd requests. Asserts on the bytes
// each socket receives (status line, JSON envelope, Connection: close) and that the server closes it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { engines, eventually, makeServer, TEST_ENV, testStore, type TestServer } from './helpers.js';
import { serveHttp, type HttpServer } from '../../server/serve.js';
import type { Store } from '../../server/store/index.js';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../../server/config.js';

/** Short timeouts keep the tests fast; every wait below is for an event, with a generous deadline. */
const HTTP = { headers_timeout_ms: 1000, request_timeout_ms: 1500, idle_timeout_ms: 1000, max_connections_per_client: 8 };
/** A deadline for a test that would otherwise wait on Node's defaults (minutes), not a timing assertion. */
const BOUNDED = { timeout: 30_000 };
const UNLIMITED = { customer: { limit: 1_000_000, window_s: 60 }, ip: { limit: 1_000_000, window_s: 60 } };
const BODY_LIMIT = 64 * 1024;
const API_KEY = TEST_ENV.TOLLGATE_API_KEY;

interface Answer {
  /** Everything the socket received, as text. */
  raw: string;
  status: number;
  headers: Record<string, string>;
  body: any;
}

function parseAnswer(raw: string): Answer {
  const split = raw.indexOf('\r\n\r\n');
  assert.ok(split > 0, `an HTTP answer, got ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const text = raw.slice(split + 4);
  assert.equal(Buffer.byteLength(text), Number(headers['content-length']), 'the whole body, as long as Content-Length says');
  return { raw, status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1]), headers, body: JSON.parse(text) };
}

/** An answer in the envelope: JSON, a request id in the body and the header, and the connection closed. */
function assertEnvelope(answer: Answer, status: number, code: string) {
  assert.equal(answer.status, status, answer.raw.slice(0, 300));
  assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(answer.body.error.code, code);
  assert.equal(typeof answer.body.error.message, 'string');
  assert.match(answer.body.error.request_id, /^req_/);
  assert.equal(answer.headers['x-request-id'], answer.body.error.request_id);
  assert.equal(answer.headers.connection, 'close');
}

/** A raw connection: what it received, and a promise of the moment the server closed it. */
function rawSocket(port: number, options: { allowHalfOpen?: boolean } = {}) {
  const socket: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
  const chunks: Buffer[] = [];
  let error: string | null = null;
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
  const received = () => Buffer.concat(chunks).toString('utf8');
  const closed = new Promise<{ received: string; error: string | null }>((resolve) => socket.on('close', () => resolve({ received: received(), error })));
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  return { socket, received, closed, connected, ended };
}

/** Send `request` and wait for the server to close the connection; its answer, parsed. */
async function exchange(port: number, request: string): Promise<Answer> {
  const conn = rawSocket(port);
  conn.socket.write(request);
  const { received } = await conn.closed;
  return parseAnswer(received);
}

const logged = (server: TestServer) => server.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);

for (const engine of engines()) {
  describe(`HTTP server over real sockets (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let http: HttpServer;
    let url: string;

    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: { http: HTTP, rate_limits: UNLIMITED, body_limit_bytes: BODY_LIMIT } });
      http = await serveHttp({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1', limits: server.deps.config.file.http, log: server.deps.log });
      url = `http://127.0.0.1:${http.port}`;
    });
    after(async () => {
      await http.close();
      await server.close();
      await store.close();
    });

    describe('9. oversized bodies', () => {
      const big = 'x'.repeat(2 * 1024 * 1024);

      test("a 2 MB POST gets the 413 envelope through Node's fetch, 20 of 20 (Content-Length)", BOUNDED, async () => {
        const failures: string[] = [];
        for (let i = 0; i < 20; i++) {
          try {
            const res = await fetch(`${url}/v1/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big });
            const body = (await res.json()) as { error: { code: string; request_id: string } };
            if (res.status !== 413 || body.error.code !== 'payload_too_large' || res.headers.get('connection') !== 'close') failures.push(`${res.status} ${JSON.stringify(body)} connection=${res.headers.get('connection')}`);
          } catch (err) {
            failures.push(String((err as { cause?: { code?: string } }).cause?.code ?? err));
          }
        }
        assert.deepEqual(failures, [], `${failures.length} of 20 did not read the 413`);
      });

      test("a 2 MB chunked POST gets the 413 envelope through Node's fetch, 20 of 20", BOUNDED, async () => {
        const failures: string[] = [];
        for (let i = 0; i < 20; i++) {
          const chunk = new TextEncoder().encode('y'.repeat(64 * 1024));
          let sent = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(controller) {
              if (sent++ < 32) controller.enqueue(chunk);
              else controller.close();
            },
          });
          try {
            const res = await fetch(`${url}/v1/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, duplex: 'half' } as RequestInit);
            const answer = (await res.json()) as { error: { code: string } };
            if (res.status !== 413 || answer.error.code !== 'payload_too_large' || res.headers.get('connection') !== 'close') failures.push(`${res.status} ${JSON.stringify(answer)}`);
          } catch (err) {
            failures.push(String((err as { cause?: { code?: string } }).cause?.code ?? err));
          }
        }
        assert.deepEqual(failures, [], `${failures.length} of 20 did not read the 413`);
      });

      test('over a raw socket: the 413 envelope with Connection: close, and the rest of the body is read before the connection closes', BOUNDED, async () => {
        // A client that keeps sending its whole body (half-open: it may still write after the server's FIN).
        const conn = rawSocket(http.port, { allowHalfOpen: true });
        await conn.connected;
        const write = (data: string) => new Promise<void>((resolve, reject) => conn.socket.write(data, (err) => (err ? reject(err) : resolve())));
        await write(`POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n`);
        // Each write waits for the socket to take it: a server that reset the connection fails one.
        for (let at = 0; at < big.length; at += 256 * 1024) await write(big.slice(at, at + 256 * 1024));
        await conn.ended;
        const answer = parseAnswer(conn.received());
        assertEnvelope(answer, 413, 'payload_too_large');
        assert.match(answer.body.error.message, /larger than 65536 bytes/);
        conn.socket.end();
        await conn.closed;
        // The server is still up.
        assert.equal((await fetch(`${url}/healthz`)).status, 200);
      });
    });

    describe('10. request timeouts and the per-client cap', () => {
      test('slow headers: 408 in the envelope after headers_timeout_ms, then closed', BOUNDED, async () => {
        const conn = rawSocket(http.port);
        conn.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        const started = performance.now();
        const { received } = await conn.closed;
        assertEnvelope(parseAnswer(received), 408, 'request_timeout');
        assert.ok(performance.now() - started >= HTTP.headers_timeout_ms - 50, 'not before the headers timeout');
      });

      test('a body trickled at one byte per 100 ms: 408 in the envelope after request_timeout_ms, then closed; nothing logged as an error', BOUNDED, async () => {
        const conn = rawSocket(http.port);
        conn.socket.write(`POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
        const trickle = setInterval(() => conn.socket.writable && conn.socket.write('{'), 100);
        const started = performance.now();
        const { received } = await conn.closed;
        clearInterval(trickle);
        const answer = parseAnswer(received);
        assertEnvelope(answer, 408, 'request_timeout');
        assert.ok(performance.now() - started >= HTTP.request_timeout_ms - 50, 'not before the request timeout');
        const id = answer.body.error.request_id;
        await eventually(() => logged(server).some((l) => l.msg === 'request' && l.path === '/v1/sessions' && l.status === 499), 'the aborted request is logged');
        assert.deepEqual(logged(server).filter((l) => l.level === 'error'), [], `no error logged (answer ${id})`);
      });

      test('a stalled body: 408 in the envelope after request_timeout_ms, then closed', BOUNDED, async () => {
        const answer = await exchange(http.port, 'POST /v1/sandbox/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nIdempotency-Key: stalled-1\r\nContent-Length: 100\r\n\r\n{"customer_id":');
        assertEnvelope(answer, 408, 'request_timeout');
      });

      test('a keep-alive connection says and keeps idle_timeout_ms, then is closed with nothing more sent', BOUNDED, async () => {
        const conn = rawSocket(http.port);
        conn.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        const { received, error } = await conn.closed;
        assert.equal(error, null);
        const answer = parseAnswer(received);
        assert.equal(answer.status, 200);
        assert.equal(answer.body.ok, true);
        assert.equal(answer.headers['keep-alive'], `timeout=${HTTP.idle_timeout_ms / 1000}`);
      });

      // On a server of their own: no other test's pooled keep-alive connection counts against the cap.
      test('one client holding slow connections: those over max_connections_per_client get 429 at once, the rest 408, every one closed', BOUNDED, async () => {
        const capped = await serveHttp({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1', limits: { ...HTTP, headers_timeout_ms: 2000, request_timeout_ms: 2000, max_connections_per_client: 4 }, log: server.deps.log });
        try {
          const conns = Array.from({ length: 12 }, () => rawSocket(capped.port));
          for (const c of conns) c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
          const answers = (await Promise.all(conns.map((c) => c.closed))).map(({ received }) => parseAnswer(received));
          const statuses = answers.map((a) => a.status).join(' ');
          const refused = answers.filter((a) => a.status === 429);
          const timedOut = answers.filter((a) => a.status === 408);
          assert.equal(refused.length, 8, statuses);
          assert.equal(timedOut.length, 4, statuses);
          for (const a of refused) {
            assertEnvelope(a, 429, 'rate_limited');
            assert.equal(a.headers['retry-after'], '1');
          }
          for (const a of timedOut) assertEnvelope(a, 408, 'request_timeout');
          // Once they are closed the client is served again.
          await eventually(async () => (await fetch(`http://127.0.0.1:${capped.port}/healthz`)).status === 200, 'a fresh connection is served');
        } finally {
          await capped.close();
        }
      });

      test('connections within the cap are served; one more is refused; once they close the client is served again', BOUNDED, async () => {
        const capped = await serveHttp({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1', limits: { ...HTTP, headers_timeout_ms: 30_000, request_timeout_ms: 30_000, idle_timeout_ms: 30_000, max_connections_per_client: 3 }, log: server.deps.log });
        try {
          // Hold the cap with keep-alive connections that each got an answer (so the server has counted them).
          const held = Array.from({ length: 3 }, () => rawSocket(capped.port));
          await Promise.all(
            held.map(
              (c) =>
                new Promise<void>((resolve) => {
                  c.socket.on('data', () => c.received().includes('"ok":true') && resolve());
                  c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
                }),
            ),
          );
          const extra = await exchange(capped.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
          assertEnvelope(extra, 429, 'rate_limited');
          for (const c of held) c.socket.destroy();
          await Promise.all(held.map((c) => c.closed));
          await eventually(async () => (await fetch(`http://127.0.0.1:${capped.port}/healthz`)).status === 200, 'served again once the held connections closed');
        } finally {
          await capped.close();
        }
      });
    });

    describe('11. a client that goes away', () => {
      const abortMidBody = async (path: string, headers: string) => {
        const before = server.logLines.length;
        const conn = rawSocket(http.port);
        // Go away once the request (headers and the start of its body) has reached the server.
        const arrived = new Promise<void>((resolve) => http.server.once('request', () => resolve()));
        conn.socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n{"customer_id":`);
        await arrived;
        conn.socket.destroy();
        await eventually(() => logged(server).slice(before).some((l) => l.msg === 'request' && l.path === path), `the request to ${path} is logged`);
        return logged(server).slice(before);
      };

      for (const [name, path, headers] of [
        ['readJson (POST /v1/sessions, Content-Length)', '/v1/sessions', `Authorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n`],
        ["withIdempotency's body read (POST /v1/sandbox/session)", '/v1/sandbox/session', `Content-Type: application/json\r\nIdempotency-Key: abort-1\r\nContent-Length: 1000\r\n`],
        ["bodyLimit's read of a chunked body", '/v1/sessions', `Authorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n100`],
      ] as const) {
        test(`an upload aborted mid-body in ${name} is logged at info, not as a 500 error`, BOUNDED, async () => {
          const lines = await abortMidBody(path, headers);
          assert.deepEqual(lines.filter((l) => l.level === 'error' || l.status === 500), [], 'no error, no 500');
          const gone = lines.find((l) => l.msg === 'client went away');
          assert.ok(gone, `logged that the client went away: ${JSON.stringify(lines)}`);
          assert.equal(gone.level, 'info');
          assert.equal(lines.find((l) => l.msg === 'request')?.status, 499);
        });
      }
    });

    describe('12. requests Node refuses before the app', () => {
      test('an HTTP/1.1 request without Host: 400 in the envelope, then closed', BOUNDED, async () => {
        const answer = await exchange(http.port, 'GET /healthz HTTP/1.1\r\n\r\n');
        assertEnvelope(answer, 400, 'validation_error');
        assert.match(answer.body.error.message, /Host/);
      });

      test('an HTTP/1.0 request without Host (allowed there) is served', BOUNDED, async () => {
        const conn = rawSocket(http.port);
        conn.socket.write('GET /healthz HTTP/1.0\r\n\r\n');
        const { received } = await conn.closed;
        assert.match(received, /^HTTP\/1\.1 200 /);
        assert.match(received, /"ok":true/);
      });

      test('a Host the adapter cannot use: 400 in the envelope, then closed', BOUNDED, async () => {
        const answer = await exchange(http.port, 'GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n');
        assertEnvelope(answer, 400, 'validation_error');
        assert.match(answer.body.error.message, /host/i);
      });

      test('CONNECT: 405 in the envelope, then closed', BOUNDED, async () => {
        const answer = await exchange(http.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
        assertEnvelope(answer, 405, 'validation_error');
        assert.match(answer.body.error.message, /CONNECT/);
      });

      test('headers over 16 KB: 431; malformed HTTP: 400; both in the envelope', BOUNDED, async () => {
        assertEnvelope(await exchange(http.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`), 431, 'payload_too_large');
        assertEnvelope(await exchange(http.port, 'NOT HTTP\r\n\r\n'), 400, 'validation_error');
      });
    });
  });
}

test('the http limits: defaults, and a headers timeout longer than the request timeout is refused with the fix', () => {
  assert.deepEqual(parseConfig(DEFAULT_CONFIG).http, { headers_timeout_ms: 10_000, request_timeout_ms: 20_000, idle_timeout_ms: 5_000, max_connections_per_client: 64 });
  assert.throws(
    () => parseConfig({ ...DEFAULT_CONFIG, http: { headers_timeout_ms: 5000, request_timeout_ms: 2000 } }),
    (err: Error) => err instanceof ConfigError && /http\.headers_timeout_ms: must not be longer than request_timeout_ms/.test(err.message),
  );
});
