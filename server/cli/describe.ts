// What the CLI says about a configuration, in the start banner and in `tollgate check-config` alike: the
// store, the listening address, each provider's mode, and the settings that are likely mistakes.
import type { ServerConfig } from '../config.js';
import type { ProviderMode } from '../providers/settings.js';

/** The store, without credentials: `PGlite in .data`, `PostgreSQL at db.internal:5432/billing (DATABASE_URL)`. */
export function describeStore(location: { databaseUrl?: string; dataDir: string }): string {
  if (!location.databaseUrl) return `PGlite in ${location.dataDir}`;
  try {
    const url = new URL(location.databaseUrl);
    return `PostgreSQL at ${url.host}${url.pathname === '/' ? '' : url.pathname} (DATABASE_URL)`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/** The address and port listened on (`address`: the one bound, or the one that would be), and who can reach it. */
export function describeListen(config: Pick<ServerConfig, 'sandbox'>, address: string, port: number, hostFromEnv: boolean): string {
  const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
  if (hostFromEnv) return `${where} (HOST)`;
  return config.sandbox ? `${where} (this machine only, the sandbox default; HOST=0.0.0.0 for every interface)` : `${where} (every interface)`;
}

/** How a provider's mode reads: `simulated` for the sandbox. */
export function modeText(mode: ProviderMode): string {
  return mode === 'sandbox' ? 'simulated' : mode;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Settings that start, but are probably not what was meant. */
export function configWarnings(config: ServerConfig, hostFromEnv: boolean, modes: Record<string, ProviderMode>): string[] {
  const warnings: string[] = [];
  const publicHost = new URL(config.publicUrl).hostname;
  if (!hostFromEnv && config.sandbox && !LOOPBACK.has(publicHost) && !publicHost.endsWith('.localhost'))
    warnings.push(`TOLLGATE_PUBLIC_URL names ${publicHost}, but a sandbox listens on 127.0.0.1 only: set HOST=0.0.0.0 if browsers reach it directly rather than through a proxy on this machine`);
  if (!config.sandbox && config.file.allowed_origins.length === 0)
    warnings.push('allowed_origins is empty: outside sandbox mode no browser page on another origin may call the API; list your pages\' origins');
  for (const [provider, mode] of Object.entries(modes)) {
    const plans = config.file.plans.filter((plan) => plan.prices.some((price) => price.provider === provider)).map((plan) => plan.id);
    if (mode === 'unavailable' && plans.length > 0) warnings.push(`${provider} is unavailable, yet plans ${plans.join(', ')} have prices through it: checkouts through it answer 503 (provider_unavailable) until it is configured`);
  }
  return warnings;
}
