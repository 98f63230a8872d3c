// `npm run screenshots`: start the real server in sandbox mode (the e2e harness), drive each demo
// page in headless Chromium and write docs/screenshots/<name>.png for the README.
//   npm run screenshots             every shot
//   npm run screenshots -- partner  only the shots whose name contains "partner"
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT, startHarness, waitForText, type Harness } from '../test/e2e/harness.js';

const OUT = join(ROOT, 'docs', 'screenshots');
const VIEWPORT = { width: 1200, height: 900 };
/** Above this a screenshot is worth a look (the README loads them all). */
const BUDGET = 300 * 1024;

interface Shot {
  name: string;
  what: string;
  viewport?: { width: number; height: number };
  fullPage?: boolean;
  /** Full page, cut below this element (keeps long pages readable and the PNG small). */
  until?: string;
  /** Bring the page into the state to capture. */
  run(page: Page, h: Harness): Promise<void>;
}

async function settle(page: Page): Promise<void> {
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  // Let the live regions and the elements' last render land.
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'), undefined, { timeout: 10_000 }).catch(() => {});
}

async function partner(page: Page, h: Harness): Promise<void> {
  await page.goto(h.url('/demo/partner.html'));
  await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
  await waitForText(page.locator('#pricing plan-picker button[data-plan="pro"]'), 'Choose Pro');
  await waitForText(page.locator('#account usage-meter [part="plan-name"]'), /^Free$/);
  await page.locator('#export paywall-gate [part="paywall"]').waitFor({ state: 'visible' });
}

async function openModal(page: Page): Promise<void> {
  await page.locator('#pricing plan-picker button[data-plan="pro"]').click();
  await page.locator('[data-razorpay-sandbox]').getByRole('button', { name: /^Pay ₹/ }).waitFor({ state: 'visible' });
}

async function dashboard(page: Page, h: Harness, locale: 'en-IN' | 'hi'): Promise<void> {
  await page.goto(h.url('/demo/dashboard.html'));
  await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
  await waitForText(page.locator('usage-meter [part="plan-name"]'), /^Free$/);
  await page.locator('#plans plan-picker button[data-plan="pro"]').waitFor({ state: 'visible' });
  if (locale === 'hi') {
    await page.locator('select[data-locale]').selectOption('hi');
    await waitForText(page.locator('#plans plan-picker button[data-plan="pro"]'), 'Pro चुनें');
  }
}

const SHOTS: Shot[] = [
  {
    name: 'index',
    what: 'the demo index',
    async run(page, h) {
      await page.goto(h.url('/'));
    },
  },
  {
    name: 'partner',
    what: 'the partner page with the plans loaded (down to the account section)',
    until: '#account',
    run: partner,
  },
  {
    name: 'partner-razorpay-modal',
    what: 'the partner page with the sandbox Razorpay modal open',
    async run(page, h) {
      await partner(page, h);
      await page.locator('#pricing').scrollIntoViewIfNeeded();
      await openModal(page);
    },
  },
  {
    name: 'partner-pro',
    what: 'the partner page after paying for Pro',
    fullPage: true,
    async run(page, h) {
      await partner(page, h);
      await openModal(page);
      await page.locator('[data-razorpay-sandbox]').getByRole('button', { name: /^Pay ₹/ }).click();
      await page.locator('[data-razorpay-sandbox]').waitFor({ state: 'detached' });
      await waitForText(page.locator('#account usage-meter [part="plan-name"]'), /^Pro$/);
      await page.locator('#export paywall-gate button[data-export="pdf"]').waitFor({ state: 'visible' });
      await page.locator('[data-paid]').waitFor({ state: 'visible' });
    },
  },
  {
    name: 'webview-handoff',
    what: 'the IDE webview waiting for a hand-off payment, with the link the extension host would open',
    fullPage: true,
    async run(page, h) {
      await page.goto(h.url('/demo/webview.html'));
      await waitForText(page.locator('[data-session-status]'), 'Signed in (sandbox)');
      const pro = page.locator('paywall-gate plan-picker button[data-plan="pro"]');
      await waitForText(pro, 'Choose Pro');
      await pro.click();
      await page.locator('paywall-gate plan-picker [part~="handoff-button"]').click();
      await page.locator('[data-testid="handoff-url"]').waitFor({ state: 'visible' });
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.evaluate(() => window.scrollTo(0, 0));
    },
  },
  {
    name: 'dashboard-en-IN',
    what: 'the white-label dashboard (dark) in English (India)',
    fullPage: true,
    run: (page, h) => dashboard(page, h, 'en-IN'),
  },
  {
    name: 'dashboard-hi',
    what: 'the white-label dashboard (dark) in Hindi',
    fullPage: true,
    run: (page, h) => dashboard(page, h, 'hi'),
  },
  {
    name: 'partner-320',
    what: 'the partner page at 320 px wide',
    viewport: { width: 320, height: 640 },
    fullPage: true,
    run: partner,
  },
];

async function main(): Promise<void> {
  const filter = process.argv[2];
  const shots = filter ? SHOTS.filter((s) => s.name.includes(filter)) : SHOTS;
  if (!shots.length) throw new Error(`No screenshot matches "${filter}"; names: ${SHOTS.map((s) => s.name).join(', ')}`);
  mkdirSync(OUT, { recursive: true });
  const h = await startHarness();
  let failed = 0;
  try {
    for (const shot of shots) {
      const { context, page, errors } = await h.newPage({ viewport: shot.viewport ?? VIEWPORT, colorScheme: 'light', reducedMotion: 'reduce' });
      try {
        await shot.run(page, h);
        await settle(page);
        const path = join(OUT, `${shot.name}.png`);
        const bottom = shot.until ? await page.locator(shot.until).evaluate((el) => Math.ceil(el.getBoundingClientRect().bottom + window.scrollY + 24)) : undefined;
        await page.screenshot({
          path,
          fullPage: Boolean(shot.fullPage || bottom),
          ...(bottom ? { clip: { x: 0, y: 0, width: page.viewportSize()?.width ?? VIEWPORT.width, height: bottom } } : {}),
          animations: 'disabled',
          caret: 'hide',
        });
        const size = statSync(path).size;
        const notes = [size > BUDGET ? `over ${BUDGET / 1024} KB` : '', ...errors.all().map((e) => `page error: ${e}`)].filter(Boolean);
        console.log(`${shot.name.padEnd(24)} ${String(Math.round(size / 1024)).padStart(4)} KB  ${shot.what}${notes.length ? `\n  ! ${notes.join('\n  ! ')}` : ''}`);
      } catch (error) {
        failed++;
        console.error(`${shot.name}: FAILED ${error instanceof Error ? error.message : error}`);
      } finally {
        await context.close();
      }
    }
  } finally {
    await h.close();
  }
  if (failed) {
    console.error(`${failed} screenshot(s) failed`);
    process.exitCode = 1;
  } else {
    console.log(`Wrote ${shots.length} screenshot(s) to docs/screenshots/`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
