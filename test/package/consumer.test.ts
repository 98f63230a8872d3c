// The tarball installed into a temporary consumer project (test/package/consumer.ts): Node imports every browser
// entry; the React 19 + TypeScript page (wrappers and plain tags) and the Vue 3 page typecheck, and wrong props do
// not; Vite builds the three pages, which run in Chromium on another origin than the Tollgate server (sandbox):
// plans listed, events handled, a sandbox payment completed from the React wrapper, one Lit on the plain page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { collectErrors, freePort, launchBrowser, startServer, waitForText, type ServerHandle } from '../e2e/harness.js';
import { DEFAULT_CONFIG } from '../../server/config.js';
import { makeConsumer, pack, removeDir, run, serveStatic, type Consumer, type Packed } from './consumer.js';

/** The sandbox's default partner API key (server/config.ts): the partner backend mints sessions with it. */
const SANDBOX_API_KEY = 'tg_sandbox_api_key';

const ENTRIES = [
  'tollgate',
  'tollgate/elements/plan-picker',
  'tollgate/elements/razorpay-checkout',
  'tollgate/elements/stripe-checkout',
  'tollgate/elements/usage-meter',
  'tollgate/elements/paywall-gate',
  'tollgate/react',
  'tollgate/jsx',
  'tollgate/vue',
  'tollgate/svelte',
];

let packed: Packed;
let consumer: Consumer;
let server: ServerHandle;
let site: { origin: string; close(): Promise<void> };
let browser: Browser;
let build: { code: number | null; output: string };

before(async () => {
  packed = pack();
  consumer = await makeConsumer(packed.tarball);
  build = await run(join(consumer.dir, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], consumer.dir);
  const port = await freePort();
  // The default catalog; the consumer's origin allowed for CORS (sandbox allows any; a live server only these).
  server = await startServer({ config: { ...DEFAULT_CONFIG, allowed_origins: [`http://localhost:${port}`] } });
  site = await serveStatic(join(consumer.dir, 'dist'), port);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await site?.close();
  await server?.stop();
  removeDir(consumer?.dir);
  removeDir(packed?.dir);
});

