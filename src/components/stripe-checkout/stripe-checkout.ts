// Registers <stripe-checkout>.
import { StripeCheckout } from './stripe-checkout.component.js';

export { StripeCheckout };

// Only where there are custom elements: importing this in Node (SSR, a test runner) defines nothing.
if (globalThis.customElements && !customElements.get('stripe-checkout')) customElements.define('stripe-checkout', StripeCheckout);

declare global {
  interface HTMLElementTagNameMap {
    'stripe-checkout': StripeCheckout;
  }
}
