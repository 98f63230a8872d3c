// The business details of <plan-picker> (its chunk loads once `business-details` is set): the disclosure "Buying for a
// business?" and its form, legal name, one "GSTIN or VAT ID" field and a billing address, sent with the checkout as `business`. Only light checks here (an address needs its
// line, city and postal code); the server is the judge, and its 400 validation_error shows at the field it names.
import { css, html, nothing, type TemplateResult } from 'lit';
import type { TollgateElement } from '../base/tollgate-element.js';
import type { CheckoutRequest } from '../contract/index.js';
import { enBusiness } from '../i18n/en-business.js';
import { addMessages, type MessageKey } from '../i18n/index.js';

addMessages('en', enBusiness);

export type BusinessDetails = NonNullable<CheckoutRequest['business']>;
type Field = 'legal_name' | 'tax_id' | 'line1' | 'city' | 'postal_code' | 'state' | 'country';

/** A GSTIN's shape (2-digit state code and 13 more); anything else typed in the field is sent as a VAT id. */
const GSTIN_LIKE = /^\d{2}[A-Z0-9]{13}$/;
const ADDRESS_REQUIRED: readonly Field[] = ['line1', 'city', 'postal_code'];
/** The billing country a catalog currency suggests (EUR names no single country). */
const COUNTRY_OF_CURRENCY: Readonly<Record<string, string>> = { INR: 'IN', USD: 'US', GBP: 'GB', AUD: 'AU', CAD: 'CA', SGD: 'SG', CHF: 'CH', JPY: 'JP', AED: 'AE' };

/** The inputs, in order: field, autocomplete token, maxlength (the server's limits). */
const INPUTS: readonly [Field, string, number][] = [
  ['legal_name', 'organization', 200],
  ['tax_id', 'off', 16],
  ['line1', 'address-line1', 200],
  ['city', 'address-level2', 100],
  ['postal_code', 'postal-code', 20],
  ['state', 'address-level1', 100],
  ['country', 'country', 2],
];

/** The form field a server's `validation_error` message names (`business.gstin: …`, `business.address.city: …`), and what to say. */
export function fieldOfError(message: string): [Field, MessageKey] | undefined {
  const name = /^business\.(?:address\.)?(\w+)\s*:/.exec(message)?.[1];
  if (!name) return undefined;
  if (name === 'gstin' || name === 'vat_id') return ['tax_id', `business.invalid.${name}`];
  if (name === 'country') return ['country', 'business.invalid.country'];
  const field = INPUTS.find(([f]) => f === name)?.[0];
  return field && [field, 'business.invalid.other'];
}

const businessStyles = css`
  .business {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
    align-items: start;
    gap: 0.5rem 1rem;
    margin-block: 0.75rem;
    border: 1px solid var(--border, currentColor);
    border-radius: var(--radius, 0.375rem);
    padding: 0.75rem;
  }
  .business legend {
    font-weight: 600;
    padding-inline: 0.25rem;
  }
  .business label {
    display: grid;
    gap: 0.25rem;
    /* A field's hint or error makes its row taller: the other fields keep their height, at the top. */
    align-content: start;
  }
  .business input {
    font: inherit;
    color: inherit;
    background: var(--surface, transparent);
    border: 1px solid var(--border, currentColor);
    border-radius: var(--radius, 0.375rem);
    padding: 0.375rem 0.5rem;
  }
  .business input[aria-invalid='true'] {
    border-color: var(--danger-color, #b3261e);
  }
  .business .hint {
    color: var(--muted, inherit);
    font-size: 0.875em;
  }
  .business .error {
    color: var(--danger-color, #b3261e);
    font-size: 0.875em;
  }
`;

/** The host: its `business-details` switch says whether the form is offered at all. */
type BusinessHost = TollgateElement & { readonly businessDetails: boolean };

export class BusinessField {
  /** The disclosure is open: the buyer is buying for a business, and what they type is sent. */
  private open = false;
  private readonly values: Partial<Record<Field, string>> = {};
  private errors: Partial<Record<Field, MessageKey>> = {};

