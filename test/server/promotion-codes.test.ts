// Promotion codes end to end on both engines: config checks, every discount type and its rounding, the window,
// plans and intervals, redemption limits under 50 concurrent checkouts, holds released on expiry and redeemed when
// paid, the preview route, and what each provider receives (Razorpay order amount in the sandbox and against the
// Razorpay HTTP fake, with a retry and a hand-off; Stripe coupon and session discounts in the sandbox and against
// the fake Stripe; Bonzai amount) or the refusal where it cannot honour a code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, json, makeServer, startEveryBackend, testStore, uniqueId, type TestServer } from './helpers.js';
import { startRazorpayFake } from '../fakes/razorpay.js';
import { startStripeFake } from '../fakes/stripe.js';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type ConfigFile } from '../../server/config.js';
import type { StripeProvider } from '../../server/providers/stripe/index.js';
import { appliedPromotion, percentDiscount, razorpayOfferFor } from '../../server/services/promotions.js';
import type { Store } from '../../server/store/index.js';
import type { ErrorCode, PromotionPreview } from '../../src/contract/index.js';

type CodeInput = Partial<ConfigFile['promotion_codes'][number]> & { code: string };

const PLANS = [
  { id: 'free', name: 'Free', limits: {} },
  {
    id: 'pro',
    name: 'Pro',
    prices: [
      { provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month' },
      { provider: 'razorpay', currency: 'INR', amount: 1599000, interval: 'year' },
      { provider: 'stripe', currency: 'USD', amount: 1900, interval: 'month' },
      { provider: 'stripe', currency: 'USD', amount: 19000, interval: 'year' },
    ],
  },
  { id: 'team', name: 'Team', prices: [{ provider: 'razorpay', currency: 'INR', amount: 399900, interval: 'month' }, { provider: 'stripe', currency: 'USD', amount: 4900, interval: 'month' }] },
  { id: 'pack', name: 'Pack', prices: [{ provider: 'razorpay', currency: 'INR', amount: 99900, interval: 'once' }] },
];

const T0 = Date.parse('2026-12-01T12:00:00Z');

const CODES: CodeInput[] = [
  { code: 'LAUNCH20', percent_off: 20 },
  { code: 'odd125', percent_off: 12.5 },
  { code: 'FLAT', amount_off: { INR: 50000, USD: 500 } },
  { code: 'INRONLY', amount_off: { INR: 50000 } },
  { code: 'HUGE', amount_off: { INR: 10_000_000 } },
  { code: 'TEAMONLY', percent_off: 10, plans: ['team'] },
  { code: 'YEARLY', percent_off: 10, intervals: ['year'] },
  { code: 'THREE', percent_off: 20, duration: 'repeating', duration_periods: 3 },
  { code: 'ALWAYS', percent_off: 10, duration: 'forever' },
  { code: 'LATER', percent_off: 10, starts_at: '2027-01-01T00:00:00Z' },
  { code: 'GONE', percent_off: 10, expires_at: '2026-11-30T00:00:00Z' },
  { code: 'FIVE', percent_off: 10, max_redemptions: 5 },
  { code: 'TWICE', percent_off: 10, max_per_customer: 2 },
  { code: 'ONE', percent_off: 10, max_redemptions: 1 },
  { code: 'ONEPAID', percent_off: 10, max_redemptions: 1 },
  { code: 'ONESTRIPE', percent_off: 10, max_redemptions: 1 },
  { code: 'RETRY', percent_off: 10, max_redemptions: 1 },
  { code: 'FIRST', percent_off: 30, first_purchase_only: true },
  { code: 'MAPPED', percent_off: 15, stripe_coupon_id: 'partner_coupon_15' },
];

const FILE = { metrics: [], plans: PLANS, promotion_codes: CODES, promotion_hold_ttl_s: 1800 } as unknown as Partial<ConfigFile>;

/** The ConfigError message for a catalog with these codes (the test fails if the config is accepted). */
function configError(codes: unknown[], extra: Record<string, unknown> = {}): string {
  try {
    parseConfig({ ...DEFAULT_CONFIG, promotion_codes: codes, ...extra });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('the config was accepted');
}

describe('promotion codes in the config', () => {
  test('codes are matched without regard to case: stored upper-case, a duplicate in another case is refused', () => {
    const cfg = parseConfig({ ...DEFAULT_CONFIG, promotion_codes: [{ code: 'launch20', percent_off: 20 }] });
    assert.equal(cfg.promotion_codes[0].code, 'LAUNCH20');
    assert.equal(cfg.promotion_codes[0].duration, 'once');
    assert.match(configError([{ code: 'A1', percent_off: 5 }, { code: 'a1', percent_off: 6 }]), /promotion_codes\[1\]\.code: code "A1" is listed twice/);
  });

  test('each mistake names the field and the fix', () => {
    assert.match(configError([{ code: 'X1' }]), /promotion_codes\[0\]\.percent_off: set exactly one of percent_off/);
    assert.match(configError([{ code: 'X1', percent_off: 10, amount_off: { INR: 100 } }]), /set exactly one of percent_off/);
    assert.match(configError([{ code: 'X1', percent_off: 100 }]), /less than 100 %/);
    assert.match(configError([{ code: 'X1', percent_off: 10.005 }]), /at most two decimals/);
    assert.match(configError([{ code: 'X1', amount_off: { INR: 1.5 } }]), /minor units/);
    assert.match(configError([{ code: 'X1', amount_off: { inr: 100 } }]), /ISO 4217/);
    assert.match(configError([{ code: 'X1', percent_off: 10, duration: 'repeating' }]), /duration_periods: a "repeating" code needs duration_periods/);
    assert.match(configError([{ code: 'X1', percent_off: 10, duration_periods: 2 }]), /only a "repeating" code has duration_periods/);
    assert.match(configError([{ code: 'X1', percent_off: 10, duration: 'forever', intervals: ['once'] }]), /intervals: a "forever" discount is for recurring prices/);
    assert.match(configError([{ code: 'X1', percent_off: 10, plans: ['nope'] }]), /plans\[0\]: no orderable plan "nope"/);
    assert.match(configError([{ code: 'X1', percent_off: 10, plans: ['free'] }]), /no orderable plan "free"/);
    assert.match(configError([{ code: 'X1', percent_off: 10, starts_at: '2027-01-01T00:00:00Z', expires_at: '2026-01-01T00:00:00Z' }]), /expires_at: must be after starts_at/);
    assert.match(configError([{ code: 'X1', percent_off: 10, expires_at: 'tomorrow' }]), /ISO 8601/);
    assert.match(configError([{ code: 'X 1', percent_off: 10 }]), /letters, digits/);
    assert.match(configError([{ code: 'X1', percent_off: 10, precent: 1 }]), /promotion_codes\[0\]: unknown key "precent"/);
    assert.match(configError([], { promotion_hold_ttl_s: 60 }), /promotion_hold_ttl_s: at least 30 min/);
  });
});

describe('Razorpay subscriptions take a code only as an Offer', () => {
  test('razorpayOfferFor: the configured offer id, else promotion_not_supported', () => {
    const cfg = parseConfig({ ...DEFAULT_CONFIG, promotion_codes: [{ code: 'SUB', percent_off: 10, duration: 'forever', razorpay_offer_id: 'offer_JHD834hjbxzhd38d' }, { code: 'NOOFFER', percent_off: 10 }] });
    assert.equal(razorpayOfferFor(appliedPromotion(cfg.promotion_codes[0])), 'offer_JHD834hjbxzhd38d');
    assert.throws(() => razorpayOfferFor(appliedPromotion(cfg.promotion_codes[1])), (err: Error & { code?: string }) => err.code === 'promotion_not_supported' && /razorpay_offer_id/.test(err.message));
    assert.match(configError([{ code: 'X1', percent_off: 10, razorpay_offer_id: 'JHD834' }]), /razorpay_offer_id: use a Razorpay offer id/);
  });
});

describe('the rounding rule', () => {
  test('percent off is amount × percent / 100 rounded half up to the minor unit, in integers', () => {
    assert.equal(percentDiscount(159900, 12.5), 19988); // 19987.5
    assert.equal(percentDiscount(1900, 12.5), 238); // 237.5
    assert.equal(percentDiscount(1999, 33.33), 666); // 666.2667
    assert.equal(percentDiscount(1, 50), 1); // 0.5
    assert.equal(percentDiscount(1, 49.99), 0);
    assert.equal(percentDiscount(159900, 20), 31980);
    // Floating point would say 0.07 × 100 × 100 = 700.0000000000001; hundredths of a percent are exact.
    assert.equal(percentDiscount(100, 0.07), 0);
    assert.equal(percentDiscount(10_000, 0.07), 7);
  });
});

for (const engine of engines()) {
  describe(`promotion codes (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let clock = T0;

    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, env: { TOLLGATE_SANDBOX: '1' }, file: FILE, now: () => new Date(clock) });
    });
    after(async () => {
      await store.close();
    });

    const session = (customer: string) => server.session(customer, { nowSeconds: Math.floor(clock / 1000) });
    async function post(path: string, token: string, body: Record<string, unknown>, idempotencyKey?: string) {
      const res = await server.request('POST', path, { token, body, idempotencyKey });
      return { status: res.status, body: await json(res) };
    }
    const checkout = (token: string, body: Record<string, unknown>, key?: string) => post('/v1/checkout', token, { plan: 'pro', ...body }, key);
    const validate = (token: string, body: Record<string, unknown>) => post('/v1/promotion-codes/validate', token, { plan: 'pro', ...body });
    const row = async (id: string) => (await store.query<{ amount: number; discount: number; promotion_code: string | null; promotion: unknown; status: string }>('SELECT amount, discount, promotion_code, promotion, status FROM checkouts WHERE id = $1', [id]))[0];
    const hold = async (id: string) => (await store.query<{ status: string; code: string }>('SELECT status, code FROM promotion_holds WHERE checkout_id = $1', [id]))[0];
    const used = async (code: string, customer = '') => (await store.query<{ used: number }>('SELECT used FROM promotion_counts WHERE code = $1 AND customer_id = $2', [code, customer]))[0]?.used ?? 0;
    const order = (action: { order_id: string }) => server.razorpaySandbox!.orders.get(action.order_id)!;
    const stripe = () => (server.deps.providers.get('stripe') as StripeProvider).sandbox!;
    const sessionOf = (action: { url: string }) => stripe().sessions.get(new URL(action.url).pathname.split('/').pop()!)!;
    function assertRefused(res: { status: number; body: { error?: { code: string; message: string } } }, code: ErrorCode, status: number, message?: RegExp) {
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error?.code, code);
      if (message) assert.match(res.body.error!.message, message);
    }

    describe('when a code applies', () => {
      test('percent off: the Razorpay order is created at the discounted amount and the checkout records code and discount', async () => {
        const token = await session(uniqueId());
        const res = await checkout(token, { promotion_code: 'launch20' });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.action.amount, 159900 - 31980);
        assert.equal(order(res.body.action).amount, 127920);
        const stored = await row(res.body.checkout_id);
        assert.deepEqual({ amount: stored.amount, discount: stored.discount, code: stored.promotion_code }, { amount: 127920, discount: 31980, code: 'LAUNCH20' });
        assert.equal((await hold(res.body.checkout_id)).status, 'held');
      });

      test('percent off rounds half up on every currency of the catalog (INR monthly and yearly, USD)', async () => {
        const token = await session(uniqueId());
        const inr = await checkout(token, { promotion_code: ' Odd125 ' });
        assert.equal(order(inr.body.action).amount, 159900 - 19988);
        const yearly = await checkout(await session(uniqueId()), { promotion_code: 'ODD125', interval: 'year' });
        assert.equal(order(yearly.body.action).amount, 1599000 - 199875);
        const usd = await checkout(await session(uniqueId()), { promotion_code: 'ODD125', provider: 'stripe', currency: 'USD' });
        assert.equal(usd.status, 201, JSON.stringify(usd.body));
        const s = sessionOf(usd.body.action);
        assert.equal(s.amount_subtotal, 1900);
        assert.equal(s.total_details.amount_discount, 238);
        assert.equal(s.amount_total, 1662);
        assert.equal((await row(usd.body.checkout_id)).amount, 1662);
      });

      test('a fixed amount per currency: INR and USD each take their own amount off', async () => {
        const inr = await checkout(await session(uniqueId()), { promotion_code: 'FLAT' });
        assert.equal(order(inr.body.action).amount, 159900 - 50000);
        const usd = await checkout(await session(uniqueId()), { promotion_code: 'FLAT', provider: 'stripe', currency: 'USD' });
        assert.equal(sessionOf(usd.body.action).amount_total, 1400);
        const coupon = stripe().coupons.get(sessionOf(usd.body.action).discounts[0].coupon)!;
        assert.deepEqual({ amount_off: coupon.amount_off, currency: coupon.currency, duration: coupon.duration }, { amount_off: 500, currency: 'usd', duration: 'once' });
      });

      test('Stripe: a repeating code becomes a coupon for its months, made once and reused, on a session that expires with the hold', async () => {
        const first = await checkout(await session(uniqueId()), { promotion_code: 'THREE', provider: 'stripe', currency: 'USD' });
        const second = await checkout(await session(uniqueId()), { promotion_code: 'three', provider: 'stripe', currency: 'USD' });
        assert.equal(first.status, 201, JSON.stringify(first.body));
        const [a, b] = [sessionOf(first.body.action), sessionOf(second.body.action)];
        assert.equal(a.discounts[0].coupon, b.discounts[0].coupon);
        const coupon = stripe().coupons.get(a.discounts[0].coupon)!;
        assert.deepEqual({ amount_off: coupon.amount_off, duration: coupon.duration, months: coupon.duration_in_months }, { amount_off: 380, duration: 'repeating', months: 3 });
        assert.equal(a.amount_total, 1520);
        assert.equal(a.expires_at, Math.floor(clock / 1000) + 1800);
        // Yearly: three periods are 36 months.
        const yearly = await checkout(await session(uniqueId()), { promotion_code: 'THREE', provider: 'stripe', currency: 'USD', interval: 'year' });
        assert.equal(stripe().coupons.get(sessionOf(yearly.body.action).discounts[0].coupon)!.duration_in_months, 36);
      });

      test('Stripe: a code mapped to the partner’s own coupon sends that coupon id', async () => {
        stripe().coupons.set('partner_coupon_15', { id: 'partner_coupon_15', object: 'coupon', amount_off: null, currency: null, percent_off: 15, duration: 'once', duration_in_months: null, name: null, metadata: {}, valid: true, times_redeemed: 0, created: 0, livemode: false });
        const res = await checkout(await session(uniqueId()), { promotion_code: 'MAPPED', provider: 'stripe', currency: 'USD' });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.deepEqual(sessionOf(res.body.action).discounts, [{ coupon: 'partner_coupon_15', promotion_code: null }]);
        assert.equal(sessionOf(res.body.action).amount_total, 1900 - 285);
      });

      test('no code: the price and the order are as before, and no hold is made', async () => {
        const res = await checkout(await session(uniqueId()), {});
        assert.equal(order(res.body.action).amount, 159900);
        const stored = await row(res.body.checkout_id);
        assert.deepEqual({ discount: stored.discount, code: stored.promotion_code }, { discount: 0, code: null });
        assert.equal(await hold(res.body.checkout_id), undefined);
      });
    });

    describe('when a code does not apply', () => {
      const cases: [string, Record<string, unknown>, ErrorCode, number, RegExp][] = [
        ['an unknown code', { promotion_code: 'NOPE' }, 'promotion_unknown', 404, /no promotion code "NOPE"/],
        ['another plan’s code', { promotion_code: 'TEAMONLY' }, 'promotion_not_applicable', 400, /not for the Pro plan/],
        ['a yearly code on monthly billing', { promotion_code: 'YEARLY' }, 'promotion_not_applicable', 400, /not for monthly billing/],
        ['a code before its window', { promotion_code: 'LATER' }, 'promotion_expired', 400, /not valid yet/],
        ['a code after its window', { promotion_code: 'GONE' }, 'promotion_expired', 400, /has expired/],
        ['a fixed code without the currency', { promotion_code: 'INRONLY', provider: 'stripe', currency: 'USD' }, 'promotion_not_applicable', 400, /no discount in USD/],
        ['a code that would make the plan free', { promotion_code: 'HUGE' }, 'promotion_not_applicable', 400, /would make the Pro plan free/],
        ['a repeating code on a one-off price', { plan: 'pack', interval: 'once', promotion_code: 'THREE' }, 'promotion_not_applicable', 400, /for subscriptions, not for a one-off/],
        // Razorpay orders buy one period: a discount on later payments cannot ride on them.
        ['a repeating code on a Razorpay order', { promotion_code: 'THREE' }, 'promotion_not_supported', 400, /razorpay order pays for one month/],
        ['a forever code on a Razorpay order', { promotion_code: 'ALWAYS' }, 'promotion_not_supported', 400, /cannot carry/],
      ];
      for (const [what, body, code, status, message] of cases) {
        test(`${what}: checkout and preview both refuse with ${code}, and nothing is made`, async () => {
          const customer = uniqueId();
          const token = await session(customer);
          assertRefused(await checkout(token, body), code, status, message);
          const { promotion_code, ...rest } = body;
          assertRefused(await validate(token, { ...rest, code: promotion_code }), code, status, message);
          assert.equal((await store.query('SELECT 1 FROM checkouts WHERE customer_id = $1', [customer])).length, 0);
        });
      }

      test('the same code inside its window: TEAMONLY on Team, YEARLY on yearly', async () => {
        assert.equal((await checkout(await session(uniqueId()), { plan: 'team', promotion_code: 'TEAMONLY' })).status, 201);
        assert.equal((await checkout(await session(uniqueId()), { interval: 'year', promotion_code: 'YEARLY' })).status, 201);
      });
    });

    describe('limits, counted in SQL', () => {
      test('50 concurrent checkouts by 50 customers: exactly max_redemptions (5) hold the code, the rest get promotion_exhausted', async () => {
        const tokens = await Promise.all(Array.from({ length: 50 }, () => session(uniqueId())));
        const results = await Promise.all(tokens.map((token) => checkout(token, { promotion_code: 'FIVE' })));
        const made = results.filter((r) => r.status === 201);
        assert.equal(made.length, 5, JSON.stringify(results.filter((r) => r.status !== 201 && r.body.error?.code !== 'promotion_exhausted').slice(0, 3)));
        for (const r of results.filter((x) => x.status !== 201)) assertRefused(r, 'promotion_exhausted', 409);
        assert.equal(await used('FIVE'), 5);
        const holds = await store.query<{ n: number }>("SELECT count(*)::int AS n FROM promotion_holds WHERE code = 'FIVE' AND status = 'held'");
        assert.equal(holds[0].n, 5);
        // Refused checkouts left no row behind.
        assert.equal((await store.query<{ n: number }>("SELECT count(*)::int AS n FROM checkouts WHERE promotion_code = 'FIVE'"))[0].n, 5);
        assertRefused(await validate(tokens[0], { code: 'FIVE' }), 'promotion_exhausted', 409);
      });

      test('50 concurrent checkouts by one customer: exactly max_per_customer (2) hold it, the rest get promotion_already_used', async () => {
        const customer = uniqueId();
        const token = await session(customer);
        const results = await Promise.all(Array.from({ length: 50 }, () => checkout(token, { promotion_code: 'TWICE' })));
        assert.equal(results.filter((r) => r.status === 201).length, 2);
        for (const r of results.filter((x) => x.status !== 201)) assertRefused(r, 'promotion_already_used', 409, /already used the code TWICE/);
        assert.equal(await used('TWICE', customer), 2);
        assertRefused(await validate(token, { code: 'TWICE' }), 'promotion_already_used', 409);
        // Another customer is not limited by this one.
        assert.equal((await checkout(await session(uniqueId()), { promotion_code: 'TWICE' })).status, 201);
      });

      test('a retried checkout (same Idempotency-Key) holds the code once', async () => {
        const customer = uniqueId();
        const token = await session(customer);
        const first = await checkout(token, { promotion_code: 'RETRY' }, 'retry-key-1');
        const again = await checkout(token, { promotion_code: 'RETRY' }, 'retry-key-1');
        assert.equal(first.status, 201);
        assert.equal(again.status, 201);
        assert.equal(again.body.checkout_id, first.body.checkout_id);
        assert.equal(await used('RETRY'), 1);
        // The key's first request is answered again even when its checkout's code is now exhausted for others.
        assertRefused(await checkout(await session(uniqueId()), { promotion_code: 'RETRY' }), 'promotion_exhausted', 409);
      });

      test('first purchase only: refused once the customer has paid, and only one checkout may hold it before', async () => {
        const customer = uniqueId();
        const token = await session(customer);
        const preview = await validate(token, { code: 'FIRST' });
        assert.equal(preview.status, 200);
        const first = await checkout(token, { promotion_code: 'FIRST' });
        assert.equal(first.status, 201);
        assertRefused(await checkout(token, { promotion_code: 'FIRST' }), 'promotion_first_purchase_only', 409);
        // A customer who paid before (without the code) cannot use it at all.
        const payer = uniqueId();
        const payerToken = await session(payer);
        const plain = await checkout(payerToken, {});
        const paid = server.razorpaySandbox!.pay(plain.body.action.order_id);
        assert.equal((await post('/v1/razorpay/verify', payerToken, { plan: 'pro', ...paid })).status, 200);
        assertRefused(await validate(payerToken, { code: 'FIRST' }), 'promotion_first_purchase_only', 409, /first purchase only/);
        assertRefused(await checkout(payerToken, { promotion_code: 'FIRST' }), 'promotion_first_purchase_only', 409);
      });
    });

    describe('holds', () => {
      test('an unpaid checkout past the hold time expires and releases its hold to the next customer', async () => {
        const a = await checkout(await session(uniqueId()), { promotion_code: 'ONE' });
        assert.equal(a.status, 201);
        assertRefused(await checkout(await session(uniqueId()), { promotion_code: 'ONE' }), 'promotion_exhausted', 409);
        clock += 1801 * 1000;
        const b = await checkout(await session(uniqueId()), { promotion_code: 'ONE' });
        assert.equal(b.status, 201, JSON.stringify(b.body));
        assert.equal((await row(a.body.checkout_id)).status, 'expired');
        assert.equal((await hold(a.body.checkout_id)).status, 'released');
        assert.equal((await hold(b.body.checkout_id)).status, 'held');
        assert.equal(await used('ONE'), 1);
      });

      test('a paid checkout turns its hold into a redemption that never expires', async () => {
        const customer = uniqueId();
        const token = await session(customer);
        const a = await checkout(token, { promotion_code: 'ONEPAID' });
        const paid = server.razorpaySandbox!.pay(a.body.action.order_id);
        assert.equal(server.razorpaySandbox!.orders.get(a.body.action.order_id)!.amount, 143910);
        assert.equal((await post('/v1/razorpay/verify', token, { plan: 'pro', ...paid })).status, 200);
        await server.razorpaySandbox!.settle();
        assert.equal((await hold(a.body.checkout_id)).status, 'redeemed');
        const payments = await store.query<{ amount: number }>('SELECT amount FROM payments WHERE checkout_id = $1', [a.body.checkout_id]);
        assert.deepEqual(payments, [{ amount: 143910 }]);
        clock += 7200 * 1000;
        assertRefused(await checkout(await session(uniqueId()), { promotion_code: 'ONEPAID' }), 'promotion_exhausted', 409);
        assert.equal(await used('ONEPAID'), 1);
      });

      test('a Stripe session that expires releases its hold at once (the webhook marks the checkout expired)', async () => {
        const a = await checkout(await session(uniqueId()), { promotion_code: 'ONESTRIPE', provider: 'stripe', currency: 'USD' });
        assert.equal(a.status, 201);
        assertRefused(await checkout(await session(uniqueId()), { promotion_code: 'ONESTRIPE', provider: 'stripe', currency: 'USD' }), 'promotion_exhausted', 409);
        await stripe().expireSession(sessionOf(a.body.action).id);
        await stripe().settle();
        assert.equal((await hold(a.body.checkout_id)).status, 'released');
        assert.equal(await used('ONESTRIPE'), 0);
        assert.equal((await checkout(await session(uniqueId()), { promotion_code: 'ONESTRIPE', provider: 'stripe', currency: 'USD' })).status, 201);
      });
    });

    describe('POST /v1/promotion-codes/validate', () => {
      test('previews the discount, the total and the duration, and holds nothing', async () => {
        const customer = uniqueId();
        const token = await session(customer);
        const res = await validate(token, { code: 'three', provider: 'stripe', currency: 'USD' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const preview: PromotionPreview = res.body;
        assert.deepEqual(preview, { valid: true, code: 'THREE', currency: 'USD', interval: 'month', amount: 1900, discount: 380, total: 1520, percent_off: 20, duration: 'repeating', duration_periods: 3, description: '20 % off for 3 months' });
        const flat = await validate(token, { code: 'FLAT' });
        assert.equal(flat.body.description, '₹500 off the first month');
        assert.equal(flat.body.total, 109900);
        assert.equal((await validate(token, { code: 'ALWAYS', provider: 'stripe', currency: 'USD' })).body.description, '10 % off every month');
        assert.equal((await store.query('SELECT 1 FROM promotion_counts WHERE customer_id = $1', [customer])).length, 0);
      });

      test('bad input is the error envelope: no session, a missing code, not JSON', async () => {
        const res = await server.request('POST', '/v1/promotion-codes/validate', { body: { plan: 'pro', code: 'X' } });
        assert.equal(res.status, 401);
        const token = await session(uniqueId());
        assertRefused(await validate(token, {}), 'validation_error', 400, /code/);
        const raw = await server.request('POST', '/v1/promotion-codes/validate', { token, rawBody: '{"plan":' });
        assert.equal(raw.status, 400);
        assert.equal((await json(raw)).error.code, 'validation_error');
        assertRefused(await validate(token, { plan: 'free', code: 'LAUNCH20' }), 'validation_error', 400);
      });
    });
  });

  describe(`promotion codes on the partner APIs (${engine})`, () => {
    let store: Store;
    let every: Awaited<ReturnType<typeof startEveryBackend>>;
    before(async () => {
      store = await testStore(engine);
      every = await startEveryBackend({
        store,
        file: { promotion_codes: [{ code: 'ALWAYS', percent_off: 10, duration: 'forever' }, { code: 'ONCE', percent_off: 10 }, { code: 'EURO', amount_off: { EUR: 250 }, duration: 'forever' }] },
      });
    });
    after(async () => {
      await every.close();
      await store.close();
    });
    const checkout = async (token: string, body: Record<string, unknown>) => {
      const res = await every.server.request('POST', '/v1/checkout', { token, body: { return_url: 'http://tollgate.test/back', ...body } });
      return { status: res.status, body: await json(res) };
    };

    test('Bonzai takes the discounted amount; a subscription there charges it every period, so only a "forever" code fits', async () => {
      const token = await every.server.session(uniqueId(), { email: 'p@example.eu' });
      const res = await checkout(token, { plan: 'bonz', promotion_code: 'always' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const orders = [...every.fakes.bonzai.state.orders.values()];
      assert.equal(orders.at(-1)!.amount, 17.1);
      const euro = await checkout(await every.server.session(uniqueId(), { email: 'q@example.eu' }), { plan: 'bonz', promotion_code: 'EURO' });
      assert.equal(euro.status, 201, JSON.stringify(euro.body));
      assert.equal([...every.fakes.bonzai.state.orders.values()].at(-1)!.amount, 16.5);
      const once = await checkout(token, { plan: 'bonz', promotion_code: 'ONCE' });
      assert.equal(once.status, 400);
      assert.equal(once.body.error.code, 'promotion_not_supported');
      assert.match(once.body.error.message, /every month/);
    });

    test('fixed-price partner APIs (mintbot, MimicBot, Mintoken) refuse a code with promotion_not_supported before any upstream call', async () => {
      const before = every.fakes.mintbot.state.orders.size;
      for (const plan of ['agent', 'mimic', 'mint']) {
        const res = await checkout(await every.server.session(uniqueId()), { plan, promotion_code: 'ONCE' });
        assert.equal(res.status, 400, `${plan}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'promotion_not_supported');
        assert.match(res.body.error.message, /prices this plan itself/);
      }
      assert.equal(every.fakes.mintbot.state.orders.size, before);
    });
  });

  describe(`promotion codes with Stripe keys, against the fake Stripe (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    let fake: Awaited<ReturnType<typeof startStripeFake>>;
    before(async () => {
      store = await testStore(engine);
      fake = await startStripeFake({ now: () => T0 });
      server = await makeServer({
        store,
        env: { STRIPE_SECRET_KEY: 'sk_test_tollgate', STRIPE_PUBLISHABLE_KEY: 'pk_test_tollgate', STRIPE_WEBHOOK_SECRET: 'whsec_test_tollgate', STRIPE_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' },
        file: FILE,
        now: () => new Date(T0),
      });
    });
    after(async () => {
      await fake.close();
      await store.close();
    });

    test('POST /v1/coupons once per code and amount (a second process gets resource_already_exists and uses it), discounts on the session', async () => {
      const body = { plan: 'pro', provider: 'stripe', currency: 'USD', promotion_code: 'LAUNCH20', return_url: 'http://tollgate.test/back' };
      const token = await server.session(uniqueId(), { nowSeconds: Math.floor(T0 / 1000) });
      const first = await server.request('POST', '/v1/checkout', { token, body });
      assert.equal(first.status, 201, await first.clone().text());
      const couponCalls = () => fake.state.requests.filter((r) => r.path === '/v1/coupons');
      assert.equal(couponCalls().length, 1);
      assert.deepEqual(couponCalls()[0].params, { id: 'tollgate_LAUNCH20_usd_380_once', amount_off: '380', currency: 'usd', duration: 'once', name: 'LAUNCH20', metadata: { promotion_code: 'LAUNCH20' } });
      const sessionCall = [...fake.state.requests].reverse().find((r) => r.path === '/v1/checkout/sessions')!;
      assert.deepEqual(sessionCall.params.discounts, [{ coupon: 'tollgate_LAUNCH20_usd_380_once' }]);
      assert.equal(sessionCall.params.expires_at, String(Math.floor(T0 / 1000) + 1800));
      const created = [...fake.state.sessions.values()].at(-1)!;
      assert.equal(created.amount_total, 1520);
      // The coupon exists already (made by another instance): its create is refused, the id is used.
      fake.state.coupons.set('tollgate_FLAT_usd_500_once', { ...fake.state.coupons.get('tollgate_LAUNCH20_usd_380_once')!, id: 'tollgate_FLAT_usd_500_once', amount_off: 500 });
      const flat = await server.request('POST', '/v1/checkout', { token: await server.session(uniqueId(), { nowSeconds: Math.floor(T0 / 1000) }), body: { ...body, promotion_code: 'FLAT' } });
      assert.equal(flat.status, 201, await flat.clone().text());
      assert.equal([...fake.state.sessions.values()].at(-1)!.amount_total, 1400);
    });
  });

  describe(`promotion codes with Razorpay keys, against the Razorpay fake (${engine})`, () => {
    const KEYS = { RAZORPAY_KEY_ID: 'rzp_test_promo', RAZORPAY_KEY_SECRET: 'promo_key_secret', RAZORPAY_WEBHOOK_SECRET: 'promo_webhook_secret' };
    let store: Store;
    let server: TestServer;
    let fake: Awaited<ReturnType<typeof startRazorpayFake>>;
    before(async () => {
      store = await testStore(engine);
      fake = await startRazorpayFake({ keyId: KEYS.RAZORPAY_KEY_ID, keySecret: KEYS.RAZORPAY_KEY_SECRET, webhookSecret: KEYS.RAZORPAY_WEBHOOK_SECRET });
      server = await makeServer({ store, env: { ...KEYS, RAZORPAY_API_BASE: fake.url, TOLLGATE_SANDBOX: '0' }, file: FILE, now: () => new Date(T0) });
    });
    after(async () => {
      await fake.close();
      await store.close();
    });
    const used = async (code: string) => (await store.query<{ used: number }>("SELECT used FROM promotion_counts WHERE code = $1 AND customer_id = ''", [code]))[0]?.used ?? 0;

    test('an upstream 5xx, then the retry with the same Idempotency-Key: one order at the discounted amount, one hold', async () => {
      const token = await server.session(uniqueId(), { nowSeconds: Math.floor(T0 / 1000) });
      fake.control.failNext(1, 503);
      const first = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', promotion_code: 'RETRY' }, idempotencyKey: 'promo-retry' });
      assert.equal(first.status, 502);
      assert.equal(await used('RETRY'), 1);
      const retry = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', promotion_code: 'RETRY' }, idempotencyKey: 'promo-retry' });
      assert.equal(retry.status, 201, await retry.clone().text());
      const { action, checkout_id } = await json(retry);
      assert.equal(fake.simulator.orders.get(action.order_id)!.amount, 159900 - 15990);
      assert.equal(await used('RETRY'), 1);
      assert.equal((await store.query('SELECT 1 FROM promotion_holds WHERE checkout_id = $1', [checkout_id])).length, 1);
    });

    test('a hand-off checkout keeps its discount: the order made from the system browser is at the discounted amount', async () => {
      const customer = uniqueId();
      const token = await server.session(customer, { nowSeconds: Math.floor(T0 / 1000) });
      const made = await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro', mode: 'handoff', promotion_code: 'FLAT' } });
      assert.equal(made.status, 201, await made.clone().text());
      const { checkout_id, action } = await json(made);
      assert.equal(action.type, 'handoff');
      const scoped = await server.session(customer, { checkoutScope: checkout_id, nowSeconds: Math.floor(T0 / 1000) });
      const started = await server.request('POST', `/v1/checkout/${checkout_id}/start`, { token: scoped });
      assert.equal(started.status, 200, await started.clone().text());
      assert.equal(fake.simulator.orders.get((await json(started)).action.order_id)!.amount, 109900);
    });
  });
}
