// Registers <usage-meter>.
import { UsageMeter } from './usage-meter.component.js';

export { UsageMeter };

// Only where there are custom elements: importing this in Node (SSR, a test runner) defines nothing.
if (globalThis.customElements && !customElements.get('usage-meter')) customElements.define('usage-meter', UsageMeter);

declare global {
  interface HTMLElementTagNameMap {
    'usage-meter': UsageMeter;
  }
}
