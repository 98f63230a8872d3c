// Seat changes after purchase (README "Seats and taxes"): the seats of the per-seat plan in force, changed through
// the provider's own update (a Razorpay subscription's quantity, a Stripe subscription item's) or, in a one-off
// period, bought as a prorated top-up checkout paid like any other. Prices and limits come from the catalog only.
import type { CheckoutResponse, PortalSummary, SeatChange } from '../../src/contract/index.js';
import { effectivePlan } from '../billing.js';
import type { PlanConfig, PlanPriceConfig } from '../config.js';
import type { AppDeps } from '../context.js';
import { AppError } from '../errors.js';
import { customerCapabilities } from '../providers/capability-table.js';
import type { CustomerIdentity } from '../security/tokens.js';
import { derivedId, getCheckout, insertCheckout, type CheckoutRow } from '../store/checkouts.js';
import { ensureCustomer, type CustomerRow } from '../store/customers.js';
import type { Sql } from '../store/index.js';
import { answer, assertProviderTaxes, providerFor, startUpstream } from './checkout.js';
import { priceTax, taxRuleOf } from './taxes.js';

/**
 * The price of `added` seats for what is left of a period (README "Seats and taxes"): unit × added × remaining ÷
 * the period's length, in integer minor units rounded half up, once (BigInt: unit × seats × milliseconds can pass
 * a double's exact range). The remaining time is capped at the period's length; none left costs nothing.
 */
export function proratedSeatsAmount(unitAmount: number, added: number, remainingMs: number, periodMs: number): number {
  if (!(periodMs > 0) || !(remainingMs > 0)) return 0;
  const numerator = BigInt(unitAmount) * BigInt(added) * BigInt(Math.round(Math.min(remainingMs, periodMs)));
  const denominator = BigInt(Math.round(periodMs));
  return Number((2n * numerator + denominator) / (2n * denominator));
}

/** The seats of a per-seat plan in force: the checkout that bought it, the catalog's price of it, and the seats now. */
interface SeatPlan {
  customer: CustomerRow;
  plan: PlanConfig;
  /** The paid plan checkout of the period in force (its start, its tax country). */
  bought: CheckoutRow;
  price: PlanPriceConfig;
  seats: number;
  min: number;
  max: number;
}

/** The newest paid plan checkout of the customer's plan at their provider (not a top-up). */
async function boughtCheckout(sql: Sql, customer: CustomerRow): Promise<CheckoutRow | undefined> {
  const [row] = await sql.query<CheckoutRow>(
    "SELECT * FROM checkouts WHERE customer_id = $1 AND plan = $2 AND provider = $3 AND status = 'paid' AND kind = 'plan' ORDER BY paid_at DESC LIMIT 1",
    [customer.id, customer.plan, customer.billing_provider],
  );
  return row;
}

/** The catalog's price of the plan in force, matched on what its checkout bought (provider, currency, interval, order or subscription). */
function catalogPrice(plan: PlanConfig, bought: CheckoutRow): PlanPriceConfig | undefined {
  const recurring = Boolean(bought.price?.recurring);
  return plan.prices.find((p) => p.provider === bought.provider && p.currency === bought.currency && p.interval === bought.interval && Boolean(p.recurring) === recurring);
}

/** The customer's per-seat plan, or why there is none: the plan in force is free, granted, lapsed, or not sold per seat. */
async function seatPlanOf(deps: AppDeps, customer: CustomerRow): Promise<SeatPlan | { refused: AppError }> {
  const { catalog, store, now } = deps;
  const { planId } = effectivePlan(customer, catalog, now());
  const plan = catalog.plan(customer.plan);
  if (planId === catalog.freePlan.id || planId !== customer.plan || !plan || !customer.billing_provider) return { refused: new AppError('conflict', 'There is no paid plan in force to change the seats of; buy one first') };
  const bought = await boughtCheckout(store, customer);
  const price = bought ? catalogPrice(plan, bought) : undefined;
  if (!bought || !price) return { refused: new AppError('conflict', `The ${plan.name} plan was not bought here as it is sold now; its seats cannot change`) };
  if (!price.per_unit) return { refused: new AppError('conflict', `The ${plan.name} plan is not sold per seat: there are no seats to change`) };
  return { customer, plan, bought, price, seats: customer.seats ?? bought.quantity, min: price.min_quantity ?? 1, max: price.max_quantity ?? 100_000 };
}

/** The portal's seats block: the seats in force, the limits and one seat's catalog price; null for a plan not sold per seat. */
export async function seatSummary(deps: AppDeps, customer: CustomerRow): Promise<NonNullable<PortalSummary['seats']> | null> {
  const state = await seatPlanOf(deps, customer);
  if ('refused' in state) return null;
  const provider = deps.providers.get(state.bought.provider);
  const caps = customerCapabilities(customer);
  const canChange = Boolean((customer.subscription_id && provider?.subscriptionControls) || provider?.changeSeats || caps?.renewal === 'one_period');
  return { quantity: state.seats, min: state.min, max: state.max, unit_amount: state.price.amount, currency: state.price.currency, can_change: canChange };
}

/**
 * Change the customer's seats to `quantity` in all. A Razorpay subscription changes through its controls (more
 * seats now, fewer at the cycle end: the `auto` rule of providers/razorpay/subscriptions.ts); a provider with
 * `changeSeats` (Stripe) is asked and its webhook brings the change; a one-off period gets more seats as a prorated
 * top-up checkout, fewer are refused (they are paid for until the period end). `idempotencyKey` is the request's.
 */
