// The built widgets (/tollgate.js and its chunks: compressed, cached by content), the demo pages, and the
// hand-off pay page. The IDE webview page is served with a VS Code–like CSP and a fresh nonce per request.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, relative as relativePath, resolve } from 'node:path';
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { assetResponse, fileAsset, memoryAsset, type StaticAsset } from '../static-assets.js';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.ts': 'text/plain; charset=utf-8',
};

const DIST = join(ROOT, 'dist');
/** Vite names the shared chunks `chunks/[name]-[hash].js` (vite.config.ts): a name's bytes never change. */
const HASHED_CHUNK = /^chunks\/[\w.-]+-[\w-]{8}\.js$/;
/** A year, immutable: a new build has new names. */
const HASHED_CACHE = 'public, max-age=31536000, immutable';
/** `tollgate.js` and the other unhashed entries: a new build reaches browsers within minutes, and revalidating costs a 304. */
const ENTRY_CACHE = 'public, max-age=300';

/** How long a file of the build may be cached: its name says whether its content can change. */
function distCache(path: string): string {
  return HASHED_CHUNK.test(relativePath(DIST, path)) ? HASHED_CACHE : ENTRY_CACHE;
}

/**
 * Serve one file from a folder of the repo (compressed by Accept-Encoding, with an ETag); paths that climb
 * out of it are 404. Files of the build are cached by {@link distCache}; the demo's are revalidated each time.
 */
/**
 * A page's root-relative links (`href="/demo/…"`, `src="/tollgate.js"`) with the mount path in front, for a
 * server mounted under one (`/billing`); a page's scripts find the server from their own URL.
 */
function mountedHtml(text: string, basePath: string): string {
  return basePath ? text.replace(/\b(href|src|action)="\/(?!\/)/g, `$1="${basePath}/`) : text;
}

/** The demo's pages as served under a mount path: made once per file version (the file's asset is kept while unchanged). */
const mountedPages = new WeakMap<StaticAsset, StaticAsset>();

function mountedPage(asset: StaticAsset, basePath: string): StaticAsset {
  let page = mountedPages.get(asset);
  if (!page) {
    page = memoryAsset(new TextEncoder().encode(mountedHtml(new TextDecoder().decode(asset.bytes), basePath)) as Uint8Array<ArrayBuffer>, asset.type);
    mountedPages.set(asset, page);
  }
  return page;
}

async function sendFile(c: AppContext, folder: string, relative: string, headers: Record<string, string> = {}): Promise<Response> {
  const base = join(ROOT, folder);
  const path = normalize(join(base, relative));
  if (!path.startsWith(base + '/')) throw new AppError('not_found', 'Not found');
  const dist = path.startsWith(DIST + '/');
  let asset: StaticAsset;
  try {
    asset = await fileAsset(path, TYPES[extname(path)] ?? 'application/octet-stream');
  } catch {
    if (folder === 'dist') throw new AppError('not_found', 'Not built yet: run `npm run build` (npm start does it)');
    throw new AppError('not_found', 'Not found');
  }
  const { basePath } = c.get('deps').config;
  if (basePath && path.endsWith('.html')) asset = mountedPage(asset, basePath);
  const response = await assetResponse(c.req.raw, asset, dist ? distCache(path) : 'no-cache');
  // Headers set with c.header() do not reach a returned Response: the route's own go on it here.
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

/** A page of demo/ with its `{{name}}` placeholders filled in (values as given: escape them first), links under the mount path. */
export async function template(c: AppContext, name: string, values: Record<string, string>): Promise<string> {
  let text = await readFile(join(ROOT, 'demo', name), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{{${k}}}`, v);
  return mountedHtml(text, c.get('deps').config.basePath);
}

export function strictCsp(origin: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${origin} 'nonce-${nonce}'`,
    `connect-src ${origin}`,
    `img-src ${origin} data:`,
    `font-src ${origin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
}

/**
 * The CSP of the pages opened in the system browser that pay (the hand-off pay page, the billing portal):
 * scripts nonce-locked, and only the origins Razorpay's modal and Stripe.js need.
 */
export function payPageCsp(origin: string, nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' 'self' https://checkout.razorpay.com https://cdn.razorpay.com https://js.stripe.com`,
    `style-src 'self' 'nonce-${nonce}'`,
    `connect-src 'self' ${origin} https://lumberjack.razorpay.com https://api.stripe.com`,
    'frame-src https://api.razorpay.com https://js.stripe.com https://hooks.stripe.com',
    `img-src 'self' data: https://cdn.razorpay.com`,
    "base-uri 'none'",
  ].join('; ');
}

export const pageRoutes = new Hono<AppEnv>();

pageRoutes.get('/', (c) => sendFile(c, 'demo', 'index.html'));
pageRoutes.get('/tollgate.js', (c) => sendFile(c, 'dist', 'tollgate.js'));
pageRoutes.get('/tollgate.iife.js', (c) => sendFile(c, 'dist', 'tollgate.iife.js'));
pageRoutes.get('/chunks/*', (c) => sendFile(c, 'dist/chunks', c.req.path.slice('/chunks/'.length)));
pageRoutes.get('/elements/*', (c) => sendFile(c, 'dist/elements', c.req.path.slice('/elements/'.length)));
pageRoutes.get('/dist/*', (c) => sendFile(c, 'dist', c.req.path.slice('/dist/'.length)));

pageRoutes.get('/demo/webview.html', async (c) => {
  const nonce = randomBytes(16).toString('base64');
  const origin = new URL(c.req.url).origin;
  c.header('Content-Security-Policy', strictCsp(origin, nonce));
  c.header('Cache-Control', 'no-store');
  return c.html(await template(c, 'webview.html', { nonce }));
});

pageRoutes.get('/demo/*', (c) => sendFile(c, 'demo', c.req.path.slice('/demo/'.length)));

// Where a hosted payment page returns to after a hand-off: nothing to do here but go back to the editor.
pageRoutes.get('/pay/:id/done', (c) => sendFile(c, 'demo', 'pay-done.html', { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }));

// The hand-off page, opened in the system browser. Razorpay's modal needs its own origins, so this page
// allows them (and the sandbox's) but still nonce-locks scripts.
pageRoutes.get('/pay/:id', async (c) => {
  const id = c.req.param('id');
  if (!/^chk_[A-Za-z0-9_-]{1,64}$/.test(id)) throw new AppError('not_found', 'Not found');
  const nonce = randomBytes(16).toString('base64');
  const origin = new URL(c.req.url).origin;
  c.header('Content-Security-Policy', payPageCsp(origin, nonce));
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.html(await template(c, 'pay.html', { nonce, checkout_id: id }));
});
