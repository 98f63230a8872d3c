// Seats and taxes on both engines: per-seat config checks, quantity pricing and its limits, the tax rounding rule
// on every catalog currency (INR, USD, JPY with no minor unit, EUR) inclusive and exclusive and after a promotion
// code (discount first, then tax), GSTIN check characters and VAT id formats, refusals in the envelope, what the
// Razorpay and Stripe HTTP fakes receive (order amount = total; line item quantity, a tax line), the seats limit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, testStore, uniqueId, TEST_ENV, type TestServer } from './helpers.js';
import { PDFParse } from 'pdf-parse';
import { startRazorpayFake } from '../fakes/razorpay.js';
import { startStripeFake } from '../fakes/stripe.js';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type ConfigFile, type PlanPriceConfig } from '../../server/config.js';
import { gstinCheckCharacter, gstinProblem, vatIdProblem } from '../../server/services/business.js';
import { checkoutQuantity } from '../../server/services/pricing.js';
import { assertProviderTaxes } from '../../server/services/checkout.js';
import { exclusiveTax, inclusiveTax, priceTax } from '../../server/services/taxes.js';
import { AppError } from '../../server/errors.js';
import { signRazorpayPayment } from '../../server/security/signatures.js';
import type { Store } from '../../server/store/index.js';
import type { CheckoutPricing, CustomerState, Entitlements, ErrorCode, PlansResponse, PromotionPreview } from '../../src/contract/index.js';

