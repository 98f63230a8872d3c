// `npm start`: load the config, open the store, start the server, and say where the demo is and which
// providers are live and which simulated.
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

async function main() {
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
