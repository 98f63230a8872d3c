// What the HTTP bench runs against, per store engine: Tollgate started as `npm start` starts it (Razorpay live
// against the fake of test/fakes/ served from this process, every rate limit raised through the config file), the
// two baselines and the peer integration, each its own process; and the requests for each measured path, with
// the fresh checkouts that verify and new webhooks each use once.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { DEFAULT_CONFIG } from '../../server/config.js';
import { issueSessionToken } from '../../server/security/tokens.js';
import { startRazorpayFake } from '../../test/fakes/razorpay.js';
import { ROOT, onCleanUp, startChild, type Child } from './children.js';
import { Agent } from 'node:http';
import { httpSend, type Req } from './load.js';

export type Engine = 'PGlite' | 'PostgreSQL';

const SECRETS = {
  apiKey: 'tg_bench_api_key_0123456789',
  sessionSecret: 'bench-session-secret-0123456789abcdef0123456789',
  keyId: 'rzp_test_bench000001',
  keySecret: 'bench_razorpay_key_secret',
  webhookSecret: 'bench_razorpay_webhook_secret',
};

/**
 * The config file: the demo catalog with every rate limit and the per-client connection cap out of the way, and
 * the free plan's messages limit out of reach, so that every metered check (POST /v1/check with consume) fits.
 */
const BENCH_CONFIG = {
  ...DEFAULT_CONFIG,
  plans: DEFAULT_CONFIG.plans.map((p) => (p.id === (DEFAULT_CONFIG.free_plan ?? 'free') ? { ...p, limits: { ...p.limits, messages: 2_000_000_000 } } : p)),
  rate_limits: { customer: { limit: 1_000_000_000, window_s: 60 }, ip: { limit: 1_000_000_000, window_s: 60 }, api_key: { limit: 1_000_000_000, window_s: 60 } },
  // Keep-alive connections idle between runs stay open, so no run races a server closing one. The headers
  // timeout too: Node counts it on an idle keep-alive connection as well, and answers 408 there once it passes.
  http: { headers_timeout_ms: 300_000, request_timeout_ms: 300_000, idle_timeout_ms: 300_000, max_connections_per_client: 100_000 },
};