const GST_INCL = { mode: 'inclusive', rates: { IN: { rate: 18, name: 'GST', split: 'cgst_sgst' } } };
const PLANS = [
  { id: 'free', name: 'Free', limits: { seats: 1 } },
  { id: 'pro', name: 'Pro', limits: { seats: 1 }, prices: [{ provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month' }] },
  {
    id: 'team',
    name: 'Team',
    limits: { seats: 3 },
    prices: [
      { provider: 'razorpay', currency: 'INR', amount: 49900, interval: 'month', per_unit: true, min_quantity: 2, max_quantity: 50, tax: GST_INCL },
      { provider: 'razorpay', currency: 'INR', amount: 99900, interval: 'once', per_unit: true, max_quantity: 10 },
      { provider: 'stripe', currency: 'USD', amount: 1000, interval: 'month', per_unit: true, max_quantity: 100, tax: { mode: 'exclusive', rates: { DE: { rate: 19, name: 'VAT' }, US: { rate: 0, name: 'Sales tax' } } } },
      { provider: 'stripe', currency: 'JPY', amount: 1200, interval: 'year', per_unit: true, tax: { mode: 'inclusive', rates: { JP: { rate: 10, name: 'JCT' } } } },
    ],
  },
];
const FILE = {
  metrics: [{ id: 'seats', label: 'Seats', label_one: 'Seat' }],
  plans: PLANS,
  // The catalog's default: exclusive GST for every price without its own tax (pro, and the one-off team price).
  tax: { mode: 'exclusive', rates: { IN: { rate: 18, name: 'GST', split: 'igst' } } },
  promotion_codes: [{ code: 'LAUNCH20', percent_off: 20 }, { code: 'FLAT', amount_off: { INR: 50000, USD: 500, JPY: 300 } }, { code: 'ALWAYS5', amount_off: { USD: 500 }, duration: 'forever' }],
} as unknown as Partial<ConfigFile>;

const T0 = Date.parse('2026-12-01T12:00:00Z');

function configError(file: Record<string, unknown>): string {
  try {
    parseConfig({ ...DEFAULT_CONFIG, ...file });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('the config was accepted');
}

function assertRefused(res: { status: number; body: { error?: { code: string; message: string; request_id?: string } } }, code: ErrorCode, message: RegExp) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error?.code, code);
  assert.match(res.body.error!.message, message);
  assert.ok(res.body.error!.request_id, 'the envelope has the request id');
}

describe('seats and taxes in the config', () => {
  const plan = (price: Record<string, unknown>) => ({ plans: [{ id: 'free', name: 'Free' }, { id: 'p', name: 'P', prices: [{ provider: 'razorpay', currency: 'INR', amount: 100, interval: 'month', ...price }] }] });
  test('each mistake names the field and the fix', () => {
    assert.match(configError(plan({ min_quantity: 2 })), /min_quantity: min_quantity and max_quantity are for a per-seat price/);
    assert.match(configError(plan({ per_unit: true, min_quantity: 5, max_quantity: 2 })), /max_quantity \(2\) is below min_quantity \(5\)/);
    assert.match(configError(plan({ per_unit: true, min_quantity: 1.5 })), /whole number of seats/);
    assert.match(configError(plan({ tax: { mode: 'inclusive', rates: { in: { rate: 18, name: 'GST' } } } })), /ISO 3166/);
    assert.match(configError(plan({ tax: { mode: 'inclusive', rates: { IN: { rate: 18.125, name: 'GST' } } } })), /at most two decimals/);
    assert.match(configError(plan({ tax: { mode: 'both', rates: {} } })), /tax\.mode/);
    assert.match(configError({ tax: { mode: 'exclusive', rates: { IN: { rate: 18, name: 'GST', splits: 'igst' } } } }), /"splits" \(did you mean "split"\?\)/);
  });
  test('a valid per-seat, taxed catalog parses', () => {
    const cfg = parseConfig({ ...DEFAULT_CONFIG, ...FILE });
    assert.equal(cfg.plans[2].prices[0].per_unit, true);
    assert.equal(cfg.tax?.rates.IN.rate, 18);
  });
});

describe('the tax rounding rule (integer minor units, half up; inclusive takes the tax out of the gross)', () => {
  // [currency, mode, rate, taxable amount, tax]: worked by hand with decimal half-up rounding (Python's Decimal ROUND_HALF_UP).
  const CASES: [string, 'inclusive' | 'exclusive', number, number, number][] = [
    ['INR', 'exclusive', 18, 159900, 28782],
    ['INR', 'exclusive', 18, 119760, 21557], // 3 seats × ₹499 less 20 %: 21556.8 → 21557
    ['INR', 'exclusive', 18, 25, 5], // 4.5 → 5 (half up)
    ['INR', 'exclusive', 5, 10, 1], // 0.5 → 1
    ['INR', 'inclusive', 18, 149700, 22836],
    ['INR', 'inclusive', 18, 118, 18],
    ['INR', 'inclusive', 18, 59, 9],
    ['INR', 'inclusive', 28, 1, 0],
    ['USD', 'exclusive', 19, 3000, 570],
    ['USD', 'exclusive', 19, 2500, 475],
    ['USD', 'inclusive', 19, 1190, 190],
    ['USD', 'exclusive', 7.7, 1950, 150],
    ['USD', 'inclusive', 7.7, 1077, 77],
    ['JPY', 'inclusive', 10, 3600, 327], // no minor unit: yen are the integers
    ['JPY', 'exclusive', 10, 1234, 123],
    ['JPY', 'exclusive', 10, 1235, 124], // 123.5 → 124
    ['JPY', 'inclusive', 10, 11, 1],
    ['EUR', 'exclusive', 19, 2250, 428], // 427.5 → 428
    ['EUR', 'inclusive', 21, 2420, 420],
  ];
  for (const [currency, mode, rate, taxable, tax] of CASES) {
    test(`${currency} ${mode} ${rate} % of ${taxable} → ${tax}`, () => {
      assert.equal(mode === 'exclusive' ? exclusiveTax(taxable, rate) : inclusiveTax(taxable, rate), tax);
      const priced = priceTax(taxable, { mode, rate, name: 'T', country: 'XX' });
      assert.equal(priced.tax!.amount, tax);
      assert.equal(priced.total, mode === 'exclusive' ? taxable + tax : taxable);
    });
  }
  test('inclusive: net + tax is the gross exactly, and the net rounds back to it, for every gross up to ₹100', () => {
    for (let gross = 0; gross <= 10_000; gross++) {
      const tax = inclusiveTax(gross, 18);
      const net = gross - tax;
      assert.ok(tax >= 0 && Math.abs(net * 1.18 - gross) <= 0.59 + 1e-9, `${gross}: net ${net} tax ${tax}`);
    }
  });
  test('India: CGST + SGST halves add up to the GST (CGST takes the odd paisa)', () => {
    const { tax } = priceTax(119760, { mode: 'exclusive', rate: 18, name: 'GST', country: 'IN', split: 'cgst_sgst' });
    assert.deepEqual(tax!.split, [{ name: 'CGST', rate: 9, amount: 10779 }, { name: 'SGST', rate: 9, amount: 10778 }]);
  });
});

describe('business details', () => {
  test('GSTIN: real-format numbers pass, their check character is computed (base 36, weights 1 and 2)', () => {
    for (const gstin of ['27AAPFU0939F1ZV', '29AAGCB7383J1Z4', '33AAACH7409R1Z8', '24AAACC1206D1ZM']) {
      assert.equal(gstinProblem(gstin), null, gstin);
      assert.equal(gstinCheckCharacter(gstin.slice(0, 14)), gstin[14]);
    }
  });
  test('GSTIN: a mistyped character, a wrong check, a bad state code or format are refused', () => {
    assert.match(gstinProblem('27AAPFU0939F1ZW')!, /check character/);
    assert.match(gstinProblem('27AAPFU0938F1ZV')!, /check character/);
    assert.match(gstinProblem('00AAPFU0939F1ZV')!, /not an Indian state code/);
    assert.match(gstinProblem('27AAPFU0939F1Z')!, /15 characters/);
    assert.match(gstinProblem('27AAPF00939F1ZV')!, /15 characters/);
  });
  test('VAT ids: the format of their country prefix', () => {
    for (const id of ['DE123456789', 'FRXX123456789', 'NL123456789B01', 'ATU12345678', 'GB123456789', 'IT12345678901']) assert.equal(vatIdProblem(id), null, id);
    assert.match(vatIdProblem('DE12345678')!, /DE VAT id format/);
    assert.match(vatIdProblem('NL123456789')!, /NL VAT id format/);
    assert.match(vatIdProblem('123456789')!, /country prefix/);
  });
});

describe('seats on a provider that prices the plan itself', () => {
  test('a per-seat price on mintbot, MimicBot or Mintoken is refused with quantity_not_supported', () => {
    for (const provider of ['mintbot', 'mimicbot', 'mintoken'] as const) {
      const price = { provider, currency: 'INR', amount: 100, interval: 'month', per_unit: true } as PlanPriceConfig;
      assert.throws(() => checkoutQuantity(price, 2), (err: unknown) => err instanceof AppError && err.code === 'quantity_not_supported' && /cannot sell it per seat/.test(err.message));
    }
    // An amount-taking provider takes it.
    assert.equal(checkoutQuantity({ provider: 'bonzai', currency: 'EUR', amount: 100, interval: 'month', per_unit: true }, 4), 4);
  });
  test('an exclusive tax on such a provider is refused with tax_not_supported; an inclusive one is only shown', () => {
    const rule = { mode: 'exclusive' as const, rate: 18, name: 'GST', country: 'IN' };
    const price = { provider: 'mintbot', currency: 'INR', amount: 100, interval: 'month' } as PlanPriceConfig;
    assert.throws(() => assertProviderTaxes(rule, price, null), (err: unknown) => err instanceof AppError && err.code === 'tax_not_supported' && /make the price's tax "inclusive"/.test(err.message));
    assert.doesNotThrow(() => assertProviderTaxes({ ...rule, mode: 'inclusive' }, price, null));
  });
});

for (const engine of engines()) {
  describe(`seats and taxes in the sandbox (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: FILE, now: () => new Date(T0) });
    });
    after(async () => {
      await store.close();
    });
    const session = (customer: string) => server.session(customer, { nowSeconds: Math.floor(T0 / 1000) });
    async function checkout(token: string, body: Record<string, unknown>) {
      const res = await server.request('POST', '/v1/checkout', { token, body: { plan: 'team', ...body } });
      return { status: res.status, body: await json(res) };
    }
    const order = (action: { order_id: string }) => server.razorpaySandbox!.orders.get(action.order_id)!;
    const row = async (id: string) => (await store.query<{ amount: number; quantity: number; discount: number; tax_amount: number; tax: { name: string } | null; business: Record<string, unknown> | null }>('SELECT amount, quantity, discount, tax_amount, tax, business FROM checkouts WHERE id = $1', [id]))[0];

    describe('quantity × unit, priced on the server', () => {
      test('3 seats, GST inclusive: the order is 3 × ₹499 and the answer says how much of it is GST (CGST + SGST)', async () => {
        const res = await checkout(await session(uniqueId()), { quantity: 3 });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        const pricing: CheckoutPricing = res.body.pricing;
        assert.deepEqual(
          { ...pricing, tax: { ...pricing.tax, split: undefined } },
          { currency: 'INR', unit_amount: 49900, quantity: 3, subtotal: 149700, discount: 0, tax: { amount: 22836, name: 'GST', rate: 18, inclusive: true, country: 'IN', split: undefined }, total: 149700 },
        );
        assert.deepEqual(pricing.tax!.split!.map((s) => s.amount), [11418, 11418]);
        assert.equal(order(res.body.action).amount, 149700);
        assert.deepEqual(await row(res.body.checkout_id), { amount: 149700, quantity: 3, discount: 0, tax_amount: 22836, tax: pricing.tax, business: null });
      });

      test('a promotion code takes its discount off the seats first, then the tax is priced on what is left (exclusive: added)', async () => {
        const res = await checkout(await session(uniqueId()), { interval: 'once', quantity: 3, promotion_code: 'LAUNCH20' });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        // 3 × 99900 = 299700; 20 % = 59940; taxable 239760; GST 18 % = 43156.8 → 43157; total 282917.
        assert.deepEqual([res.body.pricing.subtotal, res.body.pricing.discount, res.body.pricing.tax.amount, res.body.pricing.total], [299700, 59940, 43157, 282917]);
        assert.deepEqual(res.body.pricing.tax.split, [{ name: 'IGST', rate: 18, amount: 43157 }]);
        assert.equal(order(res.body.action).amount, 282917);
        assert.equal(res.body.action.amount, 282917);
      });

      test('POST /v1/promotion-codes/validate previews the same seats and tax as the checkout', async () => {
        const res = await server.request('POST', '/v1/promotion-codes/validate', { token: await session(uniqueId()), body: { plan: 'team', interval: 'once', quantity: 3, code: 'LAUNCH20' } });
        const preview = (await json(res)) as PromotionPreview;
        assert.equal(res.status, 200, JSON.stringify(preview));
        assert.deepEqual([preview.amount, preview.discount, preview.total, preview.tax?.amount, preview.tax?.inclusive], [299700, 59940, 239760, 43157, false]);
      });

      test('the default is min_quantity; a plan not sold per seat takes 1 and gets the catalog tax', async () => {
        const dflt = await checkout(await session(uniqueId()), {});
        assert.equal(dflt.body.pricing.quantity, 2);
        assert.equal(order(dflt.body.action).amount, 99800);
        const pro = await checkout(await session(uniqueId()), { plan: 'pro' });
        assert.equal(pro.status, 201, JSON.stringify(pro.body));
        assert.equal(order(pro.body.action).amount, 159900 + 28782);
      });

      test('a quantity out of range, not whole, or on a plan not sold per seat is refused in the envelope, nothing is ordered', async () => {
        const before = server.razorpaySandbox!.orders.size;
        const token = await session(uniqueId());
        assertRefused(await checkout(token, { quantity: 1 }), 'validation_error', /from 2 to 50 seats; 1 is out of range/);
        assertRefused(await checkout(token, { quantity: 51 }), 'validation_error', /from 2 to 50 seats; 51 is out of range/);
        assertRefused(await checkout(token, { quantity: 2.5 }), 'validation_error', /whole number of seats/);
        assertRefused(await checkout(token, { quantity: '3' }), 'validation_error', /quantity/);
        assertRefused(await checkout(token, { quantity: 0 }), 'validation_error', /at least 1/);
        assertRefused(await checkout(token, { plan: 'pro', quantity: 2 }), 'validation_error', /not sold per seat/);
        assert.equal(server.razorpaySandbox!.orders.size, before);
      });

      test('GET /v1/plans shows the seats rule and the tax of one seat', async () => {
        const res = await server.request('GET', '/v1/plans');
        const plans = ((await json(res)) as PlansResponse).plans;
        const team = plans.find((p) => p.id === 'team')!;
        const monthly = team.prices.find((p) => p.interval === 'month' && p.currency === 'INR')!;
        assert.deepEqual({ per_unit: monthly.per_unit, min: monthly.min_quantity, max: monthly.max_quantity, tax: monthly.tax }, { per_unit: true, min: 2, max: 50, tax: { name: 'GST', rate: 18, inclusive: true, amount: inclusiveTax(49900, 18) } });
      });
    });

    describe('business details', () => {
      test('a valid GSTIN, legal name and address are stored with the checkout', async () => {
        const business = { legal_name: 'Acme Software LLP', gstin: '27aapfu0939f1zv', address: { line1: '1 MG Road', city: 'Pune', state: 'Maharashtra', postal_code: '411001', country: 'IN' } };
        const res = await checkout(await session(uniqueId()), { quantity: 2, business });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.deepEqual((await row(res.body.checkout_id)).business, { ...business, gstin: '27AAPFU0939F1ZV' });
      });
      test('a malformed GSTIN or VAT id, or an unknown field, is refused with the field named', async () => {
        const token = await session(uniqueId());
        assertRefused(await checkout(token, { business: { gstin: '27AAPFU0939F1ZW' } }), 'validation_error', /business\.gstin: its check character/);
        assertRefused(await checkout(token, { business: { vat_id: 'DE12345' } }), 'validation_error', /business\.vat_id: DE12345 is not in the DE VAT id format/);
        assertRefused(await checkout(token, { business: { gst: 'x' } }), 'validation_error', /gst/);
      });
    });

    describe('seats in the entitlements', () => {
      test('a paid 4-seat checkout makes the seats limit 4 (the plan says 3), in /v1/entitlements, GET /v1/customers/{id} and the payments ledger', async () => {
        const customer = uniqueId();
        const token = await session(customer);
        const res = await checkout(token, { quantity: 4 });
        const paid = server.razorpaySandbox!.pay(res.body.action.order_id);
        const verify = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'team', ...paid } });
        assert.equal(verify.status, 200, await verify.clone().text());
        const ent = (await json(await server.request('GET', '/v1/entitlements', { token }))) as Entitlements;
        assert.equal(ent.plan, 'team');
        assert.equal(ent.limits.seats, 4);
        const state = (await json(await server.request('GET', `/v1/customers/${customer}`, { token: TEST_ENV.TOLLGATE_API_KEY }))) as CustomerState;
        assert.equal(state.seats, 4);
        assert.deepEqual(state.usage.seats, { used: 0, limit: 4 });
        const [payment] = await store.query<{ quantity: number; amount: number }>('SELECT quantity, amount FROM payments WHERE checkout_id = $1', [res.body.checkout_id]);
        assert.deepEqual(payment, { quantity: 4, amount: 4 * 49900 });
      });
      test('the receipt of 3 seats with a code and GST: quantity, unit price, discount, CGST + SGST and the total as shown and charged, in its PDF too', async () => {
        const customer = uniqueId();
        const token = await session(customer);
        const business = { legal_name: 'Acme Software LLP', gstin: '27AAPFU0939F1ZV' };
        const res = await checkout(token, { quantity: 3, promotion_code: 'LAUNCH20', business });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        const pricing: CheckoutPricing = res.body.pricing;
        // 3 × ₹499 = ₹1,497; 20 % off = ₹299.40; GST inclusive in the ₹1,197.60 left.
        assert.deepEqual([pricing.subtotal, pricing.discount, pricing.total, pricing.tax!.amount], [149700, 29940, 119760, inclusiveTax(119760, 18)]);
        const paid = server.razorpaySandbox!.pay(res.body.action.order_id);
        assert.equal(order(res.body.action).amount, 119760);
        assert.equal((await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'team', ...paid } })).status, 200);
        const list = await json(await server.request('GET', '/v1/receipts', { token }));
        assert.equal(list.receipts.length, 1);
        const receipt = await json(await server.request('GET', `/v1/receipts/${list.receipts[0].id}`, { token }));
        const [line] = receipt.lines;
        assert.deepEqual([line.quantity, line.unit_amount, line.discount?.code, line.discount?.amount, line.amount], [3, 49900, 'LAUNCH20', 29940, 119760]);
        assert.deepEqual(line.taxes, pricing.tax!.split!.map((p) => ({ name: p.name, rate: p.rate, amount: p.amount, inclusive: true })));
        assert.deepEqual(line.taxes.map((t: { name: string }) => t.name), ['CGST', 'SGST']);
        assert.deepEqual([receipt.subtotal, receipt.discount_total, receipt.tax_total, receipt.total], [149700, 29940, pricing.tax!.amount, 119760]);
        assert.equal(receipt.total, paid && order(res.body.action).amount);
        assert.deepEqual([receipt.buyer.legal_name, receipt.buyer.gstin], [business.legal_name, business.gstin]);
        // The PDF says the same, read back as text.
        const pdf = await server.app.request(new URL(receipt.links.pdf).pathname + new URL(receipt.links.pdf).search.replace(/locale=[^&]*/, 'locale=en-IN'));
        assert.equal(pdf.status, 200);
        const parser = new PDFParse({ data: new Uint8Array(await pdf.arrayBuffer()) });
        const text = (await parser.getText()).text;
        await parser.destroy();
        for (const expected of [receipt.number, '₹1,197.60', '₹1,497', '₹299.40', 'CGST', 'SGST', 'LAUNCH20', business.gstin]) assert.ok(text.includes(expected), `${expected} in ${JSON.stringify(text)}`);
      });
      test('a plan not sold per seat keeps its own seats limit', async () => {
        const customer = uniqueId();
        const token = await session(customer);
        const res = await checkout(token, { plan: 'pro' });
        const paid = server.razorpaySandbox!.pay(res.body.action.order_id);
        assert.equal((await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } })).status, 200);
        assert.equal(((await json(await server.request('GET', '/v1/entitlements', { token }))) as Entitlements).limits.seats, 1);
      });
    });
  });

  describe(`seats and taxes against the Razorpay and Stripe HTTP fakes (${engine})`, () => {
    const KEYS = { RAZORPAY_KEY_ID: 'rzp_test_seats', RAZORPAY_KEY_SECRET: 'seats_key_secret', RAZORPAY_WEBHOOK_SECRET: 'seats_webhook_secret' };
    const STRIPE = { STRIPE_SECRET_KEY: 'sk_test_tollgate', STRIPE_PUBLISHABLE_KEY: 'pk_test_tollgate', STRIPE_WEBHOOK_SECRET: 'whsec_test_tollgate' };
    let store: Store;
    let server: TestServer;
    let rzp: Awaited<ReturnType<typeof startRazorpayFake>>;
    let stripe: Awaited<ReturnType<typeof startStripeFake>>;
    before(async () => {
      store = await testStore(engine);
      rzp = await startRazorpayFake({ keyId: KEYS.RAZORPAY_KEY_ID, keySecret: KEYS.RAZORPAY_KEY_SECRET, webhookSecret: KEYS.RAZORPAY_WEBHOOK_SECRET });
      stripe = await startStripeFake({ now: () => T0 });
      server = await makeServer({ store, env: { ...KEYS, ...STRIPE, RAZORPAY_API_BASE: rzp.url, STRIPE_API_BASE: stripe.url, TOLLGATE_SANDBOX: '0' }, file: FILE, now: () => new Date(T0) });
    });
    after(async () => {
      await rzp.close();
      await stripe.close();
      await store.close();
    });
    const session = () => server.session(uniqueId(), { nowSeconds: Math.floor(T0 / 1000) });
    async function checkout(body: Record<string, unknown>) {
      const res = await server.request('POST', '/v1/checkout', { token: await session(), body: { plan: 'team', return_url: 'http://tollgate.test/back', ...body } });
      return { status: res.status, body: await json(res) };
    }
    const lastSessionCall = () => [...stripe.state.requests].reverse().find((r) => r.path === '/v1/checkout/sessions')!;

    test('Razorpay: the order the fake receives is the total (7 seats, GST inclusive, FLAT ₹500 off)', async () => {
      const res = await checkout({ quantity: 7, promotion_code: 'FLAT' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const total = 7 * 49900 - 50000;
      assert.equal(rzp.simulator.orders.get(res.body.action.order_id)!.amount, total);
      assert.equal(res.body.pricing.tax.amount, inclusiveTax(total, 18));
      // The signature the fake signs verifies against the stored order.
      assert.ok(signRazorpayPayment(KEYS.RAZORPAY_KEY_SECRET, res.body.action.order_id, 'pay_x'));
    });

    test('Stripe: the line item carries the quantity and the exclusive VAT is a line of its own; the session total is ours to the cent', async () => {
      const res = await checkout({ provider: 'stripe', currency: 'USD', quantity: 3, country: 'DE', promotion_code: 'ALWAYS5' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const call = lastSessionCall();
      const items = call.params.line_items as { quantity: string; price_data: { unit_amount: string; product_data: { name: string } } }[];
      assert.equal(items[0].quantity, '3');
      assert.equal(items[0].price_data.unit_amount, '1000');
      // 3 × $10 − $5 = $25; VAT 19 % = 4.75 → 475.
      assert.deepEqual([items[1].quantity, items[1].price_data.unit_amount, items[1].price_data.product_data.name], ['1', '475', 'VAT 19 %']);
      const created = [...stripe.state.sessions.values()].at(-1)!;
      assert.equal(created.amount_total, 2500 + 475);
      assert.equal(res.body.pricing.total, 2975);
      // A code that ends would leave later invoices with a tax line priced on the discounted amount: refused.
      const before = stripe.state.sessions.size;
      assertRefused(await checkout({ provider: 'stripe', currency: 'USD', quantity: 3, country: 'DE', promotion_code: 'FLAT' }), 'tax_not_supported', /fixed line; the code FLAT/);
      assert.equal(stripe.state.sessions.size, before);
    });

    test('Stripe: a country with no configured rate gets no tax line; JPY (no minor unit) inclusive keeps the total', async () => {
      const us = await checkout({ provider: 'stripe', currency: 'USD', quantity: 2 });
      assert.equal(us.status, 201, JSON.stringify(us.body));
      assert.equal(us.body.pricing.tax.amount, 0); // the USD price's default country is US, configured at 0 %
      assert.equal((lastSessionCall().params.line_items as unknown[]).length, 2);
      const fr = await checkout({ provider: 'stripe', currency: 'USD', quantity: 2, country: 'FR' });
      assert.equal(fr.body.pricing.tax, null);
      assert.equal((lastSessionCall().params.line_items as unknown[]).length, 1);
      const jp = await checkout({ provider: 'stripe', currency: 'JPY', interval: 'year', quantity: 3 });
      assert.equal(jp.status, 201, JSON.stringify(jp.body));
      assert.equal([...stripe.state.sessions.values()].at(-1)!.amount_total, 3600);
      assert.deepEqual([jp.body.pricing.tax.amount, jp.body.pricing.tax.inclusive], [327, true]);
    });
  });
}
