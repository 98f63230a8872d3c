// The seat stepper and the tax line of <plan-picker> (loaded only when the catalog has a per-seat or taxed price):
// a labelled number input with − and + buttons inside the price's limits, the total and its tax announced live,
// priced with the server's own rounding (src/contract/tax.ts), so the amount shown is the amount charged.
import { css, html, nothing, type TemplateResult } from 'lit';
import type { TollgateElement } from '../base/tollgate-element.js';
import type { Price } from '../contract/index.js';
import { exclusiveTax, inclusiveTax } from '../contract/tax.js';
import { formatMoney, formatNumber } from '../format.js';
import { enSeats } from '../i18n/en-seats.js';
import { addMessages } from '../i18n/index.js';

addMessages('en', enSeats);

const seatStyles = css`
  .seats { display: flex; flex-wrap: wrap; align-items: center; gap: 0.375rem; margin-block: 0.5rem; }
  .seats input { font: inherit; color: inherit; background: var(--surface, transparent); border: 1px solid var(--border, currentColor); border-radius: var(--radius, 0.375rem); padding: 0.25rem; inline-size: 6ch; text-align: center; }
  .seats button { min-inline-size: 2rem; }
  .seats output { flex-basis: 100%; }
  [part~='tax'] { display: block; font-size: 0.875em; color: var(--muted, inherit); }
`;

/** The amount for `quantity` of `price` and its tax, in minor units: quantity × unit, then the tax on it. */
export function seatTotal(price: Price, quantity: number): { total: number; tax: number } {
  const subtotal = price.amount * quantity;
  if (!price.tax?.rate) return { total: subtotal, tax: 0 };
  const tax = price.tax.inclusive ? inclusiveTax(subtotal, price.tax.rate) : exclusiveTax(subtotal, price.tax.rate);
  return { total: price.tax.inclusive ? subtotal : subtotal + tax, tax };
}

export class Seats {
  private readonly quantities = new Map<string, number>();

  constructor(private readonly host: TollgateElement) {
    const root = host.renderRoot as ShadowRoot;
    const sheet = seatStyles.styleSheet;
    if (sheet && root.adoptedStyleSheets && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }

  /** The seats chosen for `plan` (its minimum until changed); undefined for a price not sold per seat. */
  quantityOf(plan: string, price: Price | undefined): number | undefined {
    if (!price?.per_unit) return undefined;
    return this.clamp(price, this.quantities.get(plan) ?? price.min_quantity ?? 1);
  }

  private clamp(price: Price, n: number): number {
    return Math.min(price.max_quantity ?? 100_000, Math.max(price.min_quantity ?? 1, Math.round(n) || 1));
  }

  private set(plan: string, price: Price, n: number): void {
    this.quantities.set(plan, this.clamp(price, n));
    this.host.requestUpdate();
  }

  /** A typed count is clamped to the limits and written back (the binding does not rewrite an unchanged value). */
  private typed(plan: string, price: Price, input: HTMLInputElement): void {
    this.set(plan, price, Number(input.value));
    input.value = String(this.quantityOf(plan, price));
  }

  /** "incl. ₹244 GST" or "+ ₹244 GST" for `quantity` of `price`; Stripe Tax's: "+ tax, calculated at checkout". */
  taxLine(price: Price, quantity = 1): TemplateResult | typeof nothing {
    if (price.tax?.computed_by) return html`<span part="tax">${this.host.t('tax.stripe')}</span>`;
    if (!price.tax || !price.tax.rate) return nothing;
    const { tax } = seatTotal(price, quantity);
    const amount = formatMoney(tax, price.currency, this.host.resolvedLocale);
    return html`<span part="tax">${this.host.t(price.tax.inclusive ? 'tax.incl' : 'tax.excl', { amount, name: price.tax.name })}</span>`;
  }

  /** `discounted`: a code applies to this plan, and the code's line shows the tax of what is charged, so this total says none (one tax figure on screen). */
  render(plan: string, price: Price, discounted?: string | false): TemplateResult | typeof nothing {
    const n = this.quantityOf(plan, price);
    if (n === undefined) return discounted ? nothing : this.taxLine(price);
    const t = this.host.t.bind(this.host);
    const locale = this.host.resolvedLocale;
    const min = price.min_quantity ?? 1;
    const max = price.max_quantity ?? 100_000;
    const id = `seats-${plan}`;
    return html`<div part="seats" class="seats">
      <label for=${id}>${t('seats.label')}</label>
      <button type="button" part="button seats-fewer" class="secondary" aria-label=${t('seats.fewer')} aria-controls=${id} ?disabled=${n <= min} @click=${() => this.set(plan, price, n - 1)}>−</button>
      <input id=${id} part="seats-input" type="number" inputmode="numeric" min=${min} max=${max} step="1" .value=${String(n)}
        @change=${(e: Event) => this.typed(plan, price, e.target as HTMLInputElement)} />
      <button type="button" part="button seats-more" class="secondary" aria-label=${t('seats.more')} aria-controls=${id} ?disabled=${n >= max} @click=${() => this.set(plan, price, n + 1)}>+</button>
      <output part="seats-total" for=${id} aria-live="polite">${t(n === 1 ? 'seats.total_one' : 'seats.total', { n: formatNumber(n, locale), total: formatMoney(seatTotal(price, n).total, price.currency, locale) })} ${discounted ? nothing : this.taxLine(price, n)}</output>
    </div>`;
  }
}
