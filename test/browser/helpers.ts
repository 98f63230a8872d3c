// Shared test doubles: a fake Tollgate server behind window.fetch (contract-shaped answers, every
// request recorded with its headers and body) and a fake window.Razorpay with test hooks.
import type {
  CheckoutResponse,
  CheckoutState,
  Entitlements,
  PlansResponse,
  PublicPlan,
  RazorpayVerifyResponse,
  Subscription,
} from '../../src/contract/index.js';
import type { RazorpayFailure, RazorpayInstance, RazorpayOptions } from '../../src/checkout/checkout-controller.js';
import { checkoutTiming } from '../../src/checkout/checkout-controller.js';
import { browserNav } from '../../src/config.js';
import { forgetAnswers } from '../../src/api/client.js';
import { sessionTiming } from '../../src/base/session-grace.js';
import { loadCatalog } from '../../src/i18n/index.js';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string, with its `?` (empty when none). */
  search: string;
  headers: Record<string, string>;
  body: unknown;
}

type Handler = (request: RecordedRequest) => Response | object | Promise<Response | object>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req_test' } });
}

export function apiError(status: number, code: string, message = code): Response {
  return json({ error: { code, message, request_id: 'req_test' } }, status);
}

export const plans: PublicPlan[] = [
  {
    id: 'free',
    name: 'Free',
    features: ['Community support'],
    feature_ids: ['community-support'],
    limits: { messages: 100, seats: 1 },
    popular: false,
    trial_days: 0,
    orderable: false,
    prices: [],
    charge: [],
  },
  {
    id: 'pro',
    name: 'Pro',
    description: 'For growing teams',
    features: ['Priority support', 'export'],
    feature_ids: ['priority-support', 'export'],
    limits: { messages: 10000, seats: 5 },
    popular: true,
    trial_days: 14,
    orderable: true,
    prices: [
      { provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month' },
      { provider: 'razorpay', currency: 'INR', amount: 1599000, interval: 'year' },
      { provider: 'stripe', currency: 'USD', amount: 1900, interval: 'month' },
    ],
    charge: [
      { provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month' },
      { provider: 'razorpay', currency: 'INR', amount: 1599000, interval: 'year' },
    ],
  },
  {
    id: 'team',
    name: 'Team',
    features: ['SSO', 'export'],
    feature_ids: ['sso', 'export'],
    limits: { messages: null, seats: 50 },
    popular: false,
    trial_days: 0,
    orderable: true,
    prices: [
      { provider: 'razorpay', currency: 'INR', amount: 15990000, interval: 'month' },
      { provider: 'razorpay', currency: 'INR', amount: 159900050, interval: 'year' },
    ],
    charge: [
      { provider: 'razorpay', currency: 'INR', amount: 15990000, interval: 'month' },
      { provider: 'razorpay', currency: 'INR', amount: 159900050, interval: 'year' },
    ],
  },
];

export const catalog: PlansResponse = {
  plans,
  metrics: [
    { id: 'messages', label: 'Messages' },
    { id: 'seats', label: 'Seats' },
  ],
};

export function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    plan: 'free',
    planName: 'Free',
    status: 'active',
    cancelAtPeriodEnd: false,
    currentPeriodEnd: '2026-12-31T00:00:00.000Z',
    usage: { messagesUsed: 40, messagesLimit: 100, seatsUsed: 1, seatsLimit: 1 },
    hasPortal: true,
    ...overrides,
  };
}

export function entitlements(overrides: Partial<Entitlements> = {}): Entitlements {
  return { plan: 'free', features: ['Community support'], limits: { messages: 100 }, has_access: true, ...overrides };
}

export function razorpayCheckout(checkoutId = 'chk_1', scriptUrl = '/fake/razorpay-checkout.js', plan = 'pro'): CheckoutResponse {
  return {
    checkout_id: checkoutId,
    plan,
    plan_name: plan === 'pro' ? 'Pro' : plan,
    interval: 'month',
    action: {
      type: 'razorpay',
      key_id: 'rzp_test_key',
      order_id: 'order_1',
      amount: 159900,
      currency: 'INR',
      name: 'Acme',
      description: 'Pro, monthly',
      prefill: { name: 'Asha', email: 'asha@example.com', contact: '+919999999999' },
      script_url: scriptUrl,
      theme_color: '#123456',
      verify_path: '/v1/razorpay/verify',
    },
  };
}

