// `tollgate start` (and `npm start`): load the config, open the store, serve, and say where the demo is, which
// address is listened on, and which providers are live and which simulated.
import type { AddressInfo } from 'node:net';
import { createApp, type TollgateApp } from '../app.js';
import { loadServerConfig, type ServerConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { serveHttp } from '../serve.js';
import { openStore, type Store } from '../store/index.js';
import { configWarnings, describeListen, describeStore, modeText } from './describe.js';

/** The app on an open store, listening; when either fails, what was started is stopped and the store closed. */
async function serveApp(config: ServerConfig, store: Store, log: Logger) {
  let app: TollgateApp | undefined;
  try {
    // Providers check their own config sections (and secrets) as they are built.
    app = createApp({ config, store, log });
    // Receipts issued before the receipts config is in the store would take the previous series and seller.
    await app.receiptsReady;
    const served = await serveHttp({ fetch: app.app.fetch, port: config.port, hostname: config.host, limits: config.file.http, log });
    return { app, served };
  } catch (err) {
    await app?.close();
    await store.close();
    throw err;
  }
}

export async function start(env: Record<string, string | undefined>, write: (text: string) => void): Promise<void> {
  const config = loadServerConfig(env);
  const log = createLogger({ level: config.logLevel });
  const started = Date.now();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir });
  const { app, served } = await serveApp(config, store, log);
  const bound = served.server.address() as AddressInfo;
  const modes = app.deps.providers.modes();
  const hostFromEnv = Boolean(env.HOST);
  const lines = [
    '',
    `  Tollgate is running on ${config.publicUrl}  (port ${served.port}, ${Date.now() - started} ms to start)`,
    `  mode:      ${config.sandbox ? 'SANDBOX (simulated payments, no money moves)' : 'live'}`,
    `  listen:    ${describeListen(config, bound.address, served.port, hostFromEnv)}`,
    `  store:     ${describeStore(config)}`,
    `  providers: ${Object.entries(modes).map(([name, mode]) => `${name}=${modeText(mode)}`).join(', ')}`,
    `  demo:      ${config.publicUrl}/`,
    ...configWarnings(config, hostFromEnv, modes).map((w) => `  warning:   ${w}`),
    '',
  ];
  write(lines.join('\n') + '\n');
  const stop = async () => {
    await served.close();
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
