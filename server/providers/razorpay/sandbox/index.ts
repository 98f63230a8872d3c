// Razorpay in sandbox mode: the simulator in-process, its signed webhooks posted to our own endpoint, and
// the simulated checkout.js with the endpoint its modal pays through.
import type { ProviderDeps } from '../../types.js';
import type { FetchLike } from '../../upstream.js';
import type { RazorpaySecrets } from '../settings.js';
import { sandboxRazorpayRoutes } from './routes.js';
import { createRazorpaySimulator, type RazorpaySimulator } from './simulator.js';

export interface RazorpaySandbox {
  simulator: RazorpaySimulator;
  /** The client's fetch: the same client code as live, talking to the simulated API in-process. */
  fetch: FetchLike;
  apiBase: string;
  scriptUrl: string;
  routes: ReturnType<typeof sandboxRazorpayRoutes>;
}

export function createRazorpaySandbox(deps: ProviderDeps, secrets: RazorpaySecrets): RazorpaySandbox {
  const simulator = createRazorpaySimulator({
    keyId: secrets.keyId,
    keySecret: secrets.keySecret,
    webhookSecret: secrets.webhookSecret,
    webhookDelayMs: deps.sandboxWebhookDelayMs ?? 1500,
    // The server's clock: a test that moves it and calls `simulator.tick()` renews subscriptions in step with the server.
    now: () => deps.now().getTime(),
    // The sandbox's webhooks go to the server's own endpoint as real signed requests, through the whole app.
    deliver: async (d) => {
      const res = await deps.deliverToSelf('/v1/webhooks/razorpay', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Razorpay-Signature': d.signature, 'X-Razorpay-Event-Id': d.eventId },
        body: d.body,
      });
      if (!res.ok) deps.log.warn('sandbox webhook rejected', { event_id: d.eventId, status: res.status });
    },
  });
  const api = simulator.api;
  return {
    simulator,
    fetch: async (input, init) => api.fetch(new Request(input, init)),
    apiBase: 'http://razorpay.sandbox.invalid',
    scriptUrl: `${deps.config.publicUrl}/sandbox/razorpay/checkout.js`,
    routes: sandboxRazorpayRoutes(simulator, secrets.keyId),
  };
}
