// The `stripe_embedded` action: mount the embedded form in a light-DOM child of the host (the mount
// code and Stripe's loader are lazy chunks), then confirm with the server before calling it paid.
import type { StripeEmbeddedAction } from '../../contract/index.js';
import { isUnpaidEnd } from '../../contract/status.js';
import { TollgateError } from '../../api/client.js';
import type { CheckoutController } from '../checkout-controller.js';
import { checkoutPath, pollCheckout, sleep } from '../poll.js';
import { checkoutTiming } from '../timing.js';

export async function runStripeEmbedded(flow: CheckoutController, action: StripeEmbeddedAction): Promise<void> {
  const host = flow.host;
  flow.set('embedded');
  const container = document.createElement('div');
  container.slot = 'embedded';
  container.setAttribute('data-tollgate-embedded', '');
  host.append(container);
  // Until the form is mounted, stopping the flow takes the container away.
  const placeholder = { destroy: () => container.remove() };
  flow.embedded = placeholder;
  try {
    // Lazy: pages that never see a Stripe action never load the mount code nor Stripe's loader.
    const { mountStripeEmbedded } = await import('../stripe-embedded.js');
    const mounted = await mountStripeEmbedded(container, action, {
      apiBase: host.apiBase,
      checkoutId: flow.checkoutId ?? '',
      title: host.t('checkout.embedded_title'),
      onComplete: () => void confirm(flow),
    });
    if (!mounted) throw new TollgateError('script_failed', 'Stripe.js could not be loaded.');
    if (flow.embedded !== placeholder) return mounted.destroy(); // stopped meanwhile: its container is gone
    flow.embedded = {
      destroy() {
        mounted.destroy();
        container.remove();
      },
    };
  } catch (error) {
    container.remove();
    // A failed chunk import is a load failure too.
    flow.fail(error instanceof TollgateError ? error : new TollgateError('script_failed', 'Payment form could not be loaded.'), () => void runStripeEmbedded(flow, action));
  }
}

/** The provider says done; the server is the truth, so poll it until the checkout is paid. */
async function confirm(flow: CheckoutController): Promise<void> {
  if (flow.phase !== 'embedded') return;
  flow.set('confirming');
  const signal = flow.newSignal();
  const tries = checkoutTiming.confirmTries;
  const state = await pollCheckout(flow.host, checkoutPath(flow.checkoutId ?? ''), {
    signal,
    retries: 1,
    until: (s) => s.status === 'paid' || isUnpaidEnd(s.status),
    backoff: (n) => (n >= tries ? undefined : n ? checkoutTiming.confirmMs : 0),
  });
  if (state?.status === 'paid') return flow.paid(state);
  if (state) return flow.unpaid(state);
  if (signal.aborted) return;
  await sleep(checkoutTiming.confirmMs, signal); // the last poll's wait, before saying so
  if (!signal.aborted) flow.fail(new TollgateError('not_confirmed', 'Payment not confirmed yet.'), () => void confirmAgain(flow));
}

function confirmAgain(flow: CheckoutController): Promise<void> {
  flow.phase = 'embedded';
  return confirm(flow);
}
