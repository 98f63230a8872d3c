// Every event the elements fire: detail types and their place in GlobalEventHandlersEventMap.
import type { CheckoutStatus } from './contract/index.js';

export interface PlanSelectDetail {
  plan: string;
  interval: 'month' | 'year' | 'once';
  /** The charged price in minor units and its currency, when the plan has one. */
  amount?: number;
  currency?: string;
}
export interface CheckoutStartDetail {
  plan: string;
  interval?: 'month' | 'year';
  /** Set when an existing (hand-off) checkout is being paid. */
  checkout_id?: string;
}
export interface CheckoutSuccessDetail {
  plan: string;
  checkout_id: string;
  new_plan: string;
  /** Known after a Razorpay verify; not for hand-off or Stripe confirmations. */
  old_plan?: string;
  payment_id?: string;
}
export interface CheckoutErrorDetail {
  code: string;
  message: string;
  checkout_id?: string;
}
export interface CheckoutDismissDetail {
  plan: string;
  checkout_id: string;
}
/** Razorpay's `payment.failed` error fields. */
export interface PaymentFailedDetail {
  plan: string;
  checkout_id: string;
  code?: string;
  description?: string;
  source?: string;
  step?: string;
  reason?: string;
  metadata?: { order_id?: string; payment_id?: string };
}
export interface HandoffOpenDetail {
  url: string;
  /** The checkout paid at `url`; "" for the billing portal's link (`<usage-meter>`'s "Manage billing"). */
  checkout_id: string;
}
export interface HandoffEndDetail {
  checkout_id: string;
  status: CheckoutStatus;
}
export interface UpgradeRequestDetail {
  /** The customer's current plan id. */
  plan: string;
}

declare global {
  interface GlobalEventHandlersEventMap {
    'plan-select': CustomEvent<PlanSelectDetail>;
    'checkout-start': CustomEvent<CheckoutStartDetail>;
    'checkout-success': CustomEvent<CheckoutSuccessDetail>;
    'checkout-error': CustomEvent<CheckoutErrorDetail>;
    'checkout-dismiss': CustomEvent<CheckoutDismissDetail>;
    'payment-failed': CustomEvent<PaymentFailedDetail>;
    'handoff-open': CustomEvent<HandoffOpenDetail>;
    'handoff-end': CustomEvent<HandoffEndDetail>;
    'upgrade-request': CustomEvent<UpgradeRequestDetail>;
  }
}

/** Dispatch a bubbling, composed event; returns false when a listener canceled it. */
export function emit<K extends keyof GlobalEventHandlersEventMap>(
  target: EventTarget,
  type: K,
  detail: GlobalEventHandlersEventMap[K] extends CustomEvent<infer D> ? D : never,
  cancelable = false,
): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
}
