// e2e helpers for the seed backends: the real server with a config file and provider env (pointed at a
// fake started in the test process), the partner page's parts, and the hosted-page round trip.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, harnessAround, launchBrowser, startServer, waitForText, type Harness, type ServerHandle } from './harness.js';

/** `examples/<name>.json`, parsed, for a test to adjust. */
export function exampleConfig(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** The server (`server/cli.ts`) with `TOLLGATE_CONFIG` = `config` and `env` on top of a clean environment. */
export function startConfiguredServer(config: Record<string, unknown>, env: Record<string, string>, timeoutMs = 60_000): Promise<ServerHandle> {
  return startServer({ config, env, timeoutMs });
}

/** A Harness around a configured server, sharing one browser across backends. */
export function harnessFor(server: ServerHandle, browser: Browser): Harness {
  return harnessAround(server, browser, { ownsBrowser: false });
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
