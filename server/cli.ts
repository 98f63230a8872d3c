// `npm start`: load the config, open the store, start the server, and say where the demo is and which
// providers are live and which simulated.
import { readFileSync } from 'node:fs';
import { createApp } from './app.js';
import { ConfigError, loadServerConfig } from './config.js';
import { createLogger, type LogLevel } from './log.js';
import { serveHttp } from './serve.js';
import { openStore } from './store/index.js';

/** A configuration problem is the operator's to fix: say what and how, and exit non-zero without a stack. */
function exitOnConfigError<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tollgate: configuration error\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

const USAGE = `Usage: npm start [-- --help | --version]   (or: node scripts/start.mjs)

Starts the Tollgate server: the API, the webhooks, the widgets' files and the demo pages. With no
provider keys it runs in sandbox mode (simulated payments, no money moves) on an embedded PGlite store.

Environment (README "Configuration" has them all):
  PORT                     port to listen on (default 8787)
  HOST                     address to listen on (default 0.0.0.0, every interface; 127.0.0.1: this machine only)
  TOLLGATE_PUBLIC_URL      where browsers reach the server, with its mount path if any (default http://localhost:$PORT)
  TOLLGATE_CONFIG          path of the JSON config file (plans, routing, providers, origins, limits)
  TOLLGATE_SANDBOX         1/0: simulate providers without credentials (default on unless NODE_ENV=production)
  TOLLGATE_API_KEY         your backend's key for POST /v1/sessions, /v1/usage and the admin routes
  TOLLGATE_SESSION_SECRET  secret of customer session tokens, at least 32 characters
  DATABASE_URL             PostgreSQL instead of PGlite (postgres://…)
  DATA_DIR                 PGlite data folder (default .data), one process at a time
  LOG_LEVEL                debug, info (default), warn, error
  RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET, STRIPE_SECRET_KEY, …: a provider's keys make it live

Options:
  -h, --help               this text
  -v, --version            the version
`;

/** `--help` and `--version` answer and exit; any other argument is refused (exit 2), the server never starts on a typo. */
function handleArguments(args: readonly string[]): void {
  if (args.length === 0) return;
  if (args.some((a) => a === '-h' || a === '--help')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (args.some((a) => a === '-v' || a === '--version')) {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`tollgate ${version}\n`);
    process.exit(0);
  }
  process.stderr.write(`tollgate: unknown argument ${JSON.stringify(args[0])}; the server is configured by the environment (see --help)\n`);
  process.exit(2);
}

async function main() {
  handleArguments(process.argv.slice(2));
  const config = exitOnConfigError(() => loadServerConfig(process.env));
  const log = createLogger({ level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info' });
  const started = Date.now();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir });
  // Providers check their own config sections (and secrets) as they are built.
  const tollgate = exitOnConfigError(() => createApp({ config, store, log }));
  const served = await serveHttp({ fetch: tollgate.app.fetch, port: config.port, hostname: process.env.HOST ?? '0.0.0.0', limits: config.file.http, log });
  const modes = tollgate.deps.providers.modes();
  const lines = [
    '',
    `  Tollgate is running on ${config.publicUrl}  (port ${served.port}, ${Date.now() - started} ms to start)`,
    `  mode:      ${config.sandbox ? 'SANDBOX (simulated payments, no money moves)' : 'live'}`,
    `  store:     ${store.engine === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`}`,
    `  providers: ${Object.entries(modes).map(([name, mode]) => `${name}=${mode === 'sandbox' ? 'simulated' : mode}`).join(', ')}`,
    `  demo:      ${config.publicUrl}/`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const stop = async () => {
    await served.close();
    await tollgate.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`tollgate: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
