// Registers <plan-picker>.
import { PlanPicker } from './plan-picker.component.js';

export { PlanPicker };

if (!customElements.get('plan-picker')) customElements.define('plan-picker', PlanPicker);

declare global {
  interface HTMLElementTagNameMap {
    'plan-picker': PlanPicker;
  }
}
