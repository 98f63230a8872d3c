// The `tollgate` command as a child process: check-config on bad files, missing secrets and good configs (exit
// code and message, nothing opened), migrate on a fresh PGlite folder and a fresh PostgreSQL database, the
// argument errors, and the listening address (a sandbox on loopback unless HOST says otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { DEFAULT_CONFIG, loadServerConfig } from '../../server/config.js';
import { packageVersion } from '../../server/cli/version.js';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { spawnServer } from './server-process.js';

/** This process's environment without anything that configures a server (provider keys, config, store, HOST). */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(out)) {
    if (/^(RAZORPAY|STRIPE|MINTBOT|MIMICBOT|MINTOKEN|BONZAI|SUPABASE|TOLLGATE)_/.test(key) || ['DATABASE_URL', 'DATA_DIR', 'HOST', 'PORT', 'NODE_ENV', 'LOG_LEVEL'].includes(key)) delete out[key];
  }
  return { ...out, ...env };
}

/** `tollgate <args>` as `node --import tsx server/cli.ts` (or scripts/start.mjs, as `npm start --` runs it). */
function tollgate(args: string[], env: Record<string, string> = {}, entry = 'server/cli.ts') {
  const argv = entry.endsWith('.ts') ? ['--import', 'tsx', entry, ...args] : [entry, ...args];
  const run = spawnSync(process.execPath, argv, { env: cleanEnv(env), encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, output: run.stdout + run.stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tg-cli-'));
}

function writeConfig(dir: string, config: unknown): string {
  const file = join(dir, 'tollgate.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const LIVE = { TOLLGATE_SANDBOX: '0', TOLLGATE_SESSION_SECRET: 'cli-test-session-secret-0123456789abcdef', TOLLGATE_API_KEY: 'tg_cli_test_key' };

test('check-config on a file with unknown keys: exit 1, the file, each path and the closest valid key; nothing opened', () => {
  const dir = tempDir();
  const file = writeConfig(dir, { ...DEFAULT_CONFIG, alowed_origins: ['https://app.example'], rate_limits: { ip: { limit: 60, window_s: 60, windw_s: 30 } } });
  const run = tollgate(['check-config'], { TOLLGATE_CONFIG: file, DATA_DIR: join(dir, 'data') });
  assert.equal(run.status, 1, run.output);
  assert.match(run.stderr, /^tollgate: configuration error\n/);
  assert.ok(run.stderr.includes(`TOLLGATE_CONFIG=${file} is invalid`), run.stderr);
  assert.match(run.stderr, /\(top level\): unknown key "alowed_origins" \(did you mean "allowed_origins"\?\)/);
  assert.match(run.stderr, /rate_limits\.ip: unknown key "windw_s" \(did you mean "window_s"\?\)/);
  assert.doesNotMatch(run.stdout, /configuration is valid/);

  // A provider's own section is checked as the provider is built, as at start.
  const section = writeConfig(dir, { ...DEFAULT_CONFIG, providers: { razorpay: {}, mintbot: { langauge: 'en' } } });
  const built = tollgate(['check-config'], { TOLLGATE_CONFIG: section, DATA_DIR: join(dir, 'data') });
  assert.equal(built.status, 1, built.output);
  assert.match(built.stderr, /providers\.mintbot: unknown key "langauge" \(did you mean "language"\?\)/);

  const unreadable = tollgate(['check-config'], { TOLLGATE_CONFIG: join(dir, 'missing.json') });
  assert.equal(unreadable.status, 1);
  assert.match(unreadable.stderr, /missing\.json cannot be read \(ENOENT\)/);
  writeFileSync(join(dir, 'broken.json'), '{ "plans": [ }');
  const broken = tollgate(['check-config'], { TOLLGATE_CONFIG: join(dir, 'broken.json') });
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /broken\.json is not valid JSON/);
  assert.equal(existsSync(join(dir, 'data')), false, 'check-config opens no store');
  rmSync(dir, { recursive: true, force: true });
});

test('check-config in live mode: a missing secret or a half-configured provider exits 1 naming the variables, never a secret', () => {
  const noSecret = tollgate(['check-config'], { TOLLGATE_SANDBOX: '0' });
  assert.equal(noSecret.status, 1, noSecret.output);
  assert.match(noSecret.stderr, /TOLLGATE_SESSION_SECRET is missing; set it to a random string of at least 32 characters/);

  const noKey = tollgate(['check-config'], { TOLLGATE_SANDBOX: '0', TOLLGATE_SESSION_SECRET: LIVE.TOLLGATE_SESSION_SECRET });
  assert.equal(noKey.status, 1);
  assert.match(noKey.stderr, /TOLLGATE_API_KEY is missing/);

  const half = tollgate(['check-config'], { ...LIVE, RAZORPAY_KEY_ID: 'rzp_live_cli_abc' });
  assert.equal(half.status, 1, half.output);
  assert.match(half.stderr, /RAZORPAY_KEY_ID is set but RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET are missing/);
  assert.doesNotMatch(half.output, /rzp_live_cli_abc|cli-test-session-secret/);

  // Checked by the Stripe provider as it is built.
  const stripe = tollgate(['check-config'], { ...LIVE, STRIPE_SECRET_KEY: 'sk_live_cli_abc' });
  assert.equal(stripe.status, 1, stripe.output);
  assert.match(stripe.stderr, /STRIPE_SECRET_KEY is set but STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET are missing/);
  assert.doesNotMatch(stripe.output, /sk_live_cli_abc/);

  const values = tollgate(['check-config'], { LOG_LEVEL: 'verbose' });
  assert.equal(values.status, 1);
  assert.match(values.stderr, /LOG_LEVEL=verbose is not a level; use debug, info, warn, error/);
  const url = tollgate(['check-config'], { TOLLGATE_PUBLIC_URL: 'billing.example.com' });
  assert.equal(url.status, 1);
  assert.match(url.stderr, /TOLLGATE_PUBLIC_URL=billing\.example\.com is not an http\(s\) URL/);
});

test('check-config on a good sandbox config: exit 0, what is simulated, the store, address, URL and origins; no store, no build', () => {
  const dir = tempDir();
  const file = writeConfig(dir, { ...DEFAULT_CONFIG, allowed_origins: ['https://app.example', 'https://docs.example'] });
  // As `npm start -- check-config` runs it: scripts/start.mjs, which builds nothing for it.
  const run = tollgate(['check-config'], { TOLLGATE_CONFIG: file, DATA_DIR: join(dir, 'data'), PORT: '9123' }, 'scripts/start.mjs');
  assert.equal(run.status, 0, run.output);
  assert.match(run.stdout, /configuration is valid/);
  assert.ok(run.stdout.includes(`config file:  ${file}`), run.stdout);
  assert.match(run.stdout, /mode: +SANDBOX/);
  assert.match(run.stdout, /^ +razorpay +simulated$/m);
  assert.match(run.stdout, /^ +stripe +simulated$/m);
  assert.match(run.stdout, /^ +bonzai +unavailable$/m);
  assert.ok(run.stdout.includes(`store:        PGlite in ${join(dir, 'data')}`), run.stdout);
  assert.match(run.stdout, /listen: +127\.0\.0\.1:9123 \(this machine only/);
  assert.match(run.stdout, /public URL: +http:\/\/localhost:9123$/m);
  assert.match(run.stdout, /origins: +https:\/\/app\.example, https:\/\/docs\.example$/m);
  assert.doesNotMatch(run.output, /building the widgets|Tollgate is running/);
  assert.equal(existsSync(join(dir, 'data')), false, 'check-config opens no store');
  // A sandbox whose public URL is another machine's name listens on loopback all the same: said, not refused.
  const lan = tollgate(['check-config'], { TOLLGATE_PUBLIC_URL: 'http://192.0.2.9:8787' });
  assert.equal(lan.status, 0, lan.output);
  assert.match(lan.stdout, /warning: TOLLGATE_PUBLIC_URL names 192\.0\.2\.9, but a sandbox listens on 127\.0\.0\.1 only: set HOST=0\.0\.0\.0/);
  rmSync(dir, { recursive: true, force: true });
});

test('check-config on a good live config: live and unavailable providers, every interface, PostgreSQL named without its password', () => {
  const run = tollgate(['check-config'], {
    ...LIVE,
    RAZORPAY_KEY_ID: 'rzp_live_cli',
    RAZORPAY_KEY_SECRET: 'cli-razorpay-secret',
    RAZORPAY_WEBHOOK_SECRET: 'cli-razorpay-webhook-secret',
    DATABASE_URL: 'postgres://tollgate:cli-db-password@db.internal:5432/billing',
    TOLLGATE_PUBLIC_URL: 'https://billing.example',
  });
  assert.equal(run.status, 0, run.output);
  assert.match(run.stdout, /mode: +live$/m);
  assert.match(run.stdout, /^ +razorpay +live$/m);
  assert.match(run.stdout, /^ +stripe +unavailable$/m);
  assert.match(run.stdout, /store: +PostgreSQL at db\.internal:5432\/billing \(DATABASE_URL\)/);
  assert.match(run.stdout, /listen: +0\.0\.0\.0:8787 \(every interface\)/);
  assert.match(run.stdout, /warning: stripe is unavailable, yet plans pro, team have prices through it/);
  assert.match(run.stdout, /warning: allowed_origins is empty/);
  assert.doesNotMatch(run.output, /cli-db-password|cli-razorpay-secret|rzp_live_cli|cli-test-session-secret|tg_cli_test_key/);
});

test('the listening address: HOST when set, else 127.0.0.1 in sandbox mode and 0.0.0.0 live', () => {
  assert.equal(loadServerConfig({}).host, '127.0.0.1');
  assert.equal(loadServerConfig({ HOST: '' }).host, '127.0.0.1');
  assert.equal(loadServerConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
  assert.equal(loadServerConfig(LIVE).host, '0.0.0.0');
  assert.equal(loadServerConfig({ ...LIVE, HOST: '::1' }).host, '::1');
});

test('migrate on a fresh DATA_DIR lists every migration, then says it is up to date', () => {
  const dir = tempDir();
  const env = { DATA_DIR: join(dir, 'data') };
  const first = tollgate(['migrate'], env);
  assert.equal(first.status, 0, first.output);
  assert.ok(first.stdout.startsWith(`tollgate migrate: PGlite in ${env.DATA_DIR}\n`), first.stdout);
  assert.deepEqual([...first.stdout.matchAll(/^ +applied (\d+) (\S+)$/gm)].map((m) => [Number(m[1]), m[2]]), MIGRATIONS.map((m) => [m.id, m.name]));
  const latest = MIGRATIONS[MIGRATIONS.length - 1];
  const second = tollgate(['migrate'], env);
  assert.equal(second.status, 0, second.output);
  assert.match(second.stdout, new RegExp(`up to date \\(migration ${latest.id}, ${latest.name}\\)`));
  assert.doesNotMatch(second.stdout, /applied/);
  rmSync(dir, { recursive: true, force: true });
});

test('migrate on a fresh PostgreSQL database lists every migration, then says it is up to date', { skip: !process.env.DATABASE_URL && 'DATABASE_URL is not set' }, async () => {
  const base = process.env.DATABASE_URL!;
  const name = `tollgate_cli_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(base);
    url.pathname = `/${name}`;
    const env = { DATABASE_URL: url.href };
    const first = tollgate(['migrate'], env);
    assert.equal(first.status, 0, first.output);
    assert.match(first.stdout, new RegExp(`^tollgate migrate: PostgreSQL at ${url.host}/${name} \\(DATABASE_URL\\)\n`));
    assert.deepEqual([...first.stdout.matchAll(/^ +applied (\d+) (\S+)$/gm)].map((m) => [Number(m[1]), m[2]]), MIGRATIONS.map((m) => [m.id, m.name]));
    if (url.password) assert.ok(!first.output.includes(url.password), 'the password is never printed');
    const second = tollgate(['migrate'], env);
    assert.equal(second.status, 0, second.output);
    assert.match(second.stdout, /up to date/);
    const db = new pg.Client({ connectionString: url.href });
    await db.connect();
    const rows = (await db.query<{ id: number; name: string }>('SELECT id, name FROM schema_migrations ORDER BY id')).rows;
    await db.end();
    assert.deepEqual(rows.map((r) => [r.id, r.name]), MIGRATIONS.map((m) => [m.id, m.name]));
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});

test('unknown commands and arguments exit 2 and start nothing; each command has its own --help', () => {
  const dir = tempDir();
  const env = { DATA_DIR: join(dir, 'data') };
  const typo = tollgate(['chek-config'], env);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown command "chek-config" \(did you mean "check-config"\?\); the commands are start, migrate, check-config/);
  const extra = tollgate(['migrate', '--force'], env);
  assert.equal(extra.status, 2);
  assert.match(extra.stderr, /unknown argument "--force"/);
  const second = tollgate(['start', 'migrate'], env);
  assert.equal(second.status, 2);
  assert.match(second.stderr, /unknown argument "migrate"/);

  const help = tollgate(['--help'], env);
  assert.equal(help.status, 0);
  for (const command of ['start', 'migrate', 'check-config']) assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));
  const migrateHelp = tollgate(['migrate', '--help'], env);
  assert.equal(migrateHelp.status, 0);
  assert.match(migrateHelp.stdout, /^Usage: tollgate migrate/);
  assert.match(migrateHelp.stdout, /DATABASE_URL/);
  const checkHelp = tollgate(['check-config', '-h'], env);
  assert.match(checkHelp.stdout, /^Usage: tollgate check-config/);
  const startHelp = tollgate(['start', '--help'], env);
  assert.match(startHelp.stdout, /^Usage: tollgate start/);
  assert.match(startHelp.stdout, /HOST +address to listen on/);
  assert.equal(existsSync(join(dir, 'data')), false, 'no store was opened');
  rmSync(dir, { recursive: true, force: true });
});

test('--version reads the nearest package.json named tollgate or tollgate-server, wherever the server is installed', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'node_modules/tollgate-server/dist/cli'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tollgate', version: '1.0.0' }));
  writeFileSync(join(dir, 'node_modules/tollgate-server/package.json'), JSON.stringify({ name: 'tollgate-server', version: '2.3.4' }));
  // A package.json on the way that is not Tollgate's (e.g. one that only sets "type") is passed over.
  writeFileSync(join(dir, 'node_modules/tollgate-server/dist/package.json'), JSON.stringify({ type: 'module' }));
  assert.equal(packageVersion(pathToFileURL(join(dir, 'node_modules/tollgate-server/dist/cli/version.js'))), '2.3.4');
  assert.equal(packageVersion(pathToFileURL(join(dir, 'server/cli/version.ts'))), '1.0.0');
  const run = tollgate(['--version']);
  assert.equal(run.status, 0);
  assert.match(run.stdout, /^tollgate \d+\.\d+\.\d+\n$/);
  rmSync(dir, { recursive: true, force: true });
});

/** Whether a TCP connection to address:port is accepted. */
function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('a sandbox listens on 127.0.0.1 when HOST is not set: the banner says so and other interfaces are refused; live listens on every interface', async (t) => {
  const dir = tempDir();
  // HOST '' is HOST unset (spawnServer sets 127.0.0.1 otherwise).
  const sandbox = await spawnServer({ HOST: '', DATA_DIR: join(dir, 'data') });
  const port = Number(new URL(sandbox.url).port);
  const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  try {
    assert.match(sandbox.output(), new RegExp(`listen: +127\\.0\\.0\\.1:${port} \\(this machine only, the sandbox default; HOST=0\\.0\\.0\\.0 for every interface\\)`));
    assert.equal((await fetch(`${sandbox.url}/healthz`)).status, 200);
    if (external) assert.equal(await accepts(external, port), false, `not reachable on ${external}`);
    else t.diagnostic('no non-loopback IPv4 interface here: only the banner and loopback were checked');
    // migrate does not open a folder a server has: it names the process that has it.
    const busy = tollgate(['migrate'], { DATA_DIR: join(dir, 'data') });
    assert.equal(busy.status, 1, busy.output);
    assert.match(busy.stderr, new RegExp(`^tollgate: migration failed: .*pid ${sandbox.pid}`));
  } finally {
    await sandbox.stop();
  }
  // Live on the same (now migrated) folder: every interface, reachable on the external address too.
  const live = await spawnServer({ ...LIVE, HOST: '', DATA_DIR: join(dir, 'data') });
  const livePort = Number(new URL(live.url).port);
  try {
    assert.match(live.output(), new RegExp(`listen: +0\\.0\\.0\\.0:${livePort} \\(every interface\\)`));
    if (external) assert.equal(await accepts(external, livePort), true, `reachable on ${external}`);
  } finally {
    await live.stop();
  }
  rmSync(dir, { recursive: true, force: true });
});
