// Registers <razorpay-checkout>.
import { RazorpayCheckout } from './razorpay-checkout.component.js';

export { RazorpayCheckout };

if (!customElements.get('razorpay-checkout')) customElements.define('razorpay-checkout', RazorpayCheckout);

declare global {
  interface HTMLElementTagNameMap {
    'razorpay-checkout': RazorpayCheckout;
  }
}
