// Checkout status names, and the sets the server and the widget decide by (no zod: the widget imports this at run time).

/** Every status `GET /v1/checkout/{id}` answers with (the store's own `starting` claim is shown as `created`). */
export const CHECKOUT_STATUSES = ['created', 'pending', 'paid', 'failed', 'canceled', 'expired', 'refunded'] as const;

/**
 * Final for polling: nothing changes on its own any more, so `GET /v1/checkout/{id}` stops asking the
 * provider, its event stream ends, and a widget back from a hosted page stops polling. `failed` is one
 * (the last attempt failed) although the row stays open: see `OPEN_CHECKOUT_STATUSES`.
 */
export const FINAL_CHECKOUT_STATUSES = ['paid', 'failed', 'canceled', 'expired', 'refunded'] as const;

/**
 * Open in the store: a late webhook may still pay it, a failure or an expiry may still end it, and a
 * hand-off checkout in `created` or `failed` may be started again. `starting` is the store's claim
 * while an upstream order is being created (never answered: it reads as `created`).
 */
export const OPEN_CHECKOUT_STATUSES = ['created', 'starting', 'pending', 'failed'] as const;

/**
 * How a wait for a payment (hand-off, an embedded form's confirmation) ends unpaid: the checkout is
 * over without a payment. `refunded` is not among them: it follows a payment such a wait ends on.
 */
export const UNPAID_ENDS = ['failed', 'expired', 'canceled'] as const;

export type FinalCheckoutStatus = (typeof FINAL_CHECKOUT_STATUSES)[number];
export type UnpaidEnd = (typeof UNPAID_ENDS)[number];

/** Final for polling (see `FINAL_CHECKOUT_STATUSES`). */
export function isFinalStatus(status: string): status is FinalCheckoutStatus {
  return (FINAL_CHECKOUT_STATUSES as readonly string[]).includes(status);
}

/** Over without a payment, for a wait that is watching for one (see `UNPAID_ENDS`). */
export function isUnpaidEnd(status: string): status is UnpaidEnd {
  return (UNPAID_ENDS as readonly string[]).includes(status);
}
