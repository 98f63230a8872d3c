// `npx tsx bench/page.ts`: the demo pages' first load in headless Chromium at 4× CPU throttling, against the
// real server started as the e2e tests start it: API requests per resource before the first click, and the
// time from navigation start to the first <plan-picker> showing its plans (median of several cold loads),
// beside a bare page on the same server in the same run (fetch the plans, format the prices, add the cards).
import { pathToFileURL } from 'node:url';
import type { Browser, CDPSession, Page, Request } from 'playwright-core';
import { launchBrowser, startServer } from '../test/e2e/harness.js';

const LOADS = Number(process.env.BENCH_PAGE_LOADS ?? 7);
const CPU_THROTTLE = Number(process.env.BENCH_CPU_THROTTLE ?? 4);
const PAGES = (process.env.BENCH_PAGES ?? '/demo/partner.html,/demo/dashboard.html,/demo/webview.html').split(',');
/** The page has settled when no API request is in flight and none has started for this long. */
const QUIET_MS = 1500;
const PLANS_MARK = 'bench:plans';
/** The baseline: what a page that shows the plans with no library at all does; served by the bench itself. */
const BARE_PATH = '/bench/bare-plans.html';
const BARE_PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>bare plans</title><main></main>
<script type="module">
const { plans } = await (await fetch('/v1/plans', { headers: { Accept: 'application/json' }, credentials: 'omit' })).json();
for (const plan of plans) {
  const card = document.createElement('div');
  card.setAttribute('role', 'radio');
  const charge = plan.charge[0];
  card.textContent = plan.name + ' ' + (charge ? new Intl.NumberFormat('en', { style: 'currency', currency: charge.currency }).format(charge.amount / 100) : 'Free');
  document.querySelector('main').append(card);
}
performance.mark('${PLANS_MARK}');
</script>`;

/**
 * Runs in the page before its scripts: every shadow root a <plan-picker> attaches is watched, and the first
 * time one holds a plan card (`[role="radio"]`) a performance mark records it (time since navigation start).
 */
function markPlansShown(mark: string): void {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (this: Element, init: ShadowRootInit): ShadowRoot {
    const root = attach.call(this, init);
    if (this.localName === 'plan-picker') {
      const watch = new MutationObserver(() => {
        if (performance.getEntriesByName(mark).length || !root.querySelector('[role="radio"]')) return;
        performance.mark(mark);
        watch.disconnect();
      });
      watch.observe(root, { childList: true, subtree: true });
    }
    return root;
  };
}

/** One API request as a cache sees it: method, path and query, whose session, which locale. */
function resourceOf(request: Request, tokens: Map<string, string>): string | undefined {
  const url = new URL(request.url());
  if (!url.pathname.startsWith('/v1/')) return undefined;
  const headers = request.headers();
  const bearer = headers.authorization?.replace(/^Bearer /, '');
  let who = 'anonymous';
  if (bearer) {
    if (!tokens.has(bearer)) tokens.set(bearer, `session ${tokens.size + 1}`);
    who = tokens.get(bearer)!;
  }
  return `${request.method()} ${url.pathname}${url.search} · ${who}${headers['accept-language'] ? ` · ${headers['accept-language']}` : ''}`;
}

export interface Load {
  plansMs?: number;
  /** API requests per resource until the page settled. */
  requests: Map<string, number>;
  /** When the first static chunk of tollgate.js started loading, and when tollgate.js itself finished. */
  chunkStartMs?: number;
  entryEndMs?: number;
  /** When the first `GET /v1/plans` started and ended. */
  plansFetchStartMs?: number;
  plansFetchEndMs?: number;
}

async function settle(page: Page, inflight: () => number, last: () => number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (inflight() === 0 && Date.now() - last() >= QUIET_MS) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${page.url()} did not settle within 20 s`);
}

