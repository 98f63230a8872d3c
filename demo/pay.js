// The hand-off pay page (opened in the system browser from an IDE): takes the session from the
// URL fragment (never sent to a server in a request line), shows the order and lets
// <razorpay-checkout checkout="…"> pay it. The editor learns the result from the server.
import { configure } from '../tollgate.js';

/** The Tollgate server this page came from, with the path it is mounted under (…/billing). */
const API = new URL('..', import.meta.url).href.replace(/\/$/, '');

const checkout = document.querySelector('razorpay-checkout');
const checkoutId = checkout.getAttribute('checkout');
const token = new URLSearchParams(location.hash.slice(1)).get('token');
// A new link pasted into this tab changes only the fragment: start over with it.
addEventListener('hashchange', () => location.reload());
// Keep the token out of the address bar, history and bookmarks.
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

const success = document.querySelector('[data-outcome-success]');
const failure = document.querySelector('[data-outcome-error]');
const summaryStatus = document.querySelector('[data-summary-status]');

function showError(text) {
  failure.textContent = text;
  failure.hidden = false;
}

function showPaid() {
  success.hidden = false;
  failure.hidden = true;
  checkout.hidden = true;
}

if (!token) {
  summaryStatus.textContent = 'This payment link is incomplete.';
  showError('Open the payment again from your editor: the link it gave you carries your session.');
  checkout.hidden = true;
} else {
  configure({ session: token });
  void loadSummary();
}

async function loadSummary() {
  try {
    const response = await fetch(`${API}/v1/checkout/${encodeURIComponent(checkoutId)}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
    const state = await response.json();
    if (!response.ok) throw new Error(state.error?.message ?? `HTTP ${response.status}`);
    const locale = document.documentElement.lang === 'hi' ? 'hi-IN' : 'en-IN';
    const digits = new Intl.NumberFormat(locale, { style: 'currency', currency: state.currency }).resolvedOptions().maximumFractionDigits ?? 2;
    const catalog = await fetch(`${API}/v1/plans`).then((r) => (r.ok ? r.json() : { plans: [] })).catch(() => ({ plans: [] }));
    document.querySelector('[data-plan]').textContent = catalog.plans.find((p) => p.id === state.plan)?.name ?? state.plan;
    document.querySelector('[data-interval]').textContent = state.interval === 'year' ? 'Yearly' : state.interval === 'month' ? 'Monthly' : 'One time';
    const major = state.amount / 10 ** digits;
    const fraction = Number.isInteger(major) ? 0 : digits; // ₹1,599, not ₹1,599.00
    document.querySelector('[data-amount]').textContent = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: state.currency,
      minimumFractionDigits: fraction,
      maximumFractionDigits: fraction,
    }).format(major);
    document.querySelector('[data-summary]').hidden = false;
    summaryStatus.hidden = true;
    if (state.status === 'paid') showPaid();
    else if (['expired', 'canceled'].includes(state.status)) {
      showError(`This payment link has ${state.status === 'expired' ? 'expired' : 'been canceled'}. Start again from your editor.`);
      checkout.hidden = true;
    }
  } catch (error) {
    summaryStatus.textContent = `We could not load this order: ${error instanceof Error ? error.message : error}`;
    showError('This payment link is not valid any more. Start the upgrade again from your editor.');
    checkout.hidden = true;
  }
}

checkout.addEventListener('checkout-success', showPaid);
checkout.addEventListener('checkout-start', () => {
  failure.hidden = true;
});
checkout.addEventListener('payment-failed', (event) => {
  showError(`The payment failed${event.detail.description ? `: ${event.detail.description}` : ''}. You can try again with another method.`);
});
checkout.addEventListener('checkout-error', () => {
  showError('The payment did not go through, so your plan has not changed. You can try again.');
});
checkout.addEventListener('checkout-dismiss', () => {
  showError('Payment canceled. You have not been charged; press “Pay now” to try again.');
});
