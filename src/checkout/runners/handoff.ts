// The `handoff` action: the payment runs in the system browser (IDE webviews); show its link and
// watch the checkout until it is paid, ends unpaid, or the link expires.
import type { HandoffAction } from '../../contract/index.js';
import { isUnpaidEnd, type UnpaidEnd } from '../../contract/status.js';
import { emit } from '../../events.js';
import type { MessageKey } from '../../i18n/index.js';
import type { CheckoutController } from '../checkout-controller.js';
import { pollCheckout } from '../poll.js';
import { checkoutTiming } from '../timing.js';

export function runHandoff(flow: CheckoutController, action: HandoffAction): void {
  flow.handoff = action;
  flow.set('handoff');
  void watch(flow, action);
}

async function watch(flow: CheckoutController, action: HandoffAction): Promise<void> {
  const signal = flow.newSignal();
  const deadline = Date.parse(action.expires_at) || Date.now() + 30 * 60_000;
  let delay = checkoutTiming.pollMs;
  const state = await pollCheckout(flow.host, action.status_url, {
    signal,
    until: (s) => s.status === 'paid' || isUnpaidEnd(s.status),
    // Half again after an answer, double after a failure, never past the link's expiry.
    backoff: (n, failed) => {
      if (Date.now() >= deadline) return undefined;
      if (n) delay = failed ? Math.min(delay * 2, checkoutTiming.maxPollMs * 3) : Math.min(delay * 1.5, checkoutTiming.maxPollMs);
      return Math.min(delay, Math.max(0, deadline - Date.now()));
    },
  });
  if (signal.aborted) return;
  if (state?.status === 'paid') return flow.paid(state);
  ended(flow, (state?.status as UnpaidEnd | undefined) ?? 'expired');
}

/** The "Continue in your browser" button: the page opens the URL (the element never does). True when nobody did. */
export function openHandoff(flow: CheckoutController): boolean {
  const action = flow.handoff;
  if (!action || !flow.checkoutId) return false;
  return emit(flow.host, 'handoff-open', { url: action.url, checkout_id: flow.checkoutId }, true);
}

function ended(flow: CheckoutController, status: UnpaidEnd): void {
  flow.error = { code: 'handoff_' + status, message: flow.host.t(`handoff.${status}` as MessageKey) };
  flow.retryAction = () => flow.restart();
  flow.handoff = undefined;
  flow.set('error');
  emit(flow.host, 'handoff-end', { checkout_id: flow.checkoutId ?? '', status });
}
