// The checkout state machine every paying element shares: create (or start) a checkout on the server,
// hand the action it answers with to that action type's runner (runners/), and end in success,
// dismissal or an error with Retry, reported as events, a phase, and focus put back.
import type { ReactiveController, TemplateResult } from 'lit';
import type { CheckoutAction, CheckoutResponse, CheckoutState, HandoffAction } from '../contract/index.js';
import { TollgateError, newIdempotencyKey } from '../api/client.js';
import { emit } from '../events.js';
import { addMessages, errorKey, type MessageKey } from '../i18n/index.js';
import { enCheckout } from '../i18n/en-checkout.js';
import type { EmbeddedMount } from './stripe-embedded.js';
import { focusOrigin, restoreFocus } from './focus.js';
import { createCheckout } from './create.js';
import { watchFulfillment } from './fulfillment.js';
import type { CheckoutHost, CheckoutInput, CheckoutPhase, Fulfillment } from './types.js';
import { adoptFlowStyles, checkoutMessage, renderDetails, statusOf } from './view.js';
import { runHandoff } from './runners/handoff.js';
import { runRazorpay } from './runners/razorpay.js';
import { clearPending, resumeFromCache, resumeReturn, runRedirect } from './runners/redirect.js';
import { runStripeEmbedded } from './runners/stripe-embedded.js';

export { checkoutTiming } from './timing.js';
export type { RazorpayFailure, RazorpayInstance, RazorpayOptions } from './runners/razorpay.js';
export type { PendingCheckout } from './runners/redirect.js';
export type * from './types.js';

// This module is a lazy chunk; its English strings come with it.
addMessages('en', enCheckout);

/** `POST /v1/checkout` refusals that a retry would only repeat (the plans stay choosable). */
const FINAL_CHECKOUT_ERRORS: ReadonlySet<string> = new Set(['subscription_exists', 'downgrade_not_available']);

const BUSY: ReadonlySet<CheckoutPhase> = new Set(['starting', 'loading', 'paying', 'verifying', 'redirecting', 'confirming', 'returning']);

/** One attempt's state; the runners and the view read it and move it through `set`, `fail` and `succeed`. */
export class CheckoutController implements ReactiveController {
  phase: CheckoutPhase = 'idle';
  error?: { code: string; message: string };
  /** Razorpay reported a failed attempt while its modal stays open. */
  failure?: string;
  checkoutId?: string;
  handoff?: HandoffAction;
  /** The plan the customer is on after success. */
  newPlan?: string;
  /** Display name of the plan being bought, from the server's checkout response. */
  planName?: string;
  /** Set-up after payment (mintbot agents), while and after it is watched. */
  fulfillment?: Fulfillment;
  input?: CheckoutInput;
  /** What Retry does, when the error has one. */
  retryAction?: () => void;
  /** The embedded form (or its container) in the host's light DOM, taken away by `stop`. */
  embedded?: EmbeddedMount;

  private aborter?: AbortController;
  /** Where focus goes back when the attempt ends (see `focusOrigin`). */
  private focusReturn?: Element;

  constructor(readonly host: CheckoutHost) {
    host.addController(this);
    adoptFlowStyles(host);
  }

  hostConnected(): void {
    window.addEventListener('pageshow', this.onPageShow);
  }

  hostDisconnected(): void {
    window.removeEventListener('pageshow', this.onPageShow);
    this.stop();
  }

  private readonly onPageShow = (event: PageTransitionEvent): void => void resumeFromCache(this, event);

  get busy(): boolean {
    return BUSY.has(this.phase);
  }

  /**
   * Busy, or waiting on a payment made elsewhere (hand-off, an unconfirmed return): no second
   * checkout may start, or it would stop watching the first. "Start over" ends the wait.
   */
  get locked(): boolean {
    return this.busy || this.phase === 'handoff' || this.phase === 'unconfirmed';
  }

  /** Start one user attempt (one Idempotency-Key); ignored while another is running or awaited. */
  async start(input: CheckoutInput): Promise<void> {
    if (this.locked) return;
    const proceed = emit(this.host, 'checkout-start', { plan: input.plan, interval: input.interval, checkout_id: input.checkoutId }, true);
    if (!proceed) return;
    this.focusReturn = focusOrigin(this.host, this.focusReturn, input.control);
    this.stop();
    this.input = input;
    this.error = undefined;
    this.failure = undefined;
    this.fulfillment = undefined;
    this.checkoutId = input.checkoutId; // a failed create must not report the previous attempt's id
    this.set('starting');
    let response: CheckoutResponse;
    try {
      response = await createCheckout(this.host, input, newIdempotencyKey()); // one key per attempt
    } catch (error) {
      // Refusals that stand until the customer's billing changes (a live subscription to change in the
      // billing portal, a paid period still running): the same request would be refused again, so no Retry.
      const final = error instanceof TollgateError && FINAL_CHECKOUT_ERRORS.has(error.code);
      return this.fail(error, final ? null : () => void this.start(input));
    }
    this.checkoutId = response.checkout_id;
    this.planName = response.plan_name;
    // The server's word on what is being bought (a hand-off checkout arrives with no plan of ours).
    this.input = { ...input, plan: response.plan || input.plan, interval: response.interval === 'once' ? undefined : (response.interval ?? input.interval) };
    await this.run(response.action);
  }