/** A PostgreSQL schema of the bench's own on DATABASE_URL's database, dropped at clean-up; the URL that uses it. */
async function benchSchema(databaseUrl: string, name: string): Promise<string> {
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.end();
  onCleanUp(async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await client.end();
  });
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return url.toString();
}

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tollgate-bench-${name}-`));
  onCleanUp(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `npm start` builds first; the bench builds only when dist/ is missing (the server serves it, nothing measured reads it). */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist', 'tollgate.js'))) return;
  process.stderr.write('bench: dist/ is missing, running npm run build --silent\n');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function startBaselines(): Promise<{ node: Child; hono: Child }> {
  const [node, hono] = await Promise.all([
    startChild('bare node:http', 'bench/http/baseline.ts', ['node'], {}, '/json'),
    startChild('bare Hono', 'bench/http/baseline.ts', ['hono'], {}, '/json'),
  ]);
  return { node, hono };
}

/** One checkout created through POST /v1/checkout and paid at the fake, for one verify or one new webhook. */
export interface FreshCheckout {
  token: string;
  orderId: string;
  paymentId: string;
  /** Razorpay's payment.captured event for the payment, as the fake would deliver it. */
  capturedBody: string;
}

export interface Tollgate {
  engine: Engine;
  server: Child;
  peer: Child;
  /** Customers with sessions (minted by POST /v1/sessions with the API key) for the read paths. */
  readers: string[];
  /** Fresh checkouts not yet used. */
  pool: FreshCheckout[];
  /** Create and pay checkouts until `pool` holds `size` of them or `maxSeconds` have passed. */
  fill(size: number, maxSeconds: number): Promise<void>;
  /** Peer orders not yet verified. */
  peerOrders: number;
  requests: ReturnType<typeof requestMakers>;
  close(): Promise<void>;
}

export async function startTollgate(engine: Engine, options: { peerRows: number }): Promise<Tollgate> {
  const fake = await startRazorpayFake({ keyId: SECRETS.keyId, keySecret: SECRETS.keySecret, webhookSecret: SECRETS.webhookSecret });
  onCleanUp(() => fake.close());
  const dir = tempDir(engine.toLowerCase());
  const configFile = join(dir, 'tollgate.json');
  writeFileSync(configFile, JSON.stringify(BENCH_CONFIG, null, 2));
  const store =
    engine === 'PostgreSQL'
      ? { DATABASE_URL: await benchSchema(process.env.DATABASE_URL!, `tollgate_bench_${process.pid}`), DATA_DIR: undefined }
      : { DATABASE_URL: undefined, DATA_DIR: join(dir, 'data') };
  const peerStore =
    engine === 'PostgreSQL'
      ? { PEER_DATABASE_URL: await benchSchema(process.env.DATABASE_URL!, `tollgate_bench_peer_${process.pid}`), PEER_DATA_DIR: undefined }
      : { PEER_DATABASE_URL: undefined, PEER_DATA_DIR: join(dir, 'peer') };
  // As `npm start` would run it (LOG_LEVEL info), minus anything of this shell's that would change what is measured.
  const env: Record<string, string | undefined> = {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    NODE_ENV: undefined,
    TOLLGATE_CONFIG: configFile,
    TOLLGATE_SANDBOX: '1',
    TOLLGATE_API_KEY: SECRETS.apiKey,
    TOLLGATE_SESSION_SECRET: SECRETS.sessionSecret,
    TOLLGATE_PUBLIC_URL: undefined,
    ...store,
    RAZORPAY_KEY_ID: SECRETS.keyId,
    RAZORPAY_KEY_SECRET: SECRETS.keySecret,
    RAZORPAY_WEBHOOK_SECRET: SECRETS.webhookSecret,
    RAZORPAY_API_BASE: fake.url,
  };
  for (const key of Object.keys(process.env)) if (/^(STRIPE|MINTBOT|MIMICBOT|MINTOKEN|BONZAI|SUPABASE)_/.test(key)) env[key] = undefined;
  const [server, peer] = await Promise.all([
    // As `npm start` starts it: scripts/start.mjs (builds only if the widgets' sources changed, then server/cli.ts under tsx).
    startChild(`Tollgate (${engine})`, 'scripts/start.mjs', [], env, '/healthz', 120_000, process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
    startChild(`peer (${engine})`, 'bench/peer/server.ts', [], { ...peerStore, PEER_KEY_SECRET: SECRETS.keySecret, PEER_ROWS: String(options.peerRows) }),
  ]);
  const health = JSON.parse((await httpSend(server.url, { method: 'GET', path: '/healthz' })).body);
  if (health.providers?.razorpay !== 'live') throw new Error(`Tollgate's Razorpay is not live: ${JSON.stringify(health)}`);

  const readers: string[] = [];
  for (let i = 0; i < 16; i++) {
    const res = await httpSend(server.url, {
      method: 'POST',
      path: '/v1/sessions',
      headers: { Authorization: `Bearer ${SECRETS.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer_id: `bench_reader_${i}`, email: `reader${i}@bench.example` }),
    });
    if (res.status !== 201) throw new Error(`POST /v1/sessions: ${res.status} ${res.body}`);
    readers.push(JSON.parse(res.body).token);
  }

  const pool: FreshCheckout[] = [];
  let made = 0;
  const tag = randomBytes(3).toString('hex');
  /** One checkout for a customer of its own (free → pro, the common verify), paid at the fake. */
  async function freshCheckout(agent: Agent): Promise<FreshCheckout> {
    const n = made++;
    const { token } = await issueSessionToken(new TextEncoder().encode(SECRETS.sessionSecret), { customerId: `bench_${tag}_${n}` }, 3600);
    const res = await httpSend(
      server.url,
      { method: 'POST', path: '/v1/checkout', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': `bench-checkout-${tag}-${n}` }, body: JSON.stringify({ plan: 'pro' }) },
      agent,
    );
    if (res.status !== 201) throw new Error(`POST /v1/checkout: ${res.status} ${res.body}`);
    const orderId: string = JSON.parse(res.body).action.order_id;
    const paid = fake.simulator.pay(orderId);
    const captured = fake.simulator.deliveries.find((d) => d.event === 'payment.captured' && d.body.includes(paid.razorpay_payment_id));
    fake.simulator.deliveries.length = 0;
    if (!captured) throw new Error(`the fake made no payment.captured for ${orderId}`);
    return { token, orderId, paymentId: paid.razorpay_payment_id, capturedBody: captured.body };
  }

  const tollgate: Tollgate = {
    engine,
    server,
    peer,
    readers,
    pool,
    peerOrders: options.peerRows,
    async fill(size, maxSeconds) {
      if (pool.length >= size) return;
      const started = performance.now();
      const before = pool.length;
      const deadline = performance.now() + maxSeconds * 1000;
      // Connections of this fill's own, closed after it.
      const agent = new Agent({ keepAlive: true });
      const worker = async () => {
        while (pool.length < size && performance.now() < deadline) pool.push(await freshCheckout(agent));
      };
      await Promise.all(Array.from({ length: 16 }, worker)).finally(() => agent.destroy());
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(`bench: ${engine}: ${pool.length - before} fresh checkouts in ${seconds.toFixed(1)} s (${Math.round((pool.length - before) / seconds)}/s)\n`);
    },
    requests: requestMakers(tag, readers, pool, () => (tollgate.peerOrders > 0 ? tollgate.peerOrders-- : 0)),
    async close() {
      await Promise.all([server.stop(), peer.stop()]);
    },
  };
  return tollgate;
}

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
const json = { 'Content-Type': 'application/json' };

/** The request of each measured path; the fresh ones (verify, a new webhook) return null when none are left. */
function requestMakers(tag: string, readers: string[], pool: FreshCheckout[], nextPeerOrder: () => number) {
  let read = 0;
  let events = 0;
  const reader = () => ({ Authorization: `Bearer ${readers[read++ % readers.length]}` });
  // The partner backend's calls (API key) about the same customers (bench_reader_<n>, made by POST /v1/sessions).
  let asked = 0;
  const partner = { ...json, Authorization: `Bearer ${SECRETS.apiKey}` };
  const readerId = () => `bench_reader_${asked++ % readers.length}`;
  const verify = (c: FreshCheckout): Req => ({
    method: 'POST',
    path: '/v1/razorpay/verify',
    headers: { ...json, Authorization: `Bearer ${c.token}`, 'Idempotency-Key': `bench-verify-${c.orderId}` },
    body: JSON.stringify({ plan: 'pro', razorpay_order_id: c.orderId, razorpay_payment_id: c.paymentId, razorpay_signature: hmac(SECRETS.keySecret, `${c.orderId}|${c.paymentId}`) }),
  });
  const webhook = (c: FreshCheckout, eventId: string): Req => ({
    method: 'POST',
    path: '/v1/webhooks/razorpay',
    headers: { ...json, 'X-Razorpay-Signature': hmac(SECRETS.webhookSecret, c.capturedBody), 'X-Razorpay-Event-Id': eventId },
    body: c.capturedBody,
  });
  let redelivered: Req | undefined;
  return {
    healthz: (): Req => ({ method: 'GET', path: '/healthz' }),
    plans: (): Req => ({ method: 'GET', path: '/v1/plans' }),
    entitlements: (): Req => ({ method: 'GET', path: '/v1/entitlements', headers: reader() }),
    subscription: (): Req => ({ method: 'GET', path: '/v1/subscription', headers: reader() }),
    customer: (): Req => ({ method: 'GET', path: `/v1/customers/${readerId()}`, headers: { Authorization: partner.Authorization } }),
    checkFeature: (): Req => ({ method: 'POST', path: '/v1/check', headers: partner, body: JSON.stringify({ customer_id: readerId(), feature: 'export' }) }),
    checkConsume: (): Req => ({ method: 'POST', path: '/v1/check', headers: partner, body: JSON.stringify({ customer_id: readerId(), metric: 'messages', consume: true }) }),
    verify: (): Req | null => {
      const c = pool.pop();
      return c ? verify(c) : null;
    },
    webhookNew: (): Req | null => {
      const c = pool.pop();
      return c ? webhook(c, `evt_bench_${tag}_${events++}`) : null;
    },
    /** The same event again and again (its first delivery is sent by {@link firstDelivery}). */
    webhookRedelivery: (): Req => redelivered!,
    /** Take one fresh checkout's payment.captured as the event to redeliver; the first delivery, to send once. */
    firstDelivery(): Req {
      const c = pool.pop();
      if (!c) throw new Error('no fresh checkout for the redelivered event');
      redelivered = webhook(c, `evt_bench_${tag}_redelivered`);
      return redelivered;
    },
    /** The peer's verify of one of its seeded orders (a payment id of the bench's, signed with the same key secret). */
    peerVerify: (): Req | null => {
      const n = nextPeerOrder();
      if (!n) return null;
      const orderId = `order_peer_${n}`;
      const paymentId = `pay_peer_${tag}_${n}`;
      return { method: 'POST', path: '/verify', headers: json, body: JSON.stringify({ razorpay_order_id: orderId, razorpay_payment_id: paymentId, razorpay_signature: hmac(SECRETS.keySecret, `${orderId}|${paymentId}`) }) };
    },
  };
}
