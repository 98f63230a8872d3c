// After a paid checkout whose provider sets something up (a mintbot agent): watch the set-up until it
// is ready or failed, bounded, so the view can say so and link the agent's panel.
import type { CheckoutController } from './checkout-controller.js';
import type { Fulfillment } from './types.js';
import { checkoutPath, pollCheckout } from './poll.js';
import { checkoutTiming } from './timing.js';

export async function watchFulfillment(flow: CheckoutController, fulfillment: Fulfillment): Promise<void> {
  flow.fulfillment = fulfillment;
  flow.host.requestUpdate();
  if (fulfillment.status !== 'provisioning') return;
  const signal = flow.newSignal();
  const deadline = Date.now() + checkoutTiming.fulfillmentBoundMs;
  const done = await pollCheckout(flow.host, checkoutPath(flow.checkoutId ?? ''), {
    signal,
    until: (state) => (flow.fulfillment = state.fulfillment ?? flow.fulfillment!).status !== 'provisioning',
    backoff: () => (Date.now() >= deadline ? undefined : checkoutTiming.fulfillmentPollMs),
  });
  if (signal.aborted) return;
  if (!done) flow.fulfillment = { ...flow.fulfillment!, status: 'expired' };
  flow.host.requestUpdate();
}
