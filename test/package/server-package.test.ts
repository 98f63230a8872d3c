// The `tollgate-server` package as a user gets it: packed (npm pack), installed into an empty app from the
// tarball beside the `tollgate` one, and run with plain Node (no tsx): the `tollgate` command starts the sandbox
// server, and createTollgate() from `tollgate/server` mounts it under /billing in the app's own node:http server,
// where the backend's `tollgate/client` mints a session with the API key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack, removeDir, type Packed } from './consumer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Wait for a line on the child's stdout matching `pattern`; the child's output so far on failure. */
function waitFor(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what}: timed out; output so far:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: exited with ${code}; output:\n${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('tollgate-server, packed and installed into an empty app', () => {
  let app: string;
  let packed: Packed[] = [];

  before(() => {
    if (!existsSync(join(root, 'packages/server/server/cli.js'))) execFileSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
    app = mkdtempSync(join(tmpdir(), 'tollgate-server-app-'));
    const [server, browser] = (packed = [pack(join(root, 'packages/server')), pack()]);
    const paths = server.files;
    assert.ok(paths.includes('server/cli.js') && paths.includes('server/index.js') && paths.includes('server/index.d.ts'), 'the compiled server and its types');
    assert.ok(paths.includes('dist/tollgate.js') && paths.includes('demo/pay.html'), 'the widgets and pages it serves');
    assert.ok(!paths.some((p) => p.endsWith('.ts') && !p.endsWith('.d.ts')), 'no TypeScript sources: plain Node runs it');
    assert.ok(!paths.some((p) => /(^|\/)test\//.test(p)), 'no tests');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'partner-app', private: true, type: 'module' }));
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', server.tarball, browser.tarball], app);
  });
  after(() => {
    rmSync(app, { recursive: true, force: true });
    for (const p of packed) removeDir(p.dir);
  });

  test('installs without TypeScript, tsx, Vite or a browser toolchain', () => {
    for (const name of ['tsx', 'typescript', 'vite', 'stripe', '@stripe/stripe-js', 'esbuild']) assert.equal(existsSync(join(app, 'node_modules', name)), false, `${name} is not installed`);
    assert.ok(existsSync(join(app, 'node_modules/.bin/tollgate')), 'the tollgate command');
    const version = execFileSync(join(app, 'node_modules/.bin/tollgate'), ['--version'], { cwd: app, encoding: 'utf8' });
    assert.equal(version.trim(), `tollgate ${JSON.parse(readFileSync(join(root, 'packages/server/package.json'), 'utf8')).version}`);
  });

  test('`tollgate check-config`: 0 on the sandbox default, 1 naming the variable on a missing secret', () => {
    const check = (env: Record<string, string>) =>
      spawnSync(join(app, 'node_modules/.bin/tollgate'), ['check-config'], { cwd: app, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '', ...env } });
    const good = check({});
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /razorpay\s+simulated/);
    const live = check({ TOLLGATE_SANDBOX: '0', TOLLGATE_API_KEY: 'tg_live_key_0123456789' });
    assert.equal(live.status, 1);
    assert.match(live.stderr, /TOLLGATE_SESSION_SECRET is missing/);
  });

  test('`tollgate` starts the sandbox server: plans, the widgets, the demo', async () => {
    const child = spawn(join(app, 'node_modules/.bin/tollgate'), [], { cwd: app, env: { ...process.env, PORT: '0', DATA_DIR: join(app, '.data'), DATABASE_URL: '', TOLLGATE_PUBLIC_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await waitFor(child, /port (\d+)/, 'tollgate start');
      const port = line.match(/\d+/)![0];
      const base = `http://127.0.0.1:${port}`;
      const plans = await (await fetch(`${base}/v1/plans`)).json();
      assert.ok(plans.plans.length > 1);
      const widgets = await fetch(`${base}/tollgate.js`);
      assert.equal(widgets.status, 200);
      assert.match(widgets.headers.get('content-type') ?? '', /javascript/);
      assert.equal((await fetch(`${base}/demo/partner.html`)).status, 200);
    } finally {
      await stop(child);
    }
  });

  test('createTollgate() from tollgate/server, mounted under /billing on node:http; tollgate/client through it', async () => {
    writeFileSync(
      join(app, 'server.js'),
      `import { createServer } from 'node:http';
import { createTollgate } from 'tollgate/server';
import { createClient } from 'tollgate/client';
const server = createServer();
server.listen(0, '127.0.0.1', async () => {
  const url = 'http://127.0.0.1:' + server.address().port;
  const billing = createTollgate({ publicUrl: url + '/billing', log: 'error' });
  server.on('request', (req, res) => (req.url.startsWith('/billing') ? billing.node(req, res) : res.end('partner')));
  await billing.ready;
  const client = createClient({ baseUrl: url + '/billing', apiKey: 'tg_sandbox_api_key' });
  const { token } = await client.sessions.create({ customer_id: 'cust_pkg' });
  console.log('listening ' + url + ' ' + token);
});
`,
    );
    const child = spawn(process.execPath, ['server.js'], { cwd: app, env: { ...process.env, DATA_DIR: join(app, '.data-lib'), DATABASE_URL: '', TOLLGATE_SANDBOX: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [, url, token] = (await waitFor(child, /listening (\S+) (\S+)/, 'the partner server')).split(' ');
      const checkout = await fetch(`${url}/billing/v1/checkout`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Idempotency-Key': 'k-2' }, body: '{"plan":"pro","provider":"razorpay"}' });
      assert.equal(checkout.status, 201, await checkout.clone().text());
      assert.equal((await checkout.json()).action.script_url, `${url}/billing/sandbox/razorpay/checkout.js`);
      assert.equal(await (await fetch(`${url}/`)).text(), 'partner');
    } finally {
      await stop(child);
    }
  });
});
