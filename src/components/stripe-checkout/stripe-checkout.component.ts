// <stripe-checkout>: Stripe's embedded Checkout for one plan, mounted in a light-DOM child.
import type { CheckoutRequest } from '../../contract/index.js';
import { CheckoutButton } from '../../base/checkout-button.js';
import type { MessageKey } from '../../i18n/index.js';

/**
 * @summary Pays for one plan with Stripe's embedded Checkout. Stripe.js is imported only when the
 * server answers with a `stripe_embedded` action, and mounts into a light-DOM child this element
 * creates and slots (Stripe.js refuses shadow roots). In sandbox it mounts the server's simulated
 * form in an iframe instead. Success is confirmed with `GET /v1/checkout/{id}` before it is reported.
 *
 * @fires checkout-start - Cancelable. Before the checkout session is created.
 * @fires checkout-success - The server reports the checkout paid; `detail: {plan, checkout_id, new_plan, payment_id?}`.
 * @fires checkout-error - `detail: {code, message}`.
 * @fires handoff-open - Cancelable. Hand-off mode: continue in the system browser.
 * @fires handoff-end - Hand-off checkout ended without payment.
 *
 * @slot - The button label (default "Pay with card").
 * @slot embedded - Filled by the element itself with the payment form's mount point.
 *
 * @csspart base - The wrapper.
 * @csspart button - The pay button (and the Retry button).
 * @csspart retry - The Retry button.
 * @csspart status - The live region announcing each state.
 * @csspart start-over - "Start over": stops waiting for a hand-off or an unconfirmed hosted-page payment.
 * @csspart panel-link - "Open panel" after a paid checkout that set up an agent (mintbot).
 * @csspart promotion-toggle - "Have a code?" (with `promotion-codes`).
 * @csspart promotion - The promotion code form; `promotion-input`, `promotion-apply`, `promotion-remove` inside it.
 * @csspart promotion-result - The live region with the discounted price (`promotion-total`, `promotion-duration`) or the refusal.
 *
 * @cssproperty --accent - Button colour (falls back to `--tollgate-accent`).
 * @cssproperty --radius - Corner radius.
 * @cssproperty --text - Text colour.
 * @cssproperty --font - Font family.
 */
export class StripeCheckout extends CheckoutButton {
  protected readonly providerName: CheckoutRequest['provider'] = 'stripe';
  protected readonly uiMode: CheckoutRequest['ui_mode'] = 'embedded_page';
  protected readonly labelKey: MessageKey = 'stripe.pay';
}
