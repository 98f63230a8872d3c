// Stripe Tax (README "Taxes") on both engines: a Stripe price with `tax: {mode: "stripe_tax"}` asks Stripe for
// automatic_tax with the address collected and adds no tax line of its own; the checkout says Stripe computes the
// tax; once paid (the fake's signed webhook, the sandbox's completion) the payment, receipt and PDF carry the tax
// and total Stripe charged. Refused on a Razorpay price and in the catalog-wide tax; other Stripe prices unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PDFParse } from 'pdf-parse';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';
import { startStripeFake } from '../fakes/stripe.js';
import { listen, type Listening } from '../fakes/harness.js';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type ConfigFile } from '../../server/config.js';
import { exclusiveTax } from '../../server/services/taxes.js';
import { SANDBOX_TAX_RATE } from '../../server/providers/stripe/sandbox/objects.js';
import type { StripeSimulator } from '../../server/providers/stripe/sandbox/simulator.js';
import type { Store } from '../../server/store/index.js';

const KEYS = { STRIPE_SECRET_KEY: 'sk_test_tollgate', STRIPE_PUBLISHABLE_KEY: 'pk_test_tollgate', STRIPE_WEBHOOK_SECRET: 'whsec_test_tollgate' };
const STRIPE_TAX = { mode: 'stripe_tax' };
const FILE = {
  plans: [
    { id: 'free', name: 'Free' },
    { id: 'solo', name: 'Solo', prices: [{ provider: 'stripe', currency: 'USD', amount: 4999, interval: 'once', tax: STRIPE_TAX }] },
    { id: 'team', name: 'Team', prices: [{ provider: 'stripe', currency: 'USD', amount: 1000, interval: 'month', per_unit: true, max_quantity: 50, tax: STRIPE_TAX }] },
    { id: 'plain', name: 'Plain', prices: [{ provider: 'stripe', currency: 'USD', amount: 2000, interval: 'once', tax: { mode: 'exclusive', rates: { US: { rate: 5, name: 'Sales tax' } } } }] },
  ],
  promotion_codes: [{ code: 'LAUNCH20', percent_off: 20 }],
} as unknown as Partial<ConfigFile>;

