// The simulated Razorpay Subscriptions API (docs/upstream/razorpay-subscriptions.md): plans, subscriptions and their states,
// cancel / update / pause / resume, invoices, the checkout authorisation with its reversed signature, the card change that
// re-authorises a live one, and renewals on the simulator's clock (tick / advance) with injectable failed charges, retries and halts.
import type { Hono } from 'hono';
import { signRazorpaySubscriptionPayment } from '../../../security/signatures.js';
import type { RazorpayPayment, RazorpaySubscriptionStatus } from '../client.js';
import type { WebhookDelivery } from './simulator.js';
import { badRequest, checkoutFailure, declinePayment, notesProblem, notesValue, readBody, rid, rzpError } from './wire.js';

export type PlanPeriod = 'daily' | 'weekly' | 'monthly' | 'yearly';

export interface RazorpayPlan {
  id: string;
  entity: 'plan';
  interval: number;
  period: PlanPeriod;
  item: {
    id: string;
    active: boolean;
    name: string;
    description: string | null;
    amount: number;
    unit_amount: number;
    currency: string;
    type: 'plan';
    unit: null;
    tax_inclusive: boolean;
    hsn_code: null;
    sac_code: null;
    tax_rate: null;
    tax_id: null;
    tax_group_id: null;
    created_at: number;
    updated_at: number;
  };
  notes: Record<string, string> | [];
  created_at: number;
}

/** Razorpay's subscription states, as the client reads them (razorpay-subscriptions.md, "States"). */
export type SubscriptionStatus = RazorpaySubscriptionStatus;

export interface RazorpaySubscription {
  id: string;
  entity: 'subscription';
  plan_id: string;
  customer_id: string | null;
  status: SubscriptionStatus;
  current_start: number | null;
  current_end: number | null;
  ended_at: number | null;
  quantity: number;
  notes: Record<string, string> | [];
  charge_at: number | null;
  start_at: number;
  end_at: number;
  auth_attempts: number;
  total_count: number;
  paid_count: number;
  customer_notify: boolean;
  created_at: number;
  expire_by: number | null;
  short_url: string;
  has_scheduled_changes: boolean;
  change_scheduled_at: number | null;
  source: 'api';
  payment_method: string | null;
  offer_id: string | null;
  paused_at: number | null;
  remaining_count: number;
}

/** A payment of a subscription: the payment entity with the invoice it pays (null for a trial's authorisation). */
export interface RazorpaySubscriptionPayment extends RazorpayPayment {
  invoice_id: string | null;
  customer_id: string | null;
  description: string | null;
}

export interface RazorpayInvoice {
  id: string;
  entity: 'invoice';
  type: 'invoice';
  invoice_number: null;
  customer_id: string | null;
  customer_details: { id: string | null; name: null; email: string | null; contact: string | null };
  order_id: string;
  subscription_id: string;
  line_items: { id: string; item_id: string; name: string; amount: number; unit_amount: number; quantity: number; currency: string }[];
  payment_id: string | null;
  status: 'issued' | 'paid';
  issued_at: number;
  paid_at: number | null;
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  description: string | null;
  notes: [];
  short_url: string;
  billing_start: number;
  billing_end: number;
  date: number;
  created_at: number;
}

export interface SubscriptionCheckoutSuccess {
  razorpay_payment_id: string;
  razorpay_subscription_id: string;
  razorpay_signature: string;
}

export interface SubscriptionCheckoutFailure {
  error: { code: string; description: string; source: string; step: string; reason: string; metadata: { payment_id: string; subscription_id: string } };
}

/** How the customer authorises: the payment method their charges show. */
export interface SubscriptionPayer {
  email?: string;
  contact?: string;
  method?: 'upi' | 'card' | 'emandate' | 'nach';
}

/** After a failed auto-charge Razorpay retries: these many seconds after the previous attempt, then `halted`. */
export const CHARGE_RETRY_DELAYS_S = [1, 2, 3].map((days) => days * 86_400);
/** A trial's authorisation is a small charge refunded at once (no invoice, no subscription.charged). */
export const AUTH_AMOUNT = 500;
/** The states whose mandate checkout.js's `subscription_card_change` may replace (a live subscription, not paused). */
export const CARD_CHANGE_STATUSES: ReadonlySet<SubscriptionStatus> = new Set(['authenticated', 'active', 'pending', 'halted']);

export interface SubscriptionContext {
  api: Hono;
  keySecret: string;
  /** The simulator's clock, unix seconds. */
  now: () => number;
  /** Run `fn` with the clock reading `at` (a charge that fell due during tick/advance happens at its own time). */
  at: <T>(seconds: number, fn: () => T) => T;
  payments: Map<string, RazorpayPayment>;
  event: (name: string, entities: Record<string, unknown>) => WebhookDelivery;
  emit: (...events: WebhookDelivery[]) => void;
}

