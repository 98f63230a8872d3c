// The checkout flow every paying element shares: create (or start) a checkout on the server, then
// run the action it answers with — Razorpay modal, redirect, embedded Stripe or hand-off — and
// report the outcome as events, a visible state and a live-region announcement.
import { css, html, nothing, type ReactiveController, type TemplateResult } from 'lit';
import type {
  CheckoutRequest,
  CheckoutResponse,
  CheckoutState,
  CheckoutAction,
  HandoffAction,
  RazorpayAction,
  RazorpayVerifyResponse,
  StripeEmbeddedAction,
} from '../contract/index.js';
import { TollgateError, newIdempotencyKey } from '../api/client.js';
import { RETURN_PARAM, pendingKey } from './lazy-checkout.js';
import { browserNav } from '../config.js';
import { emit } from '../events.js';
import { addMessages, errorKey, type MessageKey } from '../i18n/index.js';
import { enCheckout } from '../i18n/en-checkout.js';
import { ScriptLoader } from '../controllers/script-loader.js';
import type { TollgateElement } from '../base/tollgate-element.js';
import type { EmbeddedMount } from './stripe-embedded.js';

// This module is a lazy chunk; its English strings come with it.
addMessages('en', enCheckout);

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

/** Razorpay checkout.js, as much of it as we use. */
export interface RazorpayOptions {
  key: string;
  amount: number;
  currency: string;
  name: string;
  description: string;
  order_id: string;
  prefill: { name?: string; email?: string; contact?: string };
  theme?: { color?: string };
  handler: (response: { razorpay_payment_id: string; razorpay_order_id: string; razorpay_signature: string }) => void;
  modal: { ondismiss: () => void };
}
export interface RazorpayFailure {
  error: {
    code?: string;
    description?: string;
    source?: string;
    step?: string;
    reason?: string;
    metadata?: { order_id?: string; payment_id?: string };
  };
}
export interface RazorpayInstance {
  open(): void;
  on(event: 'payment.failed', callback: (response: RazorpayFailure) => void): void;
}
declare global {
  interface Window {
    Razorpay?: new (options: RazorpayOptions) => RazorpayInstance;
  }
}

/** The longest Retry-After a verify waits out by itself; a longer one is reported (with Retry). */
const MAX_RETRY_AFTER_S = 10;

/** A 409 `conflict` with Retry-After: not a refusal, the same Idempotency-Key is still in progress on the server. */
export function isBusy(error: unknown): error is TollgateError & { retryAfter: number } {
  return error instanceof TollgateError && error.status === 409 && error.code === 'conflict' && error.retryAfter! > 0;
}

/** Timings, adjustable by tests. */
export const checkoutTiming = {
  /** First hand-off status poll delay; it grows by half each poll up to `maxPollMs`. */
  pollMs: 2000,
  maxPollMs: 10_000,
  /** Polls of `GET /v1/checkout/{id}` after an embedded checkout completes. */
  confirmTries: 15,
  confirmMs: 1000,
  scriptTimeoutMs: 15_000,
  /** Automatic verify retries on a 409 `conflict` with Retry-After, each after the server's Retry-After. */
  verifyBusyRetries: 8,
  /** Back from a hosted page: first poll delay, growing by half up to `returnMaxPollMs`, for `returnBoundMs`… */
  returnPollMs: 1500,
  returnMaxPollMs: 5000,
  returnBoundMs: 60_000,
  /** …then "still confirming" with a slow poll. */
  returnSlowPollMs: 20_000,
  /** After a paid checkout that provisions something (mintbot agents): poll every… up to… */
  fulfillmentPollMs: 3000,
  fulfillmentBoundMs: 5 * 60_000,
};

/** The checkout a hosted page is paying, kept in sessionStorage across the round trip. */
export interface PendingCheckout {
  checkout_id: string;
  plan: string;
  plan_name?: string;
  /** `Date.now()` when the customer left. */
  at: number;
}

/** A stored pending checkout older than this is ignored (the customer gave up long ago). */
const PENDING_MAX_AGE_MS = 60 * 60_000;
/** What the cancel URLs add (Stripe through our server, mintbot): the customer came back without paying. */
const CANCEL_PARAMS = ['tollgate_canceled', 'mintbot_cancelled'];
/** Everything a return adds to the page's URL, taken out of the address bar once read. */
const RETURN_PARAMS = [RETURN_PARAM, 'mintbot_order', ...CANCEL_PARAMS];

