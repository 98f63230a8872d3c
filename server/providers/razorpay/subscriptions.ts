// Razorpay Subscriptions for recurring catalog prices: the upstream Plan per price (made once, kept in SQL), the
// subscription a checkout creates, its entity mirrored into the store by its own state (never arrival order),
// charges into the payments ledger, and the SubscriptionControls the self-hosted portal calls.
import type { RazorpayAction, SubscriptionStatus } from '../../../src/contract/index.js';
import type { Catalog } from '../../catalog.js';
import type { PlanConfig, PlanPriceConfig, ServerConfig } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { verifyRazorpaySubscriptionPayment } from '../../security/signatures.js';
import { razorpayOfferFor } from '../../services/promotions.js';
import type { CheckoutRow } from '../../store/checkouts.js';
import { subscribedBefore, type CustomerRow } from '../../store/customers.js';
import type { Sql, Store } from '../../store/index.js';
import { recordRenewalPayment } from '../../store/payments.js';
import { applySubscriptionState, markCheckoutPaid, type UpgradeResult } from '../../store/plan-changes.js';
import type { CheckoutContext, CheckoutStart, ManagedSubscription, SubscriptionControls } from '../types.js';
import type { RazorpayClient, RazorpayPayment, RazorpaySubscription } from './client.js';
import { razorpaySubscriptionSettings, type RazorpaySecrets } from './settings.js';

/** How long a new subscription may wait to be authorised (its `expire_by`): a checkout's claim on the customer lasts as long. */
const AUTHORISE_WITHIN_S = 30 * 60;

/** A subscription's row in razorpay_subscriptions (migration 16). */
export interface RazorpaySubscriptionRow {
  id: string;
  customer_id: string;
  checkout_id: string | null;
  plan: string;
  interval: 'month' | 'year';
  plan_id: string;
  quantity: number;
  status: string;
  current_start: Date | null;
  current_end: Date | null;
  charge_at: Date | null;
  cancel_at_cycle_end: boolean;
  ended: number;
  paid_count: number;
  phase: number;
  event_at: string | number;
  scheduled: { plan: string; interval: 'month' | 'year'; quantity: number; at: string } | null;
  payment_method: string | null;
  created_at: Date;
}

/** Razorpay's status as the customer's subscription status. `paused` bills nothing and grants nothing until resumed. */
export function statusOf(entity: Pick<RazorpaySubscription, 'status'>): SubscriptionStatus {
  switch (entity.status) {
    case 'authenticated':
      return 'trialing'; // authorised, first charge at start_at: the trial
    case 'active':
      return 'active';
    case 'pending':
      return 'past_due'; // a failed charge Razorpay is retrying
    case 'halted':
      return 'unpaid'; // retries exhausted: the grace period, then free (billing.ts)
    default:
      return 'canceled'; // cancelled, completed, expired, paused, created (never authorised)
  }
}

/** Razorpay's `payment_method` of a subscription, as the portal shows it. */
const PAYMENT_METHODS: Record<string, string> = { upi: 'UPI Autopay', card: 'Card', emandate: 'e-mandate (bank account)', nach: 'NACH (bank account)' };

const ENDED = new Set(['cancelled', 'completed', 'expired']);
/** Within one billing cycle (the same paid_count): how far along each status is. Paused and resumed tie with active: the event's time decides. */
const PHASE: Record<string, number> = { created: 0, authenticated: 1, active: 2, paused: 2, pending: 3, halted: 4, cancelled: 5, completed: 5, expired: 5 };

/**
 * How far along an entity is, compared as a row (ended, paid_count, phase, event time): an ended subscription
 * is final; otherwise more charges is later; in one cycle created < authenticated < active/paused < pending <
 * halted (a recovery is a charge, so a higher paid_count); the event's own time breaks the remaining ties
 * (pause/resume, a plan change in the cycle). A state is applied only when at least as far along, so a
 * duplicate writes the same state again and a late event cannot undo a newer one (two different states of one
 * phase in one second are the one case left to arrival order).
 */
