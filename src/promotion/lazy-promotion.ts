// The "Have a code?" button of <plan-picker>, <razorpay-checkout> and <stripe-checkout>: the code field itself
// (promotion-field.ts: the request, the price, the words) loads only when the customer asks for it.
import { html, type TemplateResult } from 'lit';
import type { TollgateElement } from '../base/tollgate-element.js';
import type { PromotionPreviewRequest } from '../contract/index.js';
import type { PromotionField } from './promotion-field.js';

/** What a code is checked against: the checkout the host would start now. */
export type PromotionTarget = Omit<PromotionPreviewRequest, 'code'>;

export class LazyPromotion {
  private field?: PromotionField;

  constructor(
    private readonly host: TollgateElement,
    private readonly target: () => PromotionTarget | undefined,
  ) {}

  /** The code to send with the checkout: one the server accepted for the current target. */
  get code(): string | undefined {
    return this.field?.applied;
  }

  /** The host's target may have changed (another plan, interval): an applied code is checked again. */
  retarget(): void {
    this.field?.retarget();
  }

  render(): TemplateResult {
    return this.field?.render() ?? html`<button type="button" part="button promotion-toggle" class="secondary" @click=${() => void this.open()}>${this.host.t('promo.toggle')}</button>`;
  }

  private async open(): Promise<void> {
    const { PromotionField } = await import('./promotion-field.js');
    this.field ??= new PromotionField(this.host, this.target); // it renders in place of the button and takes the focus
  }
}
