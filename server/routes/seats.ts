// POST /v1/seats: the signed-in customer changes the seats of their per-seat plan (services/seats.ts), an
// idempotent POST like POST /v1/checkout; a one-off period answers a prorated top-up checkout to pay.
import { Hono } from 'hono';
import { SeatsRequest } from '../../src/contract/index.js';
import type { AppEnv } from '../context.js';
import { readJson, requireCustomer } from '../http.js';
import { idempotencyKeyOf, withIdempotency } from '../security/idempotency.js';
import { changeSeats } from '../services/seats.js';

export const seatRoutes = new Hono<AppEnv>();

seatRoutes.post('/v1/seats', async (c) => {
  const identity = await requireCustomer(c);
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const body = await readJson(c, SeatsRequest);
    return c.json(await changeSeats(c.get('deps'), { identity, quantity: body.quantity, idempotencyKey: idempotencyKeyOf(c) }));
  });
});
