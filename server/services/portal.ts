// Tollgate's own billing portal, for customers whose provider has none (capability `portal: false`: Razorpay,
// Mintoken, Bonzai, mintbot): the portal link, what the page shows, and its actions. Every action reads the
// customer and the subscription again and prices from the catalog only; routes/portal.ts keeps them idempotent.
import type { CheckoutAction, PortalActionResponse, PortalChangePlanRequest, PortalPayment, PortalPaymentMethodVerifyRequest, PortalSummary } from '../../src/contract/index.js';
import { effectivePlan } from '../billing.js';
import type { AppDeps } from '../context.js';
import { AppError } from '../errors.js';
import type { ManagedSubscription, Provider } from '../providers/types.js';
import { PORTAL_TTL_S, issueSessionToken, type CustomerIdentity } from '../security/tokens.js';
import { loadCheckoutByOrder } from '../store/checkouts.js';
import { ensureCustomer, type CustomerRow } from '../store/customers.js';
import { listPayments } from '../store/payments.js';
import { listReceipts } from '../store/receipts.js';
import { createCheckout } from './checkout.js';
import { receiptLinks } from './receipts.js';
import { changeSeats, seatSummary } from './seats.js';

/** The provider billing this customer when it has no portal of its own (so Tollgate's portal is theirs), else undefined. */
export function selfPortalProvider(deps: Pick<AppDeps, 'providers'>, customer: Pick<CustomerRow, 'billing_provider'>): Provider | undefined {
  if (!customer.billing_provider) return undefined;
  const provider = deps.providers.get(customer.billing_provider as never);
  return provider && provider.mode !== 'unavailable' && !provider.portal ? provider : undefined;
}

/**
 * The portal page's link: `{publicUrl}/portal[?return=…]#token=…`, the token a customer session scoped to
 * the portal (security/tokens.ts, as the hand-off link's is scoped to its checkout), in the fragment so it
 * never reaches a server log or a Referer.
 */
export async function portalLink(deps: AppDeps, identity: CustomerIdentity, returnUrl: string | null): Promise<{ url: string; expiresAt: Date }> {
  const { config, now } = deps;
  const claims = { customerId: identity.customerId, email: identity.email, name: identity.name, portalScope: true };
  const { token, expiresAt } = await issueSessionToken(config.sessionSecret, claims, PORTAL_TTL_S, Math.floor(now().getTime() / 1000));
  const query = returnUrl ? `?return=${encodeURIComponent(returnUrl)}` : '';
  return { url: `${config.publicUrl}/portal${query}#token=${token}`, expiresAt };
}

interface PortalState {
  customer: CustomerRow;
  provider: Provider;
  managed: ManagedSubscription | null;
}

/** The customer as the store has them now, their provider and its live subscription: read again for every answer. */
async function portalState(deps: AppDeps, identity: CustomerIdentity): Promise<PortalState> {
  const customer = await ensureCustomer(deps.store, deps.catalog.freePlan.id, { id: identity.customerId });
  const provider = selfPortalProvider(deps, customer);
  if (!provider) throw new AppError('not_found', 'No billing account here: this customer is not billed by a provider that uses Tollgate’s portal');
  const managed = (await provider.subscriptionControls?.current(customer)) ?? null;
  return { customer, provider, managed };
}

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** The plans the portal offers: the catalog's prices at the customer's provider (in their currency, when known). */
function portalPlans(deps: AppDeps, state: PortalState, locale: string, current: { plan: string; interval: string | null }): PortalSummary['plans'] {
  const { catalog } = deps;
  const out: PortalSummary['plans'] = [];
  for (const plan of catalog.file.plans) {
    if (!catalog.isOrderable(plan)) continue;
    for (const price of plan.prices) {
      if (price.provider !== state.provider.name) continue;
      if (state.customer.currency && price.currency !== state.customer.currency) continue;
      if (out.some((p) => p.plan === plan.id && p.interval === price.interval)) continue;
      out.push({
        plan: plan.id,
        plan_name: catalog.planName(plan.id, locale) ?? plan.name,
        interval: price.interval,
        amount: price.amount,
        currency: price.currency,
        current: plan.id === current.plan && price.interval === current.interval,
      });
    }
  }
  return out;
}