  /** The Retry button: resumes the failed step (same order) or starts a new attempt. */
  retry(): void {
    const action = this.retryAction;
    this.retryAction = undefined;
    this.error = undefined;
    this.phase = 'idle';
    action?.();
  }

  /** The action types are the contract (`CheckoutAction`); each has its runner. */
  private run(action: CheckoutAction): Promise<void> | void {
    switch (action.type) {
      case 'razorpay':
        return runRazorpay(this, action);
      case 'redirect':
        return runRedirect(this, action);
      case 'stripe_embedded':
        return runStripeEmbedded(this, action);
      case 'handoff':
        return runHandoff(this, action);
      default:
        return this.fail(new TollgateError('bad_response', 'Unknown checkout action.'));
    }
  }

  /** Back from a hosted page (see `runners/redirect.ts`). */
  resumeReturn(): Promise<void> {
    return resumeReturn(this);
  }

  /**
   * "Start over": stop waiting for the hand-off or unconfirmed checkout and make the plans
   * choosable again. The checkout itself stays open upstream; this page just stops watching it.
   */
  startOver(): void {
    const plan = this.input?.plan ?? '';
    const checkoutId = this.checkoutId ?? '';
    this.stop();
    this.handoff = undefined;
    clearPending(this.host.apiBase);
    this.set('idle');
    emit(this.host, 'checkout-dismiss', { plan, checkout_id: checkoutId });
    // "Start over" itself is gone now.
    void this.refocus();
  }

  // ---- Outcomes -------------------------------------------------------------------------------

  paid(state: CheckoutState): void {
    this.succeed({ plan: state.plan, new_plan: state.plan, payment_id: state.payment_id ?? undefined });
    if (state.fulfillment) void watchFulfillment(this, state.fulfillment);
  }

  succeed(result: { plan: string; new_plan: string; old_plan?: string; payment_id?: string }): void {
    this.stop();
    this.handoff = undefined;
    this.newPlan = result.new_plan;
    this.set('success');
    emit(this.host, 'checkout-success', {
      plan: result.plan,
      checkout_id: this.checkoutId ?? '',
      new_plan: result.new_plan,
      ...(result.old_plan !== undefined ? { old_plan: result.old_plan } : {}),
      ...(result.payment_id !== undefined ? { payment_id: result.payment_id } : {}),
    });
  }

  /** `retry`: what Retry does (default: a new attempt); `null`: no Retry. */
  fail(error: unknown, retry?: (() => void) | null, messageKey?: MessageKey): void {
    if (error instanceof DOMException && error.name === 'AbortError') return;
    const code = error instanceof TollgateError ? error.code : 'internal_error';
    this.error = { code, message: this.host.t(messageKey ?? errorKey(code)) };
    this.retryAction = retry === null ? undefined : (retry ?? (() => this.restart()));
    this.set('error');
    emit(this.host, 'checkout-error', {
      code,
      message: error instanceof Error && error.message ? error.message : this.error.message,
      ...(this.checkoutId ? { checkout_id: this.checkoutId } : {}),
    });
  }

  /** The checkout ended unpaid: `payment_<status>` (a refund reads as failed), and Retry is a new attempt. */
  unpaid(state: CheckoutState): void {
    this.fail(new TollgateError('payment_' + (state.status === 'refunded' ? 'failed' : state.status), state.last_error?.message ?? ''));
  }

  /** A new attempt with the last input. */
  restart(): void {
    if (this.input) void this.start(this.input);
  }

  /** A signal for this attempt's next wait; aborts the one before. */
  newSignal(): AbortSignal {
    this.aborter?.abort();
    this.aborter = new AbortController();
    return this.aborter.signal;
  }

  private stop(): void {
    this.aborter?.abort();
    this.aborter = undefined;
    this.embedded?.destroy();
    this.embedded = undefined;
  }

  set(phase: CheckoutPhase): void {
    this.phase = phase;
    this.host.requestUpdate();
    if (phase === 'success' || phase === 'dismissed' || phase === 'error') void this.refocus();
  }

  /** The attempt ended: focus back where it began, else on the live region (see focus.ts). */
  private refocus(): Promise<void> {
    return restoreFocus(this.host, this.focusReturn, statusOf);
  }

  // ---- View (see view.ts) ---------------------------------------------------------------------

  /** The sentence the live region announces for the current state. */
  get message(): string {
    return checkoutMessage(this);
  }

  renderDetails(): TemplateResult {
    return renderDetails(this);
  }
}
