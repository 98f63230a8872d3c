// Registers <plan-picker>.
import { PlanPicker } from './plan-picker.component.js';

export { PlanPicker };

// Only where there are custom elements: importing this in Node (SSR, a test runner) defines nothing.
if (globalThis.customElements && !customElements.get('plan-picker')) customElements.define('plan-picker', PlanPicker);

declare global {
  interface HTMLElementTagNameMap {
    'plan-picker': PlanPicker;
  }
}