/** A customer session from "the partner's backend": `POST /v1/sessions` with the API key. */
async function mintSession(): Promise<string> {
  const customerId = `pkg_${randomUUID().slice(0, 12)}`;
  const response = await fetch(`${server.url}/v1/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${SANDBOX_API_KEY}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({ customer_id: customerId, email: `${customerId}@partner.example` }),
  });
  const body = (await response.json()) as { token?: string };
  assert.equal(response.status, 201, JSON.stringify(body));
  return body.token!;
}

/** The server's plan ids, as the pickers should list them. */
async function planIds(): Promise<string[]> {
  const { plans } = (await (await fetch(`${server.url}/v1/plans`)).json()) as { plans: { id: string }[] };
  assert.ok(plans.length >= 2, 'the sandbox catalog has plans');
  return plans.map((p) => p.id);
}

async function open(path: string, query: Record<string, string>): Promise<{ page: Page; errors: ReturnType<typeof collectErrors>; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(`${site.origin}${path}?${new URLSearchParams(query)}`);
  assert.notEqual(new URL(page.url()).origin, new URL(server.url).origin, 'the page is on another origin than the server');
  return { page, errors, close: () => context.close() };
}

/** The plans a picker shows (its radios' plan ids), once it shows them. */
async function listedPlans(page: Page, picker: string): Promise<string[]> {
  const radios = page.locator(`${picker} [role="radio"][data-plan]`);
  await radios.first().waitFor();
  return radios.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-plan') ?? ''));
}

describe('the tarball in a consumer project', () => {
  test('Vite builds the three pages from the installed package', () => {
    assert.equal(build.code, 0, `vite build of the three pages:\n${build.output}`);
    for (const page of ['react.html', 'vue.html', 'plain.html']) assert.ok(existsSync(join(consumer.dir, 'dist', page)), page);
  });

  test('Node imports every browser entry without throwing (SSR, test runners)', async () => {
    const script = `const entries = ${JSON.stringify(ENTRIES)};
const out = {};
for (const entry of entries) out[entry] = Object.keys(await import(entry)).sort();
const { configure } = await import('tollgate');
configure({ api: 'https://billing.example' });
// Server-side rendering a wrapper: React renders the tag, with its attributes.
const { createElement } = await import('react');
const { renderToString } = await import('react-dom/server');
const { PlanPicker } = await import('tollgate/react');
out.ssr = renderToString(createElement(PlanPicker, { api: 'https://billing.example/billing', currency: 'USD' }));
console.log(JSON.stringify(out));`;
    const result = await run(process.execPath, ['--input-type=module', '-e', script], consumer.dir);
    assert.equal(result.code, 0, result.output);
    const exports = JSON.parse(result.output.trim().split('\n').pop()!) as Record<string, string[]> & { ssr: string };
    assert.match(exports.ssr, /^<plan-picker[^>]*><\/plan-picker>$/, exports.ssr);
    assert.deepEqual(exports.tollgate, ['PaywallGate', 'PlanPicker', 'RazorpayCheckout', 'StripeCheckout', 'TollgateError', 'UsageMeter', 'configure']);
    assert.deepEqual(exports['tollgate/elements/plan-picker'], ['PlanPicker']);
    assert.deepEqual(exports['tollgate/react'], ['PaywallGate', 'PlanPicker', 'RazorpayCheckout', 'StripeCheckout', 'TollgateError', 'UsageMeter', 'configure']);
    assert.deepEqual(exports['tollgate/vue'], ['TOLLGATE_TAGS', 'isCustomElement']);
  });

  test('React 19 + TypeScript: the wrappers from tollgate/react and the plain tags with tollgate/jsx typecheck', async () => {
    const result = await run(join(consumer.dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], consumer.dir);
    assert.equal(result.code, 0, result.output);
  });

  test('React 19 + TypeScript: a wrong prop value, attribute type or event detail fails the typecheck', async () => {
    const result = await run(join(consumer.dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.wrong.json'], consumer.dir);
    assert.notEqual(result.code, 0, 'tsc accepted the wrong file');
    for (const line of [3, 4, 5, 6]) assert.match(result.output, new RegExp(`src/wrong/wrong\\.tsx\\(${line},\\d+\\): error TS`), result.output);
  });

  test('Vue 3 + vue-tsc: the elements are typed in templates; wrong props and handlers fail', async () => {
    const ok = await run(join(consumer.dir, 'node_modules/.bin/vue-tsc'), ['-p', 'tsconfig.vue.json'], consumer.dir);
    assert.equal(ok.code, 0, ok.output);
    const wrong = await run(join(consumer.dir, 'node_modules/.bin/vue-tsc'), ['-p', 'tsconfig.vue-wrong.json'], consumer.dir);
    assert.notEqual(wrong.code, 0, 'vue-tsc accepted the wrong file');
    // The three mistakes of its one template line: :currency a number, interval "weekly", a handler for another detail.
    const errors = wrong.output.split('\n').filter((line) => /^src\/vue-wrong\/Wrong\.vue\(8,\d+\): error TS/.test(line));
    assert.equal(errors.length, 3, wrong.output);
    assert.match(errors[0], /'number' is not assignable to type 'string'/);
    assert.match(errors[1], /'"weekly"' is not assignable/);
    assert.match(errors[2], /CustomEvent<PlanSelectDetail>/);
  });

  test('Svelte: svelte/elements knows every tag, its attributes and events; wrong ones fail', async () => {
    const ok = await run(join(consumer.dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.svelte.json'], consumer.dir);
    assert.equal(ok.code, 0, ok.output);
    const wrong = await run(join(consumer.dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.svelte-wrong.json'], consumer.dir);
    assert.notEqual(wrong.code, 0, 'tsc accepted the wrong file');
    for (const line of [4, 5]) assert.match(wrong.output, new RegExp(`src/svelte-wrong/elements\\.ts\\(${line},\\d+\\): error TS`), wrong.output);
  });

  test('React page, cross-origin: both pickers list the plans, the plain tag\'s onplan-select runs, a sandbox payment through the wrapper fires onCheckoutSuccess', async () => {
    const token = await mintSession();
    const { page, errors, close } = await open('/react.html', { api: server.url, session: token });
    try {
      const expected = await planIds();
      assert.deepEqual(await listedPlans(page, '#wrapper plan-picker'), expected);
      assert.deepEqual(await listedPlans(page, '#plain plan-picker'), expected);

      // The plain tag: its listener cancels plan-select, so no checkout starts there.
      await page.locator('#plain plan-picker button[part~="cta"][data-plan="pro"]').click();
      await waitForText(page.locator('#picked'), /^pro month$/);

      // The wrapper: choose Pro, pay in the sandbox Razorpay modal.
      await page.locator('#wrapper plan-picker button[part~="cta"][data-plan="pro"]').click();
      const modal = page.locator('[data-razorpay-sandbox]');
      await modal.getByRole('button', { name: /^Pay ₹/ }).click();
      await Promise.race([
        modal.waitFor({ state: 'detached' }),
        waitForText(modal.locator('[role="alert"]'), /./).then((text) => assert.fail(`the modal said: ${text}`)),
      ]);
      const paid = await waitForText(page.locator('#paid'), /^\S+ pro$/);
      const subscription = await fetch(`${server.url}/v1/subscription`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(((await subscription.json()) as { plan: string }).plan, 'pro', `after ${paid}`);
      await waitForText(page.locator('#wrapper usage-meter [part="plan-name"]'), /^Pro$/);
      assert.deepEqual(errors.all(), []);
    } finally {
      await close();
    }
  });

  test('Vue page, cross-origin: the picker lists the plans and @plan-select runs', async () => {
    const { page, errors, close } = await open('/vue.html', { api: server.url });
    try {
      assert.deepEqual(await listedPlans(page, 'plan-picker'), await planIds());
      await page.locator('plan-picker button[part~="cta"][data-plan="pro"]').click();
      await waitForText(page.locator('#picked'), /^pro$/);
      assert.deepEqual(errors.all(), []);
    } finally {
      await close();
    }
  });

  test('plain page: tollgate/elements/plan-picker with configure() from tollgate is one Lit and one config', async () => {
    const { page, errors, close } = await open('/plain.html', { api: server.url });
    try {
      // The api came only from configure(): listing the plans means the element read the same config store.
      assert.deepEqual(await listedPlans(page, 'plan-picker'), await planIds());
      const versions = await page.evaluate(() => {
        const w = window as unknown as { litElementVersions?: string[]; litHtmlVersions?: string[]; reactiveElementVersions?: string[] };
        return { element: w.litElementVersions?.length, html: w.litHtmlVersions?.length, reactive: w.reactiveElementVersions?.length };
      });
      assert.deepEqual(versions, { element: 1, html: 1, reactive: 1 });
      assert.deepEqual(errors.all(), []);
    } finally {
      await close();
    }
  });
});