function sessionStore(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // storage disabled: the URL parameter alone still works
  }
}

function savePending(api: string, pending: PendingCheckout): void {
  try {
    sessionStore()?.setItem(pendingKey(api), JSON.stringify(pending));
  } catch {
    // quota or privacy mode: the return URL still carries the checkout id
  }
}

function readPending(api: string): PendingCheckout | undefined {
  try {
    const value = JSON.parse(sessionStore()?.getItem(pendingKey(api)) ?? 'null') as Partial<PendingCheckout> | null;
    if (!value || typeof value.checkout_id !== 'string' || typeof value.at !== 'number') return undefined;
    return { checkout_id: value.checkout_id, plan: String(value.plan ?? ''), plan_name: value.plan_name, at: value.at };
  } catch {
    return undefined;
  }
}

function clearPending(api: string): void {
  sessionStore()?.removeItem(pendingKey(api));
}

/** The page's own URL as the hosted page's return URL (the server adds `tollgate_checkout`). */
function pageUrl(): string | undefined {
  const url = new URL(location.href);
  for (const name of RETURN_PARAMS) url.searchParams.delete(name);
  return /^https?:$/.test(url.protocol) && url.href.length <= 2048 ? url.href : undefined;
}

export interface CheckoutInput {
  plan: string;
  interval?: 'month' | 'year';
  /** Pay an existing (hand-off) checkout: `POST /v1/checkout/{id}/start`. */
  checkoutId?: string;
  provider?: CheckoutRequest['provider'];
  currency?: string;
  uiMode?: CheckoutRequest['ui_mode'];
  returnUrl?: string;
}

export type CheckoutPhase =
  | 'idle'
  | 'starting'
  | 'loading'
  | 'paying'
  | 'verifying'
  | 'redirecting'
  | 'embedded'
  | 'confirming'
  | 'handoff'
  | 'returning'
  | 'unconfirmed'
  | 'success'
  | 'dismissed'
  | 'error';

/** `POST /v1/checkout` refusals that a retry would only repeat (the plans stay choosable). */
const FINAL_CHECKOUT_ERRORS: ReadonlySet<string> = new Set(['subscription_exists', 'downgrade_not_available']);

const BUSY: ReadonlySet<CheckoutPhase> = new Set(['starting', 'loading', 'paying', 'verifying', 'redirecting', 'confirming', 'returning']);

/**
 * An element that can run a checkout: it knows its API, locale and whether to hand off, and may
 * know plan names (a return from a hosted page carries only the plan id).
 */
export type CheckoutHost = TollgateElement & { readonly handoffMode: boolean; planNameOf?(plan: string): string | undefined };

