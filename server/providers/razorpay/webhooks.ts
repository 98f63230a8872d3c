// Razorpay's webhook handlers (order.paid, payment.captured, payment.failed, refund.created, subscription.*) and verifier:
// raw-body HMAC with the webhook secret, deduplicated on X-Razorpay-Event-Id (providers/webhooks.ts applies
// each once, in the transaction that claims it).
import type { Hono } from 'hono';
import { loadCheckoutByOrder, markCheckoutPaid, recordPaymentFailure, refundCheckout, type CheckoutRow } from '../../billing.js';
import type { AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { verifyRazorpayWebhook } from '../../security/signatures.js';
import type { Store } from '../../store/index.js';
import type { WebhookInbox } from '../webhook-inbox.js';
import { parseWebhookObject, webhookRoutes, type WebhookHandler } from '../webhooks.js';
import type { RazorpayClient, RazorpayPayment, RazorpayRefund, RazorpaySubscription } from './client.js';
import type { RazorpaySubscriptions } from './subscriptions.js';
import type { RazorpaySecrets } from './settings.js';

export interface RazorpayEvent {
  event?: string;
  created_at?: number;
  payload?: {
    payment?: { entity?: Partial<RazorpayPayment> };
    order?: { entity?: { id?: string } };
    subscription?: { entity?: RazorpaySubscription };
    invoice?: { entity?: { id?: string; short_url?: string | null } };
    refund?: { entity?: Partial<RazorpayRefund> };
  };
}

/** The subscription events mirrored into the customer (razorpay-subscriptions.md, "Webhooks"). */
export const SUBSCRIPTION_EVENTS = ['authenticated', 'activated', 'charged', 'pending', 'halted', 'cancelled', 'completed', 'paused', 'resumed', 'updated'] as const;

export interface RazorpayWebhookDeps {
  secrets: RazorpaySecrets;
  client: RazorpayClient;
  store: Store;
  log: Logger;
  webhookInbox: WebhookInbox;
  now: () => Date;
  requireAvailable: () => void;
  subscriptions: RazorpaySubscriptions;
}

export function razorpayWebhookRoutes(deps: RazorpayWebhookDeps): Hono<AppEnv> {
  const { secrets, client, store } = deps;
  const checkoutOf = (orderId: string | null | undefined): Promise<CheckoutRow | undefined> => (orderId ? loadCheckoutByOrder(store, ['razorpay'], orderId) : Promise.resolve(undefined));

  const paid: WebhookHandler<RazorpayEvent> = async ({ id, type, payload }) => {
    const payment = payload.payload?.payment?.entity;
    const checkout = await checkoutOf(payload.payload?.order?.entity?.id ?? payment?.order_id);
    if (!checkout) return 'unknown_order';
    if (!payment?.id) return 'ignored';
    return {
      checkoutId: checkout.id,
      apply: async (tx) => {
        const result = await markCheckoutPaid(tx, { checkoutId: checkout.id, paymentId: payment.id!, source: `razorpay_webhook:${type}`, eventId: id, now: deps.now() });
        // The payment's method (upi, card, netbanking, wallet…) reaches us only here: onto its ledger row, for the receipt.
        if (typeof payment.method === 'string' && payment.method)
          await tx.query(`UPDATE payments SET method = $3 WHERE provider = 'razorpay' AND payment_id = $1 AND checkout_id = $2 AND method IS DISTINCT FROM $3`, [payment.id, checkout.id, payment.method]);
        return result.changed ? 'upgraded' : 'already_applied';
      },
    };
  };

  /** Every `subscription.*` event: resolved by the entity's own state (subscriptions.ts), a charge recorded once. */
  const subscriptionEvent: WebhookHandler<RazorpayEvent> = async ({ id, type, payload }) => {
    const entity = payload.payload?.subscription?.entity;
    if (!entity?.id || typeof entity.status !== 'string') return 'ignored';
    // A charge's webhook names its invoice by id only: its short_url (the customer's invoice page, shown in the
    // portal's history) is asked of Razorpay before the transaction; without it the charge is still recorded.
    const payment = payload.payload?.payment?.entity;
    let invoice = payload.payload?.invoice?.entity;
    if (!invoice && type === 'subscription.charged' && typeof payment?.invoice_id === 'string') {
      invoice = await client.fetchInvoice(payment.invoice_id).catch((err: unknown) => {
        deps.log.warn('razorpay invoice not fetched', { invoice_id: payment.invoice_id, error: err instanceof Error ? err.message : String(err) });
        return undefined;
      });
    }
    return {
      apply: (tx) =>
        deps.subscriptions.applyEvent(tx, {
          type,
          eventId: id,
          eventAt: typeof payload.created_at === 'number' ? payload.created_at : 0,
          entity,
          payment,
          invoice,
        }),
    };
  };

  const handlers: Record<string, WebhookHandler<RazorpayEvent>> = {
    ...Object.fromEntries(SUBSCRIPTION_EVENTS.map((event) => [`subscription.${event}`, subscriptionEvent])),
    'payment.captured': paid,
    'order.paid': paid,
    'payment.failed': async ({ payload }) => {
      const payment = payload.payload?.payment?.entity;
      const checkout = await checkoutOf(payload.payload?.order?.entity?.id ?? payment?.order_id);
      if (!checkout) return 'unknown_order';
      return {
        checkoutId: checkout.id,
        apply: async (tx) => {
          await recordPaymentFailure(tx, { checkoutId: checkout.id, code: payment?.error_code ?? 'payment_failed', message: payment?.error_description ?? 'The payment failed', now: deps.now() });
          return 'failure_recorded';
        },
      };
    },
    'refund.created': async ({ id, payload }) => {
      const refund = payload.payload?.refund?.entity;
      let orderId = payload.payload?.payment?.entity?.order_id;
      // A refund event may carry no payment: its order is asked of Razorpay (before the transaction).
      if (!orderId && refund?.payment_id) orderId = (await client.fetchPayment(refund.payment_id)).order_id;
      const checkout = await checkoutOf(orderId);
      if (!checkout) return 'unknown_order';
      if (!refund?.payment_id || typeof refund.amount !== 'number') return 'ignored';
      if (refund.amount < checkout.amount) return 'partial_refund_recorded';
      return {
        checkoutId: checkout.id,
        apply: async (tx) => ((await refundCheckout(tx, { checkoutId: checkout.id, paymentId: refund.payment_id!, source: 'razorpay_webhook:refund.created', eventId: id, now: deps.now() })).reverted ? 'reverted' : 'refund_recorded'),
      };
    },
  };

  return webhookRoutes(deps, {
    provider: 'razorpay',
    path: '/v1/webhooks/razorpay',
    requireAvailable: deps.requireAvailable,
    read(c, raw) {
      if (!verifyRazorpayWebhook(secrets.webhookSecret, raw, c.req.header('X-Razorpay-Signature'))) throw new AppError('invalid_signature', 'Invalid webhook signature');
      const id = c.req.header('X-Razorpay-Event-Id');
      if (!id || id.length > 128) throw new AppError('validation_error', 'X-Razorpay-Event-Id is missing');
      const payload = parseWebhookObject(raw) as RazorpayEvent;
      return { id, type: typeof payload.event === 'string' ? payload.event : 'unknown', payload };
    },
    handlers,
    // Only the events above find an order; any other is recorded as for no order.
    unhandled: 'unknown_order',
  });
}
