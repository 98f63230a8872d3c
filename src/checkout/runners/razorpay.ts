// The `razorpay` action: load checkout.js, open its modal for the server's order (or subscription), then verify the
// payment with the server (idempotent, retried with the same key) before calling it a success.
import type { RazorpayAction, RazorpayVerifyResponse } from '../../contract/index.js';
import { TollgateError, newIdempotencyKey } from '../../api/client.js';
import { emit, type PaymentFailedDetail } from '../../events.js';
import { loadScript } from '../../controllers/script-loader.js';
import type { CheckoutController } from '../checkout-controller.js';
import { checkoutTiming } from '../timing.js';

/** Razorpay checkout.js, as much of it as we use. */
export interface RazorpayOptions {
  key: string;
  /** An order's amount; a subscription's comes from its plan. */
  amount?: number;
  currency: string;
  name: string;
  description: string;
  order_id?: string;
  /** A Razorpay Subscription to authorise, instead of an order. */
  subscription_id?: string;
  prefill: { name?: string; email?: string; contact?: string };
  theme?: { color?: string };
  handler: (response: RazorpayPayment) => void;
  modal: { ondismiss: () => void };
}
/** What checkout.js hands its `handler` after a successful payment. */
export interface RazorpayPayment {
  razorpay_payment_id: string;
  razorpay_order_id?: string;
  razorpay_subscription_id?: string;
  razorpay_signature: string;
}
export interface RazorpayFailure {
  /** checkout.js's `response.error`: the fields the `payment-failed` event passes on. */
  error: Omit<PaymentFailedDetail, 'plan' | 'checkout_id'>;
}
export interface RazorpayInstance {
  open(): void;
  on(event: 'payment.failed', callback: (response: RazorpayFailure) => void): void;
}
declare global {
  interface Window {
    Razorpay?: new (options: RazorpayOptions) => RazorpayInstance;
  }
}

/** The longest Retry-After a verify waits out by itself; a longer one is reported (with Retry). */
const MAX_RETRY_AFTER_S = 10;

/** A 409 `conflict` with Retry-After: not a refusal, the same Idempotency-Key is still in progress on the server. */
export function isBusy(error: unknown): error is TollgateError & { retryAfter: number } {
  return error instanceof TollgateError && error.status === 409 && error.code === 'conflict' && error.retryAfter! > 0;
}

export async function runRazorpay(flow: CheckoutController, action: RazorpayAction): Promise<void> {
  const host = flow.host;
  flow.set('loading');
  const ready = (): boolean => typeof window.Razorpay === 'function';
  // Once per page: checkout.js may be on the page already (loadScript never throws past here).
  if (!ready()) await loadScript(action.script_url, checkoutTiming.scriptTimeoutMs).catch(() => undefined);
  if (!ready() || !window.Razorpay) {
    return flow.fail(new TollgateError('script_failed', 'checkout.js did not load.'), () => void runRazorpay(flow, action));
  }
  const checkoutId = flow.checkoutId ?? '';
  const plan = flow.input?.plan ?? '';
  flow.set('paying');
  const rzp = new window.Razorpay({
    key: action.key_id,
    // A subscription is authorised by its id alone (checkout.js takes its amount from the plan).
    ...(action.subscription_id ? { subscription_id: action.subscription_id } : { amount: action.amount, order_id: action.order_id }),
    currency: action.currency,
    name: action.name,
    description: action.description,
    prefill: action.prefill,
    ...(action.theme_color ? { theme: { color: action.theme_color } } : {}),
    handler: (response) => void verify(flow, action, response, newIdempotencyKey()),
    modal: {
      ondismiss: () => {
        if (flow.phase !== 'paying') return;
        flow.set('dismissed');
        emit(host, 'checkout-dismiss', { plan, checkout_id: checkoutId });
      },
    },
  });
  rzp.on('payment.failed', (response) => {
    const error = response?.error ?? {};
    const reason = error.description || error.reason || error.code || '';
    // The sentence around it expects a full stop after the provider's reason.
    flow.failure = reason && !/[.!?।]$/.test(reason) ? reason + '.' : reason;
    host.requestUpdate();
    emit(host, 'payment-failed', {
      plan,
      checkout_id: checkoutId,
      code: error.code,
      description: error.description,
      source: error.source,
      step: error.step,
      reason: error.reason,
      metadata: error.metadata,
    });
  });
  rzp.open();
}

async function verify(flow: CheckoutController, action: RazorpayAction, response: RazorpayPayment, key: string): Promise<void> {
  flow.failure = undefined;
  flow.set('verifying');
  const client = flow.host.client();
  try {
    const plan = flow.input?.plan;
    const body = {
      plan: plan ?? '',
      ...(action.subscription_id ? { razorpay_subscription_id: response.razorpay_subscription_id ?? action.subscription_id } : { razorpay_order_id: response.razorpay_order_id }),
      razorpay_payment_id: response.razorpay_payment_id,
      razorpay_signature: response.razorpay_signature,
    };
    // The money is taken: a key still in progress (another tab's verify, or one whose server process
    // died and whose claim the server takes over once its lease runs out) is waited for, not final.
    let result: RazorpayVerifyResponse | undefined;
    for (let busy = 0; !result; busy++) {
      try {
        result = await client.post<RazorpayVerifyResponse>(action.verify_path, body, { idempotencyKey: key });
      } catch (error) {
        if (!isBusy(error) || busy >= checkoutTiming.verifyBusyRetries || error.retryAfter > MAX_RETRY_AFTER_S) throw error;
        await new Promise((resolve) => setTimeout(resolve, error.retryAfter * 1000));
      }
    }
    flow.succeed({ plan: plan ?? result.new_plan, new_plan: result.new_plan, old_plan: result.old_plan, payment_id: result.payment_id });
  } catch (error) {
    // Razorpay has taken the money (the handler runs only on success): a transport failure or a server
    // error is worth retrying with the same key (verify is idempotent) and must not read as "pay again".
    // A bad signature or another payment for the order is final; a key still in progress is not.
    const retryable = isBusy(error) || (error instanceof TollgateError && (error.code === 'network_error' || error.code === 'timeout' || error.status >= 500));
    if (retryable) flow.fail(error, () => void verify(flow, action, response, key), 'error.verify_unreachable');
    else flow.fail(error);
  }
}
