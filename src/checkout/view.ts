// The checkout flow's view: the sentence its live region announces, its own controls (Retry, the
// hand-off link, Start over, an agent's panel link) and their styles.
import { css, html, nothing, type TemplateResult } from 'lit';
import type { CheckoutController } from './checkout-controller.js';
import type { CheckoutPhase } from './types.js';
import type { MessageKey } from '../i18n/index.js';
import type { TollgateElement } from '../base/tollgate-element.js';
import { openHandoff } from './runners/handoff.js';

/**
 * Styles of the views this chunk renders (hand-off link, Start over, agent set-up), adopted into the
 * host's shadow root when the flow loads, so an element's first load does not carry them.
 * Constructable sheets, not a <style>: the IDE webview's CSP allows no inline styles.
 */
const flowStyles = css`
  .handoff {
    justify-self: stretch;
  }
  .handoff-link {
    display: block;
    margin-block: 0.75rem;
  }
  .handoff input {
    display: block;
    inline-size: 100%;
    font: inherit;
    padding: 0.4rem;
    margin-block-start: 0.25rem;
    color: inherit;
    background: var(--_surface);
    border: 1px solid var(--_border);
    border-radius: calc(var(--_radius) * 0.5);
  }
  [part~='panel-link'] {
    color: var(--_accent);
    font-weight: 600;
  }
`;

export function adoptFlowStyles(host: TollgateElement): void {
  const root = host.shadowRoot;
  const sheet = flowStyles.styleSheet;
  if (root && sheet && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

/** The flow's live region (rendered by LazyCheckout), where focus goes when its control is gone. */
export function statusOf(host: TollgateElement): HTMLElement | null {
  return host.renderRoot.querySelector<HTMLElement>('[part~="status"]');
}

/** What the live region says in each phase that has a fixed sentence. */
const PHASE_MESSAGES: Partial<Record<CheckoutPhase, MessageKey>> = {
  starting: 'checkout.starting',
  loading: 'checkout.loading',
  verifying: 'checkout.verifying',
  confirming: 'checkout.verifying',
  returning: 'checkout.verifying',
  redirecting: 'checkout.redirecting',
  embedded: 'checkout.embedded',
  handoff: 'handoff.waiting',
  unconfirmed: 'checkout.still_pending',
  dismissed: 'checkout.dismissed',
};

/** The sentence the live region announces for the current state. */
export function checkoutMessage(flow: CheckoutController): string {
  const host = flow.host;
  const t = host.t.bind(host);
  const phase = flow.phase;
  if (phase === 'paying') {
    return flow.failure === undefined ? t('checkout.open') : flow.failure ? t('checkout.failed', { reason: flow.failure }) : t('error.payment_failed');
  }
  if (phase === 'success') {
    const plan = flow.newPlan ?? '';
    const done = t('checkout.success', { plan: (plan === flow.input?.plan && flow.planName) || host.planNameOf?.(plan) || plan });
    const setup = flow.fulfillment?.status;
    // An expired set-up reads as failed.
    return setup ? done + ' ' + t(`fulfillment.${setup === 'expired' ? 'failed' : setup}`) : done;
  }
  if (phase === 'error') return flow.error?.message ?? t('error.generic');
  const key = PHASE_MESSAGES[phase];
  return key ? t(key) : '';
}

/** Retry after an error, the hand-off view, Start over, the agent's panel link; the live region and slot are LazyCheckout's. */
export function renderDetails(flow: CheckoutController): TemplateResult {
  const host = flow.host;
  const t = host.t.bind(host);
  const phase = flow.phase;
  const panel = phase === 'success' && flow.fulfillment?.status === 'ready' ? flow.fulfillment.panel_url : null;
  return html`
    ${phase === 'error' && flow.retryAction
      ? html`<button part="button retry" class="secondary" @click=${() => flow.retry()}>${t('retry')}</button>`
      : nothing}
    ${panel && /^https?:/i.test(panel) ? html`<a part="panel-link" href=${panel}>${t('fulfillment.open')}</a>` : nothing}
    ${phase === 'handoff' && flow.handoff
      ? html`<div part="handoff" class="handoff">
          <p class="handoff-title"><strong>${t('handoff.title')}</strong></p>
          <p>${t('handoff.body')}</p>
          <button part="button handoff-button" @click=${() => openHandoff(flow) && selectLink(host)}>${t('handoff.button')}</button>
          <label class="handoff-link">
            <span>${t('handoff.link')}</span>
            <input part="handoff-url" readonly .value=${flow.handoff.url} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
          </label>
          <p class="hint">${t('handoff.copy')}</p>
        </div>`
      : nothing}
    ${phase === 'handoff' || phase === 'unconfirmed'
      ? html`<button part="button start-over" class="secondary" @click=${() => flow.startOver()}>${t('checkout.start_over')}</button>`
      : nothing}
  `;
}

/** Nobody opened the hand-off link for us: make it easy to copy. */
function selectLink(host: TollgateElement): void {
  const input = host.renderRoot.querySelector<HTMLInputElement>('[part~="handoff-url"]');
  input?.focus();
  input?.select();
}
