// Loads the checkout flow (controller, Razorpay loader, hand-off, Stripe mount) only when the
// customer starts a checkout, so an element's first load carries none of it; until then it renders
// the live region (kept in place so announcements are not lost) and a load failure with Retry.
import { html, nothing, type TemplateResult } from 'lit';
import type { CheckoutController } from './checkout-controller.js';
import type { CheckoutHost, CheckoutInput, CheckoutPhase } from './types.js';

/** The query parameter the server adds to every hosted page's return URL. */
export const RETURN_PARAM = 'tollgate_checkout';
/** sessionStorage key of the checkout this tab left to pay on a hosted page, per API base. */
export const pendingKey = (api: string): string => 'tollgate:pending-checkout:' + api;

/** One element per page resumes a return from a hosted page: the first one connected that sees it. */
let returnClaimed = false;
/** For tests: let the next connected element claim a return again. */
export function resetReturnClaim(): void {
  returnClaimed = false;
}

export class LazyCheckout {
  private flow?: CheckoutController;
  private pending?: Promise<CheckoutController | undefined>;
  private loadFailed = false;
  private lastInput?: CheckoutInput;

  constructor(private readonly host: CheckoutHost) {
    host.addController({ hostConnected: () => this.resumeReturn() });
  }

  /** Back from a hosted page? Only the check lives here; the polling loads with the flow. */
  private resumeReturn(): void {
    if (returnClaimed) return;
    let returning = false;
    try {
      returning = new URLSearchParams(location.search).has(RETURN_PARAM) || Boolean(sessionStorage.getItem(pendingKey(this.host.apiBase)));
    } catch {
      // storage disabled
    }
    if (!returning) return;
    returnClaimed = true;
    void this.load().then((flow) => flow?.resumeReturn());
  }

  /** The loaded controller, once a checkout has started on this element. */
  get controller(): CheckoutController | undefined {
    return this.flow;
  }

  get phase(): CheckoutPhase {
    return this.flow?.phase ?? (this.pending ? 'starting' : this.loadFailed ? 'error' : 'idle');
  }

  /** Loading the flow counts as busy: a second click meanwhile starts nothing. */
  get busy(): boolean {
    return this.flow ? this.flow.busy : this.pending !== undefined;
  }

  /** Busy, or waiting on a payment made elsewhere (hand-off): choosing another plan is off. */
  get locked(): boolean {
    return this.flow?.locked ?? this.busy;
  }

  /** Load the flow (once), then start one attempt; ignored while another is running. */
  async start(input: CheckoutInput): Promise<void> {
    if (this.locked) return;
    this.lastInput = input;
    const flow = await this.load();
    await flow?.start(input);
  }

  private load(): Promise<CheckoutController | undefined> {
    if (this.flow) return Promise.resolve(this.flow);
    this.loadFailed = false;
    this.pending ??= import('./checkout-controller.js')
      .then(
        ({ CheckoutController }) => (this.flow = new CheckoutController(this.host)),
        () => {
          this.loadFailed = true; // offline, or a deploy replaced the chunk: a visible, retryable state
          return undefined;
        },
      )
      .finally(() => {
        this.pending = undefined;
        this.host.requestUpdate();
      });
    this.host.requestUpdate();
    return this.pending;
  }

  /** The live region, then the flow's own view (Retry, hand-off), then the embedded-checkout slot. */
  render(): TemplateResult {
    const flow = this.flow;
    const t = this.host.t.bind(this.host);
    const phase = this.phase;
    const input = this.lastInput;
    const message = flow ? flow.message : this.pending ? t('checkout.starting') : this.loadFailed ? t('error.script_failed') : '';
    return html`
      <div part="status" class="status ${phase === 'error' ? 'error' : ''}" data-phase=${phase} role="status" aria-live="polite">${message}</div>
      ${flow
        ? flow.renderDetails()
        : this.loadFailed && input
          ? html`<button part="button retry" class="secondary" @click=${() => void this.start(input)}>${t('retry')}</button>`
          : nothing}
      <slot name="embedded"></slot>
    `;
  }
}
