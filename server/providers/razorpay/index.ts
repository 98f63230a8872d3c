// Razorpay, direct: orders priced from the catalog, payment signatures checked against the stored order,
// and signed webhooks (order.paid, payment.captured, payment.failed, refund.created) applied once each.
import { Hono } from 'hono';
import type { RazorpayAction } from '../../../src/contract/index.js';
import { claimWebhookEvent, findCheckoutByOrder, markCheckoutPaid, recordPaymentFailure, refundCheckout, webhookEventSeen, type CheckoutRow } from '../../billing.js';
import type { RazorpaySecrets } from '../../config.js';
import type { AppEnv } from '../../context.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { verifyRazorpayPayment, verifyRazorpayWebhook } from '../../security/signatures.js';
import type { Store } from '../../store/index.js';
import type { RazorpayPayment, RazorpayRefund } from '../../sandbox/razorpay-simulator.js';
import type { Provider } from '../types.js';
import type { FetchLike } from '../upstream.js';
import { parseWebhookObject } from '../webhooks.js';
import { RazorpayClient } from './client.js';

export const RAZORPAY_CHECKOUT_JS = 'https://checkout.razorpay.com/v1/checkout.js';

export interface RazorpayProviderOptions {
  secrets: RazorpaySecrets;
  businessName: string;
  themeColor?: string;
  store: Store;
  log: Logger;
  now: () => Date;
  timeoutMs: number;
  fetch: FetchLike;
  /** Where checkout.js comes from: Razorpay's CDN when live, the server's simulated one in sandbox. */
  scriptUrl: string;
}

interface RazorpayEvent {
  event?: string;
  payload?: {
    payment?: { entity?: Partial<RazorpayPayment> };
    order?: { entity?: { id?: string } };
    refund?: { entity?: Partial<RazorpayRefund> };
  };
}

