// e2e helpers for the seed backends: the real server with a config file and provider env (pointed at a
// fake started in the test process), the partner page's parts, and the hosted-page round trip.
// The plain harness starts the server with every provider variable removed, so this file starts its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT, collectErrors, ensureBuilt, freePort, launchBrowser, waitForText, type Harness, type ServerHandle } from './harness.js';

/** `examples/<name>.json`, parsed, for a test to adjust. */
export function exampleConfig(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** The server (`server/cli.ts`) with `TOLLGATE_CONFIG` = `config` and `env` on top of a clean environment. */
export async function startConfiguredServer(config: Record<string, unknown>, env: Record<string, string>, timeoutMs = 60_000): Promise<ServerHandle> {
  ensureBuilt();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-backend-'));
  const configPath = join(dir, 'tollgate.json');
  writeFileSync(configPath, JSON.stringify(config));
  const sessionSecret = randomBytes(32).toString('hex');
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.DATABASE_URL;
  for (const key of Object.keys(childEnv)) {
    if (/^(RAZORPAY|STRIPE|MINTBOT|MIMICBOT|MINTOKEN|BONZAI|SUPABASE)_/.test(key) || key === 'TOLLGATE_SANDBOX') delete childEnv[key];
  }
  Object.assign(childEnv, {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: join(dir, 'data'),
    TOLLGATE_PUBLIC_URL: url,
    TOLLGATE_SESSION_SECRET: sessionSecret,
    TOLLGATE_CONFIG: configPath,
    LOG_LEVEL: 'warn',
    ...env,
  });
  let log = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  let exited = false;
  const exit = new Promise<void>((done) => child.once('exit', () => ((exited = true), done())));
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`The server exited before it was healthy:\n${log}`);
    }
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The server was not healthy within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { url, port, sessionSecret, output: () => log, stop };
}

/** A Harness around a configured server, sharing one browser across backends. */
export function harnessFor(server: ServerHandle, browser: Browser): Harness {
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
      return { context, page, errors: collectErrors(page) };
    },
    async close() {
      await Promise.allSettled([...contexts].map((c) => c.close()));
      await server.stop();
    },
  };
}

export { launchBrowser };

/** The partner page's parts (Playwright's CSS pierces the elements' open shadow roots). */
export function partnerUi(page: Page) {
  const picker = page.locator('#pricing plan-picker');
  return {
    picker,
    choose: (plan: string) => picker.locator(`button[part~="cta"][data-plan="${plan}"]`),
    pickerStatus: picker.locator('[part="status"]'),
    currentBadge: (plan: string) => picker.locator(`[data-plan="${plan}"][role="radio"] [part~="badge-current"]`),
    meterPlan: page.locator('#account usage-meter [part="plan-name"]'),
    paidNotice: page.locator('[data-paid]'),
    sessionStatus: page.locator('[data-session-status]'),
  };
}

/** Open the partner page as a fresh demo customer; wait for the session, the meter and the plans. */
export async function openPartner(h: Harness, page: Page, firstPlan: string): Promise<ReturnType<typeof partnerUi>> {
  const u = partnerUi(page);
  await page.goto(h.url('/demo/partner.html'));
  await waitForText(u.sessionStatus, 'Signed in (sandbox)');
  await waitForText(u.meterPlan, /^Free$/);
  await u.choose(firstPlan).waitFor();
  return u;
}

/** The demo customer's id (localStorage of the page). */
export async function demoCustomer(page: Page): Promise<string> {
  const id = await page.evaluate(() => localStorage.getItem('tollgate-demo-customer'));
  if (!id) throw new Error('no demo customer');
  return id;
}
