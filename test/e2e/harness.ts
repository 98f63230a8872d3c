// The e2e harness: the real server (`server/cli.ts`, sandbox mode, PGlite in a fresh temp dir) on a
// free port, and one headless Chromium (playwright-core, Debian's /usr/bin/chromium). Each test file
// starts one of each and closes them at the end; each test gets its own browser context.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { AxeResults } from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { CHROME_ARGS, CHROME_PATH } from '../chromium.mjs';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/** `npm test` builds first; a bare e2e run builds once if `dist/` is missing. */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist', 'tollgate.js'))) return;
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

export interface ServerHandle {
  url: string;
  port: number;
  /** `TOLLGATE_SESSION_SECRET` of this server, so a test can mint an expired or foreign token. */
  sessionSecret: string;
  /** Everything the server wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

type ServerOptions = {
  timeoutMs?: number;
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Serve as if mounted under this path (`/billing`): TOLLGATE_PUBLIC_URL carries it, and so does the handle's `url`. */
  basePath?: string;
};

/** The server could not listen on the port `freePort()` found: something took it in the meantime. */
class PortTaken extends Error {}

/**
 * Spawn `node --import tsx server/cli.ts` and wait for `GET /healthz`: sandbox mode with no provider
 * credentials, or with `config` (written as TOLLGATE_CONFIG) and `env` (provider keys and base URLs) on top.
 */
export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  ensureBuilt();
  // The port was free when probed, but the server takes a second or two to bind it, and another process
  // may take it first (EADDRINUSE): then try another port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOn(await freePort(), options);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) throw error;
    }
  }
}

async function startServerOn(port: number, options: ServerOptions): Promise<ServerHandle> {
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-'));
  const dataDir = join(dir, 'data');
  const sessionSecret = randomBytes(32).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    TOLLGATE_PUBLIC_URL: url + (options.basePath ?? ''),
    TOLLGATE_SESSION_SECRET: sessionSecret,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
  };
  delete env.DATABASE_URL; // e2e runs on PGlite
  // No provider credentials: the server starts in sandbox mode.
  for (const key of Object.keys(env)) {
    if (/^(RAZORPAY|STRIPE|MINTBOT|MIMICBOT|MINTOKEN|BONZAI|SUPABASE)_/.test(key) || key === 'TOLLGATE_CONFIG' || key === 'TOLLGATE_SANDBOX') delete env[key];
  }
  if (options.config) {
    env.TOLLGATE_CONFIG = join(dir, 'tollgate.json');
    writeFileSync(env.TOLLGATE_CONFIG, JSON.stringify(options.config));
  }
  Object.assign(env, options.env);
  let log = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  let exited = false;
  // Safety net: if the test process dies without running `after`, do not leave the server behind.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exit = new Promise<void>((done) =>
    child.once('exit', () => {
      exited = true;
      process.removeListener('exit', killOnExit);
      done();
    }),
  );

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new (/EADDRINUSE/.test(log) ? PortTaken : Error)(`The server exited before it was healthy:\n${log}`);
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      // Healthy, and ours: it printed its start-up line once listening (another server on that port would answer too).
      if (response.ok && log.includes('Tollgate is running on')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The server was not healthy within ${options.timeoutMs ?? 60_000} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { url: url + (options.basePath ?? ''), port, sessionSecret, output: () => log, stop };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROME_PATH, args: CHROME_ARGS });
}

/** Console errors and uncaught page errors of one page. */
export interface PageErrors {
  console: string[];
  page: string[];
  all(): string[];
}

export function collectErrors(page: Page): PageErrors {
  const errors: PageErrors = {
    console: [],
    page: [],
    all: () => [...errors.console, ...errors.page],
  };
  page.on('console', (message) => {
    if (message.type() === 'error') errors.console.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.page.push(`${page.url()}: ${error.message}`));
  return errors;
}

/** One server and one browser for a test file. */
export interface Harness {
  server: ServerHandle;
  browser: Browser;
  url(path: string): string;
  /** A fresh context (fresh localStorage: a fresh demo customer) and a page in it, with its errors. */
  newPage(options?: Parameters<Browser['newContext']>[0]): Promise<{ context: BrowserContext; page: Page; errors: PageErrors }>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const server = await startServer();
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return harnessAround(server, browser, { ownsBrowser: true });
}

/** A Harness around a running server; closing it closes its contexts, the server, and the browser if it owns it. */
export function harnessAround(server: ServerHandle, browser: Browser, { ownsBrowser }: { ownsBrowser: boolean }): Harness {
  const contexts = new Set<BrowserContext>();
  return {
    server,
    browser,
    url: (path) => new URL(path, server.url).href,
    async newPage(options) {
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, baseURL: server.url, ...options });
      contexts.add(context);
      context.once('close', () => contexts.delete(context));
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const errors = collectErrors(page);
      return { context, page, errors };
    },
    async close() {
      await Promise.allSettled([...contexts].map((c) => c.close()));
      if (ownsBrowser) await browser.close().catch(() => {});
      await server.stop();
    },
  };
}

/** The demo page's customer token: `POST /v1/sandbox/session` for its stored customer id. */
export async function sessionOf(page: Page): Promise<string> {
  const customerId = await page.evaluate(() => localStorage.getItem('tollgate-demo-customer'));
  if (!customerId) throw new Error('The page has no demo customer yet');
  const response = await page.request.post('/v1/sandbox/session', {
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    data: { customer_id: customerId },
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok() || !body.token) throw new Error(`sandbox session: HTTP ${response.status()} ${JSON.stringify(body)}`);
  return body.token;
}

/** `GET <path>` on the server with the page's customer session. */
export async function apiGet<T = Record<string, unknown>>(page: Page, path: string, token?: string): Promise<T> {
  const bearer = token ?? (await sessionOf(page));
  const response = await page.request.get(path, { headers: { Authorization: `Bearer ${bearer}` } });
  if (!response.ok()) throw new Error(`GET ${path}: HTTP ${response.status()} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Poll `fn` until it returns a truthy value (for server state behind the sandbox's webhook delay). */
export async function until<T>(fn: () => Promise<T>, { timeoutMs = 10_000, intervalMs = 200, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** One axe finding, with the nodes it was found on (selectors pierce shadow roots as axe writes them). */
export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown; summary: string | undefined }[];
}

let axeSource: string | undefined;

/**
 * axe-core's serious and critical violations on the page as it is now (open shadow roots included). The
 * script is injected, so a page with a strict CSP (the webview) needs a context with `bypassCSP: true`.
 */
export async function axeViolations(page: Page): Promise<AxeFinding[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })) }));
}

/** Wait until the locator's text matches (auto-waits for it to exist); the error names the last text seen. */
export async function waitForText(locator: Locator, pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
  const matches = (text: string) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      last = ((await locator.first().textContent({ timeout: Math.max(1, Math.min(1000, deadline - Date.now())) })) ?? '').replace(/\s+/g, ' ').trim();
      if (matches(last)) return last;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${locator} to have text ${pattern}; last text: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
