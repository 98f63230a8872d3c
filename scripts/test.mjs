// `npm test`: every suite — server (node:test, PGlite and PostgreSQL when DATABASE_URL is set), the
// upstream fakes' self-tests, the widgets in headless Chromium (web-test-runner), the npm package (test/package: the
// tarball and consumer apps installing it) and the Playwright e2e against the real server — then one closing line
// "N passed, N failed".
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

function findChrome() {
  if (process.env.CHROME_PATH) {
    if (existsSync(process.env.CHROME_PATH)) return process.env.CHROME_PATH;
    console.error(`CHROME_PATH=${process.env.CHROME_PATH} does not exist`);
    process.exit(1);
  }
  return CANDIDATES.find((p) => existsSync(p));
}

let chrome = findChrome();
if (!chrome) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (root && apt) {
    console.log('No Chrome/Chromium found: installing Debian\'s chromium (apt-get install -y chromium)…');
    const install = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'inherit' });
    if (install.status !== 0) {
      console.error('Installing chromium failed; install Chrome or Chromium and set CHROME_PATH=/path/to/chrome');
      process.exit(1);
    }
    chrome = findChrome();
  }
  if (!chrome) {
    console.error('No Chrome/Chromium found. Install one (Debian: apt-get install chromium) and set CHROME_PATH=/path/to/chrome');
    process.exit(1);
  }
}
process.env.CHROME_PATH = chrome;

const files = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f)) : []);

function run(name, command, args, parse) {
  return new Promise((resolve) => {
    console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => {
      const counts = parse(out);
      if (code !== 0 && counts.failed === 0) counts.failed = 1; // a crash with no count is a failure
      resolve({ name, code, ...counts });
    });
  });
}

const nodeCounts = (out) => ({
  passed: [...out.matchAll(/^# pass (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0),
  failed: [...out.matchAll(/^# fail (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0),
});
const wtrCounts = (out) => {
  const all = [...out.matchAll(/(\d+) passed, (\d+) failed/g)];
  const last = all[all.length - 1];
  return { passed: last ? Number(last[1]) : 0, failed: last ? Number(last[2]) : 0 };
};

// The widgets, then the server compiled for the tollgate-server package (test/package installs both tarballs).
for (const script of ['build', 'build:server']) {
  const build = spawnSync('npm', ['run', script, '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.error(`npm run ${script} failed`);
    process.exit(1);
  }
}

// Checks on the build itself: the bundle budget and the generated docs being current.
const checks = [
  ['bundle size within budget', ['scripts/size.mjs']],
  ['element reference current', ['scripts/docs.mjs', '--check']],
  ['README current', ['scripts/readme.mjs', '--check']],
];
const checkResults = checks.map(([name, args]) => {
  console.log(`\n=== check: ${name}`);
  const ok = spawnSync(process.execPath, args, { stdio: 'inherit' }).status === 0;
  return { name: `check: ${name}`, code: ok ? 0 : 1, passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
});

const nodeTest = (dir, concurrency) => ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=tap', ...files(dir)];
const results = [...checkResults];
results.push(await run('server', process.execPath, nodeTest('test/server', 2), nodeCounts));
results.push(await run('fakes', process.execPath, nodeTest('test/fakes-selftest', 2), nodeCounts));
results.push(await run('browser', 'npx', ['web-test-runner'], wtrCounts));
// The npm package: the packed tarball, and consumer projects that install it (npm's registry or its cache).
results.push(await run('package', process.execPath, nodeTest('test/package', 1), nodeCounts));
if (files('test/e2e').length) results.push(await run('e2e', process.execPath, nodeTest('test/e2e', 1), nodeCounts));

console.log('\n=== summary');
for (const r of results) console.log(`${r.name.padEnd(34)} ${r.passed} passed, ${r.failed} failed${r.code ? ` (exit ${r.code})` : ''}`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || results.some((r) => r.code) ? 1 : 0);