export function progressOf(entity: RazorpaySubscription, eventAt: number): { ended: number; paid_count: number; phase: number; event_at: number } {
  return { ended: ENDED.has(entity.status) ? 1 : 0, paid_count: entity.paid_count ?? 0, phase: PHASE[entity.status] ?? 0, event_at: eventAt };
}

/** The states whose mandate a card change replaces (checkout.js `subscription_card_change`): live, not paused, not ended. */
const CARD_CHANGE_STATUSES = new Set(['authenticated', 'active', 'pending', 'halted']);

/** checkout.js's `prefill` from what we know of the customer. */
const prefillOf = (customer: Pick<CustomerRow, 'name' | 'email' | 'contact'>): RazorpayAction['prefill'] => ({
  ...(customer.name ? { name: customer.name } : {}),
  ...(customer.email ? { email: customer.email } : {}),
  ...(customer.contact ? { contact: customer.contact } : {}),
});

const toDate = (s: number | null | undefined): Date | null => (typeof s === 'number' && s > 0 ? new Date(s * 1000) : null);
const truthy = (v: unknown) => v === true || v === 1 || v === '1';

/**
 * A cancel at the cycle end, read off the entity: the flag where the API reports one, else an `end_at` at the
 * current cycle's end while cycles remain (a subscription that runs its course ends later, or has none left).
 */
function endsAtCycleEnd(entity: RazorpaySubscription): boolean {
  if (entity.cancel_at_cycle_end !== undefined) return truthy(entity.cancel_at_cycle_end);
  return entity.status === 'active' && entity.end_at != null && entity.current_end != null && entity.end_at <= entity.current_end && (entity.remaining_count ?? 0) > 0;
}

export interface RazorpaySubscriptionsDeps {
  config: ServerConfig;
  catalog: Catalog;
  store: Store;
  client: RazorpayClient;
  secrets: RazorpaySecrets;
  log: Logger;
  now: () => Date;
  scriptUrl: string;
}

