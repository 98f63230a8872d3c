// Customer, checkout and plan state in SQL. Every change of plan happens here, in one transaction with
// its audit row, and leans on the schema's unique keys so that retries, replays and races change it once.
import { createHash, randomBytes } from 'node:crypto';
import type { CheckoutState, CheckoutStatus, Entitlements, Interval, ProviderName, Subscription, SubscriptionStatus } from '../src/contract/index.js';
import type { Catalog } from './catalog.js';
import type { PlanPriceConfig } from './config.js';
import { AppError } from './errors.js';
import { capabilitiesOf } from './providers/capability-table.js';
import type { Sql } from './store/index.js';

export interface CustomerRow {
  id: string;
  email: string | null;
  name: string | null;
  contact: string | null;
  currency: string | null;
  plan: string;
  status: SubscriptionStatus;
  cancel_at_period_end: boolean;
  current_period_end: Date | null;
  billing_provider: string | null;
  state_at: Date | null;
  /** The billing interval of the plan in force, where known. */
  plan_interval: Interval | null;
  created_at: Date;
  updated_at: Date;
}

export interface CheckoutRow {
  id: string;
  customer_id: string;
  plan: string;
  interval: Interval;
  provider: ProviderName;
  amount: number;
  currency: string;
  /** The catalog price chosen when the checkout was made (migration 5); null on older rows: see checkoutPrice(). */
  price: PlanPriceConfig | null;
  mode: 'inline' | 'handoff';
  status: CheckoutStatus | 'starting';
  provider_order_id: string | null;
  payment_id: string | null;
  action: Record<string, unknown> | null;
  last_error: { code: string; message: string } | null;
  fulfillment: CheckoutState['fulfillment'];
  created_at: Date;
  updated_at: Date;
  paid_at: Date | null;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** An id derived from what identifies a request (a customer and their Idempotency-Key): a retry gets the same id. */
export function derivedId(prefix: string, parts: readonly string[]): string {
  return `${prefix}_${createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 22)}`;
}

/**
 * The price a checkout charges: the one stored with it when it was made, so the hand-off start, a retry,
 * a verify and a renewal all use exactly what the customer was shown. A checkout from before migration 5
 * is matched in the catalog on everything it stored (provider, currency, interval, amount).
 */
export function checkoutPrice(catalog: Catalog, checkout: CheckoutRow): PlanPriceConfig {
  if (checkout.price) return checkout.price;
  const same = catalog.plan(checkout.plan)?.prices.find((p) => p.provider === checkout.provider && p.currency === checkout.currency && p.interval === checkout.interval && p.amount === checkout.amount);
  return same ?? { provider: checkout.provider, currency: checkout.currency, amount: checkout.amount, interval: checkout.interval };
}

/** Create the customer on first use, on the free plan; later calls refresh email/name when given. */
export async function ensureCustomer(sql: Sql, freePlan: string, customer: { id: string; email?: string; name?: string; contact?: string; currency?: string }): Promise<CustomerRow> {
  // Reads are the common case (every widget load): no write unless something is new.
  const [existing] = await sql.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [customer.id]);
  if (
    existing &&
    (customer.email === undefined || customer.email === existing.email) &&
    (customer.name === undefined || customer.name === existing.name) &&
    (customer.contact === undefined || customer.contact === existing.contact) &&
    (customer.currency === undefined || customer.currency === existing.currency)
  ) {
    return existing;
  }
  const [row] = await sql.query<CustomerRow>(
    `INSERT INTO customers (id, email, name, contact, currency, plan) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET
       email = COALESCE(EXCLUDED.email, customers.email),
       name = COALESCE(EXCLUDED.name, customers.name),
       contact = COALESCE(EXCLUDED.contact, customers.contact),
       currency = COALESCE(EXCLUDED.currency, customers.currency)
     RETURNING *`,
    [customer.id, customer.email ?? null, customer.name ?? null, customer.contact ?? null, customer.currency ?? null, freePlan],
  );
  return row;
}

export async function getCheckout(sql: Sql, id: string): Promise<CheckoutRow | undefined> {
  const [row] = await sql.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1', [id]);
  return row;
}

export async function findCheckoutByOrder(sql: Sql, providers: ProviderName[], orderId: string): Promise<CheckoutRow | undefined> {
  const [row] = await sql.query<CheckoutRow>('SELECT * FROM checkouts WHERE provider = ANY($1::text[]) AND provider_order_id = $2', [providers, orderId]);
  return row;
}

