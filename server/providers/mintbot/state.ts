// What a mintbot order's state means for our checkout, its fulfillment and the customer's plan. Webhooks
// and polling (GET /orders/{id}) both end here, so either path, in any order, settles on the same state.
import { applySubscriptionState, markCheckoutPaid, type CheckoutRow, type CustomerRow } from '../../billing.js';
import { markCheckoutCanceled, markCheckoutPending, recordFulfillment } from '../../store/checkouts.js';
import type { CheckoutState } from '../../../src/contract/index.js';
import { storableDate, type Sql } from '../../store/index.js';
import type { MintbotOrder } from './client.js';

type Fulfillment = NonNullable<CheckoutState['fulfillment']>;

/** One thing we learned about an order: from an event (docs/upstream/mintbot-partner-api.txt "Event types") or a polled status. */
export interface OrderObservation {
  kind: 'pending' | 'cancelled' | 'provisioning' | 'ready' | 'failed' | 'expired';
  orderId: string;
  paidAt: Date | null;
  panelUrl: string | null;
  expiresAt: Date | null;
  /** When mintbot said it: the webhook's signed timestamp, or the time we polled, both in whole seconds (ties go to the later write). */
  at: Date;
  source: string;
  /** The webhook event id (audit dedup); polling makes one from the order and the state. */
  eventId: string;
}

/**
 * mintbot timestamps look like `2026-05-16 09:58:00` (docs/upstream/mintbot-partner-api.txt samples): UTC without a zone. ISO is accepted too.
 * A time outside the years 1970–9999 is no time at all (and the store could not hold most of them).
 */
export function parseMintbotTime(value: unknown): Date | null {
  if (typeof value !== 'string' || !value) return null;
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? value.replace(' ', 'T') + 'Z' : value;
  return storableDate(new Date(iso).getTime());
}

/** The observation each webhook event type carries (docs/upstream/mintbot-partner-api.txt "Event types"); other types carry none. */
export const KIND_OF_EVENT: Readonly<Record<string, OrderObservation['kind']>> = {
  'order.created': 'pending',
  'order.cancelled': 'cancelled',
  'order.paid': 'provisioning',
  'agent.provisioning_started': 'provisioning',
  'agent.ready': 'ready',
  'agent.failed': 'failed',
  'agent.expired': 'expired',
};

/**
 * The observation a polled order status carries (docs/upstream/mintbot-partner-api.txt "List orders" statuses). `expired` without a
 * payment is a checkout that timed out (order.cancelled leaves the order in that state too).
 */
export function kindOfStatus(order: Pick<MintbotOrder, 'status' | 'paid_at'>): OrderObservation['kind'] {
  switch (order.status) {
    case 'awaiting_payment':
      return 'pending';
    case 'completed':
      return 'provisioning';
    case 'deployed':
      return 'ready';
    case 'deploy_failed':
      return 'failed';
    case 'expired':
      return order.paid_at ? 'expired' : 'cancelled';
    default:
      return 'pending';
  }
}

// Fulfillment only moves forward, so a late redelivery of an earlier event cannot undo a later one;
// ready may follow failed (mintbot redeploys), expired is the end.
const RANK: Record<Fulfillment['status'], number> = { provisioning: 1, failed: 2, ready: 2, expired: 3 };

function nextFulfillment(current: CheckoutRow['fulfillment'], obs: OrderObservation): Fulfillment | null {
  const status = obs.kind as Fulfillment['status'];
  const next: Fulfillment = {
    status,
    panel_url: obs.panelUrl ?? current?.panel_url ?? null,
    expires_at: obs.expiresAt?.toISOString() ?? current?.expires_at ?? null,
  };
  if (!current) return next;
  if (RANK[status] > RANK[current.status] || status === current.status || (status === 'ready' && current.status === 'failed')) {
    return JSON.stringify(next) === JSON.stringify(current) ? null : next;
  }
  return null;
}

/**
 * Whether this checkout's order is what the customer's plan currently rests on: the customer is on its
 * plan through mintbot, and no later-paid mintbot order (a renewal, another purchase) has taken over.
 */