/** `GET /v1/checkout/{id}`'s `fulfillment`: what a paid checkout sets up (mintbot agents). */
export type Fulfillment = NonNullable<CheckoutState['fulfillment']>;

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

  private readonly scripts: ScriptLoader;
  private input?: CheckoutInput;
  private key = '';
  private retryAction?: () => void;
  private aborter?: AbortController;
  private embedded?: EmbeddedMount;
  /** Where focus goes back when the attempt ends (see `focusOrigin`). */
  private focusReturn?: Element;

  constructor(private readonly host: CheckoutHost) {
    host.addController(this);
    this.scripts = new ScriptLoader(host);
    const root = host.shadowRoot;
    const sheet = flowStyles.styleSheet;
    if (root && sheet && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }

  hostConnected(): void {
    window.addEventListener('pageshow', this.onPageShow);
  }

  hostDisconnected(): void {
    window.removeEventListener('pageshow', this.onPageShow);
    this.stop();
  }

  /**
   * Back from a hosted page through the back-forward cache: the page is restored as it was left,
   * "Taking you to the payment page…". Check the checkout this tab left to pay, as a fresh load would.
   */
  private readonly onPageShow = (event: PageTransitionEvent): void => {
    if (!event.persisted || this.phase !== 'redirecting') return;
    this.set('idle');
    void this.resumeReturn();
  };

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
    const proceed = emit(
      this.host,
      'checkout-start',
      { plan: input.plan, interval: input.interval, checkout_id: input.checkoutId },
      true,
    );
    if (!proceed) return;
    this.focusReturn = this.focusOrigin(input);
    this.stop();
    this.input = input;
    this.key = newIdempotencyKey();
    this.error = undefined;
    this.failure = undefined;
    this.fulfillment = undefined;
    this.checkoutId = input.checkoutId; // a failed create must not report the previous attempt's id
    this.set('starting');
    let response: CheckoutResponse;
    try {
      response = await this.create(input);
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
    await this.runAction(response.action);
  }

  /** The Retry button: resumes the failed step (same order) or starts a new attempt. */
  retry(): void {
    const action = this.retryAction;
    this.retryAction = undefined;
    this.error = undefined;
    this.phase = 'idle';
    action?.();
  }

  private create(input: CheckoutInput): Promise<CheckoutResponse> {
    const client = this.host.client();
    if (input.checkoutId) {
      return client.post<CheckoutResponse>(`/v1/checkout/${encodeURIComponent(input.checkoutId)}/start`, {}, { idempotencyKey: this.key });
    }
    const body: CheckoutRequest = { plan: input.plan };
    if (input.interval) body.interval = input.interval;
    if (input.provider) body.provider = input.provider;
    if (input.currency) body.currency = input.currency;
    if (input.uiMode) body.ui_mode = input.uiMode;
    // A hosted page returns to this page unless told otherwise (the server would pick its origin's root).
    const returnUrl = input.returnUrl ?? (this.host.handoffMode ? undefined : pageUrl());
    if (returnUrl) body.return_url = returnUrl;
    if (this.host.handoffMode) body.mode = 'handoff';
    return client.post<CheckoutResponse>('/v1/checkout', body, { idempotencyKey: this.key });
  }

  private async runAction(action: CheckoutAction): Promise<void> {
    switch (action.type) {
      case 'razorpay':
        return this.razorpay(action);
      case 'redirect':
        this.set('redirecting');
        // Some hosted pages return without our id (MimicBot): remember which checkout this tab is paying.
        savePending(this.host.apiBase, { checkout_id: this.checkoutId ?? '', plan: this.input?.plan ?? '', plan_name: this.planName, at: Date.now() });
        browserNav.assign(action.url);
        return;
      case 'stripe_embedded':
        return this.stripe(action);
      case 'handoff':
        this.handoff = action;
        this.set('handoff');
        void this.watchHandoff(action);
        return;
      default:
        return this.fail(new TollgateError('bad_response', 'Unknown checkout action.'));
    }
  }

  // ---- Razorpay -------------------------------------------------------------------------------

  private async razorpay(action: RazorpayAction): Promise<void> {
    this.set('loading');
    this.scripts.timeoutMs = checkoutTiming.scriptTimeoutMs;
    const ready = await this.scripts.load(action.script_url, () => typeof window.Razorpay === 'function');
    if (!ready || !window.Razorpay) {
      return this.fail(new TollgateError('script_failed', 'checkout.js did not load.'), () => void this.razorpay(action));
    }
    const checkoutId = this.checkoutId ?? '';
    const plan = this.input?.plan ?? '';
    this.set('paying');
    const rzp = new window.Razorpay({
      key: action.key_id,
      amount: action.amount,
      currency: action.currency,
      name: action.name,
      description: action.description,
      order_id: action.order_id,
      prefill: action.prefill,
      ...(action.theme_color ? { theme: { color: action.theme_color } } : {}),
      handler: (response) => void this.verify(action, response, newIdempotencyKey()),
      modal: {
        ondismiss: () => {
          if (this.phase !== 'paying') return;
          this.set('dismissed');
          emit(this.host, 'checkout-dismiss', { plan, checkout_id: checkoutId });
        },
      },
    });
    rzp.on('payment.failed', (response) => {
      const error = response?.error ?? {};
      const reason = error.description || error.reason || error.code || '';
      // The sentence around it expects a full stop after the provider's reason.
      this.failure = reason && !/[.!?।]$/.test(reason) ? reason + '.' : reason;
      this.host.requestUpdate();
      emit(this.host, 'payment-failed', {
        plan,
        checkout_id: checkoutId,
        code: error.code,
        description: error.description,
        source: error.source,
        step: error.step,
        reason: error.reason,
        metadata: error.metadata,
      });
    });
    rzp.open();
  }

  private async verify(
    action: RazorpayAction,
    response: { razorpay_payment_id: string; razorpay_order_id: string; razorpay_signature: string },
    key: string,
  ): Promise<void> {
    this.failure = undefined;
    this.set('verifying');
    const client = this.host.client();
    try {
      const plan = this.input?.plan;
      const body = {
        plan: plan ?? '',
        razorpay_order_id: response.razorpay_order_id,
        razorpay_payment_id: response.razorpay_payment_id,
        razorpay_signature: response.razorpay_signature,
      };
      // The money is taken: a key still in progress (another tab's verify, or one whose server process
      // died and whose claim the server takes over once its lease runs out) is waited for, not final.
      let result: RazorpayVerifyResponse | undefined;
      for (let busy = 0; !result; busy++) {
        try {
          result = await client.post<RazorpayVerifyResponse>(action.verify_path, body, { idempotencyKey: key });
        } catch (error) {
          if (!isBusy(error) || busy >= checkoutTiming.verifyBusyRetries || error.retryAfter > MAX_RETRY_AFTER_S) throw error;
          await new Promise((resolve) => setTimeout(resolve, error.retryAfter * 1000));
        }
      }
      this.succeed({ plan: plan ?? result.new_plan, new_plan: result.new_plan, old_plan: result.old_plan, payment_id: result.payment_id });
    } catch (error) {
      // Razorpay has taken the money (the handler runs only on success): a transport failure or a server
      // error is worth retrying with the same key (verify is idempotent) and must not read as "pay again".
      // A bad signature or another payment for the order is final; a key still in progress is not.
      const retryable = isBusy(error) || (error instanceof TollgateError && (error.code === 'network_error' || error.code === 'timeout' || error.status >= 500));
      if (retryable) this.fail(error, () => void this.verify(action, response, key), 'error.verify_unreachable');
      else this.fail(error);
    }
  }

  // ---- Stripe embedded ------------------------------------------------------------------------

  private async stripe(action: StripeEmbeddedAction): Promise<void> {
    this.set('embedded');
    const container = document.createElement('div');
    container.slot = 'embedded';
    container.setAttribute('data-tollgate-embedded', '');
    this.host.append(container);
    try {
      // Lazy: pages that never see a Stripe action never load the mount code nor Stripe's loader.
      const { mountStripeEmbedded } = await import('./stripe-embedded.js');
      const mounted = await mountStripeEmbedded(container, action, {
        apiBase: this.host.apiBase,
        checkoutId: this.checkoutId ?? '',
        title: this.host.t('checkout.embedded_title'),
        onComplete: () => void this.confirm(),
      });
      if (!mounted) throw new TollgateError('script_failed', 'Stripe.js could not be loaded.');
      this.embedded = mounted;
    } catch (error) {
      container.remove();
      // A failed chunk import is a load failure too.
      this.fail(error instanceof TollgateError ? error : new TollgateError('script_failed', 'Payment form could not be loaded.'), () => void this.stripe(action));
    }
  }

  /** The provider says done; the server is the truth, so poll it until the checkout is paid. */
  private async confirm(): Promise<void> {
    if (this.phase !== 'embedded') return;
    this.set('confirming');
    const signal = this.newSignal();
    const client = this.host.client();
    for (let i = 0; i < checkoutTiming.confirmTries && !signal.aborted; i++) {
      try {
        const state = await client.get<CheckoutState>(`/v1/checkout/${encodeURIComponent(this.checkoutId ?? '')}`, { signal });
        if (state.status === 'paid') return this.paid(state);
        if (state.status === 'failed' || state.status === 'expired' || state.status === 'canceled') {
          return this.fail(new TollgateError('payment_' + state.status, state.last_error?.message ?? ''), () => this.restart());
        }
      } catch {
        if (signal.aborted) return;
      }
      await sleep(checkoutTiming.confirmMs, signal);
    }
    if (!signal.aborted) this.fail(new TollgateError('not_confirmed', 'Payment not confirmed yet.'), () => void this.confirmAgain());
  }

  private async confirmAgain(): Promise<void> {
    this.phase = 'embedded';
    await this.confirm();
  }

  // ---- Back from a hosted page ----------------------------------------------------------------

  /**
   * The page loaded with `?tollgate_checkout=<id>` or a pending checkout in sessionStorage: take the
   * id out of the address bar, then ask the server (which asks the provider) until the checkout is
   * final, and show the outcome. Called once per page, by the element that claimed the return.
   */
  async resumeReturn(): Promise<void> {
    const api = this.host.apiBase;
    const url = new URL(location.href);
    const fromUrl = url.searchParams.get(RETURN_PARAM);
    const canceled = CANCEL_PARAMS.some((name) => url.searchParams.has(name));
    if (RETURN_PARAMS.some((name) => url.searchParams.has(name))) {
      for (const name of RETURN_PARAMS) url.searchParams.delete(name);
      history.replaceState(history.state, '', url.href);
    }
    const stored = readPending(api);
    const fresh = stored && Date.now() - stored.at < PENDING_MAX_AGE_MS ? stored : undefined;
    const pending = fromUrl ? (stored?.checkout_id === fromUrl ? stored : { checkout_id: fromUrl, plan: '', at: Date.now() }) : fresh;
    if (!pending?.checkout_id) {
      clearPending(api);
      return;
    }
    this.checkoutId = pending.checkout_id;
    this.planName = pending.plan_name;
    this.input = { plan: pending.plan };
    this.set('returning');
    await this.pollReturn(canceled);
  }

  private async pollReturn(canceled: boolean): Promise<void> {
    const signal = this.newSignal();
    const started = Date.now();
    let delay = checkoutTiming.returnPollMs;
    for (let first = true; !signal.aborted; first = false) {
      if (!first) {
        const slow = Date.now() - started >= checkoutTiming.returnBoundMs;
        if (slow && this.phase === 'returning') this.set('unconfirmed');
        await sleep(slow ? checkoutTiming.returnSlowPollMs : delay, signal);
        delay = Math.min(delay * 1.5, checkoutTiming.returnMaxPollMs);
        if (signal.aborted) return;
      }
      // The page may still be fetching its session (configure() comes later): wait for it.
      if (!this.host.token) continue;
      let state: CheckoutState;
      try {
        state = await this.host.client().get<CheckoutState>(`/v1/checkout/${encodeURIComponent(this.checkoutId ?? '')}`, { signal, retries: 0 });
      } catch (error) {
        if (signal.aborted) return;
        // Not this customer's checkout (or gone): nothing to resume.
        if (error instanceof TollgateError && (error.code === 'not_found' || error.code === 'forbidden')) return this.returnEnded();
        continue;
      }
      this.input = { ...this.input, plan: state.plan, interval: state.interval === 'once' ? undefined : state.interval, provider: state.provider, currency: state.currency };
      if (state.status === 'paid') {
        this.returnEnded();
        return this.paid(state);
      }
      if (canceled && state.status !== 'failed' && state.status !== 'refunded') {
        // Back through the cancel URL and not paid: the customer left it (whether the session is still
        // open upstream or has since expired).
        this.returnEnded();
        this.set('dismissed');
        emit(this.host, 'checkout-dismiss', { plan: state.plan, checkout_id: state.checkout_id });
        return;
      }
      if (state.status === 'failed' || state.status === 'expired' || state.status === 'canceled' || state.status === 'refunded') {
        this.returnEnded();
        return this.fail(new TollgateError('payment_' + (state.status === 'refunded' ? 'failed' : state.status), state.last_error?.message ?? ''), () => this.restart());
      }
    }
  }

  private returnEnded(): void {
    clearPending(this.host.apiBase);
    if (this.phase === 'returning' || this.phase === 'unconfirmed') this.set('idle');
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
    void this.restoreFocus();
  }

  // ---- Hand-off -------------------------------------------------------------------------------

  /** The "Continue in your browser" button: the page opens the URL (the element never does). */
  openHandoff(): void {
    const action = this.handoff;
    if (!action || !this.checkoutId) return;
    const proceed = emit(this.host, 'handoff-open', { url: action.url, checkout_id: this.checkoutId }, true);
    if (!proceed) return;
    // Nobody opened it for us: make the link easy to copy.
    const input = this.host.renderRoot.querySelector<HTMLInputElement>('[part~="handoff-url"]');
    input?.focus();
    input?.select();
  }

  private async watchHandoff(action: HandoffAction): Promise<void> {
    const signal = this.newSignal();
    const client = this.host.client();
    const deadline = Date.parse(action.expires_at) || Date.now() + 30 * 60_000;
    let delay = checkoutTiming.pollMs;
    while (!signal.aborted) {
      if (Date.now() >= deadline) return this.handoffEnded('expired');
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
      if (signal.aborted) return;
      try {
        const state = await client.get<CheckoutState>(action.status_url, { signal, retries: 0 });
        if (state.status === 'paid') return this.paid(state);
        if (state.status === 'failed' || state.status === 'expired' || state.status === 'canceled') {
          return this.handoffEnded(state.status);
        }
        delay = Math.min(delay * 1.5, checkoutTiming.maxPollMs);
      } catch {
        if (signal.aborted) return;
        delay = Math.min(delay * 2, checkoutTiming.maxPollMs * 3);
      }
    }
  }

  private handoffEnded(status: 'failed' | 'expired' | 'canceled'): void {
    const key: MessageKey = status === 'failed' ? 'handoff.failed' : status === 'expired' ? 'handoff.expired' : 'handoff.canceled';
    this.error = { code: 'handoff_' + status, message: this.host.t(key) };
    this.retryAction = () => this.restart();
    this.handoff = undefined;
    this.set('error');
    emit(this.host, 'handoff-end', { checkout_id: this.checkoutId ?? '', status });
  }

  // ---- Outcomes -------------------------------------------------------------------------------

  private paid(state: CheckoutState): void {
    this.succeed({ plan: state.plan, new_plan: state.plan, payment_id: state.payment_id ?? undefined });
    if (state.fulfillment) void this.watchFulfillment(state.fulfillment);
  }

  /** Paid, and the provider sets something up (a mintbot agent): poll until ready or failed, bounded. */
  private async watchFulfillment(fulfillment: Fulfillment): Promise<void> {
    this.fulfillment = fulfillment;
    this.host.requestUpdate();
    const signal = this.newSignal();
    const deadline = Date.now() + checkoutTiming.fulfillmentBoundMs;
    while (this.fulfillment.status === 'provisioning' && !signal.aborted) {
      if (Date.now() >= deadline) {
        this.fulfillment = { ...this.fulfillment, status: 'expired' };
        break;
      }
      await sleep(checkoutTiming.fulfillmentPollMs, signal);
      if (signal.aborted) return;
      try {
        const state = await this.host.client().get<CheckoutState>(`/v1/checkout/${encodeURIComponent(this.checkoutId ?? '')}`, { signal, retries: 0 });
        if (state.fulfillment) this.fulfillment = state.fulfillment;
      } catch {
        // keep polling until the bound
      }
    }
    this.host.requestUpdate();
  }

  private succeed(result: { plan: string; new_plan: string; old_plan?: string; payment_id?: string }): void {
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
  private fail(error: unknown, retry?: (() => void) | null, messageKey?: MessageKey): void {
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

  private restart(): void {
    if (this.input) void this.start(this.input);
  }

  private newSignal(): AbortSignal {
    this.aborter?.abort();
    this.aborter = new AbortController();
    return this.aborter.signal;
  }

  private stop(): void {
    this.aborter?.abort();
    this.aborter = undefined;
    this.embedded?.destroy();
    this.embedded = undefined;
    this.host.querySelectorAll(':scope > [data-tollgate-embedded]').forEach((node) => node.remove());
  }

  private set(phase: CheckoutPhase): void {
    this.phase = phase;
    this.host.requestUpdate();
    if (phase === 'success' || phase === 'dismissed' || phase === 'error') void this.restoreFocus();
  }

  // ---- Focus ----------------------------------------------------------------------------------

  /**
   * What to give focus back to when the attempt ends: what had it inside the element (Retry stands
   * for the button that started the attempt it retries). With focus on <body>, a first attempt's
   * button lost it while disabled as this chunk loaded: that plan's button. Focus elsewhere on the
   * page (the page started the checkout) is none of ours.
   */
  private focusOrigin(input: CheckoutInput): Element | undefined {
    const root = this.host.shadowRoot;
    const active = root?.activeElement;
    if (active && !active.matches('[part~="retry"]')) return active;
    if (active) return this.focusReturn ?? active;
    const page = document.activeElement;
    if (page && page !== document.body) return undefined;
    return root?.querySelector(`[part~="cta"][data-plan="${CSS.escape(input.plan)}"], [part="button"]`) ?? this.host;
  }

  /**
   * The attempt ended (paid, dismissed, failed): a payment modal that took focus has let it fall to
   * <body>, so put it back where the customer was, or, if that button is now disabled or gone (it
   * became "Your current plan"), on the status message. Focus the customer moved elsewhere stays.
   */
  private async restoreFocus(): Promise<void> {
    const origin = this.focusReturn;
    const root = this.host.shadowRoot;
    if (!origin || !root) return;
    await this.host.updateComplete; // buttons enabled or disabled for the new state
    // The provider's window may hold focus in its frame for a moment while it closes.
    for (let i = 0; i < 20 && isProviderFrame(document.activeElement, this.host); i++) await sleep(50);
    // A button of ours that has just been disabled still holds focus until the browser drops it.
    const active = root.activeElement?.matches(':disabled') ? null : document.activeElement;
    if ((active && active !== document.body) || !this.host.isConnected) return;
    if (root.contains(origin) && !origin.matches(':disabled')) {
      (origin as HTMLElement).focus?.();
      if (root.activeElement === origin) return;
    }
    const status = root.querySelector<HTMLElement>('[part~="status"]');
    if (!status) return;
    status.tabIndex = -1; // focusable by script only, not a tab stop
    status.focus();
  }

  // ---- Rendering ------------------------------------------------------------------------------

  /** The sentence the live region announces for the current state. */
  get message(): string {
    const t = this.host.t.bind(this.host);
    switch (this.phase) {
      case 'starting':
        return t('checkout.starting');
      case 'loading':
        return t('checkout.loading');
      case 'paying':
        return this.failure === undefined ? t('checkout.open') : this.failure ? t('checkout.failed', { reason: this.failure }) : t('error.payment_failed');
      case 'verifying':
      case 'confirming':
        return t('checkout.verifying');
      case 'redirecting':
        return t('checkout.redirecting');
      case 'embedded':
        return t('checkout.embedded');
      case 'handoff':
        return t('handoff.waiting');
      case 'returning':
        return t('checkout.verifying');
      case 'unconfirmed':
        return t('checkout.still_pending');
      case 'success': {
        const plan = this.newPlan ?? '';
        const done = t('checkout.success', { plan: (plan === this.input?.plan && this.planName) || this.host.planNameOf?.(plan) || plan });
        const setup = this.fulfillment?.status;
        return setup ? done + ' ' + t(setup === 'provisioning' ? 'fulfillment.provisioning' : setup === 'ready' ? 'fulfillment.ready' : 'fulfillment.failed') : done;
      }
      case 'dismissed':
        return t('checkout.dismissed');
      case 'error':
        return this.error?.message ?? t('error.generic');
      default:
        return '';
    }
  }

  /** Retry after an error, the hand-off view, Start over, the agent's panel link; the live region and slot are LazyCheckout's. */
  renderDetails(): TemplateResult {
    const t = this.host.t.bind(this.host);
    const error = this.phase === 'error';
    const panel = this.phase === 'success' && this.fulfillment?.status === 'ready' ? this.fulfillment.panel_url : null;
    return html`
      ${error && this.retryAction
        ? html`<button part="button retry" class="secondary" @click=${() => this.retry()}>${t('retry')}</button>`
        : nothing}
      ${panel && /^https?:/i.test(panel) ? html`<a part="panel-link" href=${panel}>${t('fulfillment.open')}</a>` : nothing}
      ${this.phase === 'handoff' && this.handoff
        ? html`<div part="handoff" class="handoff">
            <p class="handoff-title"><strong>${t('handoff.title')}</strong></p>
            <p>${t('handoff.body')}</p>
            <button part="button handoff-button" @click=${() => this.openHandoff()}>${t('handoff.button')}</button>
            <label class="handoff-link">
              <span>${t('handoff.link')}</span>
              <input part="handoff-url" readonly .value=${this.handoff.url} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
            </label>
            <p class="hint">${t('handoff.copy')}</p>
          </div>`
        : nothing}
      ${this.phase === 'handoff' || this.phase === 'unconfirmed'
        ? html`<button part="button start-over" class="secondary" @click=${() => this.startOver()}>${t('checkout.start_over')}</button>`
        : nothing}
    `;
  }
}

/** A frame outside the element (Razorpay's modal) holding focus. */
function isProviderFrame(active: Element | null, host: Element): boolean {
  return active instanceof HTMLIFrameElement && !host.contains(active);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
