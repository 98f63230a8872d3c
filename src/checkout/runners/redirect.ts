// The `redirect` action and the way back: remember which checkout this tab leaves to pay on a hosted
// page, and on return (`?tollgate_checkout=` or that memory) poll the server until it is final.
import type { RedirectAction } from '../../contract/index.js';
import { isFinalStatus } from '../../contract/status.js';
import { TollgateError } from '../../api/client.js';
import { browserNav } from '../../config.js';
import { emit } from '../../events.js';
import type { CheckoutController } from '../checkout-controller.js';
import { RETURN_PARAM, pendingKey } from '../lazy-checkout.js';
import { checkoutPath, pollCheckout } from '../poll.js';
import { checkoutTiming } from '../timing.js';

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
/**
 * What the server's cancel URLs add (docs/stripe.md, docs/mintbot.md): the customer came back without
 * paying. These are return-URL parameters of the server's own making, not a branch on the provider.
 */
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

export function clearPending(api: string): void {
  sessionStore()?.removeItem(pendingKey(api));
}

/** The page's own URL as the hosted page's return URL (the server adds `tollgate_checkout`). */
export function pageUrl(): string | undefined {
  const url = new URL(location.href);
  for (const name of RETURN_PARAMS) url.searchParams.delete(name);
  return /^https?:$/.test(url.protocol) && url.href.length <= 2048 ? url.href : undefined;
}

export function runRedirect(flow: CheckoutController, action: RedirectAction): void {
  flow.set('redirecting');
  // Some hosted pages return without our id (MimicBot): remember which checkout this tab is paying.
  savePending(flow.host.apiBase, { checkout_id: flow.checkoutId ?? '', plan: flow.input?.plan ?? '', plan_name: flow.planName, at: Date.now() });
  browserNav.assign(action.url);
}

/**
 * The page loaded with `?tollgate_checkout=<id>` or a pending checkout in sessionStorage: take the
 * id out of the address bar, then ask the server (which asks the provider) until the checkout is
 * final, and show the outcome. Called once per page, by the element that claimed the return.
 */
export async function resumeReturn(flow: CheckoutController): Promise<void> {
  const api = flow.host.apiBase;
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
  flow.checkoutId = pending.checkout_id;
  flow.planName = pending.plan_name;
  flow.input = { plan: pending.plan };
  flow.set('returning');
  await pollReturn(flow, canceled);
}

/**
 * Back from a hosted page through the back-forward cache: the page is restored as it was left,
 * "Taking you to the payment page…". Check the checkout this tab left to pay, as a fresh load would.
 */
export async function resumeFromCache(flow: CheckoutController, event: PageTransitionEvent): Promise<void> {
  if (!event.persisted || flow.phase !== 'redirecting') return;
  flow.set('idle');
  await resumeReturn(flow);
}

async function pollReturn(flow: CheckoutController, canceled: boolean): Promise<void> {
  const host = flow.host;
  const signal = flow.newSignal();
  const started = Date.now();
  let delay = checkoutTiming.returnPollMs;
  let state;
  try {
    state = await pollCheckout(host, checkoutPath(flow.checkoutId ?? ''), {
      signal,
        // The page may still be fetching its session (configure() comes later): wait for it.
      ready: () => Boolean(host.token),
      // Not this customer's checkout (or gone): nothing to resume.
      fatal: (error) => error instanceof TollgateError && (error.code === 'not_found' || error.code === 'forbidden'),
      until: (s) => {
        flow.input = { ...flow.input, plan: s.plan, interval: s.interval === 'once' ? undefined : s.interval, provider: s.provider, currency: s.currency };
        // Back through the cancel URL, any answer settles it; otherwise wait for a final one.
        return canceled || isFinalStatus(s.status);
      },
      // Growing by half up to a cap; after the bound, "still confirming" and a slow poll.
      backoff: (n) => {
        if (!n) return 0;
        const slow = Date.now() - started >= checkoutTiming.returnBoundMs;
        if (slow && flow.phase === 'returning') flow.set('unconfirmed');
        const wait = slow ? checkoutTiming.returnSlowPollMs : delay;
        delay = Math.min(delay * 1.5, checkoutTiming.returnMaxPollMs);
        return wait;
      },
    });
  } catch {
    return returnEnded(flow);
  }
  if (!state) return;
  returnEnded(flow);
  if (state.status === 'paid') return flow.paid(state);
  if (canceled && state.status !== 'failed' && state.status !== 'refunded') {
    // Back through the cancel URL and not paid: the customer left it (whether the session is still
    // open upstream or has since expired).
    flow.set('dismissed');
    emit(host, 'checkout-dismiss', { plan: state.plan, checkout_id: state.checkout_id });
    return;
  }
  flow.unpaid(state);
}

function returnEnded(flow: CheckoutController): void {
  clearPending(flow.host.apiBase);
  if (flow.phase === 'returning' || flow.phase === 'unconfirmed') flow.set('idle');
}
