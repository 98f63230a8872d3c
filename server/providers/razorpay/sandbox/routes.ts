// Sandbox-only browser routes: the simulated checkout.js and the endpoint its modal pays through.
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../../context.js';
import { AppError } from '../../../errors.js';
import { readJson } from '../../../http.js';
import { assetResponse, memoryAsset } from '../../../static-assets.js';
import type { RazorpaySimulator } from './simulator.js';

const CHECKOUT_JS = memoryAsset(new Uint8Array(readFileSync(new URL('./checkout.js', import.meta.url))), 'text/javascript; charset=utf-8');

export const PayRequest = z.object({
  key: z.string(),
  order_id: z.string().min(1).max(64),
  outcome: z.enum(['success', 'failure']),
  email: z.string().max(254).optional(),
  contact: z.string().max(32).optional(),
});

export function sandboxRazorpayRoutes(simulator: RazorpaySimulator, keyId: string) {
  const routes = new Hono<AppEnv>();
  routes.get('/sandbox/razorpay/checkout.js', (c) =>
    assetResponse(c.req.raw, CHECKOUT_JS, 'no-cache'),
  );
  routes.post('/sandbox/razorpay/pay', async (c) => {
    const body = await readJson(c, PayRequest);
    if (body.key !== keyId) throw new AppError('validation_error', 'key: not this sandbox key');
    const order = simulator.orders.get(body.order_id);
    if (!order) throw new AppError('not_found', 'No such sandbox order');
    if (order.status === 'paid') throw new AppError('conflict', 'This order is already paid');
    if (body.outcome === 'success') return c.json(simulator.pay(order.id, body));
    // 200 with Razorpay's error object, as checkout.js hands it to `payment.failed` (not an HTTP failure).
    return c.json(simulator.fail(order.id, body));
  });
  return routes;
}
