// Registers <stripe-checkout>.
import { StripeCheckout } from './stripe-checkout.component.js';

export { StripeCheckout };

if (!customElements.get('stripe-checkout')) customElements.define('stripe-checkout', StripeCheckout);

declare global {
  interface HTMLElementTagNameMap {
    'stripe-checkout': StripeCheckout;
  }
}
