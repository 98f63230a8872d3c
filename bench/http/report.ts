// The HTTP bench's report: markdown tables of the closed-loop runs (per engine, with ratios to the bare Hono run
// paired with each), the peer comparison and the open-loop runs, and the command line that made them.
import { cpus } from 'node:os';
import type { ClosedResult, OpenResult } from './load.js';
import type { Engine } from './targets.js';

export interface PathRow {
  path: string;
  /** One result per run; `bare` the bare Hono run started just before each (absent for the baselines themselves). */
  runs: ClosedResult[];
  bare?: ClosedResult[];
}

export interface EngineReport {
  engine: Engine;
  rows: PathRow[];
  /** Tollgate's verify path and the peer's, by name in `rows`. */
  peer: { tollgate: string; peer: string };
  open: OpenResult[];
  /** The paced open loop of POST /v1/check (feature) alone, per rate. */
  openChecks: OpenResult[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
// autocannon's latencies are whole milliseconds: they print as such; the open loop's to 0.1 ms below 10 ms.
const ms = (n: number) => (!Number.isFinite(n) ? '–' : n >= 100 ? int(n) : n >= 10 || Number.isInteger(n) ? n.toFixed(0) : n.toFixed(1));
const ratio = (n: number) => (!Number.isFinite(n) ? '–' : n >= 0.1 ? n.toFixed(2) : n.toFixed(3));

export interface Summary {
  rps: number;
  p50: number;
  p99: number;
  ratio: number;
  ok: number;
  failed: number;
  notes: string[];
}

export function summarize(row: PathRow): Summary {
  const rps = median(row.runs.map((r) => r.rps));
  return {
    rps,
    p50: median(row.runs.map((r) => r.p50)),
    p99: median(row.runs.map((r) => r.p99)),
    ratio: row.bare ? rps / median(row.bare.map((r) => r.rps)) : NaN,
    ok: row.runs.reduce((a, r) => a + r.ok, 0),
    failed: row.runs.reduce((a, r) => a + r.failed, 0),
    notes: row.runs.flatMap((r) => (r.note ? [r.note] : [])),
  };
}

export function render(engines: EngineReport[], settings: { seconds: number; runs: number; connections: number; openSeconds: number; command: string }): string {
  const out: string[] = [];
  const cpu = cpus();
  out.push(`$ ${settings.command}`, '');
  out.push(
    `node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${new Date().toISOString().slice(0, 16)}Z. Closed loop: autocannon, ${settings.connections} connections, ${settings.seconds} s, median of ${settings.runs}; each path paired with a bare Hono run started just before it (÷ bare Hono = req/s ÷ that run's req/s). req/s counts 2xx answers only.`,
    '',
  );
  // The table of the issue: one column per engine.
  const paths = engines[0]?.rows.map((r) => r.path) ?? [];
  out.push(`| path | ${engines.map((e) => `${e.engine} req/s · p50 · p99 ms · ÷ bare Hono · ÷ bare node:http`).join(' | ')} |`);
  out.push(`| --- | ${engines.map(() => '---').join(' | ')} |`);
  for (const path of paths) {
    const cells = engines.map((e) => {
      const row = e.rows.find((r) => r.path === path);
      if (!row) return '';
      const s = summarize(row);
      const failed = s.failed ? ` (${int(s.failed)} failed)` : '';
      // ÷ bare node:http: against that engine's node:http runs of the same bench run (median).
      const node = e.rows.find((r) => r.path === 'bare node:http');
      const byNode = node && row !== node ? ` · ${ratio(s.rps / summarize(node).rps)}` : '';
      return `${int(s.rps)} · ${ms(s.p50)} · ${ms(s.p99)}${Number.isFinite(s.ratio) ? ` · ${ratio(s.ratio)}` : ''}${byNode}${failed}${s.notes.length ? ' ¹' : ''}`;
    });
    out.push(`| ${path} | ${cells.join(' | ')} |`);
  }
  const notes = engines.flatMap((e) => e.rows.flatMap((r) => summarize(r).notes.map((n) => `${e.engine}, ${r.path}: ${n}`)));
  if (notes.length) out.push('', `¹ ${notes.join('; ')} (the fresh checkouts prepared for the run were used up: req/s is over the time it ran).`);

  out.push('', '**The peer integration** (Express + the `razorpay` SDK\'s `validatePaymentVerification` + two UPDATEs in a transaction, same engine, interleaved with Tollgate\'s verify):', '');
  out.push('| engine | Tollgate verify + upgrade req/s · p99 ms | peer verify req/s · p99 ms | Tollgate ÷ peer |', '| --- | --- | --- | --- |');
  for (const e of engines) {
    const t = summarize(e.rows.find((r) => r.path === e.peer.tollgate)!);
    const p = summarize(e.rows.find((r) => r.path === e.peer.peer)!);
    out.push(`| ${e.engine} | ${int(t.rps)} · ${ms(t.p99)} | ${int(p.rps)} · ${ms(p.p99)} | ${ratio(t.rps / p.rps)} |`);
  }

  out.push(
    '',
    `**Paced open loop**, mixed (50 % entitlements, 20 % subscription, 20 % plans, 5 % verify, 5 % new webhooks), ${settings.openSeconds} s per rate, latency from each request's scheduled send time; a run collapses when its p99 passes 1 s:`,
    '',
  );
  out.push('| engine | rate req/s | achieved req/s | p50 ms | p99 ms | max ms | failed | generator lag max ms | |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const e of engines)
    for (const o of e.open)
      out.push(`| ${e.engine} | ${int(o.rate)} | ${int(o.achieved)} | ${ms(o.p50)} | ${ms(o.p99)} | ${ms(o.max)} | ${int(o.failed)}${o.unanswered ? ` (${int(o.unanswered)} unanswered 5 s after the last send)` : ''}${o.skipped ? ` (+${int(o.skipped)} not sent: no fresh checkout)` : ''} | ${ms(o.maxSendLagMs)} | ${o.collapsed ? '**collapsed**' : 'ok'} |`);

  out.push('', `**Paced open loop, POST /v1/check** (a feature, API key: what a partner's backend calls on each of its requests), ${settings.openSeconds} s per rate, latency from each request's scheduled send time:`, '');
  out.push('| engine | rate req/s | achieved req/s | p50 ms | p99 ms | max ms | failed | generator lag max ms | |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const e of engines)
    for (const o of e.openChecks)
      out.push(`| ${e.engine} | ${int(o.rate)} | ${int(o.achieved)} | ${ms(o.p50)} | ${ms(o.p99)} | ${ms(o.max)} | ${int(o.failed)}${o.unanswered ? ` (${int(o.unanswered)} unanswered 5 s after the last send)` : ''} | ${ms(o.maxSendLagMs)} | ${o.collapsed ? '**collapsed**' : 'ok'} |`);

  out.push('', 'Every run, in detail (2xx and failed are totals over the runs; failed = non-2xx, connection errors and timeouts):', '');
  out.push('| engine | path | req/s per run | paired bare Hono req/s | p50 ms | p99 ms | 2xx | failed |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const e of engines)
    for (const r of e.rows) {
      const s = summarize(r);
      out.push(`| ${e.engine} | ${r.path} | ${r.runs.map((x) => int(x.rps)).join(', ')} | ${r.bare ? r.bare.map((x) => int(x.rps)).join(', ') : '–'} | ${ms(s.p50)} | ${ms(s.p99)} | ${int(s.ok)} | ${int(s.failed)} |`);
    }
  return out.join('\n') + '\n';
}