function configError(file: Record<string, unknown>): string {
  try {
    parseConfig({ ...DEFAULT_CONFIG, ...file });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('the config was accepted');
}

test('config: stripe_tax is refused on a Razorpay price and in the catalog-wide tax, accepted on a Stripe price', () => {
  const plan = (price: Record<string, unknown>) => ({ plans: [{ id: 'free', name: 'Free' }, { id: 'pro', name: 'Pro', prices: [price] }] });
  assert.match(configError(plan({ provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month', tax: STRIPE_TAX })), /plans\[1\]\.prices\[0\]\.tax\.mode: .*Stripe's own tax service; a razorpay price cannot use it/s);
  assert.match(configError({ ...plan({ provider: 'stripe', currency: 'USD', amount: 900, interval: 'month' }), tax: STRIPE_TAX }), /tax\.mode/);
  assert.match(configError(plan({ provider: 'stripe', currency: 'USD', amount: 900, interval: 'month', tax: { mode: 'stripe_tax', rates: {} } })), /rates/);
  const ok = parseConfig({ ...DEFAULT_CONFIG, ...plan({ provider: 'stripe', currency: 'USD', amount: 900, interval: 'month', tax: STRIPE_TAX }) });
  assert.deepEqual(ok.plans[1]!.prices[0]!.tax, { mode: 'stripe_tax' });
});

/** The receipt of the customer's only payment, its PDF's text, and the payment row. */
async function receiptOf(server: TestServer, token: string, checkoutId: string) {
  const list = await json(await server.request('GET', '/v1/receipts', { token }));
  assert.equal(list.receipts.length, 1);
  const receipt = await json(await server.request('GET', `/v1/receipts/${list.receipts[0].id}`, { token }));
  const pdf = await server.app.request(new URL(receipt.links.pdf).pathname + new URL(receipt.links.pdf).search);
  assert.equal(pdf.status, 200);
  const parser = new PDFParse({ data: new Uint8Array(await pdf.arrayBuffer()) });
  const text = (await parser.getText()).text;
  await parser.destroy();
  const [payment] = await server.store.query<{ amount: number }>('SELECT amount FROM payments WHERE checkout_id = $1', [checkoutId]);
  return { receipt, text, payment };
}

for (const engine of engines()) {
  describe(`Stripe Tax against the Stripe HTTP fake (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let fake: Awaited<ReturnType<typeof startStripeFake>>;
    let served: Listening;
    before(async () => {
      store = await testStore(engine);
      fake = await startStripeFake();
      server = await makeServer({ store, env: { ...KEYS, STRIPE_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' }, file: FILE });
      served = await listen(server.app);
      fake.control.setWebhookUrl(`${served.url}/v1/webhooks/stripe`);
    });
    after(async () => {
      await served.close();
      await fake.close();
      await store.close();
    });
    async function checkout(token: string, body: Record<string, unknown>) {
      const res = await server.request('POST', '/v1/checkout', { token, body: { provider: 'stripe', currency: 'USD', return_url: 'http://tollgate.test/back', ...body } });
      assert.equal(res.status, 201, await res.clone().text());
      return json(res);
    }
    const lastSessionCall = () => [...fake.state.requests].reverse().find((r) => r.path === '/v1/checkout/sessions')!.params as any;
    const sessionIdOf = (action: { url: string }) => new URL(action.url).pathname.split('/').pop()!;

    test('GET /v1/plans says the tax of a Stripe Tax price is computed by Stripe; the rated price keeps its amount', async () => {
      const { plans } = await json(await server.request('GET', '/v1/plans?currency=USD'));
      const charge = (id: string) => plans.find((p: { id: string }) => p.id === id).charge[0];
      assert.deepEqual(charge('solo').tax, { name: 'Tax', rate: null, inclusive: false, amount: null, computed_by: 'stripe' });
      assert.deepEqual(charge('plain').tax, { name: 'Sales tax', rate: 5, inclusive: false, amount: 100 });
    });

    test('one-off with a code: the session asks for automatic_tax, no line of ours; paid, payment and receipt are what Stripe charged', async () => {
      const token = await server.session(uniqueId());
      const res = await checkout(token, { plan: 'solo', interval: 'once', promotion_code: 'LAUNCH20' });
      // 4999 − 20 % (1000) = 3999 before the tax, which Stripe adds at checkout.
      assert.deepEqual(res.pricing.tax, { amount: null, name: 'Tax', rate: null, inclusive: false, country: 'US', computed_by: 'stripe' });
      assert.equal(res.pricing.total, 3999);
      const params = lastSessionCall();
      assert.deepEqual(params.automatic_tax, { enabled: 'true' });
      assert.equal(params.billing_address_collection, 'required');
      assert.deepEqual(params.customer_update, { address: 'auto' });
      assert.equal(params.line_items.length, 1, 'no tax line item of ours');
      assert.equal(params.line_items[0].price_data.tax_behavior, 'exclusive');

      const session = await fake.control.completeSession(sessionIdOf(res.action));
      assert.equal(fake.state.deliveries.at(-1)!.status, 200);
      const amountTax = session.total_details.amount_tax;
      assert.equal(amountTax, exclusiveTax(3999, SANDBOX_TAX_RATE));
      assert.equal(session.amount_total, 3999 + amountTax);
      const { receipt, text, payment } = await receiptOf(server, token, res.checkout_id);
      assert.equal(payment!.amount, session.amount_total);
      assert.equal(receipt.total, session.amount_total);
      assert.equal(receipt.tax_total, amountTax);
      assert.deepEqual(receipt.lines[0].taxes, [{ name: 'Tax', rate: null, amount: amountTax, inclusive: false }]);
      assert.equal(receipt.subtotal, 4999);
      assert.equal(receipt.discount_total, 1000);
      for (const expected of ['Tax: $4\n', 'Total paid $43.99']) assert.ok(text.includes(expected), `${expected} in ${JSON.stringify(text)}`);
      const [row] = await store.query<{ amount: number; tax_amount: number; status: string }>('SELECT amount, tax_amount, status FROM checkouts WHERE id = $1', [res.checkout_id]);
      assert.deepEqual(row, { amount: session.amount_total, tax_amount: amountTax, status: 'paid' });
    });

    test('a subscription of 3 seats: Stripe Tax on the session, the first payment carries its tax; a replayed event changes nothing', async () => {
      const token = await server.session(uniqueId());
      const res = await checkout(token, { plan: 'team', quantity: 3 });
      const params = lastSessionCall();
      assert.deepEqual([params.mode, params.automatic_tax, params.line_items.length, params.line_items[0].quantity], ['subscription', { enabled: 'true' }, 1, '3']);
      const session = await fake.control.completeSession(sessionIdOf(res.action));
      assert.equal(session.total_details.amount_tax, 300);
      assert.equal(session.amount_total, 3300);
      await fake.control.sendEvent('checkout.session.completed', session);
      assert.equal(fake.state.deliveries.at(-1)!.status, 200);
      const { receipt, payment } = await receiptOf(server, token, res.checkout_id);
      assert.deepEqual([payment!.amount, receipt.total, receipt.tax_total], [3300, 3300, 300]);
      assert.equal((await json(await server.request('GET', '/v1/entitlements', { token }))).plan, 'team');
    });

    test('a Stripe price with its own rate is unchanged: no automatic_tax, its tax line item, its total', async () => {
      const token = await server.session(uniqueId());
      const res = await checkout(token, { plan: 'plain', interval: 'once' });
      const params = lastSessionCall();
      assert.equal(params.automatic_tax, undefined);
      assert.equal(params.customer_update, undefined);
      assert.deepEqual(params.line_items.map((li: any) => li.price_data.unit_amount), ['2000', '100']);
      assert.equal(res.pricing.total, 2100);
      const session = await fake.control.completeSession(sessionIdOf(res.action));
      assert.deepEqual([session.amount_total, session.total_details.amount_tax], [2100, 0]);
      const { receipt, payment } = await receiptOf(server, token, res.checkout_id);
      assert.deepEqual([payment!.amount, receipt.total, receipt.tax_total], [2100, 2100, 100]);
    });

    test('the fake refuses automatic_tax for a customer without the address collected, as Stripe does', async () => {
      const res = await fetch(`${fake.url}/v1/checkout/sessions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEYS.STRIPE_SECRET_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ mode: 'payment', success_url: 'http://x.test/', 'line_items[0][price]': 'price_one_time', 'line_items[0][quantity]': '1', 'automatic_tax[enabled]': 'true', customer: [...fake.state.customers.keys()][0]! }),
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.param, 'customer_update[address]');
    });
  });

  describe(`Stripe Tax in the sandbox (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: FILE });
    });
    after(() => store.close());

    test(`the simulator adds its fixed ${SANDBOX_TAX_RATE} % exclusive tax; the receipt carries it`, async () => {
      const token = await server.session(uniqueId());
      const res = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'solo', interval: 'once', provider: 'stripe', return_url: 'http://tollgate.test/back' } }));
      assert.equal(res.pricing.tax.computed_by, 'stripe');
      const simulator = (server.deps.providers.get('stripe') as unknown as { sandbox: StripeSimulator }).sandbox;
      const id = new URL(res.action.url).pathname.split('/').pop()!;
      assert.deepEqual(simulator.sessions.get(id)!.automatic_tax, { enabled: true, status: 'complete' });
      const session = await simulator.completeSession(id);
      assert.deepEqual([session.total_details.amount_tax, session.amount_total], [500, 5499]);
      const { receipt, payment } = await receiptOf(server, token, res.checkout_id);
      assert.deepEqual([payment!.amount, receipt.total, receipt.tax_total], [5499, 5499, 500]);
    });
  });
}
