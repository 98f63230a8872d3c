// GET /healthz: the store answers, the engine, sandbox or not, and each provider's mode.
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { storeReachable } from '../store/health.js';

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get('/healthz', async (c) => {
  const { store, config, providers } = c.get('deps');
  const ok = await storeReachable(store);
  return c.json({ ok, store: store.engine, sandbox: config.sandbox, providers: providers.modes() }, ok ? 200 : 503);
});
