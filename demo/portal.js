// Tollgate's billing portal page (GET /portal, opened from "Manage billing"): takes the portal token from the
// URL fragment, shows GET /v1/portal/summary (plan, next charge, seats, payment history) and runs its actions as
// idempotent POSTs. The server re-reads everything and prices from its catalog: nothing here sets an amount.
// "Update payment method" for a Razorpay subscription runs checkout.js itself (`subscription_card_change`: there
// is no checkout row for <razorpay-checkout> to pay) and posts the handler's answer to the action's verify_path.
import { configure } from '../tollgate.js';

/** The Tollgate server this page came from, with the path it is mounted under (…/billing). */
const API = new URL('..', import.meta.url).href.replace(/\/$/, '');
const T = JSON.parse(document.getElementById('portal-strings').textContent);
const LOCALE = document.documentElement.lang === 'hi' ? 'hi-IN' : document.documentElement.lang;

const $ = (selector) => document.querySelector(selector);
const token = new URLSearchParams(location.hash.slice(1)).get('token');
// A new link pasted into this tab changes only the fragment: start over with it.
addEventListener('hashchange', () => location.reload());
// Keep the token out of the address bar, history and bookmarks.
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

const loading = $('[data-loading]');
const errorBox = $('[data-error]');
const notice = $('[data-notice]');
const checkout = $('razorpay-checkout');
const confirmDialog = $('[data-confirm]');
/** The summary last shown: for the words of the page only; every action is decided by the server. */
let summary;

const SUMMARY = `/v1/portal/summary?locale=${encodeURIComponent(document.documentElement.lang)}`;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? '');

function money(amount, currency) {
  const digits = new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const major = amount / 10 ** digits;
  const fraction = Number.isInteger(major) ? 0 : digits; // ₹1,599, not ₹1,599.00
  return new Intl.NumberFormat(LOCALE, { style: 'currency', currency, minimumFractionDigits: fraction, maximumFractionDigits: fraction }).format(major);
}

const date = (iso) => new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium' }).format(new Date(iso));

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
  notice.hidden = true;
}

function showNotice(text) {
  notice.textContent = text;
  notice.hidden = false;
  errorBox.hidden = true;
}

