// Every provider of the server, each built by its own folder's factory from the environment and the config
// file's `providers.<name>` section: live, simulated (sandbox) or unavailable.
import { createBonzaiProviders } from './bonzai/index.js';
import { createMimicbotProviders } from './mimicbot/index.js';
import { createMintbotProviders } from './mintbot/index.js';
import { createMintokenProviders } from './mintoken/index.js';
import { createRazorpayProviders } from './razorpay/index.js';
import { createStripeProviders } from './stripe/index.js';
import type { Provider, ProviderDeps } from './types.js';

export function createProviders(deps: ProviderDeps): Provider[] {
  return [createRazorpayProviders, createStripeProviders, createMintbotProviders, createMimicbotProviders, createMintokenProviders, createBonzaiProviders].flatMap((create) => create(deps));
}