export function checkoutState(overrides: Partial<CheckoutState> = {}): CheckoutState {
  return {
    checkout_id: 'chk_1',
    plan: 'pro',
    interval: 'month',
    provider: 'razorpay',
    status: 'pending',
    amount: 159900,
    currency: 'INR',
    payment_id: null,
    last_error: null,
    fulfillment: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

export const verified: RazorpayVerifyResponse = { message: 'Plan upgraded', old_plan: 'free', new_plan: 'pro', payment_id: 'pay_1' };

/** A fake server: routes by "METHOD /path" (query ignored); unknown routes answer 404 not_found. */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private readonly original = window.fetch;

  constructor(routes: Record<string, Handler> = {}) {
    // A new server is a new page for the elements: none of the last test's shared answers carry over.
    forgetAnswers();
    for (const [key, handler] of Object.entries(routes)) this.routes.set(key, handler);
    window.fetch = (input: RequestInfo | URL, init?: RequestInit) => this.handle(input, init);
  }

  on(route: string, handler: Handler): this {
    this.routes.set(route, handler);
    return this;
  }

  calls(route: string): RecordedRequest[] {
    return this.requests.filter((r) => `${r.method} ${r.path}` === route);
  }

  restore(): void {
    window.fetch = this.original;
  }

  private async handle(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, location.href);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => (headers[key.toLowerCase()] = value));
    const request: RecordedRequest = {
      method: (init.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      search: url.search,
      headers,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    this.requests.push(request);
    if (init.signal?.aborted) throw new DOMException('Aborted', 'AbortError');
    const handler = this.routes.get(`${request.method} ${request.path}`);
    if (!handler) return apiError(404, 'not_found');
    const result = await handler(request);
    return result instanceof Response ? result : json(result);
  }
}

/** The fake checkout.js: records options and lets tests play the customer. */
export class FakeRazorpay implements RazorpayInstance {
  static instances: FakeRazorpay[] = [];
  static get last(): FakeRazorpay {
    return FakeRazorpay.instances[FakeRazorpay.instances.length - 1];
  }
  opened = false;
  private failedHandlers: Array<(response: RazorpayFailure) => void> = [];
  constructor(readonly options: RazorpayOptions) {
    FakeRazorpay.instances.push(this);
  }
  open(): void {
    this.opened = true;
  }
  on(event: 'payment.failed', callback: (response: RazorpayFailure) => void): void {
    if (event === 'payment.failed') this.failedHandlers.push(callback);
  }
  pay(paymentId = 'pay_1', signature = 'sig_ok'): void {
    const ids = this.options.subscription_id ? { razorpay_subscription_id: this.options.subscription_id } : { razorpay_order_id: this.options.order_id };
    this.options.handler({ razorpay_payment_id: paymentId, ...ids, razorpay_signature: signature });
  }
  dismiss(): void {
    this.options.modal.ondismiss();
  }
  fail(error: RazorpayFailure['error']): void {
    for (const handler of this.failedHandlers) handler({ error });
  }
}

/**
 * Plays checkout.js's modal taking focus into its own frame. The returned `close` takes the frame
 * away, as the real modal does when it closes: focus falls to <body>.
 */
export function modalTakesFocus(): () => void {
  const frame = document.createElement('iframe');
  frame.title = 'Razorpay Checkout';
  document.body.append(frame);
  frame.focus();
  if (document.activeElement !== frame) throw new Error('the fake modal did not take focus');
  return () => frame.remove();
}

export function installRazorpay(): void {
  FakeRazorpay.instances = [];
  window.Razorpay = FakeRazorpay;
}

export function removeRazorpay(): void {
  delete window.Razorpay;
}

/** Navigation recorder (elements call browserNav.assign instead of location.assign). */
export const navigations: string[] = [];
browserNav.assign = (url: string) => void navigations.push(url);

// Hindi is a lazy chunk; load it once so Hindi assertions see the final text.
await loadCatalog('hi');

// Fast polling in tests.
checkoutTiming.pollMs = 20;
checkoutTiming.maxPollMs = 40;
checkoutTiming.confirmMs = 20;
checkoutTiming.confirmTries = 5;
checkoutTiming.scriptTimeoutMs = 2000;

/** Wait until `predicate` holds (polling every 10 ms), or fail after `timeout` ms. */
export async function until(predicate: () => unknown, timeout = 3000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The next `type` event that reaches the document. Listen before the fixture is created when the
 * element may fire on its own while connecting (a return from a hosted page resolves on its first
 * poll, sometimes before `fixture()` has resolved).
 */
export function pageEvent<K extends keyof GlobalEventHandlersEventMap>(type: K): Promise<GlobalEventHandlersEventMap[K]> {
  return new Promise((resolve) => document.addEventListener(type, resolve as EventListener, { once: true }));
}

/** Shadow-root query helper. */
export function $<T extends Element = HTMLElement>(el: Element, selector: string): T {
  const found = el.shadowRoot!.querySelector<T>(selector);
  if (!found) throw new Error(`no ${selector} in <${el.localName}>`);
  return found;
}

export function $$<T extends Element = HTMLElement>(el: Element, selector: string): T[] {
  return [...el.shadowRoot!.querySelectorAll<T>(selector)];
}

export function text(el: Element | null | undefined): string {
  return (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** Run `body` with the elements' wait-for-a-session grace set to `ms`, restored afterwards. */
export async function withSessionGrace<T>(ms: number, body: () => Promise<T>): Promise<T> {
  const grace = sessionTiming.graceMs;
  sessionTiming.graceMs = ms;
  try {
    return await body();
  } finally {
    sessionTiming.graceMs = grace;
  }
}

/** Watch `el`'s shadow root; `stop()` says whether `selector` ever matched in between (a flash). */
export function watchForFlash(el: Element, selector: string): { stop(): boolean } {
  let seen = Boolean(el.shadowRoot!.querySelector(selector));
  const watch = new MutationObserver(() => (seen ||= Boolean(el.shadowRoot!.querySelector(selector))));
  watch.observe(el.shadowRoot!, { childList: true, subtree: true });
  return {
    stop() {
      watch.disconnect();
      return seen;
    },
  };
}