/** The customer's own checkout, or 404 (another customer's checkout is indistinguishable from none). */
export async function ownCheckout(sql: Sql, customerId: string, id: string): Promise<CheckoutRow> {
  const row = /^chk_[A-Za-z0-9_-]{1,64}$/.test(id) ? await getCheckout(sql, id) : undefined;
  if (!row || row.customer_id !== customerId) throw new AppError('not_found', 'No such checkout');
  return row;
}

export function checkoutState(row: CheckoutRow): CheckoutState {
  return {
    checkout_id: row.id,
    plan: row.plan,
    interval: row.interval,
    provider: row.provider,
    status: row.status === 'starting' ? 'created' : row.status,
    amount: row.amount,
    currency: row.currency,
    payment_id: row.payment_id,
    last_error: row.last_error,
    fulfillment: row.fulfillment,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

export interface UpgradeResult {
  old_plan: string;
  new_plan: string;
  payment_id: string;
  /** False when this call found the payment already applied (a retry, a replayed webhook). */
  changed: boolean;
}

function periodEnd(from: Date, interval: Interval): Date | null {
  if (interval === 'once') return null;
  const end = new Date(from);
  if (interval === 'year') end.setUTCFullYear(end.getUTCFullYear() + 1);
  else end.setUTCMonth(end.getUTCMonth() + 1);
  return end;
}

/**
 * Mark a checkout paid by one payment and move the customer to its plan, with one audit row. Safe to
 * call any number of times, concurrently, from verify and from webhooks: the checkout row is locked,
 * the same payment again returns the first result, another payment for a paid order is a conflict.
 * Call it inside a transaction (`store.transaction`).
 */
export async function markCheckoutPaid(
  tx: Sql,
  input: { checkoutId: string; paymentId: string; source: string; eventId?: string; now: Date },
): Promise<UpgradeResult> {
  {
    const [checkout] = await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1 FOR UPDATE', [input.checkoutId]);
    if (!checkout) throw new AppError('not_found', 'No such checkout');
    if (checkout.status === 'paid' || checkout.status === 'refunded') {
      if (checkout.payment_id !== input.paymentId) throw new AppError('conflict', 'This order is already paid by another payment');
      if (checkout.status === 'refunded') throw new AppError('conflict', 'This payment was refunded');
      const [audit] = await tx.query<{ old_plan: string; new_plan: string }>("SELECT old_plan, new_plan FROM plan_changes WHERE checkout_id = $1 AND kind = 'upgrade'", [checkout.id]);
      return { old_plan: audit?.old_plan ?? checkout.plan, new_plan: audit?.new_plan ?? checkout.plan, payment_id: input.paymentId, changed: false };
    }
    // One payment pays one order: a payment id that paid another checkout (only a forged or garbled event
    // carries one) is a conflict to answer, not a unique violation that fails every delivery.
    const [other] = await tx.query('SELECT id FROM checkouts WHERE provider = $1 AND payment_id = $2 AND id <> $3', [checkout.provider, input.paymentId, checkout.id]);
    if (other) throw new AppError('conflict', 'This payment already paid another order');
    const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [checkout.customer_id]);
    const credit = await unusedCredit(tx, customer, checkout, input.now);
    const end = periodEnd(input.now, checkout.interval);
    await tx.query("UPDATE checkouts SET status = 'paid', payment_id = $2, paid_at = $3, updated_at = $3 WHERE id = $1", [checkout.id, input.paymentId, input.now]);
    // A Razorpay (or Mintoken) order pays for one period and nothing renews it: the period simply ends,
    // which `cancelAtPeriodEnd` says, so <usage-meter> shows "Ends on" and not "Renews on".
    const ends = end !== null && capabilitiesOf(checkout.provider)?.renewal === 'one_period';
    await tx.query(
      `UPDATE customers SET plan = $2, status = 'active', cancel_at_period_end = $6, current_period_end = $3,
         billing_provider = $4, plan_interval = $7, updated_at = $5 WHERE id = $1`,
      [customer.id, checkout.plan, end && credit > 0 ? new Date(end.getTime() + credit) : end, checkout.provider, input.now, ends, checkout.interval],
    );
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, payment_id, event_id, created_at)
       VALUES ($1, $2, $3, 'upgrade', $4, $5, $6, $7, $8)`,
      [customer.id, customer.plan, checkout.plan, input.source, checkout.id, input.paymentId, input.eventId ?? null, input.now],
    );
    return { old_plan: customer.plan, new_plan: checkout.plan, payment_id: input.paymentId, changed: true };
  }
}

/** Record a failed payment attempt; a paid order stays paid (a late failure never undoes a capture). */
export async function recordPaymentFailure(sql: Sql, input: { checkoutId: string; code: string; message: string; now: Date }): Promise<void> {
  await sql.query(
    `UPDATE checkouts SET last_error = $2::jsonb, updated_at = $3,
       status = CASE WHEN status IN ('created', 'starting', 'pending', 'failed') THEN 'failed' ELSE status END
     WHERE id = $1`,
    [input.checkoutId, JSON.stringify({ code: input.code, message: input.message }), input.now],
  );
}

/**
 * A full refund: the checkout becomes refunded and, if it had upgraded the customer and the customer is
 * still on that plan, the plan goes back to what it was, audited once.
 */
export async function refundCheckout(tx: Sql, input: { checkoutId: string; paymentId: string; source: string; eventId?: string; now: Date }): Promise<{ reverted: boolean }> {
  {
    const [checkout] = await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1 FOR UPDATE', [input.checkoutId]);
    if (!checkout || checkout.status === 'refunded') return { reverted: false };
    const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [checkout.customer_id]);
    // A refund that overtakes the capture still claims the payment id, so the late capture cannot upgrade.
    await tx.query("UPDATE checkouts SET status = 'refunded', payment_id = COALESCE(payment_id, $2), updated_at = $3 WHERE id = $1", [checkout.id, input.paymentId, input.now]);
    const [upgrade] = await tx.query<{ old_plan: string }>("SELECT old_plan FROM plan_changes WHERE checkout_id = $1 AND kind = 'upgrade'", [checkout.id]);
    if (!upgrade || customer.plan !== checkout.plan) return { reverted: false };
    await tx.query('UPDATE customers SET plan = $2, current_period_end = NULL, cancel_at_period_end = false, plan_interval = NULL, updated_at = $3 WHERE id = $1', [customer.id, upgrade.old_plan, input.now]);
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, payment_id, event_id, created_at)
       VALUES ($1, $2, $3, 'revert', $4, $5, $6, $7, $8)`,
      [customer.id, customer.plan, upgrade.old_plan, input.source, checkout.id, input.paymentId, input.eventId ?? null, input.now],
    );
    return { reverted: true };
  }
}

