// English strings every element needs at first render; the checkout flow's own strings are in
// en-checkout.ts, the promotion code field's in en-promotion.ts, the business details form's in en-business.ts, the seat stepper's in en-seats.ts and the
// payment history's in en-receipts.ts, and load with them. Together their keys are the catalog's source of truth.
import type { enBusiness } from './en-business.js';
import type { enCheckout } from './en-checkout.js';
import type { enPromotion } from './en-promotion.js';
import type { enReceipts } from './en-receipts.js';
import type { enSeats } from './en-seats.js';

export const en = {
  loading: 'Loading…',
  retry: 'Retry',
  'error.network_error': 'We could not reach the billing server. Check your connection and try again.',
  'error.timeout': 'The billing server took too long to answer. Try again.',
  'error.unauthenticated': 'Your session has expired. Reload the page and sign in again.',
  'error.invalid_token': 'Your session has expired. Reload the page and sign in again.',
  'error.rate_limited': 'Too many attempts. Wait a moment and try again.',
  'error.provider_unavailable': 'The payment provider is unavailable right now. Try again in a few minutes.',
  'error.upstream_error': 'The payment provider had a problem. Try again in a few minutes.',
  'error.not_found': 'We could not find that.',
  'error.script_failed': 'The payment window could not be loaded. Try again.',
  'error.generic': 'Something went wrong. Try again.',
  'error.no_session': 'Sign in to see your plan.',
  'picker.label': 'Choose a plan',
  'picker.interval': 'Billing period',
  'interval.month': 'Monthly',
  'interval.year': 'Yearly',
  'per.month': '/month',
  'per.year': '/year',
  'per.once': 'one time',
  save: 'Save {pct}%',
  'badge.current': 'Current plan',
  'badge.popular': 'Most popular',
  'badge.trial': '{days}-day free trial',
  'cta.choose': 'Choose {plan}',
  'cta.current': 'Your current plan',
  'price.free': 'Free',
  'limit.unlimited': 'Unlimited {metric}',
  'limit.value': '{n} {metric}',
  'checkout.pay': 'Upgrade to {plan}',
  'checkout.starting': 'Preparing your checkout…',
  'usage.label': 'Usage',
  'usage.plan': 'Plan',
  'usage.of': '{used} of {limit}',
  'usage.unlimited': '{used} used, unlimited',
  'usage.warn': 'Almost at the limit',
  'usage.over': 'Over the limit',
  'metric.messages': 'Messages',
  'metric.seats': 'Seats',
  'metric.projects': 'Projects',
  'status.active': 'Active',
  'status.trialing': 'Free trial',
  'status.past_due': 'Payment past due',
  'status.canceled': 'Canceled',
  'status.unpaid': 'Unpaid',
  'period.renews': 'Renews on {date}',
  'period.ends': 'Ends on {date}',
  'cancel.notice': 'Your plan will not renew. It stays active until {date}.',
  'cancel.notice_nodate': 'Your plan will not renew after this period.',
  manage: 'Manage billing',
  upgrade: 'Upgrade',
  'paywall.title': 'Upgrade to unlock this',
  'paywall.body': 'This is part of a paid plan. Choose a plan to continue.',
  'paywall.checking': 'Checking your access…',
  'stripe.pay': 'Pay with card',
  'promo.toggle': 'Have a code?',
};

export type MessageKey = keyof typeof en | keyof typeof enCheckout | keyof typeof enPromotion | keyof typeof enSeats | keyof typeof enReceipts | keyof typeof enBusiness;