export async function changeSeats(deps: AppDeps, input: { identity: CustomerIdentity; quantity: number; idempotencyKey: string }): Promise<SeatChange> {
  const { store, catalog } = deps;
  const { quantity } = input;
  const customer = await ensureCustomer(store, catalog.freePlan.id, { id: input.identity.customerId, email: input.identity.email, name: input.identity.name });
  const state = await seatPlanOf(deps, customer);
  if ('refused' in state) throw state.refused;
  const { plan, seats, min, max } = state;
  if (quantity < min || quantity > max) throw new AppError('validation_error', `quantity: the ${plan.name} plan is sold from ${min} to ${max} seats; ${quantity} is out of range`);
  const provider = providerFor(deps, state.bought);
  const seatsNow = async () => (await ensureCustomer(store, catalog.freePlan.id, { id: customer.id })).seats ?? seats;

  if (customer.subscription_id && provider.subscriptionControls) {
    const managed = await provider.subscriptionControls.current(customer);
    if (!managed) throw new AppError('conflict', `There is no live ${provider.name} subscription to change the seats of`);
    if (!managed.can.changePlan) throw new AppError('conflict', `This ${provider.name} subscription cannot change now (${managed.cancelAtPeriodEnd ? 'set to end' : managed.status})`);
    if (quantity === managed.quantity && !managed.scheduledChange) return { status: 'unchanged', seats, quantity, at: null, checkout: null };
    const changed = await provider.subscriptionControls.changePlan(customer, { plan: plan.id, interval: managed.interval, quantity });
    const scheduled = changed.scheduledChange;
    return { status: scheduled ? 'scheduled' : 'applied', seats: await seatsNow(), quantity, at: scheduled ? scheduled.at.toISOString() : null, checkout: null };
  }
  if (provider.changeSeats) {
    const result = await provider.changeSeats(customer, { quantity, idempotencyKey: input.idempotencyKey });
    if (result.unchanged) return { status: 'unchanged', seats, quantity, at: null, checkout: null };
    // In force when the provider's signed webhook reports the updated subscription (it may already have).
    const now = await seatsNow();
    return { status: now === quantity ? 'applied' : 'pending', seats: now, quantity, at: null, checkout: null };
  }
  if (customerCapabilities(customer)?.renewal !== 'one_period') throw new AppError('conflict', `${provider.name} bills this plan itself: its seats cannot change on a running purchase; buy the next one with the seats you need`);
  if (quantity === seats) return { status: 'unchanged', seats, quantity, at: null, checkout: null };
  if (quantity < seats) {
    const until = customer.current_period_end ? ` until ${new Date(customer.current_period_end).toISOString().slice(0, 10)}` : '';
    throw new AppError('conflict', `quantity: the ${seats} seats of this period are paid for${until} and cannot go down; buy the next period with ${quantity} seats`);
  }
  return { status: 'payment_required', seats, quantity, at: null, checkout: await topUpCheckout(deps, state, input) };
}

/**
 * A one-off period's top-up: `quantity − seats` more seats at the catalog's unit price, prorated to the period end
 * (proratedSeatsAmount; a one-off price with no period end pays the full unit price), no promotion code, then the
 * price's tax rule for the country its plan was bought in. The checkout row (kind 'seats', migration 24) is paid
 * through the same action and verify as any checkout; a retry of the request finds it again by its derived id.
 */
async function topUpCheckout(deps: AppDeps, state: SeatPlan, input: { identity: CustomerIdentity; quantity: number; idempotencyKey: string }): Promise<CheckoutResponse> {
  const { catalog, config, store, now } = deps;
  const { customer, plan, bought, price, seats } = state;
  const added = input.quantity - seats;
  const at = now();
  const end = customer.current_period_end ? new Date(customer.current_period_end) : null;
  if (bought.interval !== 'once' && (!end || end <= at)) throw new AppError('conflict', 'This period has ended; buy a new one with the seats you need');
  const start = bought.paid_at ? new Date(bought.paid_at) : at;
  const subtotal = end ? proratedSeatsAmount(price.amount, added, end.getTime() - at.getTime(), end.getTime() - start.getTime()) : price.amount * added;
  const rule = taxRuleOf(catalog.file, price, bought.tax?.country);
  assertProviderTaxes(rule, price, null);
  const { tax, total } = priceTax(subtotal, rule);
  const id = derivedId('chk', ['seats', customer.id, input.idempotencyKey]);
  const wanted = { plan: plan.id, interval: bought.interval, provider: bought.provider, currency: price.currency, amount: total, mode: 'inline' as const, quantity: added };
  const inserted = await insertCheckout(store, { id, customer_id: customer.id, ...wanted, price, tax, topUp: { seatsFrom: seats, proratedUntil: end } });
  const row = inserted ?? (await getCheckout(store, id))!;
  if (!inserted) {
    // The retry of a request whose answer was lost (a 5xx releases the key): the same top-up, else a key used for another.
    if (row.kind !== 'seats' || row.quantity !== added || row.seats_from !== seats) throw new AppError('idempotency_key_mismatch', 'This Idempotency-Key was already used for another request; use a fresh key');
    if (row.action && row.status !== 'created' && row.status !== 'starting' && row.status !== 'failed') return answer(catalog, row, plan.name, row.action as CheckoutResponse['action']);
  }
  return startUpstream(deps, { row, plan, customer, identity: input.identity, request: { plan: plan.id, interval: bought.interval }, returnBase: new URL(config.publicUrl) });
}
