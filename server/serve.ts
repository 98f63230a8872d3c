// The HTTP server around the app (node:http via @hono/node-server): what Node's parser refuses before the
// app sees it is still answered in the JSON error envelope. `npm start` and the HTTP tests both serve this way.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';
import { errorBody, newRequestId } from './errors.js';
import type { Logger } from './log.js';

export interface ServeOptions {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  port: number;
  hostname?: string;
  log: Logger;
}

export interface HttpServer {
  server: Server;
  /** The port listened on (the one asked for, or the one the OS chose for 0). */
  port: number;
  close(): Promise<void>;
}

/** Listen on `port` and resolve once listening. */
export function serveHttp(options: ServeOptions): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: options.fetch, port: options.port, hostname: options.hostname }, (info: AddressInfo) => {
      server.off('error', reject);
      resolve({
        server: server as Server,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as Server).closeAllConnections();
          }),
      });
    });
    server.once('error', reject);
    // Requests Node's HTTP parser refuses before the app sees them (headers over 16 KB, malformed HTTP) still
    // get the JSON error envelope, not an empty answer.
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
      const requestId = newRequestId();
      const body = JSON.stringify(errorBody(tooLarge ? 'payload_too_large' : 'validation_error', tooLarge ? 'The request headers are too large' : 'Malformed HTTP request', requestId));
      socket.end(
        `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json\r\n` +
          `X-Request-Id: ${requestId}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
}
