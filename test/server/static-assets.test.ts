// The built scripts and demo files over real HTTP: brotli or gzip by Accept-Encoding (decoded, the bytes
// of dist/), hashed chunks cached for a year, tollgate.js with a strong ETag, a short max-age and 304s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { serve, type ServerType } from '@hono/node-server';
import { ensureBuilt, ROOT } from '../e2e/harness.js';
import { makeServer, testStore, type TestServer } from './helpers.js';
import { fileAsset, preferredCodings } from '../../server/static-assets.js';
import type { Store } from '../../server/store/index.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes on the wire, as sent (node:http does not decode them, unlike fetch). */
  body: Buffer;
}

function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The body as the client reads it, by its Content-Encoding. */
function decoded(answer: Answer): Buffer {
  const coding = answer.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(answer.body);
  if (coding === 'gzip') return gunzipSync(answer.body);
  assert.equal(coding, undefined, `an unexpected coding: ${coding}`);
  return answer.body;
}

const dist = (path: string) => readFileSync(join(ROOT, 'dist', path));

describe('static assets over HTTP', () => {
  let store: Store;
  let server: TestServer;
  let http: ServerType;
  let base: string;
  let hashedChunk: string;

  before(async () => {
    ensureBuilt();
    hashedChunk = readdirSync(join(ROOT, 'dist', 'chunks')).find((name) => /^shared-[\w-]{8}\.js$/.test(name))!;
    assert.ok(hashedChunk, 'the build has a hashed shared chunk');
    store = await testStore();
    server = await makeServer({ store });
    http = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await server.close();
    await store.close();
  });

  describe('when the client accepts brotli and gzip', () => {
    test('tollgate.js comes brotli-compressed, with the right length, and decodes to the built file', async () => {
      const res = await get(base, '/tollgate.js', { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], 'br');
      assert.equal(res.headers.vary, 'Accept-Encoding');
      assert.match(res.headers['content-type'] ?? '', /^text\/javascript/);
      assert.equal(Number(res.headers['content-length']), res.body.byteLength);
      assert.ok(res.body.byteLength < dist('tollgate.js').byteLength / 2, `compressed: ${res.body.byteLength} of ${dist('tollgate.js').byteLength} bytes`);
      assert.deepEqual(decoded(res), dist('tollgate.js'));
      assert.equal(res.headers['access-control-allow-origin'], '*', 'a public module script, loadable from any page');
    });

    test('every built script and the sandbox checkout.js decode to their files', async () => {
      const paths = ['/tollgate.iife.js', `/chunks/${hashedChunk}`, '/chunks/stripe-js.js', '/elements/plan-picker.js', `/dist/chunks/${hashedChunk}`];
      for (const path of paths) {
        const res = await get(base, path, { 'Accept-Encoding': 'br, gzip' });
        assert.equal(res.status, 200, path);
        assert.equal(res.headers['content-encoding'], 'br', path);
        assert.deepEqual(decoded(res), dist(path.replace(/^\/(dist\/)?/, '')), path);
      }
      const checkout = await get(base, '/sandbox/razorpay/checkout.js', { 'Accept-Encoding': 'gzip' });
      assert.equal(checkout.headers['content-encoding'], 'gzip');
      assert.deepEqual(decoded(checkout), readFileSync(join(ROOT, 'server', 'providers', 'razorpay', 'sandbox', 'checkout.js')));
      assert.equal(checkout.headers['cache-control'], 'no-cache');
      assert.match(checkout.headers.etag ?? '', /^"[\w-]+"$/);
    });
  });

  test('the coding follows the q-values of Accept-Encoding', async () => {
    const cases: [string | undefined, string | undefined][] = [
      ['gzip', 'gzip'],
      ['gzip;q=1.0, br;q=0.5', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['*', 'br'],
      ['*;q=0.1, br;q=0', 'gzip'],
      ['identity', undefined],
      ['identity;q=1, br;q=0.5', undefined],
      ['gzip;q=0, br;q=0', undefined],
      ['deflate', undefined],
      [undefined, undefined],
    ];
    const file = dist('tollgate.js');
    for (const [accept, coding] of cases) {
      const res = await get(base, '/tollgate.js', accept === undefined ? {} : { 'Accept-Encoding': accept });
      assert.equal(res.headers['content-encoding'], coding, `Accept-Encoding: ${accept}`);
      assert.equal(res.headers.vary, 'Accept-Encoding', `Accept-Encoding: ${accept}`);
      assert.equal(Number(res.headers['content-length']), res.body.byteLength, `Accept-Encoding: ${accept}`);
      assert.deepEqual(decoded(res), file, `Accept-Encoding: ${accept}`);
    }
  });

  describe('caching', () => {
    test('hashed chunks are immutable for a year', async () => {
      for (const path of [`/chunks/${hashedChunk}`, `/dist/chunks/${hashedChunk}`]) {
        const res = await get(base, path, { 'Accept-Encoding': 'br' });
        assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', path);
      }
    });

    test('tollgate.js and the other unhashed entries: a short max-age and a strong ETag of the content; If-None-Match gets a 304', async () => {
      for (const path of ['/tollgate.js', '/tollgate.iife.js', '/elements/usage-meter.js', '/chunks/stripe-js.js']) {
        const first = await get(base, path, { 'Accept-Encoding': 'br' });
        assert.equal(first.headers['cache-control'], 'public, max-age=300', path);
        const etag = first.headers.etag ?? '';
        assert.match(etag, /^"[\w-]+"$/, `${path}: a strong ETag`);
        const again = await get(base, path, { 'Accept-Encoding': 'br', 'If-None-Match': etag });
        assert.equal(again.status, 304, path);
        assert.equal(again.body.byteLength, 0);
        assert.equal(again.headers.etag, etag);
        assert.equal(again.headers['cache-control'], 'public, max-age=300');
        assert.equal(again.headers.vary, 'Accept-Encoding');
        const weakAndListed = await get(base, path, { 'Accept-Encoding': 'br', 'If-None-Match': `"other", W/${etag}` });
        assert.equal(weakAndListed.status, 304, `${path}: If-None-Match compares weakly`);
        const stale = await get(base, path, { 'Accept-Encoding': 'br', 'If-None-Match': '"not-this-one"' });
        assert.equal(stale.status, 200, path);
        assert.deepEqual(decoded(stale), dist(path.slice(1)));
      }
    });

    test('each coding is its own representation with its own ETag', async () => {
      const br = await get(base, '/tollgate.js', { 'Accept-Encoding': 'br' });
      const gzip = await get(base, '/tollgate.js', { 'Accept-Encoding': 'gzip' });
      const plain = await get(base, '/tollgate.js');
      const tags = new Set([br.headers.etag, gzip.headers.etag, plain.headers.etag]);
      assert.equal(tags.size, 3, [...tags].join(' '));
      // A cached gzip body is not the brotli one: revalidating it while asking for brotli sends the brotli body.
      const switched = await get(base, '/tollgate.js', { 'Accept-Encoding': 'br', 'If-None-Match': gzip.headers.etag! });
      assert.equal(switched.status, 200);
      assert.equal(switched.headers['content-encoding'], 'br');
    });

    test('demo files: compressed, with an ETag, revalidated every time', async () => {
      for (const path of ['/demo/partner.html', '/demo/demo.css', '/demo/partner.js', '/']) {
        const res = await get(base, path, { 'Accept-Encoding': 'gzip, br' });
        assert.equal(res.status, 200, path);
        assert.equal(res.headers['cache-control'], 'no-cache', path);
        assert.equal(res.headers['content-encoding'], 'br', path);
        assert.deepEqual(decoded(res), readFileSync(join(ROOT, 'demo', path === '/' ? 'index.html' : path.slice('/demo/'.length))), path);
        const again = await get(base, path, { 'Accept-Encoding': 'gzip, br', 'If-None-Match': res.headers.etag! });
        assert.equal(again.status, 304, path);
      }
    });

    test("the hand-off's done page is never stored and sends no referrer", async () => {
      const res = await get(base, '/pay/chk_abc/done', { 'Accept-Encoding': 'br' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.deepEqual(decoded(res), readFileSync(join(ROOT, 'demo', 'pay-done.html')));
    });

    test('HEAD answers the headers of GET without a body', async () => {
      const res = await get(base, '/tollgate.js', { 'Accept-Encoding': 'br' }, 'HEAD');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], 'br');
      assert.equal(res.body.byteLength, 0);
    });

    test('a missing file is the JSON 404, and paths cannot climb out of dist/', async () => {
      for (const path of ['/chunks/nope-12345678.js', '/dist/%2e%2e/package.json']) {
        const res = await get(base, path, { 'Accept-Encoding': 'br' });
        assert.equal(res.status, 404, path);
        assert.equal(JSON.parse(res.body.toString()).error.code, 'not_found');
      }
    });
  });
});

describe('fileAsset', () => {
  test('reads and compresses a file once, and again when it changes on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-assets-'));
    try {
      const path = join(dir, 'a.js');
      writeFileSync(path, 'export const a = 1;\n'.repeat(200));
      const first = await fileAsset(path, 'text/javascript; charset=utf-8');
      assert.equal(await fileAsset(path, 'text/javascript; charset=utf-8'), first, 'the same asset while the file is unchanged');
      writeFileSync(path, 'export const b = 2;\n'.repeat(200)); // same size: the mtime tells
      utimesSync(path, new Date(), new Date(Date.now() + 5000));
      const second = await fileAsset(path, 'text/javascript; charset=utf-8');
      assert.notEqual(second, first);
      assert.notEqual(second.etag, first.etag);
      assert.equal(Buffer.from(second.bytes).toString().slice(0, 19), 'export const b = 2;');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('preferredCodings', () => {
  test('best first by q, ties in the server order (br, gzip), identity last unless preferred outright', () => {
    assert.deepEqual(preferredCodings(undefined), ['identity']);
    assert.deepEqual(preferredCodings(''), ['identity']);
    assert.deepEqual(preferredCodings('gzip, br'), ['br', 'gzip', 'identity']);
    assert.deepEqual(preferredCodings('gzip;q=0.8, br;q=0.4'), ['gzip', 'br', 'identity']);
    assert.deepEqual(preferredCodings('BR;Q=0.5, x-gzip'), ['gzip', 'br', 'identity']);
    assert.deepEqual(preferredCodings('*;q=0.5, gzip;q=0'), ['br', 'identity']);
    assert.deepEqual(preferredCodings('identity, gzip;q=0.5'), ['identity', 'gzip']);
    assert.deepEqual(preferredCodings('br;q=abc, gzip'), ['gzip', 'identity']);
  });
});
