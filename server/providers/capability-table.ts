// Each provider's capabilities by stored name, for generic code that runs without the registry (billing
// rules, the catalog): it imports no provider factory, so billing.ts can ask it without an import cycle.
import type { ProviderName } from '../../src/contract/index.js';
import type { ProviderCapabilities } from './capabilities.js';
import { BONZAI_CAPABILITIES } from './bonzai/settings.js';
import { MIMICBOT_CAPABILITIES } from './mimicbot/settings.js';
import { MINTBOT_CAPABILITIES } from './mintbot/settings.js';
import { MINTOKEN_CAPABILITIES } from './mintoken/settings.js';
import { RAZORPAY_CAPABILITIES } from './razorpay/settings.js';
import { STRIPE_CAPABILITIES } from './stripe/settings.js';

/** Each provider's capabilities, fixed per provider (declared in its settings.ts). */
const CAPABILITIES: Record<ProviderName, ProviderCapabilities> = {
  razorpay: RAZORPAY_CAPABILITIES,
  stripe: STRIPE_CAPABILITIES,
  mintbot: MINTBOT_CAPABILITIES,
  mimicbot: MIMICBOT_CAPABILITIES,
  mintoken: MINTOKEN_CAPABILITIES,
  bonzai: BONZAI_CAPABILITIES,
};

/**
 * A stored provider name's capabilities (a customer row's `billing_provider`, a checkout's `provider`); undefined
 * for none. `recurring`: for a price marked recurring, or a customer billed by a subscription there.
 */
export function capabilitiesOf(name: string | null | undefined, recurring = false): ProviderCapabilities | undefined {
  const caps = name && Object.hasOwn(CAPABILITIES, name) ? CAPABILITIES[name as ProviderName] : undefined;
  return recurring && caps?.recurring ? { ...caps, ...caps.recurring } : caps;
}

/** The capabilities that bill a customer: those of a subscription when their plan in force is one (customers.subscription_id). */
export function customerCapabilities(customer: { billing_provider: string | null; subscription_id?: string | null }): ProviderCapabilities | undefined {
  return capabilitiesOf(customer.billing_provider, Boolean(customer.subscription_id));
}