function summaryOf(deps: AppDeps, state: PortalState, payments: PortalPayment[], locale: string, seats: PortalSummary['seats'] = null): PortalSummary {
  const { catalog, now } = deps;
  const { customer, provider, managed } = state;
  const { planId, status } = effectivePlan(customer, catalog, now());
  const free = planId === catalog.freePlan.id;
  const interval = free ? null : (managed?.interval ?? customer.plan_interval);
  const controls = provider.subscriptionControls;
  const plans = portalPlans(deps, state, locale, { plan: planId, interval });
  return {
    customer_id: customer.id,
    plan: planId,
    plan_name: catalog.planName(planId, locale) ?? planId,
    status,
    interval,
    provider: provider.name,
    current_period_end: free ? null : iso(managed?.currentPeriodEnd ?? customer.current_period_end),
    cancel_at_period_end: managed?.cancelAtPeriodEnd ?? customer.cancel_at_period_end,
    billing: managed ? 'subscription' : free ? 'free' : 'one_period',
    next_charge: managed?.nextCharge ? { at: managed.nextCharge.at.toISOString(), amount: managed.nextCharge.amount, currency: managed.nextCharge.currency } : null,
    payment_method: managed?.paymentMethod ?? null,
    scheduled_change: managed?.scheduledChange ? { plan: managed.scheduledChange.plan, interval: managed.scheduledChange.interval, at: managed.scheduledChange.at.toISOString() } : null,
    can: {
      cancel: Boolean(managed?.can.cancel && !managed.cancelAtPeriodEnd),
      resume: Boolean(managed?.can.resume),
      // A one-off provider sells another period or plan as a new checkout, paid on this page (a hand-off's browser).
      change_plan: (managed ? managed.can.changePlan : !provider.handoffUnsupported) && plans.length > 0,
      update_payment_method: Boolean(managed?.can.updatePaymentMethod && controls?.updatePaymentMethod),
    },
    seats,
    plans,
    payments,
  };
}

/** The payments ledger's rows as the portal's history shows them. */
async function paymentHistory(deps: AppDeps, customerId: string, locale: string): Promise<PortalPayment[]> {
  const [rows, receipts] = await Promise.all([listPayments(deps.store, customerId), listReceipts(deps.store, customerId)]);
  // Each payment's receipt, linked to its page (a link that opens that receipt only: services/receipts.ts).
  const receiptOf = new Map(receipts.filter((r) => r.kind === 'receipt').map((r) => [`${r.provider}\n${r.payment_id}`, r]));
  const links = new Map<string, string>();
  await Promise.all(
    [...receiptOf].map(async ([key, r]) => {
      links.set(key, (await receiptLinks(deps, r, locale)).html);
    }),
  );
  return rows.map((p) => ({
    payment_id: p.payment_id,
    provider: p.provider as PortalPayment['provider'],
    kind: p.kind,
    plan: p.plan,
    plan_name: deps.catalog.planName(p.plan, locale) ?? p.plan,
    interval: p.interval,
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    paid_at: new Date(p.paid_at).toISOString(),
    invoice_url: p.invoice_url,
    receipt_url: links.get(`${p.provider}\n${p.payment_id}`) ?? null,
    seats_added: p.checkout_kind === 'seats' ? p.quantity : null,
  }));
}

export async function portalSummary(deps: AppDeps, identity: CustomerIdentity, locale: string): Promise<PortalSummary> {
  const state = await portalState(deps, identity);
  const [payments, seats] = await Promise.all([paymentHistory(deps, state.customer.id, locale), seatSummary(deps, state.customer)]);
  return summaryOf(deps, state, payments, locale, seats);
}

async function answer(deps: AppDeps, identity: CustomerIdentity, locale: string, checkout: PortalActionResponse['checkout'] = null): Promise<PortalActionResponse> {
  return { summary: await portalSummary(deps, identity, locale), checkout };
}

/** The live subscription and its controls, or 409: nothing renews at a provider that sells one period at a time. */
function liveSubscription(state: PortalState, what: string): { managed: ManagedSubscription; controls: NonNullable<Provider['subscriptionControls']> } {
  const controls = state.provider.subscriptionControls;
  if (!controls) throw new AppError('conflict', `${state.provider.name} bills one period at a time: nothing renews by itself, so there is nothing to ${what}`);
  if (!state.managed) throw new AppError('conflict', `There is no live ${state.provider.name} subscription to ${what}`);
  return { managed: state.managed, controls };
}

/** Cancel at the period end: access stays until then. A subscription already set to end is no error. */
export async function cancelAtPeriodEnd(deps: AppDeps, identity: CustomerIdentity, locale: string): Promise<PortalActionResponse> {
  const state = await portalState(deps, identity);
  const { managed, controls } = liveSubscription(state, 'cancel');
  if (!managed.cancelAtPeriodEnd) {
    if (!managed.can.cancel) throw new AppError('conflict', `This ${state.provider.name} subscription cannot be canceled now (${managed.status})`);
    await controls.cancel(state.customer, { atPeriodEnd: true });
  }
  return answer(deps, identity, locale);
}

export async function resumeSubscription(deps: AppDeps, identity: CustomerIdentity, locale: string): Promise<PortalActionResponse> {
  const state = await portalState(deps, identity);
  const { managed, controls } = liveSubscription(state, 'resume');
  if (!managed.can.resume) throw new AppError('conflict', `This ${state.provider.name} subscription has nothing to resume (${managed.cancelAtPeriodEnd ? 'set to end' : managed.status})`);
  await controls.resume(state.customer);
  return answer(deps, identity, locale);
}