/**
 * The provider closed an unpaid checkout (a Stripe session past its `expires_at`): it can no longer be
 * paid or started. A paid, refunded or already closed checkout keeps its status. True when it changed.
 */
export async function markCheckoutExpired(sql: Sql, input: { checkoutId: string; now: Date }): Promise<boolean> {
  const rows = await sql.query(
    "UPDATE checkouts SET status = 'expired', updated_at = $2 WHERE id = $1 AND status IN ('created', 'starting', 'pending', 'failed') RETURNING id",
    [input.checkoutId, input.now],
  );
  return rows.length === 1;
}

/**
 * Whether the customer has had a subscription before (a paid or refunded recurring checkout, a trial
 * included): trials are for first-time subscribers, so such a customer is offered none.
 */
export const SUBSCRIBED_BEFORE_SQL = "EXISTS (SELECT 1 FROM checkouts k WHERE k.customer_id = customers.id AND k.status IN ('paid', 'refunded') AND k.interval <> 'once')";

export async function subscribedBefore(sql: Sql, customerId: string): Promise<boolean> {
  const [row] = await sql.query<{ before: boolean }>(`SELECT ${SUBSCRIBED_BEFORE_SQL} AS before FROM customers WHERE id = $1`, [customerId]);
  return Boolean(row?.before);
}

/**
 * Whether a webhook event id is recorded already: a redelivery is answered "duplicate" from this before
 * any look-up that may call the provider. A read only; the claim below still decides a race.
 */
export async function webhookEventSeen(sql: Sql, provider: string, eventId: string): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM webhook_events WHERE provider = $1 AND event_id = $2', [provider, eventId])).length === 1;
}

/** Record a webhook event id; false when it was seen before (a redelivery). Call inside the event's transaction. */
export async function claimWebhookEvent(sql: Sql, provider: string, eventId: string, type: string): Promise<boolean> {
  const rows = await sql.query('INSERT INTO webhook_events (provider, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id', [provider, eventId, type]);
  return rows.length === 1;
}

function iso(d: Date | string | null): string | null {
  return d === null ? null : new Date(d).toISOString();
}

