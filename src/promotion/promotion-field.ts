// The promotion code field (loaded on "Have a code?", lazy-promotion.ts): asks POST /v1/promotion-codes/validate
// for the host's checkout, shows the struck-through and the discounted price and how long the discount lasts in
// the page's language, its tax ("incl. ₹182.68 GST", priced on the discounted amount), or the refusal in plain
// words; the server decides every amount.
import { css, html, nothing, type TemplateResult } from 'lit';
import type { TollgateElement } from '../base/tollgate-element.js';
import type { PromotionPreview } from '../contract/index.js';
import { TollgateError } from '../api/client.js';
import { formatMoney, formatNumber } from '../format.js';
import { enPromotion } from '../i18n/en-promotion.js';
import { enSeats } from '../i18n/en-seats.js';
import { addMessages, errorKey, type MessageKey } from '../i18n/index.js';
import type { PromotionTarget } from './lazy-promotion.js';

addMessages('en', enPromotion);
addMessages('en', enSeats); // the tax line's words ("incl. {amount} {name}"), shared with the seat stepper

const promotionStyles = css`
  .promo {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    margin-block: 0.75rem;
  }
  .promo input {
    font: inherit;
    color: inherit;
    background: var(--surface, transparent);
    border: 1px solid var(--border, currentColor);
    border-radius: var(--radius, 0.375rem);
    padding: 0.375rem 0.5rem;
    inline-size: 12ch;
  }
  .promo-result {
    flex-basis: 100%;
  }
  .promo-result:empty {
    display: none;
  }
  .promo-result s {
    color: var(--muted, inherit);
  }
  .promo-result .error {
    color: var(--danger-color, #b3261e);
  }
`;

/** "20 % off for 3 months", "₹500 off the first month", "10 % off every year", in the host's language. */
export function durationWords(t: (key: MessageKey, params?: Record<string, string | number>) => string, preview: PromotionPreview, locale: string): string {
  const off = preview.percent_off !== null ? t('promo.pct', { pct: formatNumber(preview.percent_off, locale) }) : formatMoney(preview.discount, preview.currency, locale);
  const unit = preview.interval === 'year' ? 'year' : 'month';
  const key: MessageKey =
    preview.interval === 'once'
      ? 'promo.off.once'
      : preview.duration === 'forever'
        ? `promo.off.every_${unit}`
        : preview.duration === 'repeating' && (preview.duration_periods ?? 1) > 1
          ? `promo.off.${unit}s`
          : `promo.off.first_${unit}`;
  return t(key, { off, n: formatNumber(preview.duration_periods ?? 1, locale) });
}

export class PromotionField {
  private draft = '';
  private preview?: PromotionPreview;
  private errorCode?: string;
  private checking = false;
  private checkedFor = '';
  private abort?: AbortController;

  constructor(
    private readonly host: TollgateElement,
    private readonly target: () => PromotionTarget | undefined,
  ) {
    const root = host.renderRoot as ShadowRoot;
    const sheet = promotionStyles.styleSheet;
    if (sheet && root.adoptedStyleSheets && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    this.focusInput();
  }

  /** After the next render: the field replaces "Have a code?" (and the cleared field keeps the focus). */
  private focusInput(): void {
    this.host.requestUpdate();
    void this.host.updateComplete.then(() => this.host.renderRoot.querySelector<HTMLInputElement>('[part~="promotion-input"]')?.focus());
  }

  /** The code the server accepted for the current target, if any. */
  get applied(): string | undefined {
    return this.preview && this.checkedFor === this.targetKey() ? this.preview.code : undefined;
  }

  private targetKey(): string {
    return JSON.stringify(this.target() ?? null);
  }

  retarget(): void {
    if ((this.preview || this.errorCode) && this.draft && this.checkedFor !== this.targetKey()) void this.check();
  }

  /** Ask the server what this code does to the host's checkout; a newer ask aborts an older one. */
  async check(): Promise<void> {
    const target = this.target();
    const code = this.draft.trim();
    if (!target || !code) return;
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    this.checkedFor = this.targetKey();
    this.checking = true;
    this.errorCode = undefined;
    this.preview = undefined;
    this.host.requestUpdate();
    try {
      this.preview = await this.host.client().post<PromotionPreview>('/v1/promotion-codes/validate', { ...target, code }, { signal: abort.signal });
    } catch (err) {
      if (abort.signal.aborted) return;
      this.errorCode = err instanceof TollgateError ? err.code : 'generic';
    }
    this.checking = false;
    this.host.requestUpdate();
  }

  private remove(): void {
    this.abort?.abort();
    this.draft = '';
    this.preview = this.errorCode = undefined;
    this.checking = false;
    this.focusInput();
  }

  render(): TemplateResult {
    const t = this.host.t.bind(this.host);
    const locale = this.host.resolvedLocale;
    const preview = this.preview;
    return html`<form
      part="promotion"
      class="promo"
      @submit=${(event: Event) => {
        event.preventDefault();
        void this.check();
      }}
    >
      <label for="tg-promo-code">${t('promo.label')}</label>
      <input
        id="tg-promo-code"
        part="promotion-input"
        name="promotion_code"
        autocomplete="off"
        autocapitalize="characters"
        spellcheck="false"
        maxlength="64"
        .value=${this.draft}
        aria-invalid=${this.errorCode ? 'true' : 'false'}
        aria-describedby="tg-promo-result"
        @input=${(event: Event) => (this.draft = (event.target as HTMLInputElement).value)}
      />
      <button type="submit" part="button promotion-apply" ?disabled=${this.checking}>${t('promo.apply')}</button>
      ${preview || this.errorCode ? html`<button type="button" part="button promotion-remove" class="secondary" @click=${() => this.remove()}>${t('promo.remove')}</button>` : nothing}
      <div id="tg-promo-result" part="promotion-result" class="promo-result" role="status" aria-live="polite">${this.checking
        ? t('promo.checking')
        : this.errorCode
          ? html`<span class="error">${t(errorKey(this.errorCode))}</span>`
          : preview
            ? html`<span class="sr-only">${t('promo.was', { price: formatMoney(preview.amount, preview.currency, locale) })}</span><s aria-hidden="true">${formatMoney(preview.amount, preview.currency, locale)}</s>
                <strong part="promotion-total">${formatMoney(preview.total, preview.currency, locale)}</strong>
                ${preview.tax?.rate && preview.tax.amount !== null ? html`<span part="tax">${t(preview.tax.inclusive ? 'tax.incl' : 'tax.excl', { amount: formatMoney(preview.tax.amount, preview.currency, locale), name: preview.tax.name })}</span>` : nothing}
                <span part="promotion-duration">${t('promo.applied', { code: preview.code, duration: durationWords(t, preview, locale) })}</span>`
            : nothing}</div>
    </form>`;
  }
}
