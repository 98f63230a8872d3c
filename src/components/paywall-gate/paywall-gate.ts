// Registers <paywall-gate>; the <plan-picker> of its default paywall loads when a paywall shows.
import { PaywallGate } from './paywall-gate.component.js';

export { PaywallGate };

// Only where there are custom elements: importing this in Node (SSR, a test runner) defines nothing.
if (globalThis.customElements && !customElements.get('paywall-gate')) customElements.define('paywall-gate', PaywallGate);

declare global {
  interface HTMLElementTagNameMap {
    'paywall-gate': PaywallGate;
  }
}