interface PendingChange {
  plan_id?: string;
  quantity?: number;
  remaining_count?: number;
}

/** What the simulator knows about a subscription beyond its entity. */
interface SubState {
  /** Cycle boundaries: boundary(k) = anchor + (k - anchorCycle) periods of the current plan. */
  anchor: number;
  anchorCycle: number;
  /** The last cycle paid for (0 before the first charge). */
  cycle: number;
  failLeft: number;
  retries: number;
  /** The issued, unpaid invoice of a failed charge (pending, halted). */
  due?: RazorpayInvoice;
  change?: PendingChange;
  cancelAtCycleEnd: boolean;
  pausedChargeAt: number | null;
  activated: boolean;
  payer: SubscriptionPayer;
}

const PERIODS: PlanPeriod[] = ['daily', 'weekly', 'monthly', 'yearly'];
const DAY = 86_400;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const flag = (v: unknown) => v === true || v === 1 || v === '1' || v === 'true';
const isFlag = (v: unknown) => v === undefined || typeof v === 'boolean' || v === 0 || v === 1 || v === '0' || v === '1' || v === 'true' || v === 'false';

/** `t` moved by `n` periods of a plan: calendar months and years in UTC (the day clamped to the month's last), whole days otherwise. */
export function addPeriods(t: number, plan: Pick<RazorpayPlan, 'period' | 'interval'>, n: number): number {
  if (plan.period === 'daily') return t + n * plan.interval * DAY;
  if (plan.period === 'weekly') return t + n * plan.interval * 7 * DAY;
  const d = new Date(t * 1000);
  const months = d.getUTCMonth() + n * plan.interval * (plan.period === 'yearly' ? 12 : 1);
  const year = d.getUTCFullYear() + Math.floor(months / 12);
  const month = ((months % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Math.floor(Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000);
}

/** A collection answer: newest first, `count` (default 10, at most 100) and `skip`, as Razorpay pages. */
function collection<T extends { created_at: number }>(all: T[], query: (name: string) => string | undefined) {
  const count = Math.min(Math.max(Number(query('count') ?? 10) || 10, 1), 100);
  const skip = Math.max(Number(query('skip') ?? 0) || 0, 0);
  const items = all.reverse().slice(skip, skip + count);
  return { entity: 'collection', count: items.length, items };
}

export function createSubscriptionSimulator(ctx: SubscriptionContext) {
  const { api, now, event, emit } = ctx;
  const plans = new Map<string, RazorpayPlan>();
  const subscriptions = new Map<string, RazorpaySubscription>();
  const invoices = new Map<string, RazorpayInvoice>();
  const states = new Map<string, SubState>();
  /** Addons are charged once, with the first charge. */
  const addonsOf = new Map<string, number>();

  const planOf = (sub: RazorpaySubscription) => plans.get(sub.plan_id)!;
  const stateOf = (sub: RazorpaySubscription) => states.get(sub.id)!;
  const boundary = (sub: RazorpaySubscription, k: number) => {
    const st = stateOf(sub);
    return addPeriods(st.anchor, planOf(sub), k - st.anchorCycle);
  };
  const chargeAmount = (sub: RazorpaySubscription) => planOf(sub).item.amount * sub.quantity;
  const notAllowed = (what: string, sub: RazorpaySubscription) => rzpError(`Subscription is not ${what} in ${sub.status} status.`, 'status');

  // ---------------------------------------------------------------- Plans
  api.post('/v1/plans', async (c) => {
    const body = await readBody(c);
    if (body instanceof Response) return body;
    const { period, interval, item, notes } = body as { period?: unknown; interval?: unknown; item?: Record<string, unknown>; notes?: unknown };
    if (period === undefined) return badRequest(c, 'The period field is required.', 'period');
    if (!PERIODS.includes(period as PlanPeriod)) return badRequest(c, 'Invalid period: must be one of daily, weekly, monthly or yearly.', 'period');
    if (interval === undefined) return badRequest(c, 'The interval field is required.', 'interval');
    if (!isInt(interval) || interval < 1) return badRequest(c, 'The interval must be an integer of at least 1.', 'interval');
    if (period === 'daily' && interval < 7) return badRequest(c, 'For daily plans, the minimum value for interval is 7.', 'interval');
    if (!item || typeof item !== 'object' || Array.isArray(item)) return badRequest(c, 'The item field is required.', 'item');
    if (typeof item.name !== 'string' || !item.name.trim()) return badRequest(c, 'The name field is required.', 'item.name');
    if (item.amount === undefined) return badRequest(c, 'The amount field is required.', 'item.amount');
    if (!isInt(item.amount)) return badRequest(c, 'The amount must be an integer.', 'item.amount');
    if (item.amount < 100) return badRequest(c, 'The amount must be at least INR 1.00', 'item.amount');
    if (typeof item.currency !== 'string' || !/^[A-Z]{3}$/.test(item.currency)) return badRequest(c, 'The currency field is required.', 'item.currency');
    if (item.description !== undefined && typeof item.description !== 'string') return badRequest(c, 'The description must be a string.', 'item.description');
    const notesWrong = notesProblem(notes);
    if (notesWrong) return badRequest(c, notesWrong, 'notes');
    const t = now();
    const plan: RazorpayPlan = {
      id: rid('plan'),
      entity: 'plan',
      interval,
      period: period as PlanPeriod,
      item: {
        id: rid('item'),
        active: true,
        name: item.name,
        description: (item.description as string | undefined) ?? null,
        amount: item.amount,
        unit_amount: item.amount,
        currency: item.currency,
        type: 'plan',
        unit: null,
        tax_inclusive: false,
        hsn_code: null,
        sac_code: null,
        tax_rate: null,
        tax_id: null,
        tax_group_id: null,
        created_at: t,
        updated_at: t,
      },
      notes: notesValue(notes),
      created_at: t,
    };
    plans.set(plan.id, plan);
    return c.json(plan);
  });

  api.get('/v1/plans/:id', (c) => {
    const plan = plans.get(c.req.param('id'));
    return plan ? c.json(plan) : badRequest(c, 'The id provided does not exist');
  });

  api.get('/v1/plans', (c) => c.json(collection([...plans.values()], (n) => c.req.query(n))));

  // ---------------------------------------------------------------- Subscriptions
  api.post('/v1/subscriptions', async (c) => {
    const body = await readBody(c);
    if (body instanceof Response) return body;
    const t = now();
    const { plan_id, total_count, quantity = 1, customer_notify = true, start_at, expire_by, addons, offer_id, notes } = body;
    if (plan_id === undefined) return badRequest(c, 'The plan id field is required.', 'plan_id');
    const plan = typeof plan_id === 'string' ? plans.get(plan_id) : undefined;
    if (!plan) return badRequest(c, 'The id provided does not exist', 'plan_id');
    if (total_count === undefined) return badRequest(c, 'The total count field is required.', 'total_count');
    if (!isInt(total_count) || total_count < 1) return badRequest(c, 'The total count must be an integer of at least 1.', 'total_count');
    if (addPeriods(0, plan, total_count) > addPeriods(0, { period: 'yearly', interval: 1 }, 100)) return badRequest(c, 'The total count exceeds the maximum allowed duration of 100 years.', 'total_count');
    if (!isInt(quantity) || quantity < 1) return badRequest(c, 'The quantity must be an integer of at least 1.', 'quantity');
    if (!isFlag(customer_notify)) return badRequest(c, 'The customer notify field must be a boolean.', 'customer_notify');
    if (start_at !== undefined && (!isInt(start_at) || start_at <= t)) return badRequest(c, 'The start time should be greater than the current time.', 'start_at');
    if (expire_by !== undefined && (!isInt(expire_by) || expire_by <= t)) return badRequest(c, 'The expire by time should be greater than the current time.', 'expire_by');
    if (offer_id !== undefined && (typeof offer_id !== 'string' || !/^offer_\w+$/.test(offer_id))) return badRequest(c, 'The offer id provided is invalid.', 'offer_id');
    if (addons !== undefined) {
      const ok = Array.isArray(addons) && addons.every((a) => a && typeof a === 'object' && isInt(a.item?.amount) && a.item.amount >= 100 && a.item.currency === plan.item.currency && typeof a.item.name === 'string');
      if (!ok) return badRequest(c, 'Each addon needs an item with a name, an amount of at least 100 and the plan currency.', 'addons');
    }
    const notesWrong = notesProblem(notes);
    if (notesWrong) return badRequest(c, notesWrong, 'notes');
    const begin = (start_at as number | undefined) ?? t;
    const sub: RazorpaySubscription = {
      id: rid('sub'),
      entity: 'subscription',
      plan_id: plan.id,
      customer_id: null,
      status: 'created',
      current_start: null,
      current_end: null,
      ended_at: null,
      quantity,
      notes: notesValue(notes),
      charge_at: begin,
      start_at: begin,
      end_at: addPeriods(begin, plan, total_count),
      auth_attempts: 0,
      total_count,
      paid_count: 0,
      customer_notify: flag(customer_notify),
      created_at: t,
      expire_by: (expire_by as number | undefined) ?? null,
      short_url: `https://rzp.io/i/${rid('x').slice(2, 12)}`,
      has_scheduled_changes: false,
      change_scheduled_at: null,
      source: 'api',
      payment_method: null,
      offer_id: (offer_id as string | undefined) ?? null,
      paused_at: null,
      remaining_count: total_count,
    };
    subscriptions.set(sub.id, sub);
    states.set(sub.id, { anchor: begin, anchorCycle: 0, cycle: 0, failLeft: 0, retries: 0, cancelAtCycleEnd: false, pausedChargeAt: null, activated: false, payer: {} });
    addonsOf.set(sub.id, ((addons as { item: { amount: number } }[] | undefined) ?? []).reduce((sum, a) => sum + a.item.amount, 0));
    return c.json(sub);
  });

  api.get('/v1/subscriptions', (c) => {
    const planId = c.req.query('plan_id');
    return c.json(collection([...subscriptions.values()].filter((s) => !planId || s.plan_id === planId), (n) => c.req.query(n)));
  });

  api.get('/v1/subscriptions/:id', (c) => {
    const sub = subscriptions.get(c.req.param('id'));
    return sub ? c.json(sub) : badRequest(c, 'The id provided does not exist');
  });

  api.post('/v1/subscriptions/:id/cancel', async (c) => {
    const sub = subscriptions.get(c.req.param('id'));
    if (!sub) return badRequest(c, 'The id provided does not exist');
    const body = await readBody(c, { optional: true });
    if (body instanceof Response) return body;
    if (!isFlag(body.cancel_at_cycle_end)) return badRequest(c, 'The cancel at cycle end field must be a boolean.', 'cancel_at_cycle_end');
    if (['cancelled', 'completed', 'expired'].includes(sub.status)) return c.json(notAllowed('cancellable', sub), 400);
    const st = stateOf(sub);
    if (flag(body.cancel_at_cycle_end)) {
      // The subscription runs to the end of the cycle it is in (for a trial: to its first charge), then cancels.
      if (sub.status !== 'active' && sub.status !== 'authenticated') return c.json(rzpError(`Subscription cannot be cancelled at cycle end in ${sub.status} status.`, 'cancel_at_cycle_end'), 400);
      st.cancelAtCycleEnd = true;
      sub.end_at = sub.current_end ?? sub.charge_at!;
      return c.json(sub);
    }
    cancel(sub, now());
    return c.json(sub);
  });

  function cancel(sub: RazorpaySubscription, t: number) {
    const st = stateOf(sub);
    sub.status = 'cancelled';
    sub.ended_at = t;
    sub.end_at = t;
    sub.charge_at = null;
    sub.has_scheduled_changes = false;
    sub.change_scheduled_at = null;
    st.change = undefined;
    st.cancelAtCycleEnd = false;
    emit(event('subscription.cancelled', { subscription: sub }));
  }

  function applyChange(sub: RazorpaySubscription, change: PendingChange) {
    const st = stateOf(sub);
    if (change.plan_id && change.plan_id !== sub.plan_id) {
      // The next cycles follow the new plan's period from the end of the current one.
      if (sub.current_end !== null) {
        st.anchor = sub.current_end;
        st.anchorCycle = st.cycle;
      }
      sub.plan_id = change.plan_id;
    }
    if (change.quantity !== undefined) sub.quantity = change.quantity;
    if (change.remaining_count !== undefined) {
      sub.remaining_count = change.remaining_count;
      sub.total_count = sub.paid_count + change.remaining_count;
    }
    sub.end_at = boundary(sub, st.cycle + sub.remaining_count);
    sub.has_scheduled_changes = false;
    sub.change_scheduled_at = null;
    st.change = undefined;
  }

  api.patch('/v1/subscriptions/:id', async (c) => {
    const sub = subscriptions.get(c.req.param('id'));
    if (!sub) return badRequest(c, 'The id provided does not exist');
    const body = await readBody(c);
    if (body instanceof Response) return body;
    const { plan_id, quantity, remaining_count, schedule_change_at = 'now', customer_notify, offer_id } = body;
    if (sub.status !== 'active' && sub.status !== 'authenticated') return c.json(notAllowed('updatable', sub), 400);
    if (plan_id === undefined && quantity === undefined && remaining_count === undefined && offer_id === undefined)
      return badRequest(c, 'At least one of plan_id, quantity, remaining_count or offer_id is required.');
    if (plan_id !== undefined) {
      const plan = typeof plan_id === 'string' ? plans.get(plan_id) : undefined;
      if (!plan) return badRequest(c, 'The id provided does not exist', 'plan_id');
      if (plan.item.currency !== planOf(sub).item.currency) return badRequest(c, 'The currency of the new plan must be the same as the current plan.', 'plan_id');
    }
    if (quantity !== undefined && (!isInt(quantity) || quantity < 1)) return badRequest(c, 'The quantity must be an integer of at least 1.', 'quantity');
    if (remaining_count !== undefined && (!isInt(remaining_count) || remaining_count < 1)) return badRequest(c, 'The remaining count must be an integer of at least 1.', 'remaining_count');
    if (schedule_change_at !== 'now' && schedule_change_at !== 'cycle_end') return badRequest(c, 'The schedule change at must be one of now or cycle_end.', 'schedule_change_at');
    if (!isFlag(customer_notify)) return badRequest(c, 'The customer notify field must be a boolean.', 'customer_notify');
    if (offer_id !== undefined && (typeof offer_id !== 'string' || !/^offer_\w+$/.test(offer_id))) return badRequest(c, 'The offer id provided is invalid.', 'offer_id');
    if (offer_id !== undefined) sub.offer_id = offer_id;
    const change: PendingChange = {
      ...(plan_id !== undefined ? { plan_id: plan_id as string } : {}),
      ...(quantity !== undefined ? { quantity: quantity as number } : {}),
      ...(remaining_count !== undefined ? { remaining_count: remaining_count as number } : {}),
    };
    if (Object.keys(change).length === 0) return c.json(sub);
    if (schedule_change_at === 'now') {
      applyChange(sub, change);
      emit(event('subscription.updated', { subscription: sub }));
    } else {
      const st = stateOf(sub);
      st.change = { ...st.change, ...change };
      sub.has_scheduled_changes = true;
      sub.change_scheduled_at = sub.current_end ?? sub.charge_at;
    }
    return c.json(sub);
  });

  api.get('/v1/subscriptions/:id/retrieve_scheduled_changes', (c) => {
    const sub = subscriptions.get(c.req.param('id'));
    if (!sub) return badRequest(c, 'The id provided does not exist');
    const change = stateOf(sub).change;
    if (!change) return badRequest(c, 'No scheduled changes exist for this subscription.');
    return c.json({ ...sub, ...change });
  });

  api.post('/v1/subscriptions/:id/cancel_scheduled_changes', (c) => {
    const sub = subscriptions.get(c.req.param('id'));
    if (!sub) return badRequest(c, 'The id provided does not exist');
    stateOf(sub).change = undefined;
    sub.has_scheduled_changes = false;
    sub.change_scheduled_at = null;
    return c.json(sub);
  });

  api.post('/v1/subscriptions/:id/pause', async (c) => {
    const sub = subscriptions.get(c.req.param('id'));
    if (!sub) return badRequest(c, 'The id provided does not exist');
    const body = await readBody(c);
    if (body instanceof Response) return body;
    if (body.pause_at !== 'now') return badRequest(c, 'The pause at field must be now.', 'pause_at');
    if (sub.status !== 'active') return c.json(notAllowed('pausable', sub), 400);
    const st = stateOf(sub);
    st.pausedChargeAt = sub.charge_at;
    sub.status = 'paused';
    sub.paused_at = now();
    sub.charge_at = null;
    emit(event('subscription.paused', { subscription: sub }));
    return c.json(sub);
  });

  api.post('/v1/subscriptions/:id/resume', async (c) => {
    const sub = subscriptions.get(c.req.param('id'));
    if (!sub) return badRequest(c, 'The id provided does not exist');
    const body = await readBody(c);
    if (body instanceof Response) return body;
    if (body.resume_at !== 'now') return badRequest(c, 'The resume at field must be now.', 'resume_at');
    if (sub.status !== 'paused') return c.json(notAllowed('resumable', sub), 400);
    const st = stateOf(sub);
    sub.status = 'active';
    sub.paused_at = null;
    // A renewal that fell due while paused is charged at once, and the cycles start again from now; otherwise
    // billing goes on as scheduled.
    const t = now();
    if (st.pausedChargeAt !== null && st.pausedChargeAt <= t) {
      st.anchor = t;
      st.anchorCycle = st.cycle;
      sub.end_at = boundary(sub, st.cycle + sub.remaining_count);
    }
    sub.charge_at = st.pausedChargeAt === null ? null : Math.max(st.pausedChargeAt, t);
    st.pausedChargeAt = null;
    emit(event('subscription.resumed', { subscription: sub }));
    if (sub.charge_at !== null && sub.charge_at <= t) step(sub);
    return c.json(sub);
  });

  // ---------------------------------------------------------------- Invoices
  api.get('/v1/invoices', (c) => {
    const subId = c.req.query('subscription_id');
    return c.json(collection([...invoices.values()].filter((i) => !subId || i.subscription_id === subId), (n) => c.req.query(n)));
  });

  api.get('/v1/invoices/:id', (c) => {
    const invoice = invoices.get(c.req.param('id'));
    return invoice ? c.json(invoice) : badRequest(c, 'The id provided does not exist');
  });

  // ---------------------------------------------------------------- Charges
  function newPayment(sub: RazorpaySubscription, amount: number, invoice: RazorpayInvoice | null, description: string): RazorpaySubscriptionPayment {
    const st = stateOf(sub);
    const payment: RazorpaySubscriptionPayment = {
      id: rid('pay'),
      entity: 'payment',
      amount,
      currency: planOf(sub).item.currency,
      status: 'captured',
      order_id: invoice?.order_id ?? rid('order'),
      invoice_id: invoice?.id ?? null,
      method: st.payer.method ?? 'upi',
      amount_refunded: 0,
      refund_status: null,
      captured: true,
      description,
      customer_id: sub.customer_id,
      email: st.payer.email ?? null,
      contact: st.payer.contact ?? null,
      notes: sub.notes,
      error_code: null,
      error_description: null,
      error_source: null,
      error_step: null,
      error_reason: null,
      created_at: now(),
    };
    ctx.payments.set(payment.id, payment);
    return payment;
  }

  function issueInvoice(sub: RazorpaySubscription, cycle: number): RazorpayInvoice {
    const plan = planOf(sub);
    const st = stateOf(sub);
    const addons = cycle === 1 ? (addonsOf.get(sub.id) ?? 0) : 0;
    const amount = chargeAmount(sub) + addons;
    const t = now();
    const invoice: RazorpayInvoice = {
      id: rid('inv'),
      entity: 'invoice',
      type: 'invoice',
      invoice_number: null,
      customer_id: sub.customer_id,
      customer_details: { id: sub.customer_id, name: null, email: st.payer.email ?? null, contact: st.payer.contact ?? null },
      order_id: rid('order'),
      subscription_id: sub.id,
      line_items: [{ id: rid('li'), item_id: plan.item.id, name: plan.item.name, amount: chargeAmount(sub), unit_amount: plan.item.amount, quantity: sub.quantity, currency: plan.item.currency }],
      payment_id: null,
      status: 'issued',
      issued_at: t,
      paid_at: null,
      amount,
      amount_paid: 0,
      amount_due: amount,
      currency: plan.item.currency,
      description: null,
      notes: [],
      short_url: `https://rzp.io/i/${rid('x').slice(2, 12)}`,
      billing_start: boundary(sub, cycle - 1),
      billing_end: boundary(sub, cycle),
      date: t,
      created_at: t,
    };
    invoices.set(invoice.id, invoice);
    return invoice;
  }

  /**
   * Charge the next cycle (or retry the outstanding invoice). `forced`: the customer is paying (checkout, or
   * paying a pending/halted one manually), so injected failures do not apply.
   */
  function charge(sub: RazorpaySubscription, forced: boolean): RazorpaySubscriptionPayment {
    const st = stateOf(sub);
    const t = now();
    const invoice = st.due ?? issueInvoice(sub, st.cycle + 1);
    const payment = newPayment(sub, invoice.amount, invoice, `Subscription ${sub.id}`);
    if (!forced && st.failLeft > 0) {
      st.failLeft -= 1;
      declinePayment(payment);
      st.due = invoice;
      sub.auth_attempts += 1;
      const events = [event('payment.failed', { payment })];
      if (st.retries < CHARGE_RETRY_DELAYS_S.length) {
        sub.charge_at = t + CHARGE_RETRY_DELAYS_S[st.retries]!;
        st.retries += 1;
        if (sub.status !== 'pending') {
          sub.status = 'pending';
          events.push(event('subscription.pending', { subscription: sub }));
        }
      } else {
        sub.status = 'halted';
        sub.charge_at = null;
        events.push(event('subscription.halted', { subscription: sub }));
      }
      emit(...events);
      return payment;
    }
    Object.assign(invoice, { status: 'paid', payment_id: payment.id, paid_at: t, amount_paid: invoice.amount, amount_due: 0 });
    st.due = undefined;
    st.retries = 0;
    st.cycle += 1;
    sub.auth_attempts = 0;
    sub.status = 'active';
    sub.current_start = invoice.billing_start;
    sub.current_end = invoice.billing_end;
    sub.paid_count += 1;
    sub.remaining_count = Math.max(sub.total_count - sub.paid_count, 0);
    sub.charge_at = sub.remaining_count > 0 ? sub.current_end : null;
    const events = [];
    if (!st.activated) {
      st.activated = true;
      events.push(event('subscription.activated', { subscription: sub }));
    }
    events.push(event('payment.captured', { payment }), event('subscription.charged', { subscription: sub, payment }));
    if (sub.remaining_count === 0) {
      sub.status = 'completed';
      sub.ended_at = t;
      events.push(event('subscription.completed', { subscription: sub }));
    }
    emit(...events);
    return payment;
  }

  function authorise(sub: RazorpaySubscription, payer: SubscriptionPayer) {
    const st = stateOf(sub);
    st.payer = { ...payer };
    sub.customer_id ??= rid('cust');
    sub.payment_method = payer.method ?? 'upi';
  }

  function open(subscriptionId: string): RazorpaySubscription {
    const sub = subscriptions.get(subscriptionId);
    if (!sub) throw new Error(`no such subscription ${subscriptionId}`);
    if (sub.status === 'created' && sub.expire_by !== null && sub.expire_by <= now()) step(sub);
    if (sub.status !== 'created') throw new Error(`subscription ${subscriptionId} is ${sub.status}, not created`);
    return sub;
  }

  /**
   * The customer authorises the mandate in the modal. Immediate start: the first charge now (authenticated →
   * active, `subscription.authenticated`, `subscription.activated`, `subscription.charged`). A future `start_at`
   * (a trial): a refunded authorisation payment, `authenticated`, the first charge at `start_at`.
   */
  function paySubscription(subscriptionId: string, payer: SubscriptionPayer = {}): SubscriptionCheckoutSuccess {
    const sub = open(subscriptionId);
    authorise(sub, payer);
    sub.status = 'authenticated';
    const authenticated = event('subscription.authenticated', { subscription: sub });
    let payment: RazorpaySubscriptionPayment;
    if (sub.start_at > now()) {
      payment = newPayment(sub, AUTH_AMOUNT, null, 'Subscription authorisation (refunded)');
      Object.assign(payment, { status: 'refunded', amount_refunded: AUTH_AMOUNT, refund_status: 'full' });
      emit(authenticated);
    } else {
      emit(authenticated);
      const t = now();
      stateOf(sub).anchor = t;
      sub.start_at = t;
      sub.end_at = addPeriods(t, planOf(sub), sub.total_count);
      payment = charge(sub, true);
    }
    return { razorpay_payment_id: payment.id, razorpay_subscription_id: sub.id, razorpay_signature: signRazorpaySubscriptionPayment(ctx.keySecret, payment.id, sub.id) };
  }

  /** The authorisation fails in the modal: the subscription stays `created`; `payment.failed` as for orders. */
  function failSubscription(subscriptionId: string, payer: SubscriptionPayer = {}): SubscriptionCheckoutFailure {
    const sub = open(subscriptionId);
    stateOf(sub).payer = { ...payer };
    const payment = newPayment(sub, chargeAmount(sub), null, `Subscription ${sub.id}`);
    declinePayment(payment);
    sub.auth_attempts += 1;
    emit(event('payment.failed', { payment }));
    return checkoutFailure(payment, { payment_id: payment.id, subscription_id: sub.id });
  }

  /** Why checkout.js's `subscription_card_change` is refused for this subscription (Razorpay's error envelope), or undefined. */
  function cardChangeRefusal(subscriptionId: string): ReturnType<typeof rzpError> | undefined {
    const sub = subscriptions.get(subscriptionId);
    if (!sub) return rzpError('The id provided does not exist', 'subscription_id');
    if (!CARD_CHANGE_STATUSES.has(sub.status)) return rzpError(`Payment method cannot be changed for a subscription in ${sub.status} status.`, 'subscription_id');
    return undefined;
  }

  function changeable(subscriptionId: string): RazorpaySubscription {
    const refused = cardChangeRefusal(subscriptionId);
    if (refused) throw new Error(`subscription ${subscriptionId}: ${refused.error.description}`);
    return subscriptions.get(subscriptionId)!;
  }

  /**
   * The customer authorises a new mandate (card, UPI Autopay, e-mandate) on a live subscription: its
   * `payment_method` becomes the new one and later charges use it. Authenticated or active: a refunded
   * authorisation payment (nothing charged, no invoice). Pending or halted: the authorisation pays the
   * outstanding invoice, so the subscription is active again (`charge(sub, true)`, as `recover`). Either way
   * `subscription.updated` goes out with the new method: Razorpay documents no event of its own for a card
   * change, and `updated` is the one that says "this entity changed" without implying a charge or a state move;
   * a charge's own events (payment.captured, subscription.charged) follow it.
   */
  function changePaymentMethod(subscriptionId: string, payer: SubscriptionPayer = {}): SubscriptionCheckoutSuccess {
    const sub = changeable(subscriptionId);
    const st = stateOf(sub);
    authorise(sub, payer);
    // The declines injected by failNextCharges were the old method's.
    st.failLeft = 0;
    emit(event('subscription.updated', { subscription: sub }));
    let payment: RazorpaySubscriptionPayment;
    if (st.due) payment = charge(sub, true);
    else {
      payment = newPayment(sub, AUTH_AMOUNT, null, 'Payment method authorisation (refunded)');
      Object.assign(payment, { status: 'refunded', amount_refunded: AUTH_AMOUNT, refund_status: 'full' });
    }
    return { razorpay_payment_id: payment.id, razorpay_subscription_id: sub.id, razorpay_signature: signRazorpaySubscriptionPayment(ctx.keySecret, payment.id, sub.id) };
  }

  /** The new method is declined in the modal: nothing about the subscription changes; `payment.failed` as for any payment. */
  function failPaymentMethodChange(subscriptionId: string, payer: SubscriptionPayer = {}): SubscriptionCheckoutFailure {
    const sub = changeable(subscriptionId);
    const st = stateOf(sub);
    const payment = newPayment(sub, st.due?.amount ?? AUTH_AMOUNT, st.due ?? null, `Subscription ${sub.id}`);
    Object.assign(payment, { method: payer.method ?? payment.method, email: payer.email ?? payment.email, contact: payer.contact ?? payment.contact });
    declinePayment(payment);
    emit(event('payment.failed', { payment }));
    return checkoutFailure(payment, { payment_id: payment.id, subscription_id: sub.id });
  }

  /** What falls due at `charge_at` (or `expire_by`), or undefined. */
  function dueAt(sub: RazorpaySubscription): number | undefined {
    if (sub.status === 'created') return sub.expire_by ?? undefined;
    if (sub.status === 'authenticated' || sub.status === 'active' || sub.status === 'pending') return sub.charge_at ?? undefined;
    return undefined;
  }

  function step(sub: RazorpaySubscription) {
    const st = stateOf(sub);
    if (sub.status === 'created') {
      sub.status = 'expired';
      sub.ended_at = now();
      sub.charge_at = null;
      return;
    }
    if (st.cancelAtCycleEnd) {
      cancel(sub, now());
      return;
    }
    if (st.change && sub.status !== 'pending') {
      applyChange(sub, st.change);
      emit(event('subscription.updated', { subscription: sub }));
    }
    if (sub.status === 'authenticated') st.anchor = now();
    charge(sub, false);
  }

  /** Run every charge, retry, cycle-end cancel or change and expiry that is due by the clock, in time order, each at its own time. */
  function runDue(): number {
    let steps = 0;
    for (;;) {
      const t = now();
      let next: RazorpaySubscription | undefined;
      let when = Infinity;
      for (const sub of subscriptions.values()) {
        const due = dueAt(sub);
        if (due !== undefined && due <= t && due < when) [next, when] = [sub, due];
      }
      if (!next) return steps;
      ctx.at(when, () => step(next));
      if (++steps > 1_000_000) throw new Error('subscription simulator: runaway tick');
    }
  }

  return {
    plans,
    subscriptions,
    invoices,
    paySubscription,
    failSubscription,
    cardChangeRefusal,
    changePaymentMethod,
    failPaymentMethodChange,
    /** What a card change pays now: the outstanding invoice of a pending or halted subscription, else 0. */
    amountDue: (subscriptionId: string): number => {
      const sub = subscriptions.get(subscriptionId);
      return (sub && states.get(sub.id)?.due?.amount_due) ?? 0;
    },
    runDue,
    /** The next `count` automatic charges of this subscription fail (renewals, retries, the first charge after a trial). */
    failNextCharges(subscriptionId: string, count = 1): void {
      const sub = subscriptions.get(subscriptionId);
      if (!sub) throw new Error(`no such subscription ${subscriptionId}`);
      stateOf(sub).failLeft = count;
    },
    /** The customer pays a pending or halted subscription's outstanding invoice: active again, `subscription.charged`. */
    recover(subscriptionId: string): RazorpaySubscriptionPayment {
      const sub = subscriptions.get(subscriptionId);
      if (!sub || (sub.status !== 'pending' && sub.status !== 'halted')) throw new Error(`subscription ${subscriptionId} is not pending or halted`);
      return charge(sub, true);
    },
  };
}