export function createRazorpayProvider(options: RazorpayProviderOptions): Provider {
  const { secrets, store, log } = options;
  const client = new RazorpayClient({ provider: 'razorpay', fetch: options.fetch, timeoutMs: options.timeoutMs, log, keyId: secrets.keyId, keySecret: secrets.keySecret, apiBase: secrets.apiBase });

  function requireAvailable() {
    if (secrets.mode === 'unavailable') throw new AppError('provider_unavailable', 'Razorpay is not configured on this server (RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET)');
  }

  const routes = new Hono<AppEnv>();

  // Webhooks: raw-body HMAC with the webhook secret, dedup on X-Razorpay-Event-Id in SQL, and the
  // event applied in the same transaction as its dedup row (a failure rolls both back; Razorpay retries).
  routes.post('/v1/webhooks/razorpay', async (c) => {
    requireAvailable();
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (!verifyRazorpayWebhook(secrets.webhookSecret, raw, c.req.header('X-Razorpay-Signature'))) {
      throw new AppError('invalid_signature', 'Invalid webhook signature');
    }
    const eventId = c.req.header('X-Razorpay-Event-Id');
    if (!eventId || eventId.length > 128) throw new AppError('validation_error', 'X-Razorpay-Event-Id is missing');
    const event = parseWebhookObject(raw) as RazorpayEvent;
    const type = typeof event.event === 'string' ? event.event : 'unknown';
    const outcome = await applyEvent(eventId, type, event);
    log.info('razorpay webhook', { request_id: c.get('requestId'), event_id: eventId, event: type, outcome });
    return c.json({ received: true, outcome });
  });

  async function checkoutForPayment(payment: Partial<RazorpayPayment> | undefined, orderId?: string): Promise<CheckoutRow | undefined> {
    const id = orderId ?? payment?.order_id;
    return id ? findCheckoutByOrder(store, ['razorpay'], id) : undefined;
  }

  async function applyEvent(eventId: string, type: string, event: RazorpayEvent): Promise<string> {
    const payment = event.payload?.payment?.entity;
    const now = options.now();
    // Dedup first: a redelivery neither asks Razorpay again nor fails when Razorpay is down.
    if (await webhookEventSeen(store, 'razorpay', eventId)) return 'duplicate';
    // Look-ups that may call Razorpay happen before the transaction, so no transaction waits on the network.
    let checkout: CheckoutRow | undefined;
    let refundEntity: Partial<RazorpayRefund> | undefined;
    if (type === 'payment.captured' || type === 'order.paid' || type === 'payment.failed') {
      checkout = await checkoutForPayment(payment, event.payload?.order?.entity?.id);
    } else if (type === 'refund.created') {
      refundEntity = event.payload?.refund?.entity;
      let orderId = payment?.order_id;
      if (!orderId && refundEntity?.payment_id) orderId = (await client.fetchPayment(refundEntity.payment_id)).order_id;
      checkout = orderId ? await findCheckoutByOrder(store, ['razorpay'], orderId) : undefined;
    }

    return store.transaction(async (tx) => {
      if (!(await claimWebhookEvent(tx, 'razorpay', eventId, type))) return 'duplicate';
      if (!checkout) return 'unknown_order';
      try {
        switch (type) {
          case 'payment.captured':
          case 'order.paid': {
            if (!payment?.id) return 'ignored';
            const result = await markCheckoutPaid(tx, { checkoutId: checkout.id, paymentId: payment.id, source: `razorpay_webhook:${type}`, eventId, now });
            return result.changed ? 'upgraded' : 'already_applied';
          }
          case 'payment.failed':
            await recordPaymentFailure(tx, {
              checkoutId: checkout.id,
              code: payment?.error_code ?? 'payment_failed',
              message: payment?.error_description ?? 'The payment failed',
              now,
            });
            return 'failure_recorded';
          case 'refund.created': {
            if (!refundEntity?.payment_id || typeof refundEntity.amount !== 'number') return 'ignored';
            if (refundEntity.amount < checkout.amount) return 'partial_refund_recorded';
            const { reverted } = await refundCheckout(tx, { checkoutId: checkout.id, paymentId: refundEntity.payment_id, source: 'razorpay_webhook:refund.created', eventId, now });
            return reverted ? 'reverted' : 'refund_recorded';
          }
          default:
            return 'ignored';
        }
      } catch (err) {
        // Verified, but it cannot apply (another payment already paid this order): keep the event
        // recorded and acknowledged so Razorpay stops retrying; the log says why. Any other error rolls
        // back the transaction, dedup row included, so Razorpay's retry is processed.
        if (err instanceof AppError && err.code === 'conflict') {
          log.warn('razorpay webhook conflict', { event_id: eventId, event: type, checkout_id: checkout.id, reason: err.message });
          return 'conflict';
        }
        throw err;
      }
    });
  }

  return {
    name: 'razorpay',
    mode: secrets.mode,
    routes,

    async createCheckout(ctx) {
      requireAvailable();
      const order = await client.createOrder({
        amount: ctx.price.amount,
        currency: ctx.price.currency,
        receipt: ctx.checkout.id,
        notes: { customer_id: ctx.customer.id, plan: ctx.plan.id, checkout_id: ctx.checkout.id },
      });
      const action: RazorpayAction = {
        type: 'razorpay',
        key_id: secrets.keyId,
        order_id: order.id,
        amount: order.amount,
        currency: order.currency,
        name: options.businessName,
        description: `${ctx.plan.name} plan, ${ctx.price.interval === 'year' ? 'yearly' : ctx.price.interval === 'month' ? 'monthly' : 'one-off'}`,
        prefill: {
          ...(ctx.customer.name ? { name: ctx.customer.name } : {}),
          ...(ctx.customer.email ? { email: ctx.customer.email } : {}),
          ...(ctx.customer.contact ? { contact: ctx.customer.contact } : {}),
        },
        script_url: options.scriptUrl,
        ...(options.themeColor ? { theme_color: options.themeColor } : {}),
        verify_path: '/v1/razorpay/verify',
      };
      return { providerOrderId: order.id, action, status: 'pending' };
    },

    async verifyPayment({ checkout, body }) {
      requireAvailable();
      // The order id stored on the server, never the one the browser sent back.
      if (!verifyRazorpayPayment(secrets.keySecret, checkout.provider_order_id!, body.razorpay_payment_id, body.razorpay_signature)) {
        throw new AppError('invalid_signature', 'Invalid payment signature');
      }
    },
  };
}
