// `npm run bench:http`: Tollgate's hot paths over real HTTP, against the server started as `npm start` starts it,
// beside a bare node:http and a bare Hono server and the peer integration (Express + the razorpay SDK) measured in
// the same run; closed-loop runs per path and a paced open-loop mixed run, on PGlite and (DATABASE_URL) PostgreSQL.
// Prints markdown tables and the command that made them, and writes them to bench/results/latest.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, cleanUp } from './http/children.js';
import { closedLoop, httpSend, openLoop, type ClosedResult, type NextRequest, type OpenResult, type Req } from './http/load.js';
import { render, type EngineReport, type PathRow } from './http/report.js';
import { ensureBuilt, startBaselines, startTollgate, type Engine, type Tollgate } from './http/targets.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const RATES = (process.env.BENCH_RATES ?? '500,2000').split(',').map(Number);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? SECONDS);
/** The most time spent creating fresh checkouts before one run. */
const PREP_SECONDS = Number(process.env.BENCH_PREP_SECONDS ?? 30);
const ENGINES: Engine[] = process.env.DATABASE_URL ? ['PGlite', 'PostgreSQL'] : ['PGlite'];

const T0 = performance.now();
const log = (line: string) => process.stderr.write(`bench [${((performance.now() - T0) / 1000).toFixed(0)} s]: ${line}\n`);
const closed = (url: string, next: NextRequest, seconds = SECONDS) => closedLoop(url, next, { connections: CONNECTIONS, seconds });

/** A deterministic pseudo-random sequence (mulberry32), so every run sends the same mix in the same order. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Wait (60 s at most) until the server answers GET /healthz in under 50 ms: a run it fell behind in may have left it a queue. */
async function settle(url: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const started = performance.now();
    await httpSend(url, { method: 'GET', path: '/healthz' });
    if (performance.now() - started < 50) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`${url} still answers slowly after 60 s; going on`);
}

