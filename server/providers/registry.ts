// The providers of one server, by name, each live, simulated (sandbox) or unavailable.
import type { ProviderName } from '../../src/contract/index.js';
import type { ProviderMode } from '../config.js';
import type { Provider } from './types.js';

export class ProviderRegistry {
  private readonly byName = new Map<ProviderName, Provider>();
  constructor(providers: Provider[]) {
    for (const p of providers) this.byName.set(p.name, p);
  }
  get(name: ProviderName): Provider | undefined {
    return this.byName.get(name);
  }
  all(): Provider[] {
    return [...this.byName.values()];
  }
  modes(): Record<string, ProviderMode> {
    return Object.fromEntries(this.all().map((p) => [p.name, p.mode]));
  }
}
