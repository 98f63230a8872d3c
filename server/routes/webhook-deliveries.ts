// The partner's view of the events sent to its backend (API key): recent deliveries, and a replay of one.
import { Hono } from 'hono';
import { WebhookDeliveryQuery } from '../../src/contract/index.js';
import type { AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { requireApiKey } from '../http.js';
import { listDeliveries, replayDelivery } from '../store/outbox.js';

export const webhookDeliveryRoutes = new Hono<AppEnv>();

webhookDeliveryRoutes.get('/v1/webhook-deliveries', async (c) => {
  requireApiKey(c);
  const query = WebhookDeliveryQuery.safeParse(c.req.query());
  if (!query.success) {
    const issue = query.error.issues[0];
    throw new AppError('validation_error', `${issue.path.join('.') || 'query'}: ${issue.message}`);
  }
  return c.json({ deliveries: await listDeliveries(c.get('deps').store, query.data) });
});

webhookDeliveryRoutes.post('/v1/webhook-deliveries/:id/replay', async (c) => {
  requireApiKey(c);
  const id = c.req.param('id');
  const { store, partnerWebhooks } = c.get('deps');
  // Ids are the deliveries' numbers; anything else is no delivery.
  const delivery = /^[1-9][0-9]{0,17}$/.test(id) ? await replayDelivery(store, id) : null;
  if (!delivery) throw new AppError('not_found', `No webhook delivery ${id}`);
  partnerWebhooks.kick();
  return c.json({ delivery }, 202);
});