async function benchEngine(engine: Engine, hono: string, node: string): Promise<EngineReport> {
  // Enough peer orders for every peer run at ~8,000 verifies/s.
  const t: Tollgate = await startTollgate(engine, { peerRows: Math.ceil(SECONDS * RUNS * 8000 + 5000) });
  try {
    const req = t.requests;
    log(`${engine}: started (Tollgate pid ${t.server.pid}, peer pid ${t.peer.pid}); warming up`);
    for (const next of [req.plans, req.entitlements, req.subscription, req.customer, req.checkFeature]) await closed(t.server.url, next, 1);
    await closed(t.peer.url, req.peerVerify, 1);
    await closed(hono, () => ({ method: 'GET', path: '/json' }), 1);

    const rows = new Map<string, PathRow>();
    const record = (path: string, result: ClosedResult, bare?: ClosedResult) => {
      // Figures from a server that is gone are no figures (something else on the machine may have stopped it).
      for (const child of [t.server, t.peer]) if (child.ended()) throw new Error(`${child.name} ended (${child.ended()}) during ${path}:\n${child.stderr()}`);
      const row = rows.get(path) ?? { path, runs: [], ...(bare ? { bare: [] } : {}) };
      row.runs.push(result);
      if (bare) row.bare!.push(bare);
      rows.set(path, row);
      log(`${engine}: ${path}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms, ${result.failed} failed${bare ? ` (bare Hono ${Math.round(bare.rps)})` : ''}${result.note ? `; ${result.note}` : ''}`);
    };
    const bare = () => closed(hono, () => ({ method: 'GET', path: '/json' }));
    /** Req/s last measured per fresh path, to size the next run's checkouts (a 1 s pilot the first time). */
    const estimates = new Map<string, number>();
    const fresh = async (path: string, next: () => Req | null, url = t.server.url) => {
      // The peer's orders are seeded when it starts; Tollgate's checkouts are made here, through its API.
      if (url === t.server.url) {
        if (!estimates.has(path)) {
          await t.fill(CONNECTIONS * 8, PREP_SECONDS);
          estimates.set(path, (await closed(url, next, 1)).rps);
        }
        await t.fill(Math.ceil(estimates.get(path)! * SECONDS * 3) + CONNECTIONS * 4, PREP_SECONDS);
      }
      const result = await closed(url, next);
      estimates.set(path, result.rps);
      return result;
    };

    const verifyPath = 'POST /v1/razorpay/verify + upgrade';
    const peerPath = 'peer: Express + razorpay SDK verify + 2 UPDATEs';
    for (let run = 0; run < RUNS; run++) {
      log(`${engine}: run ${run + 1} of ${RUNS}`);
      record('bare node:http', await closed(node, () => ({ method: 'GET', path: '/json' })));
      record('bare Hono on @hono/node-server', await bare());
      for (const [path, next] of [
        ['GET /healthz', req.healthz],
        ['GET /v1/plans', req.plans],
        ['GET /v1/entitlements', req.entitlements],
        ['GET /v1/subscription', req.subscription],
        ['GET /v1/customers/{id} (API key)', req.customer],
        ['POST /v1/check, feature (API key)', req.checkFeature],
        ['POST /v1/check, metric with consume (API key)', req.checkConsume],
      ] as const)
        record(path, await closed(t.server.url, next), await bare());
      // Tollgate's verify and the peer's, each after a bare Hono run, in alternating order from run to run.
      const pair = [
        async () => record(verifyPath, await fresh(verifyPath, req.verify), await bare()),
        async () => record(peerPath, await fresh(peerPath, req.peerVerify, t.peer.url), await bare()),
      ];
      for (const step of run % 2 ? pair.reverse() : pair) await step();
      record('webhook, new event (payment.captured)', await fresh('webhook new', req.webhookNew), await bare());
      if (run === 0) {
        await t.fill(1, PREP_SECONDS);
        const res = await httpSend(t.server.url, req.firstDelivery());
        if (res.status < 200 || res.status >= 300) throw new Error(`the first delivery of the redelivered event: ${res.status} ${res.body}`);
      }
      record('webhook, redelivery (same event id)', await closed(t.server.url, req.webhookRedelivery), await bare());
    }

    const open: OpenResult[] = [];
    for (const rate of RATES) {
      // 5 % verify and 5 % webhooks, each a fresh checkout: 10 % of the requests, and a margin.
      await t.fill(Math.ceil(rate * OPEN_SECONDS * 0.1 * 1.2) + 64, PREP_SECONDS);
      const pick = random(rate);
      const mixed = (): Req | null => {
        const x = pick();
        if (x < 0.5) return req.entitlements();
        if (x < 0.7) return req.subscription();
        if (x < 0.9) return req.plans();
        if (x < 0.95) return req.verify();
        return req.webhookNew();
      };
      await settle(t.server.url);
      const result = await openLoop(t.server.url, mixed, { rate, seconds: OPEN_SECONDS });
      if (t.server.ended()) throw new Error(`${t.server.name} ended (${t.server.ended()}) during the open loop at ${rate} req/s:\n${t.server.stderr()}`);
      log(`${engine}: open loop ${rate} req/s: achieved ${Math.round(result.achieved)}, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(0)} ms, ${result.failed} failed${result.collapsed ? ', COLLAPSED' : ''}`);
      open.push(result);
    }
    // The partner backend's hot path alone: POST /v1/check (a feature, API key) on a schedule, at each rate.
    const openChecks: OpenResult[] = [];
    for (const rate of RATES) {
      await settle(t.server.url);
      const result = await openLoop(t.server.url, req.checkFeature, { rate, seconds: OPEN_SECONDS });
      if (t.server.ended()) throw new Error(`${t.server.name} ended (${t.server.ended()}) during the check open loop at ${rate} req/s:\n${t.server.stderr()}`);
      log(`${engine}: open loop POST /v1/check ${rate} req/s: achieved ${Math.round(result.achieved)}, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(0)} ms, ${result.failed} failed${result.collapsed ? ', COLLAPSED' : ''}`);
      openChecks.push(result);
    }
    return { engine, rows: [...rows.values()], peer: { tollgate: verifyPath, peer: peerPath }, open, openChecks };
  } catch (err) {
    process.stderr.write(`bench: Tollgate's stderr:\n${t.server.stderr()}\npeer's stderr:\n${t.peer.stderr()}\n`);
    throw err;
  } finally {
    await t.close();
  }
}

/** The command that made the tables: the bench's own environment variables and how it was started. */
function commandLine(): string {
  const vars = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_') || k === 'DATABASE_URL')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${k === 'DATABASE_URL' ? v!.replace(/\/\/[^@/]*@/, '//…@') : v}`);
  const how = process.env.npm_lifecycle_event ? `npm run ${process.env.npm_lifecycle_event}` : 'node --import tsx bench/http.ts';
  return [...vars, how].join(' ');
}

async function main() {
  ensureBuilt();
  const started = performance.now();
  const { node, hono } = await startBaselines();
  const reports: EngineReport[] = [];
  for (const engine of ENGINES) reports.push(await benchEngine(engine, hono.url, node.url));
  await Promise.all([node.stop(), hono.stop()]);
  const text = render(reports, { seconds: SECONDS, runs: RUNS, connections: CONNECTIONS, openSeconds: OPEN_SECONDS, command: commandLine() });
  process.stdout.write('\n' + text);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.md'), text);
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; written to bench/results/latest.md`);
}

try {
  await main();
} finally {
  await cleanUp();
}
