// The main entry: every Tollgate element, registered, plus configure() and the public types.
export { configure, type TollgateConfig } from './config.js';
export { TollgateError } from './api/client.js';
export { PlanPicker } from './components/plan-picker/plan-picker.js';
export { RazorpayCheckout } from './components/razorpay-checkout/razorpay-checkout.js';
export { StripeCheckout } from './components/stripe-checkout/stripe-checkout.js';
export { UsageMeter } from './components/usage-meter/usage-meter.js';
export { PaywallGate } from './components/paywall-gate/paywall-gate.js';
export type * from './events.js';
