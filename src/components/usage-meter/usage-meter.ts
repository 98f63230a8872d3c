// Registers <usage-meter>.
import { UsageMeter } from './usage-meter.component.js';

export { UsageMeter };

if (!customElements.get('usage-meter')) customElements.define('usage-meter', UsageMeter);

declare global {
  interface HTMLElementTagNameMap {
    'usage-meter': UsageMeter;
  }
}
