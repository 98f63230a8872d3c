// Checkout endpoints: create (priced on the server), a promotion code's preview, the hand-off start, verify (by checkout, and the
// Razorpay alias), the checkout's status and its server-sent events. The work is in services/checkout.ts.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { CheckoutRequest, FINAL_CHECKOUT_STATUSES, PromotionPreviewRequest, RazorpayVerifyRequest } from '../../src/contract/index.js';
import type { AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { readJson, requireCustomer } from '../http.js';
import { idempotencyKeyOf, withIdempotency } from '../security/idempotency.js';
import { assertCheckoutScope, createCheckout, previewPromotion, startCheckout, verifyPayment } from '../services/checkout.js';
import { checkoutState, getCheckout, loadCheckoutByOrder, ownCheckout } from '../store/checkouts.js';

const FINAL: ReadonlySet<string> = new Set(FINAL_CHECKOUT_STATUSES);

export const checkoutRoutes = new Hono<AppEnv>();

checkoutRoutes.post('/v1/checkout', async (c) => {
  const identity = await requireCustomer(c);
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const body = await readJson(c, CheckoutRequest);
    const input = { identity, body, idempotencyKey: idempotencyKeyOf(c), origin: c.req.header('Origin') };
    return c.json(await createCheckout(c.get('deps'), input), 201);
  });
});

// A promotion code's effect on a checkout of this plan, for the widget to show before paying (nothing is held).
checkoutRoutes.post('/v1/promotion-codes/validate', async (c) => {
  const identity = await requireCustomer(c);
  const body = await readJson(c, PromotionPreviewRequest);
  return c.json(await previewPromotion(c.get('deps'), { identity, body }));
});

// The hand-off page in the system browser starts the payment of an existing checkout, once.
checkoutRoutes.post('/v1/checkout/:id/start', async (c) => {
  const identity = await requireCustomer(c, { allowScoped: true });
  const id = c.req.param('id');
  assertCheckoutScope(identity, id);
  return withIdempotency(c, `customer:${identity.customerId}`, async () => c.json(await startCheckout(c.get('deps'), identity, id)));
});

checkoutRoutes.get('/v1/checkout/:id', async (c) => {
  const identity = await requireCustomer(c, { allowScoped: true });
  const id = c.req.param('id');
  assertCheckoutScope(identity, id);
  const { store } = c.get('deps');
  let row = await ownCheckout(store, identity.customerId, id);
  const provider = c.get('deps').providers.get(row.provider);
  // Paid but still provisioning (mintbot agents): keep asking, so a lost agent.ready webhook still shows up.
  const provisioning = row.status === 'paid' && row.fulfillment?.status === 'provisioning';
  if ((!FINAL.has(row.status) || provisioning) && row.provider_order_id && provider?.refreshCheckout) {
    await provider.refreshCheckout(row);
    row = (await getCheckout(store, id))!;
  }
  return c.json(checkoutState(row));
});

// Server-sent events for one checkout (EventSource cannot send headers: the token comes as ?token=).
checkoutRoutes.get('/v1/checkout/:id/events', async (c) => {
  const token = c.req.query('token');
  if (!token) throw new AppError('unauthenticated', 'Missing ?token=<session token>');
  const identity = await c.get('deps').verifyToken(token);
  const id = c.req.param('id');
  assertCheckoutScope(identity, id);
  const { store } = c.get('deps');
  await ownCheckout(store, identity.customerId, id);
  return streamSSE(c, async (stream) => {
    let last = '';
    const until = Date.now() + 10 * 60 * 1000;
    while (!stream.aborted && Date.now() < until) {
      const row = (await getCheckout(store, id))!;
      const state = JSON.stringify(checkoutState(row));
      if (state !== last) {
        last = state;
        await stream.writeSSE({ event: 'status', data: state });
      }
      if (FINAL.has(row.status)) break;
      await stream.sleep(1000);
    }
  });
});

// Verify the browser's proof of payment for one checkout with its provider (Razorpay's and Mintoken's
// Checkout handler response), then mark it paid: one upgrade and one audit row however often it is sent.
checkoutRoutes.post('/v1/checkout/:id/verify', async (c) => {
  const identity = await requireCustomer(c, { allowScoped: true });
  const id = c.req.param('id');
  assertCheckoutScope(identity, id);
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const body = await readJson(c, RazorpayVerifyRequest);
    const own = await ownCheckout(c.get('deps').store, identity.customerId, id);
    const checkout = own.provider_order_id === body.razorpay_order_id ? own : undefined;
    return c.json(await verifyPayment(c.get('deps'), { identity, checkout, body, requestId: c.get('requestId') }));
  });
});

// The same verify, the checkout found by its upstream order id: the path Razorpay-shaped actions name (kept as an alias).
checkoutRoutes.post('/v1/razorpay/verify', async (c) => {
  const identity = await requireCustomer(c, { allowScoped: true });
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const { store } = c.get('deps');
    const body = await readJson(c, RazorpayVerifyRequest);
    const checkout = await loadCheckoutByOrder(store, c.get('deps').providers.namesWith('verify'), body.razorpay_order_id);
    return c.json(await verifyPayment(c.get('deps'), { identity, checkout, body, requestId: c.get('requestId') }));
  });
});
