// Shared set-up for server tests: a migrated store per test file (a cloned PGlite template, or a fresh
// schema on PostgreSQL when DATABASE_URL is set), an app built from a real config, and request helpers.
import { existsSync, readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createApp, type CreateAppOptions, type TollgateApp } from '../../server/app.js';
import type { z } from 'zod';
import { ConfigFile, DEFAULT_CONFIG, loadServerConfig, parseConfig } from '../../server/config.js';
import { createMemoryLogger } from '../../server/log.js';
import { openStore, type Store } from '../../server/store/index.js';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { issueSessionToken } from '../../server/security/tokens.js';

export type Engine = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI runs both). */
export function engines(): Engine[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

const TEMPLATE_DIR = join(process.cwd(), '.tmp');

/**
 * A migrated PGlite costs seconds to create; clone a template dumped once (per migration set) instead.
 * On PostgreSQL each store gets its own schema, dropped on close.
 */
export async function testStore(engine: Engine = 'pglite'): Promise<Store> {
  if (engine === 'postgres') {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const store = await openStore({ databaseUrl: process.env.DATABASE_URL, schema });
    const close = store.close.bind(store);
    return Object.assign(store, {
      close: async () => {
        await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await close();
      },
    });
  }
  const hash = createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 12);
  const file = join(TEMPLATE_DIR, `pglite-template-${hash}.tar`);
  if (existsSync(file)) return openStore({ loadDataDir: new Blob([readFileSync(file)]) });
  const store = await openStore();
  const dump = (await (store as Store & { dumpDataDir(): Promise<Blob> }).dumpDataDir()) as Blob;
  mkdirSync(TEMPLATE_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  renameSync(tmp, file); // atomic: parallel test files never read half a template
  return store;
}

export const TEST_ENV = {
  TOLLGATE_SESSION_SECRET: 'test-session-secret-0123456789abcdef0123456789',
  TOLLGATE_API_KEY: 'tg_test_api_key_0123456789',
  TOLLGATE_PUBLIC_URL: 'http://tollgate.test',
};

export interface TestServer extends TollgateApp {
  store: Store;
  logLines: string[];
  /** A request through the whole app, no network. */
  request(method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; idempotencyKey?: string | null }): Promise<Response>;
  /** A customer session token (minted the way POST /v1/sessions does). */
  session(customerId: string, extra?: { email?: string; checkoutScope?: string; ttlSeconds?: number; nowSeconds?: number }): Promise<string>;
}

export async function makeServer(
  options: { store: Store; env?: Record<string, string | undefined>; file?: Partial<z.input<typeof ConfigFile>>; now?: () => Date } & Omit<CreateAppOptions, 'config' | 'store' | 'log'>,
): Promise<TestServer> {
  const env = { ...TEST_ENV, ...options.env };
  const file = parseConfig({ ...DEFAULT_CONFIG, ...(options.file ?? {}) });
  const config = loadServerConfig(env, file);
  const log = createMemoryLogger();
  const built = createApp({ ...options, config, store: options.store, log });
  let counter = 0;
  return {
    ...built,
    store: options.store,
    logLines: log.lines,
    request(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token) headers.Authorization = `Bearer ${o.token}`;
      if (o.body !== undefined || o.rawBody !== undefined) headers['Content-Type'] ??= 'application/json';
      if (method === 'POST' && o.idempotencyKey !== null && !('Idempotency-Key' in headers)) headers['Idempotency-Key'] = o.idempotencyKey ?? `test-${process.pid}-${++counter}-${randomBytes(4).toString('hex')}`;
      return Promise.resolve(
        built.app.request(path, { method, headers, body: o.rawBody ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined) }),
      );
    },
    async session(customerId, extra = {}) {
      return (await issueSessionToken(config.sessionSecret, { customerId, email: extra.email, checkoutScope: extra.checkoutScope }, extra.ttlSeconds ?? 600, extra.nowSeconds)).token;
    },
  };
}

export function uniqueId(prefix = 'cust'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Poll `predicate` every 10 ms until it holds; fail after `timeoutMs` (generous: it is a deadline, not a wait). */
export async function eventually(predicate: () => unknown, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
