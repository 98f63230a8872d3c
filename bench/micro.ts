// `npm run bench:micro` (the second half of `npm run bench`): the server's hot paths measured in-process against
// baselines taken in the same run, so the figures are ratios that survive a noisy shared machine, and the SQL
// statements each hot request sends (the store wrapped to count them). Prints the command that made them.
import { createHmac, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import { Hono } from 'hono';
import { jwtVerify, SignJWT } from 'jose';
import { createApp } from '../server/app.js';
import { DEFAULT_CONFIG, loadServerConfig, parseConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { openStore, type Store } from '../server/store/index.js';
import { signRazorpayPayment, signRazorpayWebhook, verifyRazorpayWebhook, verifyTimestampedSignature, signTimestamped } from '../server/security/signatures.js';
import { issueSessionToken } from '../server/security/tokens.js';
import { ENTITLEMENT_TOKEN_TYPE } from '../server/security/entitlement-tokens.js';
import { verifyEntitlements } from '../src/client/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** Median ops/s of fn over ROUNDS rounds of `iterations` calls each (after a warm-up round). */
async function measure(iterations: number, fn: (i: number) => unknown | Promise<unknown>): Promise<number> {
  const rates: number[] = [];
  for (let round = -1; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await fn(i);
    const ms = performance.now() - start;
    if (round >= 0) rates.push((iterations / ms) * 1000);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

const rows: { name: string; baseline: string; ops: number; base: number }[] = [];
async function compare(name: string, baseline: string, iterations: number, fn: (i: number) => unknown, baseFn: (i: number) => unknown) {
  // Interleave the two so a burst of load on the machine hits both alike.
  const base1 = await measure(iterations, baseFn);
  const ops = await measure(iterations, fn);
  const base2 = await measure(iterations, baseFn);
  rows.push({ name, baseline, ops, base: (base1 + base2) / 2 });
}

async function benchStore(store: Store, label: string) {
  const env = { TOLLGATE_SESSION_SECRET: 'bench-secret-0123456789abcdef0123456789', TOLLGATE_API_KEY: 'bench', TOLLGATE_PUBLIC_URL: 'http://bench.local' };
  const config = loadServerConfig(env, parseConfig({ ...DEFAULT_CONFIG, rate_limits: { customer: { limit: 1e9, window_s: 60 }, ip: { limit: 1e9, window_s: 60 }, api_key: { limit: 1e9, window_s: 60 } } }));
  const { app } = createApp({ config, store, log: createLogger({ level: 'error' }), sandboxWebhookDelayMs: 60_000 });
  const bare = new Hono();
  bare.get('/json', (c) => c.json({ ok: true }));
  const { token } = await issueSessionToken(config.sessionSecret, { customerId: `bench_${label}` }, 3600);
  const auth = { Authorization: `Bearer ${token}` };

  await compare(`GET /v1/plans (${label})`, 'bare Hono JSON route', 2000, () => app.request('/v1/plans'), () => bare.request('/json'));
  if (store.engine === 'postgres') {
    // The price of limits that hold across instances: one upsert per request, against the same app counting in memory.
    const local = createApp({ config, store, log: createLogger({ level: 'error' }), sandboxWebhookDelayMs: 60_000, sharedRateLimits: false }).app;
    await compare(`GET /v1/plans, rate limits shared in ${label}`, 'GET /v1/plans, rate limits in memory', 2000, () => app.request('/v1/plans'), () => local.request('/v1/plans'));
  }
  await compare(`GET /v1/entitlements (${label})`, 'GET /v1/plans', 500, () => app.request('/v1/entitlements', { headers: auth }), () => app.request('/v1/plans'));
  // The signed token's cost on the hot path: a token cached with the customer view, signed again only when the view changes.
  await compare(`GET /v1/entitlements?token=1 (${label})`, 'GET /v1/entitlements', 500, () => app.request('/v1/entitlements?token=1', { headers: auth }), () => app.request('/v1/entitlements', { headers: auth }));

  let n = 0;
  const checkout = () =>
    app.request('/v1/checkout', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': `k${label}${n++}` }, body: '{"plan":"pro"}' });
  await compare(`POST /v1/checkout, sandbox order (${label})`, 'GET /v1/entitlements', 100, checkout, () => app.request('/v1/entitlements', { headers: auth }));

  // Verify: each iteration pays a fresh order first (outside the timing would need setup per call; the
  // baseline does the same setup without verifying, so the ratio isolates verify + upgrade).
  const orders: string[] = [];
  for (let i = 0; i < 6 * 60; i++) orders.push((await (await checkout()).json()).action.order_id);
  let v = 0;
  await compare(
    `POST /v1/razorpay/verify + upgrade (${label})`,
    'GET /v1/entitlements',
    50,
    async () => {
      const orderId = orders[v++];
      const paymentId = `pay_bench${v}${label}`;
      const signature = signRazorpayPayment(config.razorpay.keySecret, orderId, paymentId);
      await app.request('/v1/razorpay/verify', {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': `v${label}${v}` },
        body: JSON.stringify({ plan: 'pro', razorpay_order_id: orderId, razorpay_payment_id: paymentId, razorpay_signature: signature }),
      });
    },
    () => app.request('/v1/entitlements', { headers: auth }),
  );
}

/**
 * Verifying an entitlement token locally (what a partner backend does on each of its requests): tollgate/client's
 * verifyEntitlements on the same token again (its signature remembered until exp) and on a new token each time
 * (one WebCrypto Ed25519 verify), against jose's jwtVerify and node:crypto's bare Ed25519 verify of the same bytes.
 */
async function benchEntitlementVerify() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwks = { keys: [{ ...(publicKey.export({ format: 'jwk' }) as JsonWebKey), kid: 'bench', alg: 'EdDSA', use: 'sig' }] };
  const nowS = Math.floor(Date.now() / 1000);
  const claims = { plan: 'pro', features: ['basic', 'export'], limits: { messages: 100 }, has_access: true, period: '2026-12', usage: { messages: 3 } };
  const sign = (sub: string) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'bench', typ: ENTITLEMENT_TOKEN_TYPE }).setIssuer('http://bench.local').setSubject(sub).setIssuedAt(nowS).setExpirationTime(nowS + 300).sign(privateKey);
  const iterations = 400;
  const tokens: string[] = [];
  for (let i = 0; i < iterations * (ROUNDS + 1) * 2; i++) tokens.push(await sign(`cust_${i}`));
  const token = tokens[0];
  const joseOptions = { issuer: 'http://bench.local', algorithms: ['EdDSA'], typ: ENTITLEMENT_TOKEN_TYPE };
  const [head, body, signature] = token.split('.');
  const signed = Buffer.from(`${head}.${body}`);
  const rawSignature = Buffer.from(signature, 'base64url');
  await verifyEntitlements(token, { jwks, issuer: 'http://bench.local' });
  await compare('verify an entitlement token locally: tollgate/client, the same token again', 'jose jwtVerify (EdDSA, key imported once)', 20000, () => verifyEntitlements(token, { jwks, issuer: 'http://bench.local' }), () => jwtVerify(token, publicKey, joseOptions));
  let fresh = 0;
  await compare(
    'verify an entitlement token locally: tollgate/client, a new token each time (WebCrypto Ed25519)',
    'node:crypto Ed25519 verify of the same bytes',
    iterations,
    () => verifyEntitlements(tokens[++fresh], { jwks, issuer: 'http://bench.local' }),
    () => cryptoVerify(null, signed, publicKey, rawSignature),
  );
  await compare('verify an entitlement token locally: jose jwtVerify (EdDSA, key imported once)', 'node:crypto Ed25519 verify of the same bytes', iterations, () => jwtVerify(token, publicKey, joseOptions), () => cryptoVerify(null, signed, publicKey, rawSignature));
}

/** Counts of what went to the store since the last reset: statements (any call but transaction/close) and transactions. */
interface Counts {
  statements: number;
  inTransactions: number;
  transactions: number;
}

/**
 * The store, counting: every call of a function on it or on a transaction's handle is one statement sent
 * (query, exec, and whatever else a store may grow), except `transaction` (counted apart) and `close`.
 */
function countingStore(store: Store): { store: Store; counts: Counts } {
  const counts: Counts = { statements: 0, inTransactions: 0, transactions: 0 };
  const wrap = <T extends object>(target: T, inTx: boolean): T =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const value = Reflect.get(obj, key, receiver);
        if (typeof value !== 'function' || key === 'close') return value;
        if (key === 'transaction')
          return (fn: (tx: unknown) => unknown, ...rest: unknown[]) => {
            counts.transactions++;
            return value.call(obj, (tx: object) => fn(wrap(tx, true)), ...rest);
          };
        return (...args: unknown[]) => {
          counts.statements++;
          if (inTx) counts.inTransactions++;
          return value.apply(obj, args);
        };
      },
    });
  return { store: wrap(store, false), counts };
}