async function api(method, path, body, idempotencyKey = crypto.randomUUID()) {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  if (method === 'POST') {
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = idempotencyKey;
  }
  const response = await fetch(`${API}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(answer.error?.message ?? `HTTP ${response.status}`), { code: answer.error?.code, status: response.status });
  return answer;
}

function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  a.rel = 'noopener';
  return a;
}

function cell(row, content, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (typeof content === 'string') td.textContent = content;
  else td.append(...content);
  row.append(td);
  return td;
}

/** One row per charge: date, plan and period, amount, status, and its documents (the provider's invoice; Tollgate's receipt slot). */
function renderPayments(payments) {
  const body = $('[data-payments]');
  body.replaceChildren();
  for (const p of payments) {
    const row = document.createElement('tr');
    row.dataset.paymentId = p.payment_id;
    cell(row, date(p.paid_at));
    cell(row, p.seats_added ? fill(p.seats_added === 1 ? T.history_seat : T.history_seats, { plan: p.plan_name, n: p.seats_added }) : `${p.plan_name} · ${T[`interval.${p.interval}`] ?? p.interval}`);
    cell(row, money(p.amount, p.currency), 'amount');
    cell(row, T[p.status] ?? p.status);
    const documents = [];
    if (p.invoice_url) documents.push(Object.assign(link(p.invoice_url, T.invoice), { target: '_blank' }));
    // The receipt slot: Tollgate's own receipt of this payment, once the server serves them.
    if (p.receipt_url) documents.push(Object.assign(link(p.receipt_url, T.receipt), { target: '_blank' }));
    cell(row, documents.length ? documents : '—').dataset.documents = '';
    body.append(row);
  }
  $('[data-history-empty]').hidden = payments.length > 0;
  $('[data-history]').hidden = false;
}

/** A per-seat plan's stepper: the limits and one seat's price as the server's catalog has them (the server checks again). */
function renderSeats(seats, billing) {
  const card = $('[data-seats]');
  card.hidden = !seats?.can_change;
  if (card.hidden) return;
  const input = $('[data-seats-input]');
  input.min = String(seats.min);
  input.max = String(seats.max);
  input.value = String(seats.quantity);
  $('[data-seats-rule]').textContent = fill(T.seats_rule, { min: seats.min, max: seats.max, price: money(seats.unit_amount, seats.currency) });
  $('[data-seats-note]').textContent = billing === 'subscription' ? T.seats_note_subscription : T.seats_note_one_period;
  stepSeats(0);
}

/** Move the stepper by `delta` within its limits; the buttons at a limit are disabled. */
function stepSeats(delta) {
  const input = $('[data-seats-input]');
  const [min, max] = [Number(input.min), Number(input.max)];
  const value = Math.min(max, Math.max(min, Math.round(Number(input.value) || min) + delta));
  input.value = String(value);
  $('[data-seats-less]').disabled = value <= min;
  $('[data-seats-more]').disabled = value >= max;
}

function render(s) {
  summary = s;
  $('[data-plan-name]').textContent = s.plan_name;
  $('[data-plan-status]').textContent = T[`status.${s.status}`] ?? s.status;
  $('[data-plan-interval]').textContent = s.interval ? (T[`interval.${s.interval}`] ?? s.interval) : T.free;
  const ends = s.cancel_at_period_end || s.billing !== 'subscription';
  $('[data-period-label]').textContent = ends ? T.ends : T.renews;
  $('[data-period]').textContent = s.current_period_end ? date(s.current_period_end) : '—';
  for (const [key, value] of [
    ['next-charge', s.next_charge && `${money(s.next_charge.amount, s.next_charge.currency)} · ${date(s.next_charge.at)}`],
    ['payment-method', s.payment_method],
  ]) {
    $(`[data-${key}]`).textContent = value ?? '';
    $(`[data-${key}]`).hidden = !value;
    $(`[data-${key}-label]`).hidden = !value;
  }
  $('[data-one-period]').hidden = s.billing !== 'one_period';
  $('[data-plan-card]').hidden = false;

  $('[data-cancel]').hidden = !s.can.cancel;
  $('[data-resume]').hidden = !s.can.resume;
  $('[data-update-payment-method]').hidden = !s.can.update_payment_method;
  $('[data-actions]').hidden = !(s.can.cancel || s.can.resume || s.can.update_payment_method);

  const select = $('[data-change-plan]');
  const chosen = select.value;
  select.replaceChildren(
    ...s.plans.map((p) => {
      const option = document.createElement('option');
      option.value = `${p.plan}:${p.interval}`;
      option.textContent = `${p.plan_name} · ${T[`interval.${p.interval}`] ?? p.interval} · ${money(p.amount, p.currency)}${p.current ? ` (${T.change_current})` : ''}`;
      return option;
    }),
  );
  if (chosen) select.value = chosen;
  $('[data-change]').hidden = !s.can.change_plan;
  renderSeats(s.seats, s.billing);
  renderPayments(s.payments);
  loading.hidden = true;
}

/** Run one action; its answer is the portal as the server now has it. */
async function act(button, path, body, done) {
  button.disabled = true;
  errorBox.hidden = true;
  try {
    const answer = await api('POST', path, body);
    render(answer.summary);
    done?.(answer);
  } catch (error) {
    showError(fill(T.failed, { reason: error.message }));
  } finally {
    button.disabled = false;
  }
}

/** A checkout the server made for this page (a new plan, a new payment method): pay it here, or follow its action. */
function runCheckout(answer) {
  const started = answer.checkout;
  if (!started) return showNotice(T.changed);
  if (started.action.type === 'redirect' || started.action.type === 'handoff') return location.assign(started.action.url);
  if (!started.checkout_id) return showError(fill(T.failed, { reason: started.action.type }));
  checkout.setAttribute('checkout', started.checkout_id);
  $('[data-pay]').hidden = false;
  checkout.focus();
}

$('[data-change-submit]').addEventListener('click', (event) => {
  const [plan, interval] = $('[data-change-plan]').value.split(':');
  void act(event.currentTarget, '/v1/portal/change-plan', { plan, interval }, runCheckout);
});
/** checkout.js, once per page, under the page's CSP nonce (an inserted script runs only with it). */
function loadCheckoutJs(url) {
  if (typeof window.Razorpay === 'function') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement('script'), { src: url, async: true, nonce: document.querySelector('script[nonce]')?.nonce ?? '' });
    script.onload = () => resolve();
    script.onerror = () => {
      script.remove();
      reject(new Error(T.script_failed));
    };
    document.head.append(script);
  });
}

/**
 * The new authorisation in checkout.js: resolves with the handler's answer, or null when the customer closes the
 * modal (nothing changes). A declined try is shown at once; the modal stays open to try again.
 */
async function authorise(action) {
  await loadCheckoutJs(action.script_url);
  return new Promise((resolve) => {
    const rzp = new window.Razorpay({
      key: action.key_id,
      subscription_id: action.subscription_id,
      subscription_card_change: 1,
      name: action.name,
      description: action.description,
      prefill: action.prefill,
      ...(action.theme_color ? { theme: { color: action.theme_color } } : {}),
      handler: resolve,
      modal: { ondismiss: () => resolve(null) },
    });
    rzp.on('payment.failed', (response) => {
      const error = response?.error ?? {};
      showError(fill(T.failed, { reason: error.description || error.reason || error.code || '' }));
    });
    rzp.open();
  });
}

/** Update payment method: the server's action (what is due comes from Razorpay), checkout.js, then the server's verify. */
async function updatePaymentMethod(button) {
  button.disabled = true;
  errorBox.hidden = true;
  try {
    const answer = await api('POST', '/v1/portal/payment-method', {});
    render(answer.summary);
    const action = answer.checkout?.action;
    // Another provider's action (a checkout to pay on the page, a page to follow).
    if (action?.type !== 'razorpay' || !action.subscription_card_change) return runCheckout(answer);
    const paid = await authorise(action);
    if (!paid) return;
    // One key per payment: a retry of this verify is the same change.
    const verified = await api(
      'POST',
      action.verify_path,
      { razorpay_payment_id: paid.razorpay_payment_id, razorpay_subscription_id: paid.razorpay_subscription_id, razorpay_signature: paid.razorpay_signature },
      `payment-method-${paid.razorpay_payment_id}`,
    );
    render(verified.summary);
    const method = verified.summary.payment_method ?? '';
    showNotice(action.amount > 0 ? fill(T.method_updated_paid, { amount: money(action.amount, action.currency), method }) : fill(T.method_updated, { method }));
  } catch (error) {
    showError(fill(T.failed, { reason: error.message }));
  } finally {
    button.disabled = false;
  }
}

$('[data-update-payment-method]').addEventListener('click', (event) => void updatePaymentMethod(event.currentTarget));
$('[data-seats-less]').addEventListener('click', () => stepSeats(-1));
$('[data-seats-more]').addEventListener('click', () => stepSeats(1));
$('[data-seats-input]').addEventListener('change', () => stepSeats(0));
$('[data-seats-submit]').addEventListener('click', (event) => {
  stepSeats(0);
  const quantity = Number($('[data-seats-input]').value);
  void act(event.currentTarget, '/v1/portal/seats', { quantity }, (answer) => {
    const change = answer.seats;
    if (change?.status === 'payment_required') return runCheckout(answer);
    if (change?.status === 'scheduled') return showNotice(fill(T.seats_scheduled, { n: change.quantity, date: date(change.at) }));
    showNotice(fill(change?.status === 'pending' ? T.seats_pending : T.seats_applied, { n: change?.quantity ?? quantity }));
  });
});
$('[data-resume]').addEventListener('click', (event) => void act(event.currentTarget, '/v1/portal/resume', {}, () => showNotice(T.resumed)));

// Cancel asks first, in a modal dialog (focus moves into it and returns to the button when it closes).
$('[data-cancel]').addEventListener('click', () => {
  const end = summary?.current_period_end;
  $('[data-confirm-body]').textContent = end ? fill(T.confirm_body, { plan: summary.plan_name, date: date(end) }) : fill(T.confirm_body_nodate, { plan: summary?.plan_name ?? '' });
  confirmDialog.showModal();
});
$('[data-confirm-keep]').addEventListener('click', () => confirmDialog.close());
$('[data-confirm-cancel]').addEventListener('click', (event) => {
  confirmDialog.close();
  void act(event.currentTarget, '/v1/portal/cancel', {}, (answer) => showNotice(fill(T.canceled, { date: answer.summary.current_period_end ? date(answer.summary.current_period_end) : '' })));
});

checkout.addEventListener('checkout-success', async () => {
  $('[data-pay]').hidden = true;
  showNotice(T.paid_notice);
  render(await api('GET', SUMMARY));
});
checkout.addEventListener('checkout-error', (event) => showError(fill(T.failed, { reason: event.detail.message })));

async function load() {
  try {
    render(await api('GET', SUMMARY));
  } catch (error) {
    loading.hidden = true;
    showError(error.status === 401 || error.status === 403 ? T.link_invalid : fill(T.failed, { reason: error.message }));
  }
}

if (!token) {
  loading.hidden = true;
  showError(T.link_missing);
} else {
  configure({ session: token });
  void load();
}
