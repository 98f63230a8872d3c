// Fake Razorpay over real HTTP: the simulated Orders/Payments and Subscriptions APIs of docs/upstream/razorpay.md
// and razorpay-subscriptions.md (the same ones sandbox mode runs in-process; `simulator.advance` / `tick` run
// renewals on its clock), behind the shared fault injection (5xx, 429, delays) for client tests.
import { Hono } from 'hono';
import { createRazorpaySimulator, type RazorpaySimulatorOptions } from '../../server/providers/razorpay/sandbox/simulator.js';
import { FaultInjector, listen } from './harness.js';

export async function startRazorpayFake(options: RazorpaySimulatorOptions) {
  const simulator = createRazorpaySimulator(options);
  const faults = new FaultInjector();
  const app = new Hono();
  app.use(
    '*',
    faults.middleware((c, fault) =>
      fault.kind === 'rate_limited'
        ? c.json({ error: { code: 'BAD_REQUEST_ERROR', description: 'Too many requests', source: 'NA', step: 'NA', reason: 'NA', metadata: {} } }, 429)
        : c.json({ error: { code: 'SERVER_ERROR', description: 'The server encountered an error. The incident has been reported to admins', source: 'NA', step: 'NA', reason: 'NA', metadata: {} } }, fault.status as 500),
    ),
  );
  app.route('/', simulator.api);
  const listening = await listen(app);
  return { url: listening.url, close: listening.close, simulator, control: faults };
}
