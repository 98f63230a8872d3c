// Sandbox-only browser routes: the simulated checkout.js, the endpoint its modal pays (or authorises a
// subscription, or re-authorises one with a new payment method) through, and what it shows for a subscription.
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../../context.js';
import { AppError } from '../../../errors.js';
import { readJson } from '../../../http.js';
import { assetResponse, memoryAsset } from '../../../static-assets.js';
import type { RazorpaySimulator } from './simulator.js';

const CHECKOUT_JS = memoryAsset(new Uint8Array(readFileSync(new URL('./checkout.js', import.meta.url))), 'text/javascript; charset=utf-8');

export const PayRequest = z
  .object({
    key: z.string(),
    /** An order (one-off payment), or… */
    order_id: z.string().min(1).max(64).optional(),
    /** …a subscription (its mandate authorised; the first charge now unless it starts later). */
    subscription_id: z.string().min(1).max(64).optional(),
    outcome: z.enum(['success', 'failure']),
    email: z.string().max(254).optional(),
    contact: z.string().max(32).optional(),
    /** A subscription's payment method (the charges' `method`); default `upi`. */
    method: z.enum(['upi', 'card', 'emandate']).optional(),
    /** checkout.js's `subscription_card_change`: a new mandate for a live subscription (its outstanding invoice paid, if any). */
    subscription_card_change: z.boolean().optional(),
  })
  .refine((b) => (b.order_id === undefined) !== (b.subscription_id === undefined), { message: 'exactly one of order_id and subscription_id is required' })
  .refine((b) => !b.subscription_card_change || b.subscription_id !== undefined, { message: 'subscription_card_change: only with subscription_id' });

/** What the modal shows for a subscription (checkout.js gets no amount for one): the plan's amount × quantity per period. */
export const SandboxSubscriptionView = z.object({
  id: z.string(),
  status: z.string(),
  plan_name: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  period: z.enum(['daily', 'weekly', 'monthly', 'yearly']),
  interval: z.number().int(),
  quantity: z.number().int(),
  /** Unix seconds of the first charge, when that is later than now (a trial); else null. */
  trial_ends_at: z.number().int().nullable(),
  /** With `?card_change=1` (the modal of a `subscription_card_change`): what it pays now and the mandate it replaces. */
  card_change: z
    .object({
      /** The outstanding invoice of a pending or halted subscription, else 0. */
      amount_due: z.number().int(),
      /** The method of the current mandate (null before one is authorised). */
      payment_method: z.string().nullable(),
    })
    .optional(),
});

export function sandboxRazorpayRoutes(simulator: RazorpaySimulator, keyId: string) {
  const routes = new Hono<AppEnv>();
  routes.get('/sandbox/razorpay/checkout.js', (c) =>
    assetResponse(c.req.raw, CHECKOUT_JS, 'no-cache'),
  );
  routes.post('/sandbox/razorpay/pay', async (c) => {
    const body = await readJson(c, PayRequest);
    if (body.key !== keyId) throw new AppError('validation_error', 'key: not this sandbox key');
    if (body.subscription_card_change) {
      // An unknown subscription, or one whose mandate cannot change (cancelled, completed, paused…): Razorpay's 400 envelope.
      const refused = simulator.cardChangeRefusal(body.subscription_id!);
      if (refused) return c.json(refused, 400);
      const payer = { email: body.email, contact: body.contact, method: body.method };
      return c.json(body.outcome === 'success' ? simulator.changePaymentMethod(body.subscription_id!, payer) : simulator.failPaymentMethodChange(body.subscription_id!, payer));
    }
    if (body.subscription_id !== undefined) {
      const sub = simulator.subscriptions.get(body.subscription_id);
      if (!sub) throw new AppError('not_found', 'No such sandbox subscription');
      // Past expire_by it can no longer be authorised: let the clock expire it first.
      if (sub.status === 'created' && sub.expire_by !== null && sub.expire_by * 1000 <= simulator.clock()) simulator.tick();
      if (sub.status !== 'created') throw new AppError('conflict', `This subscription is already ${sub.status}`);
      const payer = { email: body.email, contact: body.contact, method: body.method };
      return c.json(body.outcome === 'success' ? simulator.paySubscription(sub.id, payer) : simulator.failSubscription(sub.id, payer));
    }
    const order = simulator.orders.get(body.order_id!);
    if (!order) throw new AppError('not_found', 'No such sandbox order');
    if (order.status === 'paid') throw new AppError('conflict', 'This order is already paid');
    if (body.outcome === 'success') return c.json(simulator.pay(order.id, body));
    // 200 with Razorpay's error object, as checkout.js hands it to `payment.failed` (not an HTTP failure).
    return c.json(simulator.fail(order.id, body));
  });
  routes.get('/sandbox/razorpay/subscriptions/:id', (c) => {
    if (c.req.query('key') !== keyId) throw new AppError('validation_error', 'key: not this sandbox key');
    const sub = simulator.subscriptions.get(c.req.param('id'));
    const plan = sub && simulator.plans.get(sub.plan_id);
    if (!sub || !plan) throw new AppError('not_found', 'No such sandbox subscription');
    const view: z.infer<typeof SandboxSubscriptionView> = {
      id: sub.id,
      status: sub.status,
      plan_name: plan.item.name,
      amount: plan.item.amount * sub.quantity,
      currency: plan.item.currency,
      period: plan.period,
      interval: plan.interval,
      quantity: sub.quantity,
      trial_ends_at: sub.status === 'created' && sub.start_at * 1000 > simulator.clock() ? sub.start_at : null,
      ...(c.req.query('card_change') === '1' ? { card_change: { amount_due: simulator.amountDue(sub.id), payment_method: sub.payment_method } } : {}),
    };
    return c.json(view);
  });
  return routes;
}
