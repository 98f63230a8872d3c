// <paywall-gate>: shows its content when GET /v1/entitlements allows it, a paywall otherwise.
import { html, css, nothing, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import { Task, TaskStatus } from '@lit/task';
import type { Entitlements, PlansResponse } from '../../contract/index.js';
import { TollgateElement } from '../../base/tollgate-element.js';
import { sessionGrace } from '../../base/session-grace.js';
import { TollgateError, forgetAnswers } from '../../api/client.js';
import { getConfig } from '../../config.js';
import { errorKey } from '../../i18n/index.js';
import { hostTokens } from '../../styles/shared.js';

export interface GateDecision {
  allowed: boolean;
  entitlements?: Entitlements;
}

/**
 * @summary Shows its content to customers whose plan includes `feature` (or is `plan` or above),
 * and a paywall to everyone else. **UI only**: hiding content in the browser protects nothing —
 * the server must check entitlements on every request that serves the gated thing. Without a session
 * it keeps the placeholder for up to 1.5 s (the page may still be fetching one), then shows the paywall.
 *
 * @fires checkout-success - Bubbles up from the default paywall's `<plan-picker>`; the gate then re-checks.
 *
 * @slot - The gated content, shown when allowed.
 * @slot paywall - Shown when not allowed (default: a heading, a sentence and a `<plan-picker>`).
 * @slot loading - Shown while checking (default: a placeholder).
 *
 * @csspart base - The wrapper.
 * @csspart paywall - The default paywall.
 * @csspart picker - The default paywall's `<plan-picker>` (style it further through its own parts).
 *
 * @cssproperty --accent - Brand colour (falls back to `--tollgate-accent`).
 * @cssproperty --surface - Paywall background.
 * @cssproperty --radius - Corner radius.
 * @cssproperty --text - Text colour.
 * @cssproperty --font - Font family.
 */
export class PaywallGate extends TollgateElement {
  /** Feature id the content needs (from the plan's `features`). */
  @property({ reflect: true }) feature?: string;

  /** Plan id the content needs; higher plans in the catalog order also pass. */
  @property({ reflect: true }) plan?: string;

  /** Hand-off mode for the default paywall's plan picker. Also `configure({handoff: true})`. */
  @property({ type: Boolean }) handoff = false;

  static override styles = [
    hostTokens,
    css`
      [part~='paywall'] {
        display: grid;
        gap: 0.75rem;
        padding: 1.25rem;
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        background: var(--_surface);
      }
      h2 {
        margin: 0;
        font-size: 1.2em;
      }
      p {
        margin: 0;
        color: var(--_muted);
      }
      .placeholder {
        min-block-size: 8rem;
      }
      plan-picker:not(:defined) {
        display: block;
        min-block-size: 12rem;
      }
    `,
  ];

  private readonly _gate = new Task(this, {
    task: async ([, token, feature, plan], { signal }): Promise<GateDecision> => {
      if (!token) {
        // A paying customer whose page is still fetching the session never sees the paywall flash.
        await sessionGrace(signal);
        return { allowed: false };
      }
      const client = this.client();
      const entitlements = await client.shared<Entitlements>('/v1/entitlements');
      // `feature`: the effective plan lists it (the server drops lapsed plans' features); `plan`: that
      // plan or a later one; neither: any paid access (`has_access`).
      if (feature) return { allowed: entitlements.features.includes(feature), entitlements };
      if (!plan) return { allowed: entitlements.has_access, entitlements };
      if (plan !== entitlements.plan) {
        if (!entitlements.has_access) return { allowed: false, entitlements };
        // Catalog order is cheapest first: a plan listed after the required one includes it.
        const { plans } = await client.shared<PlansResponse>('/v1/plans');
        const need = plans.findIndex((p) => p.id === plan);
        const have = plans.findIndex((p) => p.id === entitlements.plan);
        if (need < 0 || have < need) return { allowed: false, entitlements };
      }
      return { allowed: true, entitlements };
    },
    args: () => [this.apiBase, this.token, this.feature, this.plan] as const,
  });

  // The answers were forgotten on the way (api/client.ts): this and every other element ask once, together.
  private readonly _onCheckoutSuccess = (): void => void this._gate.run();

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('checkout-success', this._onCheckoutSuccess);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('checkout-success', this._onCheckoutSuccess);
  }

  /** Whether the content is shown now. */
  get allowed(): boolean {
    return this._gate.value?.allowed ?? false;
  }

  /** Ask the server again (after a plan change elsewhere…; the page's shared answers are forgotten). */
  recheck(): Promise<unknown> {
    forgetAnswers();
    return this._gate.run();
  }

  override render(): TemplateResult {
    const status = this._gate.status;
    const decision = this._gate.value;
    const checking = !decision && (status === TaskStatus.INITIAL || status === TaskStatus.PENDING);
    return html`<div part="base" aria-busy=${status === TaskStatus.PENDING ? 'true' : 'false'}>
      ${status === TaskStatus.ERROR && !decision
        ? this.renderError()
        : checking
          ? html`<slot name="loading"><div class="skeleton placeholder" role="status"><span class="sr-only">${this.t('paywall.checking')}</span></div></slot>`
          : decision?.allowed
            ? html`<slot></slot>`
            : this.renderPaywall()}
    </div>`;
  }

  private renderPaywall(): TemplateResult {
    // Only a locked gate needs the picker, so it is its own chunk (already there with tollgate.js).
    if (!customElements.get('plan-picker')) void import('../plan-picker/plan-picker.js');
    return html`<slot name="paywall">
      <div part="paywall">
        <h2>${this.t('paywall.title')}</h2>
        <p>${this.t('paywall.body')}</p>
        <plan-picker
          part="picker"
          exportparts="plan, price, button, cta, badge"
          .api=${this.api}
          .session=${this.session}
          .locale=${this.locale}
          ?handoff=${this.handoff || Boolean(getConfig().handoff)}
        ></plan-picker>
      </div>
    </slot>`;
  }

  private renderError(): TemplateResult {
    const error = this._gate.error;
    const code = error instanceof TollgateError ? error.code : 'generic';
    return html`<div class="error" role="alert">
      <span>${this.t(errorKey(code))}</span>
      <button part="button retry" class="secondary" @click=${() => void this.recheck()}>${this.t('retry')}</button>
    </div>${nothing}`;
  }
}