async function isCurrentOrder(tx: Sql, checkout: CheckoutRow, customer: CustomerRow): Promise<boolean> {
  if (customer.plan !== checkout.plan || customer.billing_provider !== 'mintbot') return false;
  const newer = await tx.query(
    `SELECT 1 FROM checkouts WHERE customer_id = $1 AND provider = 'mintbot' AND status = 'paid' AND id <> $2 AND paid_at > $3
       AND (fulfillment IS NULL OR fulfillment->>'status' IN ('provisioning', 'ready')) LIMIT 1`,
    [checkout.customer_id, checkout.id, checkout.paid_at],
  );
  return newer.length === 0;
}

/** Apply one observation to a checkout. Call inside the transaction that also claimed the webhook event. */
export async function applyOrderObservation(tx: Sql, checkoutId: string, obs: OrderObservation, now: Date): Promise<string> {
  const [row] = await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1 FOR UPDATE', [checkoutId]);
  if (!row) return 'unknown_order';

  if (obs.kind === 'pending') {
    // order.created usually overtakes our own write of the order id; then the checkout becomes pending
    // when POST /orders returns. Moving a row without an order id would block a hand-off retry's start.
    if (row.status !== 'created' || row.provider_order_id !== obs.orderId) return 'ignored';
    await markCheckoutPending(tx, { checkoutId: row.id, now });
    return 'pending';
  }
  if (obs.kind === 'cancelled') {
    // A paid order stays paid: a late "cancelled" never undoes a payment.
    return (await markCheckoutCanceled(tx, { checkoutId: row.id, now })) ? 'canceled' : 'ignored';
  }

  // Every later event means the order was paid (its payload carries paid_at); mark it once, even when
  // order.paid itself arrives late or never.
  let outcome = 'already_applied';
  if (row.status !== 'paid' && row.status !== 'refunded') {
    const result = await markCheckoutPaid(tx, { checkoutId: row.id, paymentId: `mintbot_order_${obs.orderId}`, source: obs.source, eventId: obs.eventId, now });
    outcome = result.changed ? 'upgraded' : 'already_applied';
  }
  const [checkout] = await tx.query<CheckoutRow>('SELECT * FROM checkouts WHERE id = $1', [row.id]);

  const fulfillment = nextFulfillment(checkout.fulfillment, obs);
  if (fulfillment) {
    await recordFulfillment(tx, { checkoutId: checkout.id, fulfillment, now });
    if (outcome !== 'upgraded') outcome = fulfillment.status;
  }
  if (checkout.status !== 'paid' || (obs.kind !== 'ready' && obs.kind !== 'expired')) return outcome;
  // The order's own progression decides, not the timestamp: an observation behind it (agent.ready delivered
  // after agent.expired, in the same second or not) never moves the plan back.
  if ((fulfillment ?? checkout.fulfillment)?.status !== obs.kind) return outcome;

  // The agent's lifetime is the plan's: ready sets the period end to the agent's expiry (no auto-renewal,
  // hence cancel-at-period-end), expired ends the plan now, unless a newer order carries it on.
  const [customer] = await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [checkout.customer_id]);
  if (!customer || !(await isCurrentOrder(tx, checkout, customer))) return outcome;
  if (obs.kind === 'ready' && obs.expiresAt) {
    await applySubscriptionState(tx, {
      customerId: customer.id,
      provider: 'mintbot',
      plan: checkout.plan,
      status: 'active',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: obs.expiresAt,
      stateAt: obs.at,
      source: obs.source,
      eventId: obs.eventId,
      checkoutId: checkout.id,
      now,
    });
  } else if (obs.kind === 'expired') {
    const end = obs.expiresAt && obs.expiresAt < now ? obs.expiresAt : now;
    const { applied } = await applySubscriptionState(tx, {
      customerId: customer.id,
      provider: 'mintbot',
      plan: checkout.plan,
      status: 'canceled',
      cancelAtPeriodEnd: false,
      currentPeriodEnd: end,
      stateAt: obs.at,
      source: obs.source,
      eventId: obs.eventId,
      checkoutId: checkout.id,
      now,
    });
    if (applied) outcome = 'plan_lapsed';
  }
  return outcome;
}
