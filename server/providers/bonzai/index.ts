// Bonzai adapter (placeholder until it is built): no provider yet.
import type { ExtraProviderDeps } from '../extra.js';
import type { Provider } from '../types.js';

export function createBonzaiProviders(_deps: ExtraProviderDeps): Provider[] {
  return [];
}
