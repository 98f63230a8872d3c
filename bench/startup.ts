// `npx tsx bench/startup.ts`: how long `npm start` takes to its first 200 on /healthz and how much memory the
// server process holds once idle (VmRSS from /proc of the node process that listens, not npm's), on an existing
// PGlite data folder and on a fresh one; medians of a few runs. Prints the figures and the command.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { freePort } from './http/children.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const RUNS = Number(option('runs', '3'));
/** What is started, as `npm start` is by a user (override to compare, e.g. `--command "npx tsx server/cli.ts"`). */
const COMMAND = option('command', 'npm start');
/** The floor each run is compared with, started the same way: node answering /healthz from a bare node:http server. */
const BARE = `node -e "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, process.env.HOST)"`;
/** Seconds of quiet before RSS is read (after start, and again after the burst). */
const IDLE_S = Number(option('idle', '3'));
const BURST = Number(option('burst', '2000'));
/** `existing`, `fresh` or `both` data folders. */
const FOLDERS = option('folders', 'both');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];


/** The environment of the server: this one's minus provider credentials and store settings (sandbox mode). */
function serverEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(RAZORPAY|STRIPE|MINTBOT|MIMICBOT|MINTOKEN|BONZAI|SUPABASE)_/.test(key) || ['TOLLGATE_CONFIG', 'TOLLGATE_SANDBOX', 'DATABASE_URL'].includes(key)) delete env[key];
  }
  return { ...env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
}

/** Every process below `root` (from the parent ids in /proc/<pid>/stat). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) if (ppid === pid) (out.push(child), walk(child));
  };
  walk(root);
  return out;
}

/** The process in `pids` (or `root` itself) holding the socket that listens on `port`. */
function listener(root: number, port: number): number | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 9 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) inodes.add(f[9]);
      }
    } catch {
      // no IPv6
    }
  }
  for (const pid of [root, ...descendants(root)]) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return pid;
      }
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return undefined;
}

/** VmRSS and VmHWM of a process, in MB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Requests of the kinds a page makes: health, plans, a few demo sessions, entitlements and subscription, static assets. */
async function burst(base: string, total: number): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  const count = (s: number) => (statuses[s] = (statuses[s] ?? 0) + 1);
  const tokens: string[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${base}/v1/sandbox/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `startup-bench-${i}-${Date.now()}` },
      body: JSON.stringify({ customer_id: `startup_bench_${i}` }),
    });
    count(res.status);
    if (res.ok) tokens.push(((await res.json()) as { token: string }).token);
  }
  const paths = ['/healthz', '/v1/plans', '/v1/entitlements', '/v1/subscription', '/tollgate.js', '/'];
  let sent = 0;
  const worker = async () => {
    while (sent < total) {
      const n = sent++;
      const path = paths[n % paths.length];
      const headers: Record<string, string> = { 'Accept-Encoding': 'br, gzip' };
      if (tokens.length) headers.Authorization = `Bearer ${tokens[n % tokens.length]}`;
      const res = await fetch(base + path, { headers });
      await res.arrayBuffer();
      count(res.status);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return statuses;
}

interface Run {
  firstOkMs: number;
  /** The bare node:http server's first 200, started just before this run. */
  bareMs: number;
  idle: number;
  afterBurst: number;
  peak: number;
  statuses: Record<number, number>;
}

/** Stop the whole process group started for `child` (its own, from `detached`) and wait for it to exit. */
async function stop(child: ChildProcess, exited: Promise<unknown>) {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const killed = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, 15_000);
  await exited;
  // npm may exit before the server it started: wait for the group to be empty.
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(-child.pid!, 0);
    } catch {
      break;
    }
    await sleep(50);
  }
  clearTimeout(killed);
}

async function once(dataDir: string, measure: boolean, command = COMMAND): Promise<Run> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const started = performance.now();
  const child = spawn('sh', ['-c', command], { cwd: ROOT, env: serverEnv(port, dataDir), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  let gone = false;
  const exited = new Promise((done) => child.once('exit', () => done((gone = true))));
  const killOnExit = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };
  process.once('exit', killOnExit);
  try {
    let firstOkMs = NaN;
    while (Number.isNaN(firstOkMs)) {
      if (gone) throw new Error(`\`${command}\` exited before it answered:\n${output}`);
      if (performance.now() - started > 120_000) throw new Error(`no 200 on /healthz within 120 s:\n${output}`);
      try {
        const res = await fetch(`${base}/healthz`);
        await res.arrayBuffer();
        if (res.status === 200) firstOkMs = performance.now() - started;
      } catch {
        await sleep(10);
      }
    }
    if (!measure) return { firstOkMs, bareMs: NaN, idle: NaN, afterBurst: NaN, peak: NaN, statuses: {} };
    const pid = listener(child.pid!, port);
    if (pid === undefined) throw new Error(`no process under ${child.pid} listens on ${port}`);
    await sleep(IDLE_S * 1000);
    const idle = memory(pid).rss;
    const statuses = await burst(base, BURST);
    await sleep(IDLE_S * 1000);
    const after = memory(pid);
    return { firstOkMs, bareMs: NaN, idle, afterBurst: after.rss, peak: after.peak, statuses };
  } finally {
    await stop(child, exited);
    process.removeListener('exit', killOnExit);
  }
}

function report(label: string, runs: Run[]) {
  const fmt = (xs: number[], digits = 0) => `${median(xs).toFixed(digits)} (${xs.map((x) => x.toFixed(digits)).join(', ')})`;
  console.log(`\n${label}, median (runs):`);
  console.log(`  first 200 on /healthz   ${fmt(runs.map((r) => r.firstOkMs))} ms`);
  console.log(`  bare node:http, same    ${fmt(runs.map((r) => r.bareMs))} ms  (÷ ${median(runs.map((r) => r.firstOkMs / r.bareMs)).toFixed(1)})`);
  console.log(`  idle RSS after start    ${fmt(runs.map((r) => r.idle))} MB`);
  console.log(`  idle RSS after a burst  ${fmt(runs.map((r) => r.afterBurst))} MB  (peak VmHWM ${fmt(runs.map((r) => r.peak))} MB)`);
  console.log(`  burst statuses          ${JSON.stringify(runs[0].statuses)}`);
}

/** One measured run, just after the bare server's (so a burst of load on the machine hits both alike). */
async function measured(dataDir: string): Promise<Run> {
  const bare = await once(join(scratch, 'bare'), false, BARE);
  return { ...(await once(dataDir, true)), bareMs: bare.firstOkMs };
}

const scratch = mkdtempSync(join(tmpdir(), 'tollgate-startup-'));
try {
  console.log(`\`${COMMAND}\` in ${ROOT}, beside ${BARE}, ${RUNS} runs each; RSS read ${IDLE_S} s after the first 200 and ${IDLE_S} s after a burst of ${BURST} requests`);
  // An existing build and an existing data folder: one run to make both, then the measured ones.
  if (FOLDERS !== 'fresh') {
    const existing = join(scratch, 'existing');
    await once(existing, false);
    const warm: Run[] = [];
    for (let i = 0; i < RUNS; i++) warm.push(await measured(existing));
    report('existing build, existing PGlite folder', warm);
  }
  if (FOLDERS !== 'existing') {
    const fresh: Run[] = [];
    for (let i = 0; i < RUNS; i++) fresh.push(await measured(join(scratch, `fresh-${i}`)));
    report('existing build, fresh PGlite folder', fresh);
  }
  console.log(`\ncommand: npx tsx bench/startup.ts ${args.join(' ')}`.trimEnd());
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
