// <razorpay-checkout>: a button that runs a Razorpay checkout for one plan, verified by the server.
import type { CheckoutRequest } from '../../contract/index.js';
import { CheckoutButton } from '../../base/checkout-button.js';
import type { MessageKey } from '../../i18n/index.js';

/**
 * @summary Pays for one plan with Razorpay: creates the order on the server, opens checkout.js
 * (loaded once per page, only now), and has the server verify the payment signature.
 *
 * @fires checkout-start - Cancelable. Before the order is created; `detail: {plan, interval, checkout_id?}`.
 * @fires checkout-success - The server verified the payment; `detail: {plan, checkout_id, old_plan, new_plan, payment_id}`.
 * @fires checkout-error - Creating, loading or verifying failed; `detail: {code, message}`.
 * @fires checkout-dismiss - The customer closed the Razorpay window, or chose "Start over" while a hand-off payment was awaited.
 * @fires payment-failed - Razorpay's `payment.failed`: `detail: {code, description, source, step, reason, metadata}`.
 * @fires handoff-open - Cancelable. Hand-off mode: continue in the system browser; `detail: {url, checkout_id}`.
 * @fires handoff-end - Hand-off checkout ended without payment.
 *
 * @slot - The button label (default "Upgrade to {plan}").
 *
 * @csspart base - The wrapper.
 * @csspart button - The pay button (and the Retry button).
 * @csspart retry - The Retry button.
 * @csspart status - The live region announcing each state.
 * @csspart handoff - The hand-off view.
 * @csspart handoff-url - The hand-off link as selectable text.
 * @csspart start-over - "Start over": stops waiting for a hand-off or an unconfirmed hosted-page payment.
 * @csspart panel-link - "Open panel" after a paid checkout that set up an agent (mintbot).
 * @csspart promotion-toggle - "Have a code?" (with `promotion-codes`).
 * @csspart promotion - The promotion code form; `promotion-input`, `promotion-apply`, `promotion-remove` inside it.
 * @csspart promotion-result - The live region with the discounted price (`promotion-total`, `promotion-duration`) or the refusal.
 *
 * @cssproperty --accent - Button colour (falls back to `--tollgate-accent`).
 * @cssproperty --on-accent - Button text colour.
 * @cssproperty --radius - Corner radius.
 * @cssproperty --text - Text colour.
 * @cssproperty --danger-color - Error text colour.
 * @cssproperty --font - Font family.
 */
export class RazorpayCheckout extends CheckoutButton {
  protected readonly providerName: CheckoutRequest['provider'] = 'razorpay';
  protected readonly uiMode = undefined;
  protected readonly labelKey: MessageKey = 'checkout.pay';
}