export function createRazorpaySubscriptions(deps: RazorpaySubscriptionsDeps) {
  const { store, client, catalog } = deps;
  const settings = razorpaySubscriptionSettings(deps.config.file.providers.razorpay);
  const themeColor = deps.config.file.providers.razorpay?.theme_color;
  /** Plan ids by price key, and the creations in flight in this process (one upstream call per key here). */
  const planIds = new Map<string, Promise<string>>();

  const planKey = (plan: { id: string }, price: Pick<PlanPriceConfig, 'interval' | 'currency' | 'amount'>) => `${plan.id}|${price.interval}|${price.currency}|${price.amount}`;

  /**
   * The Razorpay Plan of a recurring price: the configured `razorpay_plan_id`, else the one made for this exact
   * price before (razorpay_plans), else a new one. Two instances racing on the first use may both create one
   * upstream; the first row inserted is kept and used by both (the other plan stays unused upstream).
   */
  function planIdFor(plan: PlanConfig, price: PlanPriceConfig): Promise<string> {
    if (price.razorpay_plan_id) return Promise.resolve(price.razorpay_plan_id);
    const key = planKey(plan, price);
    let pending = planIds.get(key);
    if (!pending) {
      pending = (async () => {
        const [row] = await store.query<{ plan_id: string }>('SELECT plan_id FROM razorpay_plans WHERE key = $1', [key]);
        if (row) return row.plan_id;
        const made = await client.createPlan({
          period: price.interval === 'year' ? 'yearly' : 'monthly',
          interval: 1,
          item: { name: plan.name, amount: price.amount, currency: price.currency, ...(plan.description ? { description: plan.description } : {}) },
          notes: { tollgate_plan: plan.id, tollgate_key: key },
        });
        await store.query('INSERT INTO razorpay_plans (key, plan_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [key, made.id]);
        const [kept] = await store.query<{ plan_id: string }>('SELECT plan_id FROM razorpay_plans WHERE key = $1', [key]);
        return kept.plan_id;
      })();
      planIds.set(key, pending);
      pending.catch(() => planIds.delete(key));
    }
    return pending;
  }

  /** Our plan and interval of an upstream plan id (a plan change names the new one), if it is one of ours. */
  async function catalogPlanOf(sql: Sql, planId: string): Promise<{ plan: string; interval: 'month' | 'year' } | undefined> {
    for (const plan of catalog.file.plans) {
      const price = plan.prices.find((p) => p.razorpay_plan_id === planId);
      if (price) return { plan: plan.id, interval: price.interval as 'month' | 'year' };
    }
    const [row] = await sql.query<{ key: string }>('SELECT key FROM razorpay_plans WHERE plan_id = $1', [planId]);
    if (!row) return undefined;
    const [plan, interval] = row.key.split('|');
    return { plan, interval: interval as 'month' | 'year' };
  }

  /** The catalog's recurring Razorpay price of a plan and interval. */
  function recurringPrice(planId: string, interval: 'month' | 'year'): PlanPriceConfig | undefined {
    return catalog.plan(planId)?.prices.find((p) => p.provider === 'razorpay' && p.recurring && p.interval === interval);
  }

  const rowOf = async (sql: Sql, id: string, lock = false) =>
    (await sql.query<RazorpaySubscriptionRow>(`SELECT * FROM razorpay_subscriptions WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]))[0] as RazorpaySubscriptionRow | undefined;

  /** POST /v1/checkout for a recurring price: a subscription upstream (a trial's first charge at start_at), authorised in checkout.js. */
  async function createCheckout(ctx: CheckoutContext): Promise<CheckoutStart> {
    const { plan, price, customer, checkout } = ctx;
    const interval = price.interval as 'month' | 'year';
    const planId = await planIdFor(plan, price);
    // A trial is for a first subscription, as with Stripe.
    const trialDays = plan.trial_days > 0 && !(await subscribedBefore(store, customer.id)) ? plan.trial_days : 0;
    const nowS = Math.floor(deps.now().getTime() / 1000);
    // Paid one-off time left (a Razorpay order's period): the subscription's first charge waits for its end, so
    // no day is paid twice. Authorised now, it reads as `trialing` until then (as a trial does), with access throughout.
    const paidUntil = !customer.subscription_id && customer.billing_provider === 'razorpay' && customer.status === 'active' && customer.current_period_end ? Math.floor(new Date(customer.current_period_end).getTime() / 1000) : 0;
    const trialEnd = trialDays ? nowS + trialDays * 86_400 : 0;
    const waitsForPaidTime = paidUntil > nowS + 60 && paidUntil > trialEnd;
    const startAt = waitsForPaidTime ? paidUntil : trialEnd;
    // One subscription being bought at a time per customer (migration 22): the claim is taken before the upstream
    // call, so two checkouts started together cannot both make (and bill) a subscription.
    const expireBy = nowS + AUTHORISE_WITHIN_S;
    const [claim] = await store.query<{ checkout_id: string }>(
      `INSERT INTO razorpay_subscription_claims AS c (customer_id, checkout_id, open_until) VALUES ($1, $2, $3)
       ON CONFLICT (customer_id) DO UPDATE SET checkout_id = EXCLUDED.checkout_id, open_until = EXCLUDED.open_until
         WHERE c.checkout_id = EXCLUDED.checkout_id OR c.open_until <= $4
            OR NOT EXISTS (SELECT 1 FROM checkouts k WHERE k.id = c.checkout_id AND k.status IN ('created', 'starting', 'pending', 'failed'))
       RETURNING checkout_id`,
      [customer.id, checkout.id, new Date(expireBy * 1000), deps.now()],
    );
    if (!claim) throw new AppError('conflict', 'Another subscription checkout of this customer is open: finish it, or try again once it expires (30 minutes)');
    const sub = await client.createSubscription({
      plan_id: planId,
      total_count: settings.totalCount[interval],
      // Seats (a per-unit price): the subscription charges the plan's amount × quantity each period.
      quantity: ctx.priced.quantity,
      customer_notify: true,
      // The last moment to authorise it: after that the claim above lapses and another checkout may start.
      expire_by: expireBy,
      ...(startAt ? { start_at: startAt } : {}),
      // A promotion code reaches a subscription as its Razorpay Offer (services/promotions.ts refuses one without).
      ...(ctx.priced.promotion ? { offer_id: razorpayOfferFor(ctx.priced.promotion) } : {}),
      notes: { customer_id: customer.id, checkout_id: checkout.id, plan: plan.id },
    });
    await store.query(
      `INSERT INTO razorpay_subscriptions (id, customer_id, checkout_id, plan, interval, plan_id, quantity, status, charge_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (id) DO NOTHING`,
      [sub.id, customer.id, checkout.id, plan.id, interval, planId, sub.quantity ?? 1, sub.status, toDate(sub.charge_at ?? sub.start_at), deps.now()],
    );
    const action: RazorpayAction = {
      type: 'razorpay',
      key_id: deps.secrets.keyId,
      subscription_id: sub.id,
      recurring: true,
      amount: ctx.priced.total,
      currency: price.currency,
      name: deps.config.file.name,
      description: `${plan.name} plan, renews ${interval === 'year' ? 'yearly' : 'monthly'}${waitsForPaidTime ? ` from ${new Date(startAt * 1000).toISOString().slice(0, 10)}, when your paid time ends` : trialDays ? ` after a ${trialDays}-day trial` : ''}`,
      prefill: prefillOf(customer),
      script_url: deps.scriptUrl,
      ...(themeColor ? { theme_color: themeColor } : {}),
      verify_path: '/v1/razorpay/verify',
    };
    return { providerOrderId: sub.id, action, status: 'pending' };
  }

  /**
   * Store a subscription entity if it is further along than the stored one (progressOf), and mirror it into the
   * customer when this subscription's plan is the one in force (its checkout paid: customers.subscription_id).
   * In the caller's transaction; `eventId` audits a plan change once.
   */
  async function applyEntity(
    tx: Sql,
    input: { entity: RazorpaySubscription; eventAt: number; source: string; eventId: string; cancelAtCycleEnd?: boolean; forceCustomer?: boolean },
  ): Promise<{ stored: boolean; customerChanged: boolean; row: RazorpaySubscriptionRow | undefined }> {
    const { entity } = input;
    const row = await rowOf(tx, entity.id, true);
    if (!row) return { stored: false, customerChanged: false, row };
    const p = progressOf(entity, input.eventAt);
    // A tie (the same cycle, phase and second) is applied: a duplicate writes the same state again.
    const further = compare(p, row) >= 0;
    let current = row;
    if (further) {
      const mapped = (await catalogPlanOf(tx, entity.plan_id)) ?? { plan: row.plan, interval: row.interval };
      const cancelAtCycleEnd = !ENDED.has(entity.status) && (endsAtCycleEnd(entity) || (input.cancelAtCycleEnd ?? row.cancel_at_cycle_end));
      const scheduled = entity.has_scheduled_changes ? row.scheduled : null;
      [current] = await tx.query<RazorpaySubscriptionRow>(
        `UPDATE razorpay_subscriptions SET plan = $2, interval = $3, plan_id = $4, quantity = $5, status = $6, current_start = $7, current_end = $8, charge_at = $9,
           cancel_at_cycle_end = $10, ended = $11, paid_count = $12, phase = $13, event_at = $14, scheduled = $15::jsonb, updated_at = $16,
           payment_method = COALESCE($17, payment_method) WHERE id = $1 RETURNING *`,
        [
          entity.id, mapped.plan, mapped.interval, entity.plan_id, entity.quantity ?? row.quantity, entity.status, toDate(entity.current_start), toDate(entity.current_end) ?? row.current_end,
          toDate(entity.charge_at), cancelAtCycleEnd, p.ended, p.paid_count, p.phase, p.event_at, scheduled ? JSON.stringify(scheduled) : null, deps.now(),
          entity.payment_method ?? null,
        ],
      );
    }
    if (!further && !input.forceCustomer) return { stored: false, customerChanged: false, row: current };
    const customerChanged = await mirrorIntoCustomer(tx, current, input);
    return { stored: further, customerChanged, row: current };
  }

  /** The subscription's stored state into its customer, if its plan is the one in force there. */
  async function mirrorIntoCustomer(tx: Sql, row: RazorpaySubscriptionRow, input: { source: string; eventId: string }): Promise<boolean> {
    const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1 FOR UPDATE', [row.customer_id]);
    if (!customer || customer.subscription_id !== row.id) return false;
    const status = statusOf({ status: row.status as RazorpaySubscription['status'] });
    const result = await applySubscriptionState(tx, {
      customerId: customer.id,
      provider: 'razorpay',
      plan: row.plan,
      status,
      cancelAtPeriodEnd: row.cancel_at_cycle_end,
      // A trial runs until the first charge (charge_at); a cycle until current_end.
      currentPeriodEnd: row.current_end ?? row.charge_at ?? customer.current_period_end,
      interval: row.interval,
      stateAt: deps.now(),
      source: input.source,
      eventId: input.eventId,
      now: deps.now(),
      // A per-seat plan's seats are the subscription's quantity (a seat change, now or at the cycle end, lands here).
      seats: recurringPrice(row.plan, row.interval)?.per_unit ? row.quantity : undefined,
    });
    await tx.query(
      `UPDATE customers SET subscription_id = $2, unpaid_since = CASE WHEN status = 'unpaid' THEN COALESCE(unpaid_since, $3) END WHERE id = $1`,
      [customer.id, row.id, deps.now()],
    );
    return result.applied;
  }

  /**
   * The checkout's payment (verify, or the first `subscription.charged`): the checkout paid once (its ledger row by
   * the trigger, with the subscription's id), then the subscription's stored state into the customer. A trial's
   * authorisation charges nothing: its ledger row says 0.
   */
  async function payCheckout(tx: Sql, input: { checkout: CheckoutRow; paymentId: string; source: string; eventId?: string }): Promise<UpgradeResult> {
    const result = await markCheckoutPaid(tx, { checkoutId: input.checkout.id, paymentId: input.paymentId, source: input.source, eventId: input.eventId, now: deps.now() });
    const row = await rowOf(tx, input.checkout.provider_order_id!, true);
    if (row && result.changed) {
      await tx.query(`UPDATE payments SET subscription_id = $3, quantity = $4, amount = CASE WHEN $5 THEN 0 ELSE amount END WHERE provider = 'razorpay' AND payment_id = $1 AND checkout_id = $2`, [
        input.paymentId, input.checkout.id, row.id, row.quantity, row.status === 'authenticated' && row.paid_count === 0,
      ]);
      await mirrorIntoCustomer(tx, row, { source: input.source, eventId: input.eventId ?? input.paymentId });
    }
    return result;
  }

  /** POST /v1/razorpay/verify of a subscription: the signature over payment_id|stored subscription id, then the checkout paid. */
  async function verify(checkout: CheckoutRow, body: { razorpay_payment_id: string; razorpay_signature: string; razorpay_subscription_id?: string }): Promise<UpgradeResult> {
    const stored = checkout.provider_order_id!;
    if (!verifyRazorpaySubscriptionPayment(deps.secrets.keySecret, body.razorpay_payment_id, stored, body.razorpay_signature)) throw new AppError('invalid_signature', 'Invalid payment signature');
    // The entity as Razorpay has it now (authenticated for a trial, active once charged), stored before the payment applies it.
    const entity = await client.fetchSubscription(stored);
    return store.transaction(async (tx) => {
      await applyEntity(tx, { entity, eventAt: 0, source: 'razorpay_verify', eventId: body.razorpay_payment_id });
      return payCheckout(tx, { checkout, paymentId: body.razorpay_payment_id, source: 'razorpay_verify' });
    });
  }

  /**
   * A charge of the subscription that is no checkout's (a renewal, a recovery, a card change paying what was due)
   * into the payments ledger: once per payment id (its primary key), whoever records it first, webhook or verify.
   */
  function recordCharge(
    tx: Sql,
    input: { row: RazorpaySubscriptionRow; entity: RazorpaySubscription; payment: Partial<RazorpayPayment> & { id: string }; invoice?: { id?: string; short_url?: string | null } },
  ): Promise<boolean> {
    const { row, entity, payment } = input;
    return recordRenewalPayment(tx, {
      provider: 'razorpay',
      payment_id: payment.id,
      customer_id: row.customer_id,
      // No checkout: a refund of the checkout's payment (kind 'checkout') must not mark the renewals refunded.
      subscription_id: row.id,
      plan: row.plan,
      interval: row.interval,
      quantity: entity.quantity ?? row.quantity,
      amount: typeof payment.amount === 'number' ? payment.amount : 0,
      currency: payment.currency ?? 'INR',
      method: payment.method ?? null,
      invoice_id: payment.invoice_id ?? input.invoice?.id ?? null,
      invoice_url: input.invoice?.short_url ?? null,
      period_start: toDate(entity.current_start),
      period_end: toDate(entity.current_end),
      paid_at: toDate(payment.created_at) ?? deps.now(),
    });
  }

  /**
   * A `subscription.*` webhook: the entity stored by its own state; a charge recorded once per payment id (the
   * checkout's payment if the checkout is not paid yet, else a renewal) and the period extended.
   */
  async function applyEvent(
    tx: Sql,
    input: { type: string; eventId: string; eventAt: number; entity: RazorpaySubscription; payment?: Partial<RazorpayPayment>; invoice?: { id?: string; short_url?: string | null } },
  ): Promise<string> {
    const { entity, payment } = input;
    const source = `razorpay_webhook:${input.type}`;
    const row = await rowOf(tx, entity.id);
    if (!row) return 'unknown_subscription';
    const applied = await applyEntity(tx, { entity, eventAt: input.eventAt, source, eventId: input.eventId });
    if (input.type !== 'subscription.charged' || !payment?.id) return applied.customerChanged ? 'state_applied' : applied.stored ? 'state_stored' : 'state_not_newer';
    const [checkout] = row.checkout_id ? await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1', [row.checkout_id]) : [];
    if (checkout && (checkout.status !== 'paid' && checkout.status !== 'refunded' ? true : checkout.payment_id === payment.id)) {
      const result = await payCheckout(tx, { checkout, paymentId: payment.id, source, eventId: input.eventId });
      return result.changed ? 'upgraded' : 'already_applied';
    }
    const recorded = await recordCharge(tx, { row: applied.row ?? row, entity, payment: { ...payment, id: payment.id }, invoice: input.invoice });
    return recorded ? 'renewal_recorded' : 'renewal_already_recorded';
  }

  // --- the portal's controls ---

  async function liveRow(customer: CustomerRow): Promise<RazorpaySubscriptionRow | undefined> {
    const [fresh] = await store.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [customer.id]);
    return fresh?.subscription_id && fresh.billing_provider === 'razorpay' ? rowOf(store, fresh.subscription_id) : undefined;
  }

  async function requireLive(customer: CustomerRow): Promise<RazorpaySubscriptionRow> {
    const row = await liveRow(customer);
    if (!row) throw new AppError('not_found', 'No Razorpay subscription for this customer');
    return row;
  }

  /** A new mandate is for a subscription that will charge again: live, not paused, not set to end at the cycle end. */
  const cardChangeable = (row: RazorpaySubscriptionRow) => row.ended !== 1 && !row.cancel_at_cycle_end && CARD_CHANGE_STATUSES.has(row.status);

  function managed(row: RazorpaySubscriptionRow): ManagedSubscription {
    const price = recurringPrice(row.plan, row.interval);
    const ended = row.ended === 1;
    const chargeAt = row.charge_at ? new Date(row.charge_at) : null;
    return {
      provider: 'razorpay',
      subscriptionId: row.id,
      plan: row.plan,
      interval: row.interval,
      quantity: row.quantity,
      status: statusOf({ status: row.status as RazorpaySubscription['status'] }),
      cancelAtPeriodEnd: row.cancel_at_cycle_end,
      currentPeriodEnd: row.current_end ? new Date(row.current_end) : null,
      nextCharge: !ended && !row.cancel_at_cycle_end && chargeAt && price ? { at: chargeAt, amount: price.amount * row.quantity, currency: price.currency } : null,
      paymentMethod: row.payment_method ? (PAYMENT_METHODS[row.payment_method] ?? row.payment_method) : null,
      scheduledChange: row.scheduled ? { ...row.scheduled, at: new Date(row.scheduled.at) } : null,
      can: {
        cancel: !ended && !row.cancel_at_cycle_end,
        resume: row.status === 'paused',
        changePlan: !ended && !row.cancel_at_cycle_end && row.status !== 'paused',
        updatePaymentMethod: cardChangeable(row),
      },
    };
  }

  /** An upstream answer into the store, as newer than anything stored (it is the state right now), audited once. */
  async function applyAnswer(
    entity: RazorpaySubscription,
    op: string,
    extra: { cancelAtCycleEnd?: boolean; scheduled?: RazorpaySubscriptionRow['scheduled']; then?: (tx: Sql, row: RazorpaySubscriptionRow) => Promise<unknown> } = {},
  ): Promise<RazorpaySubscriptionRow> {
    return store.transaction(async (tx) => {
      const row = (await rowOf(tx, entity.id, true))!;
      const eventAt = Math.max(Number(row.event_at) + 1, Math.floor(deps.now().getTime() / 1000));
      if (extra.scheduled !== undefined) await tx.query('UPDATE razorpay_subscriptions SET scheduled = $2::jsonb WHERE id = $1', [entity.id, extra.scheduled ? JSON.stringify(extra.scheduled) : null]);
      const applied = await applyEntity(tx, { entity, eventAt, source: `razorpay_portal:${op}`, eventId: `${entity.id}:${op}:${eventAt}`, cancelAtCycleEnd: extra.cancelAtCycleEnd, forceCustomer: true });
      await extra.then?.(tx, applied.row ?? row);
      return applied.row ?? row;
    });
  }

  /** `auto`: a higher plan, more seats or a longer interval now; a lower plan or fewer seats at the cycle end. */
  function whenOf(row: RazorpaySubscriptionRow, change: { plan: string; interval: 'month' | 'year'; quantity: number }): 'now' | 'cycle_end' {
    if (settings.scheduleChangeAt !== 'auto') return settings.scheduleChangeAt;
    const rank = catalog.rank(change.plan) - catalog.rank(row.plan);
    if (rank !== 0) return rank > 0 ? 'now' : 'cycle_end';
    if (change.quantity !== row.quantity) return change.quantity > row.quantity ? 'now' : 'cycle_end';
    return change.interval === 'year' && row.interval === 'month' ? 'now' : 'cycle_end';
  }

  const controls: SubscriptionControls = {
    async current(customer) {
      const row = await liveRow(customer);
      return row ? managed(row) : null;
    },
    async cancel(customer, { atPeriodEnd }) {
      const row = await requireLive(customer);
      // A repeat is no error: an ended subscription, or one already ending at the cycle end.
      if (row.ended === 1 || (atPeriodEnd && row.cancel_at_cycle_end)) return managed(row);
      const entity = await client.cancelSubscription(row.id, atPeriodEnd);
      return managed(await applyAnswer(entity, atPeriodEnd ? 'cancel_at_cycle_end' : 'cancel', { cancelAtCycleEnd: atPeriodEnd }));
    },
    async resume(customer) {
      const row = await requireLive(customer);
      if (row.status !== 'paused') {
        if (row.ended === 1 || row.cancel_at_cycle_end) throw new AppError('conflict', 'A cancelled Razorpay subscription cannot be resumed; start a new checkout');
        return managed(row);
      }
      return managed(await applyAnswer(await client.resumeSubscription(row.id), 'resume'));
    },
    async changePlan(customer, change) {
      const row = await requireLive(customer);
      if (row.ended === 1 || row.cancel_at_cycle_end) throw new AppError('conflict', 'This subscription is cancelled; start a new checkout');
      const quantity = change.quantity ?? row.quantity;
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > 10_000) throw new AppError('validation_error', 'quantity: a whole number of seats from 1');
      const plan = catalog.orderablePlan(change.plan);
      const price = recurringPrice(plan.id, change.interval);
      if (!price) throw new AppError('validation_error', `plan: "${plan.id}" has no recurring Razorpay ${change.interval}ly price`);
      const planId = await planIdFor(plan, price);
      if (planId === row.plan_id && quantity === row.quantity) return managed(row);
      const when = change.when ?? whenOf(row, { plan: plan.id, interval: change.interval, quantity });
      const entity = await client.updateSubscription(row.id, { plan_id: planId, quantity, schedule_change_at: when, customer_notify: true });
      const at = toDate(entity.change_scheduled_at) ?? (row.current_end ? new Date(row.current_end) : deps.now());
      const scheduled = when === 'cycle_end' ? { plan: plan.id, interval: change.interval, quantity, at: at.toISOString() } : null;
      return managed(await applyAnswer(entity, when === 'now' ? 'change_plan' : 'schedule_change', { scheduled }));
    },
    /**
     * The portal's "Update payment method": checkout.js re-authorises this subscription (`subscription_card_change`).
     * What it pays now is Razorpay's: a pending or halted subscription's outstanding invoice, else nothing (a
     * refunded authorisation). No checkout row is made: confirmPaymentMethod takes the answer.
     */
    async updatePaymentMethod(customer) {
      const row = await requireLive(customer);
      if (!cardChangeable(row)) throw new AppError('conflict', `The payment method of a ${row.cancel_at_cycle_end ? 'subscription set to end' : `${row.status} subscription`} cannot be changed`);
      const price = recurringPrice(row.plan, row.interval);
      const due = row.status === 'pending' || row.status === 'halted' ? (await client.listInvoices(row.id)).find((i) => i.status === 'issued') : undefined;
      const planName = catalog.plan(row.plan)?.name ?? row.plan;
      const action: RazorpayAction = {
        type: 'razorpay',
        key_id: deps.secrets.keyId,
        subscription_id: row.id,
        recurring: true,
        subscription_card_change: true,
        amount: due?.amount ?? 0,
        currency: due?.currency ?? price?.currency ?? 'INR',
        name: deps.config.file.name,
        description: `New payment method for the ${planName} plan${due ? ', paying what is due' : ''}`,
        prefill: prefillOf(customer),
        script_url: deps.scriptUrl,
        ...(themeColor ? { theme_color: themeColor } : {}),
        verify_path: '/v1/portal/payment-method/verify',
      };
      return action;
    },
    /**
     * checkout.js's answer to a card change: the reversed signature over the payment and the subscription id stored
     * for this customer (another subscription's id or signature is refused), then the subscription as Razorpay has
     * it now stored (its new method; a paid invoice's charge makes a halted one active) and that charge recorded
     * once: the same payment's `subscription.charged` finds its ledger row there, or made it first.
     */
    async confirmPaymentMethod(customer, answer) {
      const row = await requireLive(customer);
      if (answer.subscriptionId !== row.id) throw new AppError('validation_error', 'razorpay_subscription_id: not the subscription of this customer');
      if (!verifyRazorpaySubscriptionPayment(deps.secrets.keySecret, answer.paymentId, row.id, answer.signature)) throw new AppError('invalid_signature', 'Invalid payment signature');
      const [entity, payment] = await Promise.all([client.fetchSubscription(row.id), client.fetchPayment(answer.paymentId)]);
      // A charge has an invoice (a refunded authorisation has none) and is captured.
      const charged = typeof payment.invoice_id === 'string' && payment.status === 'captured';
      const invoice = charged ? await client.fetchInvoice(payment.invoice_id!).catch(() => undefined) : undefined;
      return managed(
        await applyAnswer(entity, 'payment_method', { then: (tx, current) => (charged ? recordCharge(tx, { row: current, entity, payment, invoice }) : Promise.resolve()) }),
      );
    },
  };

  return { createCheckout, verify, applyEvent, controls, planIdFor, isRecurring: (price: Pick<PlanPriceConfig, 'provider' | 'recurring'> | null | undefined) => Boolean(price?.recurring) };
}

/** The row comparison of progressOf: positive when `a` is further along than the stored `b`. */
function compare(a: { ended: number; paid_count: number; phase: number; event_at: number }, b: Pick<RazorpaySubscriptionRow, 'ended' | 'paid_count' | 'phase' | 'event_at'>): number {
  return a.ended - b.ended || a.paid_count - b.paid_count || a.phase - b.phase || a.event_at - Number(b.event_at);
}

export type RazorpaySubscriptions = ReturnType<typeof createRazorpaySubscriptions>;
