// What every provider's settings.ts shares: the provider's mode, and its secrets read from the environment
// (all set → live; none → sandbox or unavailable; some → a start-up error naming the missing ones).
import { ConfigError } from '../errors.js';

export type ProviderMode = 'live' | 'sandbox' | 'unavailable';

/** Read one provider's secrets: all set → live; none set → sandbox or unavailable; some set → a start-up error. */
export function providerSecrets(env: Record<string, string | undefined>, names: string[], sandbox: boolean): { mode: ProviderMode; values: Record<string, string> } {
  const present = names.filter((n) => env[n]);
  if (present.length === names.length) return { mode: 'live', values: Object.fromEntries(names.map((n) => [n, env[n]!])) };
  if (present.length > 0) {
    const missing = names.filter((n) => !env[n]);
    throw new ConfigError(`${present.join(', ')} ${present.length > 1 ? 'are' : 'is'} set but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing; set all of ${names.join(', ')} for live mode, or none for ${sandbox ? 'sandbox mode' : 'a disabled provider'}`);
  }
  return { mode: sandbox ? 'sandbox' : 'unavailable', values: {} };
}
