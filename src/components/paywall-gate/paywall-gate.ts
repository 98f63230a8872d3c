// Registers <paywall-gate> (and the <plan-picker> its default paywall uses).
import '../plan-picker/plan-picker.js';
import { PaywallGate } from './paywall-gate.component.js';

export { PaywallGate };

if (!customElements.get('paywall-gate')) customElements.define('paywall-gate', PaywallGate);

declare global {
  interface HTMLElementTagNameMap {
    'paywall-gate': PaywallGate;
  }
}
