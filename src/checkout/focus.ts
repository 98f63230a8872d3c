// Focus across a checkout attempt: what had it when the attempt began, and putting it back when the
// attempt ends (a payment modal that took focus lets it fall to <body>).
import type { TollgateElement } from '../base/tollgate-element.js';
import { sleep } from './poll.js';

/**
 * What to give focus back to when the attempt ends: what had it inside the element (Retry stands for
 * the control that started the attempt it retries, `previous`). With focus on <body>, a first
 * attempt's control lost it while disabled as the flow loaded: `control`, the one the host says
 * started it (else the host). Focus elsewhere on the page (the page started the checkout) is none of ours.
 */
export function focusOrigin(host: TollgateElement, previous: Element | undefined, control: Element | null | undefined): Element | undefined {
  const root = host.shadowRoot;
  const active = root?.activeElement;
  if (active && !active.matches('[part~="retry"]')) return active;
  if (active) return previous ?? active;
  const page = document.activeElement;
  if (page && page !== document.body) return undefined;
  return control ?? host;
}

/**
 * The attempt ended (paid, dismissed, failed): put focus back on `origin`, or, if that control is now
 * disabled or gone (it became "Your current plan"), on `status`, the flow's live region. Focus the
 * customer moved elsewhere stays.
 */
export async function restoreFocus(host: TollgateElement, origin: Element | undefined, status: (host: TollgateElement) => HTMLElement | null): Promise<void> {
  const root = host.shadowRoot;
  if (!origin || !root) return;
  await host.updateComplete; // buttons enabled or disabled for the new state
  // The provider's window may hold focus in its frame for a moment while it closes.
  for (let i = 0; i < 20 && isProviderFrame(document.activeElement, host); i++) await sleep(50);
  // A button of ours that has just been disabled still holds focus until the browser drops it.
  const active = root.activeElement?.matches(':disabled') ? null : document.activeElement;
  if ((active && active !== document.body) || !host.isConnected) return;
  if (root.contains(origin) && !origin.matches(':disabled')) {
    (origin as HTMLElement).focus?.();
    if (root.activeElement === origin) return;
  }
  const target = status(host);
  if (!target) return;
  target.tabIndex = -1; // focusable by script only, not a tab stop
  target.focus();
}

/** A frame outside the element (a provider's payment modal) holding focus. */
function isProviderFrame(active: Element | null, host: Element): boolean {
  return active instanceof HTMLIFrameElement && !host.contains(active);
}
