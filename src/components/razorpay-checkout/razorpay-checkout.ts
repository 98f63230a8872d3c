// Registers <razorpay-checkout>.
import { RazorpayCheckout } from './razorpay-checkout.component.js';

export { RazorpayCheckout };

// Only where there are custom elements: importing this in Node (SSR, a test runner) defines nothing.
if (globalThis.customElements && !customElements.get('razorpay-checkout')) customElements.define('razorpay-checkout', RazorpayCheckout);

declare global {
  interface HTMLElementTagNameMap {
    'razorpay-checkout': RazorpayCheckout;
  }
}