  constructor(
    private readonly host: BusinessHost,
    /** The checkout the host would start now: its currency suggests the billing country. */
    private readonly target: () => { currency?: string } | undefined,
  ) {
    const root = host.renderRoot as ShadowRoot;
    const sheet = businessStyles.styleSheet;
    if (sheet && root.adoptedStyleSheets && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    // Before the checkout is created: a half-given address stops it here, with the missing fields marked.
    host.addEventListener('checkout-start', (event) => {
      if (!this.offered) return;
      this.errors = {};
      const missing = this.hasAddress() ? ADDRESS_REQUIRED.filter((f) => !this.value(f)) : [];
      for (const f of missing) this.errors[f] = 'business.required';
      if (missing.length) {
        event.preventDefault();
        this.focus(missing[0]);
      }
      this.host.requestUpdate();
    });
    // The server's refusal of one of these fields shows at that field.
    host.addEventListener('checkout-error', (event) => {
      const found = this.offered && event.detail.code === 'validation_error' ? fieldOfError(event.detail.message) : undefined;
      if (!found) return;
      this.errors = { [found[0]]: found[1] };
      this.focus(found[0]);
    });
    host.requestUpdate(); // the toggle appears
  }

  private get offered(): boolean {
    return this.open && this.host.businessDetails;
  }

  private toggle(): void {
    this.open = !this.open;
    this.errors = {};
    if (this.open) this.focus('legal_name');
    else this.host.requestUpdate();
  }

  /** What the input shows: the text typed, else (the country) the catalog currency's. */
  private shown(field: Field): string {
    return this.values[field] ?? (field === 'country' ? (COUNTRY_OF_CURRENCY[this.target()?.currency ?? ''] ?? '') : '');
  }

  private value(field: Field): string {
    return this.shown(field).trim();
  }

  private hasAddress(): boolean {
    return ['line1', 'city', 'postal_code', 'state'].some((f) => this.value(f as Field));
  }

  /** After the next render: the field replaces the toggle (or the server named it). */
  private focus(field: Field): void {
    this.host.requestUpdate();
    void this.host.updateComplete.then(() => this.host.renderRoot.querySelector<HTMLInputElement>(`#tg-business-${field}`)?.focus());
  }

  /** What goes in the checkout as `business`: undefined when the form is closed or empty. */
  get details(): BusinessDetails | undefined {
    if (!this.offered) return undefined;
    const business: BusinessDetails = {};
    const name = this.value('legal_name');
    if (name) business.legal_name = name;
    const id = this.value('tax_id').toUpperCase().replace(/[\s.-]/g, '');
    if (id) business[GSTIN_LIKE.test(id) ? 'gstin' : 'vat_id'] = id;
    if (this.hasAddress()) {
      const state = this.value('state');
      business.address = { line1: this.value('line1'), city: this.value('city'), postal_code: this.value('postal_code'), country: this.value('country').toUpperCase(), ...(state ? { state } : {}) };
    }
    return Object.keys(business).length ? business : undefined;
  }

  render(): TemplateResult | typeof nothing {
    if (!this.host.businessDetails) return nothing;
    const t = this.host.t.bind(this.host);
    // One template, open or closed: the toggle stays the same element (and keeps the focus).
    return html`<button type="button" part="button business-toggle" class="secondary" aria-expanded=${this.open ? 'true' : 'false'} aria-controls=${this.open ? 'tg-business' : nothing} @click=${() => this.toggle()}>${t('business.toggle')}</button>
      ${this.open ? this.renderForm(t) : nothing}`;
  }

  private renderForm(t: TollgateElement['t']): TemplateResult {
    return html`<fieldset id="tg-business" part="business" class="business">
      <legend>${t('business.legend')}</legend>
      ${INPUTS.map(([field, autocomplete, max]) => {
        const error = this.errors[field];
        const described = [field === 'tax_id' ? 'tg-business-hint' : '', error ? `tg-business-${field}-error` : ''].filter(Boolean).join(' ');
        return html`<label part="business-field">
          <span>${t(`business.${field}`)}</span>
          <input
            id="tg-business-${field}"
            part="business-input"
            name=${field}
            autocomplete=${autocomplete}
            maxlength=${max}
            spellcheck="false"
            autocapitalize=${field === 'tax_id' || field === 'country' ? 'characters' : 'words'}
            .value=${this.shown(field)}
            aria-invalid=${error ? 'true' : 'false'}
            aria-describedby=${described || nothing}
            @input=${(event: Event) => {
              this.values[field] = (event.target as HTMLInputElement).value;
              if (this.errors[field]) {
                delete this.errors[field];
                this.host.requestUpdate();
              }
            }}
          />
          ${field === 'tax_id' ? html`<span id="tg-business-hint" class="hint">${t('business.tax_id_hint')}</span>` : nothing}
          ${error ? html`<span id="tg-business-${field}-error" part="business-error" class="error">${t(error)}</span>` : nothing}
        </label>`;
      })}
    </fieldset>`;
  }
}
