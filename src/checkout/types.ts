// The checkout flow's shapes: what a host element offers it, what one attempt asks for, and its phases.
import type { CheckoutRequest, CheckoutState } from '../contract/index.js';
import type { TollgateElement } from '../base/tollgate-element.js';

export interface CheckoutInput {
  plan: string;
  interval?: 'month' | 'year';
  /** Pay an existing (hand-off) checkout: `POST /v1/checkout/{id}/start`. */
  checkoutId?: string;
  provider?: CheckoutRequest['provider'];
  currency?: string;
  uiMode?: CheckoutRequest['ui_mode'];
  returnUrl?: string;
  /** A promotion code the server accepted for this checkout (the field's, src/promotion/); the server prices it again. */
  promotionCode?: string;
  /** The buyer's business details (the form's, src/business/); the server checks them and keeps them for the receipt. */
  business?: CheckoutRequest['business'];
  /** Seats of a per-seat price (the stepper's, src/seats/); the server prices quantity × unit. */
  quantity?: number;
  /** The host's control that started the attempt: focus goes back to it if it lost focus meanwhile (see focus.ts). */
  control?: Element | null;
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

/**
 * An element that can run a checkout: it knows its API, locale and whether to hand off, and may
 * know plan names (a return from a hosted page carries only the plan id).
 */
export type CheckoutHost = TollgateElement & { readonly handoffMode: boolean; planNameOf?(plan: string): string | undefined };

/** `GET /v1/checkout/{id}`'s `fulfillment`: what a paid checkout sets up (mintbot agents). */
export type Fulfillment = NonNullable<CheckoutState['fulfillment']>;
