// The server as a library (`tollgate-server`, re-exported as `tollgate/server`): createTollgate() gives a
// standard fetch handler to mount in any framework, plus a Node (Express/Connect, node:http) handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createApp, type TollgateApp } from './app.js';
import { ConfigError, loadConfigFile, loadServerConfig, parseConfig, type ConfigFile, type ServerConfig } from './config.js';
import { errorBody, newRequestId } from './errors.js';
import { createLogger, type Logger, type LogLevel } from './log.js';
import { openStore, type Store } from './store/index.js';

export { ConfigError };
export type { ConfigFile, Logger, LogLevel, ServerConfig, Store };

export interface CreateTollgateOptions {
  /** Where secrets and settings are read from (README "Configuration"); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** The config file's content (plans, providers, origins…), or the path of a JSON file; default `TOLLGATE_CONFIG` or the demo catalog. */
  config?: unknown;
  /** Where browsers reach this server, with the mount path: `https://app.example.com/billing`. Default `TOLLGATE_PUBLIC_URL`, else `http://localhost:$PORT` plus `basePath`. */
  publicUrl?: string;
  /** The path the handler is mounted under (`/billing`) when `publicUrl` does not give it. */
  basePath?: string;
  /** An open store to use (and leave open on close); default: PostgreSQL at `DATABASE_URL`, else PGlite in `DATA_DIR`. */
  store?: Store;
  /** A logger, or the level of the default JSON-lines logger on stdout (default `LOG_LEVEL` or info). */
  log?: Logger | LogLevel;
}

/** Node's request/response pair, as Express, Connect and node:http pass them; `next` is not called (every path under the mount is Tollgate's). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export interface Tollgate {
  /** A standard fetch handler: Hono's `app.mount()`, Next.js route handlers, Bun, Deno, workers. Paths with or without the mount path both work. */
  fetch(request: Request): Promise<Response>;
  /** The same for Node's http module, Express and Connect: mount it before any body parser (webhook signatures need the raw body). */
  node: NodeHandler;
  /** Resolves once the store is open and migrated and the app is built; rejects with what failed. Calls wait for it. */
  ready: Promise<void>;
  /** The validated run-time config. */
  config: ServerConfig;
  /** The mount path (`/billing`) or ''. */
  basePath: string;
  /** Stop background work and close the store if this handler opened it. */
  close(): Promise<void>;
  /** The app itself once ready (tests, advanced use). */
  app(): Promise<TollgateApp>;
}

/** The config file option: a path, an object (validated as the file is), or the environment's TOLLGATE_CONFIG. */
function configFile(config: unknown, env: Record<string, string | undefined>): ConfigFile {
  if (config === undefined) return loadConfigFile(env.TOLLGATE_CONFIG);
  if (typeof config === 'string') return loadConfigFile(config);
  return parseConfig(config, 'createTollgate({ config })');
}

/** TOLLGATE_PUBLIC_URL as the options give it: `publicUrl`, or the environment's (or the default) with `basePath` added. */
function publicUrlOf(options: CreateTollgateOptions, env: Record<string, string | undefined>): string | undefined {
  const base = options.basePath?.replace(/\/+$/, '');
  if (base !== undefined && base !== '' && !base.startsWith('/')) throw new ConfigError(`basePath ${options.basePath}: start it with a slash, e.g. /billing`);
  const given = options.publicUrl || env.TOLLGATE_PUBLIC_URL || undefined;
  if (!base) return given;
  const url = given ?? `http://localhost:${env.PORT ?? 8787}`;
  const path = URL.canParse(url) ? new URL(url).pathname.replace(/\/+$/, '') : '';
  if (path && path !== base) throw new ConfigError(`basePath ${base} and the public URL ${url} disagree; give the mount path in one of them`);
  return path ? url : url.replace(/\/+$/, '') + base;
}

/**
 * A Tollgate server to mount in an existing app. Throws ConfigError at once for a bad config or a missing
 * secret; the store opens in the background (`ready`).
 */
export function createTollgate(options: CreateTollgateOptions = {}): Tollgate {
  const baseEnv = options.env ?? process.env;
  const publicUrl = publicUrlOf(options, baseEnv);
  const env = publicUrl === undefined ? baseEnv : { ...baseEnv, TOLLGATE_PUBLIC_URL: publicUrl };
  const config = loadServerConfig(env, configFile(options.config, env));
  const log = typeof options.log === 'object' ? options.log : createLogger({ level: options.log ?? (env.LOG_LEVEL as LogLevel | undefined) ?? 'info' });
  const ownStore = !options.store;
  let built: TollgateApp | undefined;
  let store: Store | undefined = options.store;

  const appReady = (async () => {
    store ??= await openStore({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir });
    const app = createApp({ config, store, log });
    // Requests wait for the receipts config to be in the store (a payment's receipt is numbered with it).
    await app.receiptsReady;
    built = app;
    return built;
  })();
  const ready = appReady.then(() => undefined);
  // Unobserved until someone awaits it or calls the handler: a failed start must not crash the host on its own.
  ready.catch(() => {});

  const fetch = async (request: Request): Promise<Response> => (built ?? (await appReady)).fetch(request);
  const listener = getRequestListener(fetch);

  const node: NodeHandler = (req, res) => {
    const kept = req as IncomingMessage & { rawBody?: unknown };
    if (!bodyWasRead(req)) return void listener(req, res);
    // @hono/node-server reads the body from `rawBody` when it is a Buffer (Express's json({ verify }) keeps one).
    if (typeof kept.rawBody === 'string') kept.rawBody = Buffer.from(kept.rawBody);
    else if (kept.rawBody instanceof Uint8Array && !Buffer.isBuffer(kept.rawBody)) kept.rawBody = Buffer.from(kept.rawBody.buffer, kept.rawBody.byteOffset, kept.rawBody.byteLength);
    if (Buffer.isBuffer(kept.rawBody)) return void listener(req, res);
    const requestId = newRequestId();
    log.error('request body read before Tollgate', { request_id: requestId, path: req.url ?? '' });
    res.writeHead(500, { 'Content-Type': 'application/json', 'X-Request-Id': requestId });
    res.end(
      JSON.stringify(
        errorBody('internal_error', 'A body parser read this request before Tollgate could: mount Tollgate before express.json() and other body parsers (webhook signatures are checked on the raw bytes), or keep the raw bytes as req.rawBody', requestId),
      ),
    );
  };

  return {
    fetch,
    node,
    ready,
    config,
    basePath: config.basePath,
    app: () => appReady,
    async close() {
      const app = await appReady.catch(() => undefined);
      await app?.close();
      if (ownStore) await store?.close();
    },
  };
}

/** Has a body parser (body-parser's `_body` flag, or a finished stream) consumed this request before us? */
function bodyWasRead(req: IncomingMessage): boolean {
  if ((req as IncomingMessage & { _body?: boolean })._body === true) return true;
  return req.readableEnded && (req as IncomingMessage & { body?: unknown }).body !== undefined;
}
