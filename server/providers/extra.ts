// Providers beyond Razorpay (Stripe and the seed backends), each built by its own module from the
// environment and the config file's `providers.<name>` section.
import type { AppDeps } from '../context.js';
import type { Provider } from './types.js';
import type { FetchLike } from './upstream.js';
import { createStripeProviders } from './stripe/index.js';
import { createMintbotProviders } from './mintbot/index.js';
import { createMimicbotProviders } from './mimicbot/index.js';
import { createMintokenProviders } from './mintoken/index.js';
import { createBonzaiProviders } from './bonzai/index.js';

export type ExtraProviderDeps = Omit<AppDeps, 'providers'> & {
  fetch: FetchLike;
  /** Send a request through this server's own app (sandbox webhooks to our own endpoints). */
  deliverToSelf: (path: string, init: RequestInit) => Promise<Response>;
};

export function extraProviders(deps: ExtraProviderDeps): Provider[] {
  return [...createStripeProviders(deps), ...createMintbotProviders(deps), ...createMimicbotProviders(deps), ...createMintokenProviders(deps), ...createBonzaiProviders(deps)];
}
