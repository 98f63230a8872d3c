// The providers of one server, by name, each live, simulated (sandbox) or unavailable, and which of them
// have a capability (generic code asks for a capability, never a name).
import type { ProviderName } from '../../src/contract/index.js';
import type { ProviderMode } from '../config.js';
import type { ProviderCapabilities } from './capabilities.js';
import type { Provider } from './types.js';

export { capabilitiesOf } from './capability-table.js';

/** The boolean capabilities, for `namesWith`. */
type Flag = { [K in keyof ProviderCapabilities]-?: ProviderCapabilities[K] extends boolean ? K : never }[keyof ProviderCapabilities];

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
  /** The names of the providers that have a capability (`namesWith('verify')`: who takes a Razorpay-style verify). */
  namesWith(capability: Flag): ProviderName[] {
    return this.all().filter((p) => p[capability]).map((p) => p.name);
  }
}
