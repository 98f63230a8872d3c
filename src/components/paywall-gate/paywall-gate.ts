// Registers <paywall-gate>; the <plan-picker> of its default paywall loads when a paywall shows.
import { PaywallGate } from './paywall-gate.component.js';

export { PaywallGate };

if (!customElements.get('paywall-gate')) customElements.define('paywall-gate', PaywallGate);

declare global {
  interface HTMLElementTagNameMap {
    'paywall-gate': PaywallGate;
  }
}
