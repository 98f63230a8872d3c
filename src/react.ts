// `tollgate/react`: React components for the elements (made with @lit/react), with typed properties and an
// `onCheckoutSuccess`-style prop for every event each element fires (src/events.ts). Importing it defines the elements.
import * as React from 'react';
import type { LitElement } from 'lit';
import { createComponent } from '@lit/react';
import { PlanPicker as PlanPickerElement } from './components/plan-picker/plan-picker.js';
import { RazorpayCheckout as RazorpayCheckoutElement } from './components/razorpay-checkout/razorpay-checkout.js';
import { StripeCheckout as StripeCheckoutElement } from './components/stripe-checkout/stripe-checkout.js';
import { UsageMeter as UsageMeterElement } from './components/usage-meter/usage-meter.js';
import { PaywallGate as PaywallGateElement } from './components/paywall-gate/paywall-gate.js';

/** Each event prop and the event it listens to. */
const EVENTS = {
  onPlanSelect: 'plan-select',
  onCheckoutStart: 'checkout-start',
  onCheckoutSuccess: 'checkout-success',
  onCheckoutError: 'checkout-error',
  onCheckoutDismiss: 'checkout-dismiss',
  onPaymentFailed: 'payment-failed',
  onHandoffOpen: 'handoff-open',
  onHandoffEnd: 'handoff-end',
  onUpgradeRequest: 'upgrade-request',
} as const;

export type TollgateEventProp = keyof typeof EVENTS;

/** The handler of an event prop: `onCheckoutSuccess` gets a `CustomEvent<CheckoutSuccessDetail>`. */
export type TollgateEventHandler<P extends TollgateEventProp> = (event: GlobalEventHandlersEventMap[(typeof EVENTS)[P]]) => void;

/** The settable properties of an element: its own and the shared api/session/locale, not Lit's, the base's getters or methods. */
export type TollgateElementProps<I> = Partial<{
  [K in keyof I as K extends keyof LitElement | 'apiBase' | 'token' | 'resolvedLocale' | 'handoffMode' | 'current' | 'allowed'
    ? never
    : I[K] extends (...args: never[]) => unknown
      ? never
      : K]: I[K];
}>;

/** Props of a wrapper: React's HTML attributes, the element's properties and its event props. */
export type TollgateComponentProps<I extends HTMLElement, P extends TollgateEventProp> = Omit<React.HTMLAttributes<I>, P | keyof TollgateElementProps<I>> &
  TollgateElementProps<I> & { [K in P]?: TollgateEventHandler<K> } & React.RefAttributes<I>;

/** A React component around one element; its ref is the element. */
export type TollgateComponent<I extends HTMLElement, P extends TollgateEventProp> = React.ForwardRefExoticComponent<TollgateComponentProps<I, P>>;

function wrap<I extends HTMLElement, P extends TollgateEventProp>(
  tagName: string,
  elementClass: new () => I,
  displayName: string,
  props: readonly P[],
): TollgateComponent<I, P> {
  const events = Object.fromEntries(props.map((prop) => [prop, EVENTS[prop]]));
  return createComponent({ react: React, tagName, elementClass, events, displayName }) as unknown as TollgateComponent<I, P>;
}

const CHECKOUT = ['onCheckoutStart', 'onCheckoutSuccess', 'onCheckoutError', 'onCheckoutDismiss', 'onPaymentFailed', 'onHandoffOpen', 'onHandoffEnd'] as const;

export const PlanPicker = wrap('plan-picker', PlanPickerElement, 'PlanPicker', ['onPlanSelect', ...CHECKOUT]);
export const RazorpayCheckout = wrap('razorpay-checkout', RazorpayCheckoutElement, 'RazorpayCheckout', CHECKOUT);
export const StripeCheckout = wrap('stripe-checkout', StripeCheckoutElement, 'StripeCheckout', CHECKOUT);
export const UsageMeter = wrap('usage-meter', UsageMeterElement, 'UsageMeter', ['onUpgradeRequest']);
/** Its default paywall is a <plan-picker>, whose events bubble out of the gate. */
export const PaywallGate = wrap('paywall-gate', PaywallGateElement, 'PaywallGate', ['onPlanSelect', ...CHECKOUT]);

export { configure, type TollgateConfig } from './config.js';
export { TollgateError } from './api/client.js';
export type * from './events.js';