/**
 * Move to another plan or interval: the provider's own change where it manages the subscription, else a new
 * checkout of the catalog's price (created here, paid on the page), keyed by the request's Idempotency-Key.
 */
export async function changePlan(deps: AppDeps, input: { identity: CustomerIdentity; body: PortalChangePlanRequest; idempotencyKey: string; locale: string }): Promise<PortalActionResponse> {
  const { identity, body, locale } = input;
  const state = await portalState(deps, identity);
  const plan = deps.catalog.orderablePlan(body.plan);
  const offered = portalPlans(deps, state, locale, { plan: '', interval: null }).find((p) => p.plan === plan.id && p.interval === body.interval);
  if (!offered) throw new AppError('validation_error', `plan: ${plan.name} is not sold ${body.interval === 'once' ? 'once' : `${body.interval}ly`} through ${state.provider.name}`);
  if (state.managed && state.provider.subscriptionControls) {
    if (!state.managed.can.changePlan) throw new AppError('conflict', `This ${state.provider.name} subscription cannot change plans now (${state.managed.status})`);
    if (body.interval === 'once') throw new AppError('validation_error', 'interval: a subscription changes to a monthly or yearly price');
    await state.provider.subscriptionControls.changePlan(state.customer, { plan: plan.id, interval: body.interval, quantity: body.quantity });
    return answer(deps, identity, locale);
  }
  if (state.provider.handoffUnsupported) throw new AppError('conflict', `Change plans in the app: ${state.provider.handoffUnsupported}`);
  const request = { plan: plan.id, interval: body.interval, provider: state.provider.name, currency: offered.currency };
  const created = await createCheckout(deps, { identity, body: request, idempotencyKey: `portal:${input.idempotencyKey}`, origin: undefined });
  return answer(deps, identity, locale, { checkout_id: created.checkout_id, action: created.action });
}

/** The seats of the per-seat plan in force (services/seats.ts); a one-off period's top-up is a checkout to pay on the page. */
export async function changePortalSeats(deps: AppDeps, input: { identity: CustomerIdentity; quantity: number; idempotencyKey: string; locale: string }): Promise<PortalActionResponse> {
  await portalState(deps, input.identity);
  const change = await changeSeats(deps, { identity: input.identity, quantity: input.quantity, idempotencyKey: `portal:${input.idempotencyKey}` });
  const checkout = change.checkout ? { checkout_id: change.checkout.checkout_id, action: change.checkout.action } : null;
  return { ...(await answer(deps, input.identity, input.locale, checkout)), seats: change };
}

/** A new authorisation (mandate, card) through the provider's checkout, where it implements one. */
export async function updatePaymentMethod(deps: AppDeps, identity: CustomerIdentity, locale: string): Promise<PortalActionResponse> {
  const state = await portalState(deps, identity);
  const { managed, controls } = liveSubscription(state, 'update');
  if (!controls.updatePaymentMethod || !managed.can.updatePaymentMethod) throw new AppError('conflict', `The payment method of this ${state.provider.name} subscription cannot be changed here`);
  const action: CheckoutAction = await controls.updatePaymentMethod(state.customer, identity);
  // A Razorpay-shaped action names its order: the checkout row the provider made for it, which the page pays with <razorpay-checkout checkout="…">.
  // (A subscription's id is its checkout's provider order id.) A card change has no checkout row: the page runs
  // checkout.js with the action and posts its answer to the action's verify_path (confirmPaymentMethod below).
  const orderRef = action.type === 'razorpay' && !action.subscription_card_change ? (action.order_id ?? action.subscription_id) : undefined;
  const row = orderRef ? await loadCheckoutByOrder(deps.store, [state.provider.name], orderRef) : undefined;
  return answer(deps, identity, locale, { checkout_id: row && row.customer_id === state.customer.id ? row.id : null, action });
}

/** The browser's answer to the new authorisation (POST /v1/portal/payment-method/verify): the provider checks and stores it. */
export async function confirmPaymentMethod(deps: AppDeps, identity: CustomerIdentity, body: PortalPaymentMethodVerifyRequest, locale: string): Promise<PortalActionResponse> {
  const state = await portalState(deps, identity);
  const { controls } = liveSubscription(state, 'update');
  if (!controls.confirmPaymentMethod) throw new AppError('conflict', `The payment method of this ${state.provider.name} subscription cannot be changed here`);
  await controls.confirmPaymentMethod(state.customer, { paymentId: body.razorpay_payment_id, subscriptionId: body.razorpay_subscription_id, signature: body.razorpay_signature });
  return answer(deps, identity, locale);
}
