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

/** Razorpay live (sandbox off) with an API base nothing listens on: for tests of what is refused before any upstream call. */
export const LIVE_RAZORPAY_ENV = {
  TOLLGATE_SANDBOX: '0',
  RAZORPAY_KEY_ID: 'rzp_test_x',
  RAZORPAY_KEY_SECRET: 'secret_x',
  RAZORPAY_WEBHOOK_SECRET: 'whsec_x',
  RAZORPAY_API_BASE: 'http://127.0.0.1:9',
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
  // Webhooks answer with their outcome, which the tests read (the default, "stored", has its own tests: webhook-inbox.test.ts).
  const file = parseConfig({ ...DEFAULT_CONFIG, webhooks: { acknowledge: 'applied' }, ...(options.file ?? {}) });
  const config = loadServerConfig(env, file);
  const log = createMemoryLogger();
  const built = createApp({ ...options, config, store: options.store, log });
  // As the CLI and createTollgate do: no request before the receipts config is in the store.
  await built.receiptsReady;
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

/** The same store, counting the statements whose text matches `pattern` (how many round trips a path makes). */
export function countingStore(store: Store, pattern: RegExp): { store: Store; count(): number } {
  let n = 0;
  const counted = Object.create(store) as Store;
  counted.query = <T>(text: string, params?: unknown[]) => {
    if (pattern.test(text)) n++;
    return store.query<T>(text, params);
  };
  return { store: counted, count: () => n };
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

/** Secrets of {@link startEveryBackend}'s server and fakes (test values, valid nowhere else). */
export const EVERY_BACKEND = {
  mintbotApiKey: 'mo_test_every_backend_0123456789abcdef',
  mintbotWebhookSecret: 'mintbot_whsec_every_backend',
  supabaseJwtSecret: 'supabase-jwt-secret-every-backend-000000',
  bonzaiToken: 'bonzai_test_token_every_backend',
} as const;

/** One plan per backend: pro (Razorpay INR, Stripe USD), agent (mintbot), mimic (MimicBot), mint (Mintoken), bonz (Bonzai). */
export const EVERY_BACKEND_FILE = {
  metrics: [{ id: 'messages', label: 'Messages' }],
  external_jwt: { secret_env: 'SUPABASE_JWT_SECRET', audience: 'authenticated' },
  plans: [
    { id: 'free', name: 'Free', limits: { messages: 100 } },
    {
      id: 'pro',
      name: 'Pro',
      limits: { messages: 1000 },
      prices: [
        { provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month' },
        { provider: 'stripe', currency: 'USD', amount: 1900, interval: 'month' },
      ],
    },
    { id: 'agent', name: 'Agent', prices: [{ provider: 'mintbot', currency: 'USD', amount: 1200, interval: 'month', upstream: { tier: 's1', duration_days: 30, credit_usd: 10 } }] },
    { id: 'mimic', name: 'Mimic', prices: [{ provider: 'mimicbot', currency: 'USD', amount: 4900, interval: 'month', upstream: { plan: 'pro' } }] },
    { id: 'mint', name: 'Mint', prices: [{ provider: 'mintoken', currency: 'INR', amount: 159900, interval: 'month', upstream: { plan: 'pro' } }] },
    { id: 'bonz', name: 'Bonz', prices: [{ provider: 'bonzai', currency: 'EUR', amount: 1900, interval: 'month' }] },
  ],
  providers: { razorpay: {}, mintbot: {}, mimicbot: { customer_tokens: true }, bonzai: { product_uuid: 'xBgq3Z3J', poll_interval_s: 0 } },
};

/**
 * A server on which every route exists: Razorpay and Stripe simulated (sandbox), and mintbot, MimicBot,
 * Mintoken and Bonzai live against their fakes in test/fakes/ (real HTTP on 127.0.0.1), set up the way
 * their flow tests do. `file` is merged over {@link EVERY_BACKEND_FILE}.
 */
export async function startEveryBackend(options: { store: Store; file?: Record<string, unknown>; env?: Record<string, string> }) {
  const [{ startMintbotFake }, { startMimicbotFake }, { startMintokenFake }, { startBonzaiFake }] = await Promise.all([
    import('../fakes/mintbot.js'),
    import('../fakes/mimicbot.js'),
    import('../fakes/mintoken.js'),
    import('../fakes/bonzai.js'),
  ]);
  const [mintbot, mimicbot, mintoken, bonzai] = await Promise.all([
    startMintbotFake({ apiKey: EVERY_BACKEND.mintbotApiKey, webhookSecret: EVERY_BACKEND.mintbotWebhookSecret, sendOrderCreatedWebhook: false, rateLimit: { partnerPerWindow: 1_000_000, ipPerWindow: 1_000_000 } }),
    startMimicbotFake({}),
    startMintokenFake({ supabaseJwtSecret: EVERY_BACKEND.supabaseJwtSecret }),
    startBonzaiFake({ apiToken: EVERY_BACKEND.bonzaiToken }),
  ]);
  const env = {
    TOLLGATE_SANDBOX: '1',
    MINTBOT_API_KEY: EVERY_BACKEND.mintbotApiKey,
    MINTBOT_WEBHOOK_SECRET: EVERY_BACKEND.mintbotWebhookSecret,
    MINTBOT_API_BASE: mintbot.apiBaseUrl,
    MIMICBOT_API_BASE: mimicbot.url,
    MINTOKEN_API_BASE: mintoken.url,
    SUPABASE_JWT_SECRET: EVERY_BACKEND.supabaseJwtSecret,
    BONZAI_API_TOKEN: EVERY_BACKEND.bonzaiToken,
    BONZAI_API_BASE: bonzai.apiBaseUrl,
    ...options.env,
  };
  const server = await makeServer({ store: options.store, env, file: { ...EVERY_BACKEND_FILE, ...options.file } as Partial<z.input<typeof ConfigFile>> });
  return {
    server,
    env,
    fakes: { mintbot, mimicbot, mintoken, bonzai },
    /** A Supabase access token (HS256, aud "authenticated") as Mintoken's users carry. */
    async supabaseJwt(sub: string, email?: string): Promise<string> {
      const { SignJWT } = await import('jose');
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ role: 'authenticated', ...(email ? { email } : {}) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setAudience('authenticated')
        .setIssuedAt(now - 10)
        .setExpirationTime(now + 3600)
        .sign(new TextEncoder().encode(EVERY_BACKEND.supabaseJwtSecret));
    },
    async close() {
      await server.close();
      await Promise.all([mintbot.close(), mimicbot.close(), mintoken.close(), bonzai.close()]);
    },
  };
}
