// `tollgate check-config`: the configuration as `tollgate start` would load it (the file, the environment, every
// provider built from its section and secrets) without opening the store or listening, and what it would run.
import { appBaseDeps } from '../app.js';
import { loadServerConfig, SANDBOX_PUBLIC_API_KEY, type ServerConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { createProviders } from '../providers/index.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { ProviderDeps } from '../providers/types.js';
import { describeEntitlementKeys } from '../security/entitlement-tokens.js';
import type { Store } from '../store/index.js';
import { configWarnings, describeListen, describeStore, modeText } from './describe.js';

/**
 * What the providers are built with instead of a store: nothing is opened, and any use is refused. Building a
 * provider only keeps the store for later (requests, webhooks, pollers), so check-config needs none; were one to
 * touch it while being built, check-config would fail with this message rather than pass without a store.
 */
function unopenedStore(engine: Store['engine']): Store {
  const refuse = async (): Promise<never> => {
    throw new Error('check-config opens no store, yet a provider used it while being built');
  };
  return { engine, writeGeneration: 0, query: refuse, exec: refuse, transaction: refuse, close: async () => {} };
}

/** The providers as createApp builds them (each checks its own config section and secrets), with nothing to serve. */
export async function buildProviders(config: ServerConfig, log: Logger): Promise<ProviderRegistry> {
  const store = unopenedStore(config.databaseUrl ? 'postgres' : 'pglite');
  const refuse = async (): Promise<never> => {
    throw new Error('check-config serves nothing');
  };
  const deps: ProviderDeps = { ...appBaseDeps(config, store, log, () => new Date()), fetch: refuse, deliverToSelf: refuse };
  const registry = new ProviderRegistry(createProviders(deps));
  await Promise.all(registry.all().map((p) => p.close?.()));
  return registry;
}

/** Check the configuration and print what it would run; throws ConfigError (exit 1) on a problem. */
export async function checkConfig(env: Record<string, string | undefined>, write: (text: string) => void): Promise<void> {
  const config = loadServerConfig(env);
  const registry = await buildProviders(config, createLogger({ level: config.logLevel }));
  const modes = registry.modes();
  const hostFromEnv = Boolean(env.HOST);
  const width = Math.max(...Object.keys(modes).map((n) => n.length));
  const origins = config.file.allowed_origins;
  const lines = [
    `tollgate check-config: the configuration is valid`,
    `  config file:  ${env.TOLLGATE_CONFIG ? env.TOLLGATE_CONFIG : 'none (TOLLGATE_CONFIG unset): the default catalog'}`,
    `  mode:         ${config.sandbox ? 'SANDBOX (simulated payments, no money moves)' : 'live'}`,
    `  providers:`,
    ...Object.entries(modes).map(([name, mode]) => `    ${name.padEnd(width)}  ${modeText(mode)}`),
    `  plans:        ${config.file.plans.map((p) => p.id).join(', ')} (free plan: ${config.file.free_plan})`,
    `  store:        ${describeStore(config)}; not opened by check-config`,
    `  listen:       ${describeListen(config, config.host, config.port, hostFromEnv)}`,
    `  public URL:   ${config.publicUrl}`,
    `  origins:      ${origins.length ? origins.join(', ') : config.sandbox ? 'any (sandbox mode, allowed_origins empty)' : 'none (allowed_origins empty)'}`,
    `  client IP:    ${config.file.trust_proxy ? `${config.file.trust_proxy.header} from ${config.file.trust_proxy.proxies.join(', ')} (trust_proxy)` : 'the socket address (no trust_proxy)'}`,
    `  API key:      ${env.TOLLGATE_API_KEY ? 'set (TOLLGATE_API_KEY)' : `the sandbox key, ${SANDBOX_PUBLIC_API_KEY} (TOLLGATE_API_KEY unset)`}`,
    `  sessions:     ${env.TOLLGATE_SESSION_SECRET ? 'signed with TOLLGATE_SESSION_SECRET' : 'signed with a random secret per process (sandbox; TOLLGATE_SESSION_SECRET unset)'}`,
    `  entitlements: tokens ${describeEntitlementKeys(config.entitlementKeys, config.file.entitlement_tokens.ttl_seconds)}`,
    ...configWarnings(config, hostFromEnv, modes).map((w) => `  warning: ${w}`),
  ];
  write(lines.join('\n') + '\n');
}