const statementRows: { label: string; path: string; counts: Counts; status: number }[] = [];

/** SQL statements per request on each hot path, through the whole app (app.request, no network), averaged over a few requests after one that warms up. */
async function statementsPerRequest(base: Store, label: string) {
  const { store, counts } = countingStore(base);
  const env = { TOLLGATE_SESSION_SECRET: 'bench-secret-0123456789abcdef0123456789', TOLLGATE_API_KEY: 'bench', TOLLGATE_PUBLIC_URL: 'http://bench.local' };
  const config = loadServerConfig(env, parseConfig({ ...DEFAULT_CONFIG, rate_limits: { customer: { limit: 1e9, window_s: 60 }, ip: { limit: 1e9, window_s: 60 }, api_key: { limit: 1e9, window_s: 60 } } }));
  const { app, close } = createApp({ config, store, log: createLogger({ level: 'error' }), sandboxWebhookDelayMs: 60_000 });
  const tag = `${label}_${process.pid}`;
  let customers = 0;
  const customer = async () => {
    const { token } = await issueSessionToken(config.sessionSecret, { customerId: `stmt_${tag}_${customers++}` }, 3600);
    return { Authorization: `Bearer ${token}` };
  };
  const reader = await customer();
  // A fresh customer's checkout, for one verify or one webhook.
  const checkout = async () => {
    const auth = await customer();
    const res = await app.request('/v1/checkout', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': `s${tag}${customers}` }, body: '{"plan":"pro"}' });
    return { auth, orderId: (await res.json()).action.order_id as string };
  };
  const webhook = (orderId: string, eventId: string) => {
    const body = JSON.stringify({ entity: 'event', event: 'payment.captured', payload: { payment: { entity: { id: `pay_${eventId}`, order_id: orderId, amount: 159900, currency: 'INR', status: 'captured' } } } });
    return app.request('/v1/webhooks/razorpay', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Razorpay-Signature': signRazorpayWebhook(config.razorpay.webhookSecret, body), 'X-Razorpay-Event-Id': eventId },
      body,
    });
  };
  let n = 0;
  const redelivered = await checkout();
  await webhook(redelivered.orderId, `evt_${tag}_again`);
  const paths: [string, () => Promise<() => Response | Promise<Response>>][] = [
    ['GET /v1/plans', async () => () => app.request('/v1/plans')],
    ['GET /v1/entitlements', async () => () => app.request('/v1/entitlements', { headers: reader })],
    ['GET /v1/subscription', async () => () => app.request('/v1/subscription', { headers: reader })],
    [
      'POST /v1/razorpay/verify + upgrade',
      async () => {
        const { auth, orderId } = await checkout();
        const paymentId = `pay_stmt${n++}`;
        const body = JSON.stringify({ plan: 'pro', razorpay_order_id: orderId, razorpay_payment_id: paymentId, razorpay_signature: signRazorpayPayment(config.razorpay.keySecret, orderId, paymentId) });
        return () => app.request('/v1/razorpay/verify', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': `sv${tag}${n}` }, body });
      },
    ],
    [
      'webhook, new event (payment.captured)',
      async () => {
        const { orderId } = await checkout();
        return () => webhook(orderId, `evt_${tag}_${n++}`);
      },
    ],
    ['webhook, redelivery (same event id)', async () => () => webhook(redelivered.orderId, `evt_${tag}_again`)],
  ];
  const times = 5;
  for (const [path, prepare] of paths) {
    await (await prepare())(); // warm-up: a first read creates its customer
    const total: Counts = { statements: 0, inTransactions: 0, transactions: 0 };
    let status = 0;
    for (let i = 0; i < times; i++) {
      const send = await prepare();
      Object.assign(counts, { statements: 0, inTransactions: 0, transactions: 0 });
      const res = await send();
      status = res.status;
      await res.arrayBuffer();
      for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += counts[k];
    }
    statementRows.push({ label, path, status, counts: { statements: total.statements / times, inTransactions: total.inTransactions / times, transactions: total.transactions / times } });
  }
  await close();
}

async function main() {
  const body = JSON.stringify({ entity: 'event', event: 'payment.captured', payload: { payment: { entity: { id: 'pay_x', order_id: 'order_y', amount: 159900 } } } });
  const secret = 'whsec_bench';
  const sig = signRazorpayWebhook(secret, body);
  const header = signTimestamped(secret, body);
  const rawHmac = () => createHmac('sha256', secret).update(body).digest('hex') === sig;
  await compare('Razorpay webhook verify (constant time)', 'raw HMAC + ===', 20000, () => verifyRazorpayWebhook(secret, body, sig), rawHmac);
  await compare('t=,v1= header verify (Stripe/mintbot)', 'raw HMAC + ===', 20000, () => verifyTimestampedSignature({ secret, payload: body, header }), rawHmac);

  await benchEntitlementVerify();

  const pglite = await openStore();
  await benchStore(pglite, 'PGlite');
  await statementsPerRequest(pglite, 'PGlite');
  await pglite.close();
  if (process.env.DATABASE_URL) {
    const pg = await openStore({ databaseUrl: process.env.DATABASE_URL, schema: `bench_${process.pid}` });
    await benchStore(pg, 'PostgreSQL');
    await statementsPerRequest(pg, 'PostgreSQL');
    await pg.query(`DROP SCHEMA bench_${process.pid} CASCADE`);
    await pg.close();
  }

  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
  console.log(`\n$ npm run bench:micro   (node ${process.version}, ${ROUNDS} rounds, median; ratio = ops/s ÷ baseline ops/s in this run)\n`);
  console.log('| what | ops/s | baseline | baseline ops/s | ratio |');
  console.log('| --- | ---: | --- | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.ops)} | ${r.baseline} | ${fmt(r.base)} | ${(r.ops / r.base).toFixed(2)} |`);

  console.log('\nSQL statements per request (the store wrapped to count its calls; mean of 5 requests after a warm-up; on PostgreSQL a transaction adds BEGIN and COMMIT, two round trips more):\n');
  console.log('| store | path | status | statements | of which in a transaction | transactions | with BEGIN and COMMIT |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  for (const r of statementRows)
    console.log(`| ${r.label} | ${r.path} | ${r.status} | ${num(r.counts.statements)} | ${num(r.counts.inTransactions)} | ${num(r.counts.transactions)} | ${num(r.counts.statements + 2 * r.counts.transactions)} |`);
}

await main();