export async function loadOnce(browser: Browser, url: string): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  try {
    const page = await context.newPage();
    await page.route(`**${BARE_PATH}`, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: BARE_PAGE }));
    const cdp: CDPSession = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_THROTTLE });
    await page.addInitScript(markPlansShown, PLANS_MARK);
    const requests = new Map<string, number>();
    const tokens = new Map<string, string>();
    let inflight = 0;
    let lastStart = Date.now();
    page.on('request', (request) => {
      const resource = resourceOf(request, tokens);
      if (!resource) return;
      requests.set(resource, (requests.get(resource) ?? 0) + 1);
      inflight++;
      lastStart = Date.now();
    });
    const done = (request: Request) => {
      if (resourceOf(request, tokens)) inflight--;
    };
    page.on('requestfinished', done);
    page.on('requestfailed', done);
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, PLANS_MARK, { timeout: 20_000 });
    await settle(page, () => inflight, () => lastStart);
    const timings = await page.evaluate((mark) => {
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const chunk = resources.filter((r) => new URL(r.name).pathname.startsWith('/chunks/')).sort((a, b) => a.startTime - b.startTime)[0];
      const entry = resources.find((r) => new URL(r.name).pathname === '/tollgate.js');
      const plans = resources.find((r) => new URL(r.name).pathname === '/v1/plans');
      return {
        plansMs: performance.getEntriesByName(mark)[0]?.startTime,
        chunkStartMs: chunk?.startTime,
        entryEndMs: entry?.responseEnd,
        plansFetchStartMs: plans?.startTime,
        plansFetchEndMs: plans?.responseEnd,
      };
    }, PLANS_MARK);
    return { ...timings, requests };
  } finally {
    await context.close();
  }
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : `${Math.round(n)} ms`);

/** Every page's loads, the bare page's interleaved with them (a burst of load on the machine hits both alike). */
async function measurePage(browser: Browser, base: string, path: string): Promise<{ loads: Load[]; bare: Load[] }> {
  const url = new URL(path, base).href;
  const bareUrl = new URL(BARE_PATH, base).href;
  await loadOnce(browser, url); // warm-up: the server's first compressions and queries
  const loads: Load[] = [];
  const bare: Load[] = [];
  for (let i = 0; i < LOADS; i++) {
    bare.push(await loadOnce(browser, bareUrl));
    loads.push(await loadOnce(browser, url));
  }
  return { loads, bare };
}

async function main(): Promise<void> {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    console.log(`\n$ npx tsx bench/page.ts   (${LOADS} cold loads per page after one warm-up, each after a load of the bare page; ${CPU_THROTTLE}× CPU throttling, headless Chromium, median)\n`);
    console.log('| page | time to plans (median · min–max) | bare page | ÷ bare | tollgate.js ends · first chunk starts | first /v1/plans starts → ends | API requests before the first click |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const path of PAGES) {
      const { loads, bare } = await measurePage(browser, server.url, path);
      const plans = loads.map((l) => l.plansMs).filter((n): n is number => n !== undefined);
      const bareMedian = median(bare.map((l) => l.plansMs ?? NaN));
      const at = (pick: (load: Load) => number | undefined) => ms(median(loads.map((l) => pick(l) ?? NaN)));
      // Requests per resource: the most any load made (a load that made more is what a reader should see).
      const perResource = new Map<string, number>();
      for (const load of loads) for (const [resource, count] of load.requests) perResource.set(resource, Math.max(perResource.get(resource) ?? 0, count));
      const total = Math.max(...loads.map((l) => [...l.requests.values()].reduce((a, b) => a + b, 0)));
      const list = [...perResource].sort(([a], [b]) => a.localeCompare(b)).map(([resource, count]) => `${count}× ${resource}`);
      console.log(
        `| ${path} | ${ms(median(plans))} · ${ms(Math.min(...plans))}–${ms(Math.max(...plans))} | ${ms(bareMedian)} | ${(median(plans) / bareMedian).toFixed(2)} | ` +
          `${at((l) => l.entryEndMs)} · ${at((l) => l.chunkStartMs)} | ${at((l) => l.plansFetchStartMs)} → ${at((l) => l.plansFetchEndMs)} | ` +
          `${total} in all: ${list.join('; ')} |`,
      );
    }
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