export function usagePeriod(now: Date): string {
  return now.toISOString().slice(0, 7);
}

/**
 * Whether a new checkout for `plan` may start, given what the customer already has:
 * - a live subscription that renews upstream (Stripe, MimicBot): no, a second one would bill twice; the
 *   plan changes in the provider's portal (409 `subscription_exists`);
 * - a paid Razorpay period still running and a lower plan asked for: no, the paid time would be lost;
 *   it can be bought when the period ends (409 `downgrade_not_available`). The same or a higher plan may
 *   be bought: the unused time is credited (see markCheckoutPaid).
 */
export function assertPlanChangeAllowed(catalog: Catalog, customer: CustomerRow, plan: { id: string; name: string }, now: Date): void {
  const { planId, status } = effectivePlan(customer, catalog, now);
  if (!grantsAccess(catalog, planId, status)) return;
  const current = catalog.plan(planId)!;
  if (capabilitiesOf(customer.billing_provider)?.renewal === 'upstream') {
    throw new AppError('subscription_exists', `You already have a ${current.name} subscription: change or cancel it in the billing portal (POST /v1/portal)`);
  }
  const end = customer.current_period_end ? new Date(customer.current_period_end) : null;
  if (capabilitiesOf(customer.billing_provider)?.creditsUnusedTime && end && end > now && catalog.rank(plan.id) < catalog.rank(planId)) {
    throw new AppError('downgrade_not_available', `You are on ${current.name} until ${end.toISOString().slice(0, 10)}: you can move to ${plan.name} when it ends`);
  }
}

/**
 * Unused paid time carried into a new Razorpay purchase, in milliseconds of the new plan: what is left
 * of the current period, valued at the price paid for it, bought back at the new price. Buying the same
 * plan again extends it by exactly the time left; an upgrade converts the time left at the price ratio.
 */
async function unusedCredit(tx: Sql, customer: CustomerRow, checkout: CheckoutRow, now: Date): Promise<number> {
  const end = customer.current_period_end ? new Date(customer.current_period_end) : null;
  if (!capabilitiesOf(checkout.provider)?.creditsUnusedTime || customer.billing_provider !== checkout.provider || !end || end <= now || customer.status !== 'active' || checkout.interval === 'once') return 0;
  const [paid] = await tx.query<Pick<CheckoutRow, 'amount' | 'currency' | 'interval'>>(
    "SELECT amount, currency, interval FROM checkouts WHERE customer_id = $1 AND plan = $2 AND status = 'paid' AND provider = $3 ORDER BY paid_at DESC LIMIT 1",
    [customer.id, customer.plan, checkout.provider],
  );
  if (!paid || paid.interval === 'once' || paid.currency !== checkout.currency || checkout.amount <= 0) return 0;
  const left = end.getTime() - now.getTime();
  const length = (interval: Interval) => periodEnd(now, interval)!.getTime() - now.getTime();
  const value = (left / length(paid.interval)) * paid.amount;
  return Math.floor((value / checkout.amount) * length(checkout.interval));
}

/** A paid plan in good standing (active, trialing, or past due while the provider retries) grants access. */
function grantsAccess(catalog: Catalog, planId: string, status: SubscriptionStatus): boolean {
  return planId !== catalog.freePlan.id && (status === 'active' || status === 'trialing' || status === 'past_due');
}

/**
 * The plan in force now: a one-off purchase (Razorpay order) lapses at its period end; a subscription
 * that is canceled or unpaid falls back to the free plan.
 */
export function effectivePlan(customer: CustomerRow, catalog: Catalog, now: Date): { planId: string; status: SubscriptionStatus } {
  const free = catalog.freePlan.id;
  if (customer.plan === free) return { planId: free, status: customer.status };
  if (customer.status === 'canceled' || customer.status === 'unpaid') return { planId: free, status: customer.status };
  if (customer.current_period_end && new Date(customer.current_period_end) <= now && capabilitiesOf(customer.billing_provider)?.renewal !== 'upstream') return { planId: free, status: 'canceled' };
  return { planId: catalog.plan(customer.plan) ? customer.plan : free, status: customer.status };
}

