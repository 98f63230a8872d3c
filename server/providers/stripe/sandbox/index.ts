// Stripe in sandbox mode: per-process credentials, the simulator in-process (the same client code as live
// talks to it), its signed events posted to our own webhook endpoint, and its hosted pages.
import { randomBytes } from 'node:crypto';
import type { ProviderDeps } from '../../types.js';
import type { FetchLike } from '../../upstream.js';
import type { StripeSettings } from '../settings.js';
import { sandboxStripeRoutes } from './pages.js';
import { createStripeSimulator, type StripeSimulator } from './simulator.js';

export interface StripeSandbox {
  simulator: StripeSimulator;
  fetch: FetchLike;
  routes: ReturnType<typeof sandboxStripeRoutes>;
}

/** Fills `settings` with the sandbox's credentials and base URL. */
export function createStripeSandbox(deps: ProviderDeps, settings: StripeSettings): StripeSandbox {
  // Per-process credentials: real HMACs that are valid nowhere else.
  settings.secretKey = `sk_test_sandbox_${randomBytes(12).toString('hex')}`;
  settings.publishableKey = 'pk_test_sandbox';
  settings.webhookSecret = `whsec_${randomBytes(24).toString('base64url')}`;
  settings.apiBase = 'http://stripe.sandbox.invalid';
  const simulator = createStripeSimulator({
    secretKey: settings.secretKey,
    webhookSecret: settings.webhookSecret,
    publicUrl: deps.config.publicUrl,
    now: deps.now,
    deliver: async (d) => {
      const res = await deps.deliverToSelf('/v1/webhooks/stripe', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': d.signature }, body: d.body });
      if (!res.ok) deps.log.warn('sandbox stripe webhook rejected', { event_id: d.eventId, event: d.type, status: res.status });
    },
  });
  const api = simulator.api;
  return { simulator, fetch: async (input, init) => api.fetch(new Request(input, init)), routes: sandboxStripeRoutes(simulator) };
}
