// The shared body of <razorpay-checkout> and <stripe-checkout>: one button that runs a checkout
// for one plan (or pays an existing hand-off checkout) and shows its progress.
import { html, css, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import type { CheckoutRequest } from '../contract/index.js';
import { TollgateElement } from './tollgate-element.js';
import { LazyCheckout } from '../checkout/lazy-checkout.js';
import { LazyPromotion } from '../promotion/lazy-promotion.js';
import { getConfig } from '../config.js';
import { hostTokens } from '../styles/shared.js';
import type { MessageKey } from '../i18n/index.js';

export abstract class CheckoutButton extends TollgateElement {
  /** Plan id to buy. */
  @property({ reflect: true }) plan = '';

  /** Plan name for the default button label (defaults to the plan id). */
  @property({ attribute: 'plan-name' }) planName?: string;

  /** Billing interval. */
  @property() interval?: 'month' | 'year';

  /** Pay this existing checkout (`POST /v1/checkout/{id}/start`) instead of creating one: the hand-off pay page. */
  @property() checkout?: string;

  /** Where a hosted payment page sends the customer back to. */
  @property({ attribute: 'return-url' }) returnUrl?: string;

  /** Hand-off mode: pay in the system browser (IDE webviews). Also set by `configure({handoff: true})`. */
  @property({ type: Boolean }) handoff = false;

  /** Offer a "Have a code?" field for a promotion code (checked and priced by the server). */
  @property({ type: Boolean, attribute: 'promotion-codes' }) promotionCodes = false;

  static override styles = [
    hostTokens,
    css`
      [part~='base'] {
        display: grid;
        gap: 0.5rem;
        justify-items: start;
      }
      .status:empty {
        display: none;
      }
      ::slotted([data-tollgate-embedded]) {
        display: block;
        inline-size: 100%;
      }
    `,
  ];

  protected readonly checkoutFlow = new LazyCheckout(this);
  private readonly _promo = new LazyPromotion(this, () => ({ plan: this.plan, interval: this.interval, provider: this.providerName }));

  protected abstract readonly providerName: CheckoutRequest['provider'];
  protected abstract readonly uiMode: CheckoutRequest['ui_mode'] | undefined;
  protected abstract readonly labelKey: MessageKey;

  get handoffMode(): boolean {
    return (this.handoff || Boolean(getConfig().handoff)) && !this.checkout;
  }

  /**
   * Start the checkout, as a click on the button does: loads the checkout code on first use, then
   * fires the cancelable `checkout-start`. Resolves once the attempt is under way.
   */
  start(): Promise<void> {
    return this.checkoutFlow.start({
      plan: this.plan,
      interval: this.interval,
      checkoutId: this.checkout,
      provider: this.providerName,
      uiMode: this.uiMode,
      returnUrl: this.returnUrl,
      promotionCode: this.checkout ? undefined : this._promo.code,
      control: this.renderRoot.querySelector('button[part="button"]'),
    });
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    this._promo.retarget();
  }

  override render(): TemplateResult {
    const flow = this.checkoutFlow;
    return html`<div part="base" aria-busy=${flow.busy ? 'true' : 'false'}>
      ${this.promotionCodes && !this.checkout ? this._promo.render() : nothing}
      <button part="button" type="button" ?disabled=${flow.locked || flow.phase === 'success'} @click=${() => void this.start()}>
        <slot>${this.t(this.labelKey, { plan: this.planName ?? this.plan })}</slot>
      </button>
      ${flow.render()}
    </div>`;
  }
}