export async function subscriptionOf(sql: Sql, catalog: Catalog, customer: CustomerRow, now: Date, hasPortal: boolean): Promise<Subscription> {
  const { planId, status } = effectivePlan(customer, catalog, now);
  const plan = catalog.plan(planId)!;
  const used = await sql.query<{ metric: string; used: number }>('SELECT metric, used FROM usage_counters WHERE customer_id = $1 AND period = $2', [customer.id, usagePeriod(now)]);
  const usage: Record<string, number | null> = {};
  for (const metric of catalog.metrics) {
    usage[`${metric.id}Used`] = used.find((u) => u.metric === metric.id)?.used ?? 0;
    usage[`${metric.id}Limit`] = metric.id in plan.limits ? plan.limits[metric.id] : null;
  }
  return {
    plan: plan.id,
    planName: plan.name,
    status,
    cancelAtPeriodEnd: customer.cancel_at_period_end,
    currentPeriodEnd: planId === catalog.freePlan.id ? null : iso(customer.current_period_end),
    interval: planId === customer.plan && planId !== catalog.freePlan.id ? customer.plan_interval : null,
    usage,
    hasPortal,
  };
}

export function entitlementsOf(catalog: Catalog, customer: CustomerRow, now: Date): Entitlements {
  const { planId, status } = effectivePlan(customer, catalog, now);
  const plan = catalog.plan(planId)!;
  return {
    plan: plan.id,
    features: plan.features.map((f) => f.id),
    limits: Object.fromEntries(catalog.metrics.map((m) => [m.id, m.id in plan.limits ? plan.limits[m.id] : null])),
    has_access: grantsAccess(catalog, plan.id, status),
  };
}

/** The upstream customer id (Stripe `cus_…`, MimicBot agency…) of one of our customers, if any. */
export async function providerCustomerId(sql: Sql, provider: string, customerId: string): Promise<string | null> {
  const [row] = await sql.query<{ external_id: string }>('SELECT external_id FROM provider_customers WHERE provider = $1 AND customer_id = $2', [provider, customerId]);
  return row?.external_id ?? null;
}

/** Our customer for an upstream customer id. */
export async function customerForProviderId(sql: Sql, provider: string, externalId: string): Promise<string | null> {
  const [row] = await sql.query<{ customer_id: string }>('SELECT customer_id FROM provider_customers WHERE provider = $1 AND external_id = $2', [provider, externalId]);
  return row?.customer_id ?? null;
}

/**
 * Link an upstream customer id once. Returns the id that won: when two requests race to create one,
 * the first link stays and the caller of the second learns it (and may discard its own upstream customer).
 */
export async function linkProviderCustomer(sql: Sql, provider: string, customerId: string, externalId: string): Promise<string> {
  await sql.query('INSERT INTO provider_customers (provider, customer_id, external_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [provider, customerId, externalId]);
  return (await providerCustomerId(sql, provider, customerId))!;
}

/**
 * Mirror a provider's subscription into the customer row (plan, status, cancel-at-period-end, period end).
 * `stateAt` is the provider object's own timestamp: a state older than the one applied last is ignored, so
 * webhooks that arrive out of order settle on the newest state. A change of plan is audited once per event.
 * Call it inside a transaction.
 */
export async function applySubscriptionState(
  tx: Sql,
  input: {
    customerId: string;
    provider: string;
    plan: string;
    status: SubscriptionStatus;
    cancelAtPeriodEnd: boolean;
    currentPeriodEnd: Date | null;
    /** The subscription's billing interval; left out: kept while the plan stays, else unknown. */
    interval?: Interval | null;
    stateAt: Date;
    source: string;
    eventId: string;
    checkoutId?: string;
    now: Date;
  },
): Promise<{ applied: boolean; oldPlan: string }> {
  const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [input.customerId]);
  if (!customer) throw new AppError('not_found', 'No such customer');
  if (customer.state_at && new Date(customer.state_at).getTime() > input.stateAt.getTime()) return { applied: false, oldPlan: customer.plan };
  await tx.query(
    `UPDATE customers SET plan = $2, status = $3, cancel_at_period_end = $4, current_period_end = $5, billing_provider = $6, state_at = $7, updated_at = $8,
       plan_interval = $9 WHERE id = $1`,
    [
      customer.id, input.plan, input.status, input.cancelAtPeriodEnd, input.currentPeriodEnd, input.provider, input.stateAt, input.now,
      input.interval !== undefined ? input.interval : customer.plan === input.plan ? customer.plan_interval : null,
    ],
  );
  if (customer.plan !== input.plan) {
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, event_id, created_at)
       VALUES ($1, $2, $3, 'subscription', $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [customer.id, customer.plan, input.plan, input.source, input.checkoutId ?? null, input.eventId, input.now],
    );
  }
  return { applied: true, oldPlan: customer.plan };
}
