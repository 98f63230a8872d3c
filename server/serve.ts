// The HTTP server around the app (node:http with @hono/node-server's listener): header, request and idle
// timeouts, a cap on one client's connections, the JSON error envelope for everything Node answers before the
// app does, and a close that reads off the rest of an unread body so every client reads the early answer.
// `npm start` and the HTTP tests both serve this way.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { HttpLimits } from './config.js';
import { errorBody, newRequestId } from './errors.js';
import type { Logger } from './log.js';

export interface ServeOptions {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  port: number;
  hostname?: string;
  limits: HttpLimits;
  log: Logger;
}

export interface HttpServer {
  server: Server;
  /** The port listened on (the one asked for, or the one the OS chose for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * What is read and thrown away of a body the app answered without reading (a 413) before the connection
 * closes: closing with unread bytes makes the kernel reset the connection, and a client still sending (Node's
 * fetch) then loses the answer. Past this the connection is closed anyway; the request timeout bounds the time.
 */
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;

/** Node checks its header and request timeouts on an interval: often enough for the shortest one. */
const checkingInterval = (limits: HttpLimits) => Math.max(50, Math.min(1000, Math.floor(limits.headers_timeout_ms / 4)));

/** A complete HTTP/1.1 answer in the envelope, for writing straight to a socket; the connection closes after it. */
function envelope(status: number, code: string, message: string, headers: Record<string, string> = {}): { requestId: string; bytes: string } {
  const requestId = newRequestId();
  const body = JSON.stringify(errorBody(code, message, requestId));
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return {
    requestId,
    bytes: `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nX-Request-Id: ${requestId}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  };
}

/** Listen on `port` and resolve once listening. */
export function serveHttp(options: ServeOptions): Promise<HttpServer> {
  const { limits, log } = options;
  const seconds = (ms: number) => `${ms / 1000} s`;
  /** Sockets reading off an unread body before they close: errors and timeouts on them only close them. */
  const discarding = new WeakSet<Socket>();
  /** The response in flight on a socket: Node's own rule is to answer an error only before its headers went out. */
  const responding = new WeakMap<Socket, ServerResponse>();
  const openByClient = new Map<string, number>();

  /**
   * Answer in the envelope and close. With Node's parser still on the socket, close as soon as the answer is
   * out (as Node does: a request it timed out must not reach the app after all); without it (a CONNECT, a
   * connection over the cap) send the FIN, throw away what the client still sends, and close when it does or
   * soon after, so that closing with unread bytes does not reset the connection under the answer.
   */
  const answerAndClose = (socket: Socket, parsed: boolean, status: number, code: string, message: string, headers?: Record<string, string>) => {
    const answer = envelope(status, code, message, headers);
    log.info('http refused', { request_id: answer.requestId, status, code, reason: message });
    if (parsed) return socket.end(answer.bytes, () => socket.destroy());
    let read = 0;
    const close = () => socket.destroy();
    const timer = setTimeout(close, Math.min(1000, limits.headers_timeout_ms)).unref();
    socket.on('close', () => clearTimeout(timer));
    socket.on('error', close);
    socket.on('end', close);
    // Nobody parses it: a client's request (a few KB) is read off, a flood is cut off.
    socket.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > 64 * 1024) close();
    });
    socket.end(answer.bytes);
  };

  /** A 400 in the envelope for a request the app cannot be given; the connection closes after it. */
  const badRequest = (message: string): Response => {
    const requestId = newRequestId();
    log.info('http refused', { request_id: requestId, status: 400, code: 'validation_error', reason: message });
    return Response.json(errorBody('validation_error', message, requestId), { status: 400, headers: { 'X-Request-Id': requestId, Connection: 'close' } });
  };

  // The app's listener. A request without Host is served as one to `hostname` (HTTP/1.0 allows it; HTTP/1.1
  // does not: refused below); one the adapter cannot build (a bad Host, a backslash in the path) gets the
  // envelope rather than an empty 400.
  const listener = getRequestListener(options.fetch, {
    hostname: options.hostname,
    errorHandler: (err) => {
      if (err instanceof RequestError) return badRequest(`Malformed request: ${err.message}`);
      const requestId = newRequestId();
      log.error('unhandled error', { request_id: requestId, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      return Response.json(errorBody('internal_error', 'Something went wrong on our side; it has been logged', requestId), { status: 500, headers: { 'X-Request-Id': requestId } });
    },
  });

  const refuseNoHost = getRequestListener(() => badRequest('The request has no Host header; HTTP/1.1 requests need one'), { hostname: 'localhost' });

  const server = createServer(
    {
      headersTimeout: limits.headers_timeout_ms,
      requestTimeout: limits.request_timeout_ms,
      keepAliveTimeout: limits.idle_timeout_ms,
      connectionsCheckingInterval: checkingInterval(limits),
      // The listener answers a missing Host itself, in the envelope (Node's own answer is an empty 400).
      requireHostHeader: false,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      responding.set(socket, res);
      // An answer finished before its request body arrived (a 413): read off the rest, bounded, and close
      // only then (prepended: this runs before Node's own 'finish' handler closes the connection).
      res.prependListener('finish', () => {
        if (!req.complete) discardRestThenClose(req, socket);
      });
      // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (Node's own answer to it has no body).
      if (req.httpVersion === '1.1' && req.headers.host === undefined) {
        void refuseNoHost(req, res);
        return;
      }
      void listener(req, res);
    },
  );

  function discardRestThenClose(req: IncomingMessage, socket: Socket) {
    let read = 0;
    req.removeAllListeners('data'); // whoever was reading the body stopped (the app answered without it)
    req.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > DISCARD_LIMIT_BYTES) socket.destroy();
    });
    req.resume();
    // Node closes a `Connection: close` answer's socket with destroySoon(): send the FIN, but close only
    // once the answer is out and the body has been read off (or the request timeout fires on it).
    socket.destroySoon = () => {
      if (discarding.has(socket)) return;
      discarding.add(socket);
      const flushed = new Promise<void>((resolve) => (socket.writableFinished ? resolve() : socket.once('finish', () => resolve())));
      const drained = new Promise<void>((resolve) => (req.complete ? resolve() : req.once('end', () => resolve())));
      socket.end();
      void Promise.all([flushed, drained]).then(() => socket.destroy());
    };
  }

  // Node's parser refused the request or timed it out: answer in the envelope where the protocol allows
  // (nothing of a response sent on this connection yet), then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = responding.get(socket);
    if (err.code === 'ECONNRESET' || !socket.writable || discarding.has(socket) || (inFlight && !inFlight.writableEnded && inFlight.headersSent)) return socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      return answerAndClose(socket, true, 408, 'request_timeout', `The request did not arrive in time: headers within ${seconds(limits.headers_timeout_ms)}, the whole request within ${seconds(limits.request_timeout_ms)}`);
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') return answerAndClose(socket, true, 431, 'payload_too_large', 'The request headers are too large');
    if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return answerAndClose(socket, true, 413, 'payload_too_large', 'The chunk extensions are too large');
    answerAndClose(socket, true, 400, 'validation_error', 'Malformed HTTP request');
  });

  // This is not a proxy: a CONNECT gets an answer, not a dropped connection.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    answerAndClose(socket, false, 405, 'validation_error', 'CONNECT is not supported: this server is not a proxy', { Allow: 'GET, HEAD, POST, OPTIONS' });
  });

  // At most `max_connections_per_client` open connections per socket address. Node's own connection
  // listener (the HTTP parser) runs only for those within the cap; one more is answered 429 and closed.
  if (limits.max_connections_per_client > 0) {
    const parse = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      const client = socket.remoteAddress ?? 'unknown';
      const open = openByClient.get(client) ?? 0;
      if (open >= limits.max_connections_per_client) {
        return answerAndClose(socket, false, 429, 'rate_limited', `Too many open connections from one client (at most ${limits.max_connections_per_client}); close some and retry`, { 'Retry-After': '1' });
      }
      openByClient.set(client, open + 1);
      socket.once('close', () => {
        const left = (openByClient.get(client) ?? 1) - 1;
        if (left > 0) openByClient.set(client, left);
        else openByClient.delete(client);
      });
      for (const handle of parse) handle.call(server, socket);
    });
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.hostname, () => {
      server.off('error', reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
