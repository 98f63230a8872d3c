// Mounts Stripe's embedded Checkout (or, in sandbox, the server's simulated form in an iframe)
// into a light-DOM container: Stripe.js refuses to mount inside a shadow root.
import type { StripeEmbeddedAction } from '../contract/index.js';
import { apiUrl } from '../api/client.js';

export interface EmbeddedMount {
  destroy(): void;
}

interface EmbeddedCheckoutLike {
  mount(element: HTMLElement): void;
  destroy(): void;
}
interface StripeLike {
  createEmbeddedCheckoutPage?: (options: { clientSecret: string; onComplete: () => void }) => Promise<EmbeddedCheckoutLike>;
  initEmbeddedCheckout?: (options: { clientSecret: string; onComplete: () => void }) => Promise<EmbeddedCheckoutLike>;
}

export const SANDBOX_COMPLETE_MESSAGE = 'tollgate:stripe-sandbox-complete';

export async function mountStripeEmbedded(
  container: HTMLElement,
  action: StripeEmbeddedAction,
  options: { apiBase: string; checkoutId: string; title: string; onComplete: () => void },
): Promise<EmbeddedMount | null> {
  if (action.sandbox_url) return mountSandbox(container, new URL(apiUrl(options.apiBase, action.sandbox_url)), options);
  // Loaded only now, as its own chunk: nothing of Stripe is fetched until a Stripe action arrives.
  const { loadStripe } = await import('@stripe/stripe-js/dist/pure.mjs');
  let stripe: StripeLike | null;
  try {
    stripe = (await loadStripe(action.publishable_key)) as StripeLike | null;
  } catch {
    stripe = null;
  }
  const create = stripe?.createEmbeddedCheckoutPage ?? stripe?.initEmbeddedCheckout;
  // No import of the API client here: this module is a lazy chunk and must not pull shared code out
  // of the main bundle. A null answer means "Stripe.js did not load"; the caller reports it.
  if (!stripe || !create) return null;
  const checkout = await create.call(stripe, { clientSecret: action.client_secret, onComplete: options.onComplete });
  checkout.mount(container);
  return { destroy: () => checkout.destroy() };
}

function mountSandbox(
  container: HTMLElement,
  url: URL,
  options: { apiBase: string; checkoutId: string; title: string; onComplete: () => void },
): EmbeddedMount {
  const serverOrigin = url.origin; // the iframe's page: the server's, under its mount path too
  const iframe = document.createElement('iframe');
  iframe.src = url.href;
  iframe.title = options.title;
  iframe.style.cssText = 'display:block;inline-size:100%;block-size:34rem;border:0';
  const onMessage = (event: MessageEvent): void => {
    // Only the server's own page in our own iframe may complete the checkout.
    if (event.origin !== serverOrigin || event.source !== iframe.contentWindow) return;
    const data = event.data as { type?: unknown; checkout_id?: unknown } | null;
    if (data?.type === SANDBOX_COMPLETE_MESSAGE && data.checkout_id === options.checkoutId) options.onComplete();
  };
  window.addEventListener('message', onMessage);
  container.replaceChildren(iframe);
  return {
    destroy() {
      window.removeEventListener('message', onMessage);
      iframe.remove();
    },
  };
}
