// Receipts and credit notes (migration 17, routes/receipts.ts): numbers gap-free and unique under concurrent
// payments and across two instances, a rolled-back payment gives its number back, payments from before the
// migration numbered in paid_at order, the receipt's content, who may read it, the page (en, en-IN, hi), the PDF
// read back as text, a credit note after a full refund, and checkout.paid naming the receipt.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PDFParse } from 'pdf-parse';
import type { Receipt, ReceiptList } from '../../src/contract/receipts.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, parseConfig } from '../../server/config.js';
import { signRazorpayPayment, signRazorpayWebhook } from '../../server/security/signatures.js';
import { issueSessionToken } from '../../server/security/tokens.js';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { openStore, type Store } from '../../server/store/index.js';
import { createTollgate } from '../../server/index.js';
import { recordRenewalPayment } from '../../server/store/payments.js';
import { syncReceiptSettings } from '../../server/store/receipts.js';
import { receiptSettingsOf } from '../../server/services/receipts.js';
import { createClient, type Receipt as ClientReceipt, type ReceiptSummary as ClientReceiptSummary } from '../../src/client/index.js';
import { engines, json, makeServer, testStore, TEST_ENV, uniqueId, type TestServer } from './helpers.js';

const API = { token: TEST_ENV.TOLLGATE_API_KEY };
const SELLER = { legal_name: 'Acme Software Pvt Ltd', address: '12 MG Road\nBengaluru 560001', email: 'billing@acme.example', gstin: '29ABCDE1234F1Z5' };
/** A plan whose price shows the Indian grouping (₹1,23,456.78 in en-IN, ₹123,456.78 in en). */
const ENTERPRISE = { id: 'enterprise', name: 'Enterprise', translations: { hi: { name: 'एंटरप्राइज़' } }, prices: [{ provider: 'razorpay' as const, currency: 'INR', amount: 12345678, interval: 'month' as const }] };
const FILE = {
  plans: [...DEFAULT_CONFIG.plans!, ENTERPRISE],
  receipts: { series: 'INV', credit_note_series: 'CRN', format: '{series}-{year}-{number:05}', seller: SELLER },
  rate_limits: { customer: { limit: 10_000, window_s: 60 }, ip: { limit: 10_000, window_s: 60 } },
};
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** A checkout of `plan` paid in the Razorpay sandbox and verified, by a new customer (or `customer`); its ids. */
async function buy(server: TestServer, plan = 'pro', customer = uniqueId()) {
  const token = await server.session(customer, { email: `${customer}@example.in` });
  const res = await server.request('POST', '/v1/checkout', { token, body: { plan } });
  assert.equal(res.status, 201, await res.clone().text());
  const co = await json(res);
  const paid = server.razorpaySandbox!.pay(co.action.order_id);
  const verified = await server.request('POST', '/v1/razorpay/verify', { token, body: { plan, ...paid } });
  assert.equal(verified.status, 200, await verified.clone().text());
  // The sandbox's webhooks for the payment, applied (they change nothing after the verify).
  await server.razorpaySandbox!.settle();
  return { customer, token, checkoutId: co.checkout_id as string, paymentId: paid.razorpay_payment_id as string, orderId: co.action.order_id as string };
}

/** A checkout verified with a payment id made here (no sandbox payment; the signature is the real one). */
async function signedVerify(server: TestServer) {
  const customer = uniqueId();
  const token = await server.session(customer);
  const co = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } }));
  const paymentId = `pay_${randomBytes(7).toString('hex')}`;
  const body = { plan: 'pro', razorpay_order_id: co.action.order_id, razorpay_payment_id: paymentId, razorpay_signature: signRazorpayPayment(server.deps.config.razorpay.keySecret, co.action.order_id, paymentId) };
  return { customer, verify: () => server.request('POST', '/v1/razorpay/verify', { token, body }) };
}

async function receiptsOf(server: TestServer, token: string): Promise<ReceiptList['receipts']> {
  const res = await server.request('GET', '/v1/receipts', { token });
  assert.equal(res.status, 200, await res.clone().text());
  return (await json<ReceiptList>(res)).receipts;
}

/** A URL the server made, requested as a browser would (no Authorization). */
function open(server: TestServer, url: string, params: Record<string, string> = {}): Promise<Response> {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return Promise.resolve(server.app.request(u.pathname + u.search));
}

async function pdfText(bytes: ArrayBuffer): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(bytes) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}

/** The numbers of a series, ascending. */
async function seqs(store: Store, series: string): Promise<number[]> {
  return (await store.query<{ seq: number }>('SELECT seq::int AS seq FROM receipts WHERE series = $1 ORDER BY seq', [series])).map((r) => r.seq);
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test('the receipts config: the README’s example parses; formats, series and seller ids are checked with a fix', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>).find((b) => 'receipts' in b);
  assert.ok(block, 'the README has a receipts example');
  assert.equal(parseConfig({ ...DEFAULT_CONFIG, ...block }).receipts.seller?.gstin, '29ABCDE1234F1Z5');
  assert.deepEqual(parseConfig(DEFAULT_CONFIG).receipts, { series: 'TG', credit_note_series: 'CN', format: '{series}-{year}-{number:06}' });
  const refused = (receipts: unknown, message: RegExp) => assert.throws(() => parseConfig({ ...DEFAULT_CONFIG, receipts }), message);
  refused({ format: '{year}-{number}' }, /receipts\.format: include \{series\} and \{number\}/);
  refused({ format: '{series}/{number}' }, /receipts\.format: use letters, digits/);
  refused({ series: 'tg' }, /receipts\.series: use 1–12 upper-case letters or digits/);
  refused({ series: 'CN' }, /receipts\.credit_note_series: use a series of its own/);
  refused({ seller: { legal_name: 'A', address: 'B', email: 'c@d.in', gstin: '123' } }, /receipts\.seller\.gstin: use a 15-character GSTIN/);
  refused({ seler: {} }, /did you mean "seller"/);
});

for (const engine of engines()) {
  describe(`receipts (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      server = await makeServer({ store, sandboxWebhookDelayMs: 0, file: FILE, env: { PARTNER_WEBHOOK_SECRET: SECRET }, partnerWebhooks: { retryScheduleMs: [600_000], sweepMs: 600_000 } });
      await server.receiptsReady;
    });
    after(async () => {
      await server.close();
      await store.close();
    });

    test('a paid checkout has one receipt: seller from the config, buyer, one line, total = the payment', async () => {
      const { customer, token, paymentId } = await buy(server);
      const list = await receiptsOf(server, token);
      assert.equal(list.length, 1);
      const [summary] = list;
      assert.match(summary.number, /^INV-\d{4}-\d{5}$/);
      assert.equal(summary.number.slice(4, 8), String(new Date().getUTCFullYear()));
      const res = await server.request('GET', `/v1/receipts/${summary.number}`, { token });
      assert.equal(res.status, 200);
      const r = await json<Receipt>(res);
      assert.equal(r.id, summary.id);
      assert.equal(r.kind, 'receipt');
      assert.deepEqual(r.seller, { ...SELLER, vat_id: null });
      assert.deepEqual(r.buyer, { customer_id: customer, name: null, email: `${customer}@example.in`, legal_name: null, gstin: null, address: null });
      assert.equal(r.lines.length, 1);
      assert.deepEqual({ ...r.lines[0] }, { description: 'Pro · Monthly', plan: 'pro', interval: 'month', quantity: 1, unit_amount: 159900, discount: null, taxes: [{ name: 'CGST', rate: 9, amount: 12196, inclusive: true }, { name: 'SGST', rate: 9, amount: 12196, inclusive: true }], amount: 159900, period_start: null, period_end: null });
      const [payment] = await store.query<{ amount: number; currency: string }>('SELECT amount, currency FROM payments WHERE payment_id = $1', [paymentId]);
      assert.deepEqual([r.total, r.currency, r.subtotal, r.discount_total, r.tax_total], [payment.amount, payment.currency, 159900, 0, 24392]);
      // The method comes with Razorpay's payment.captured webhook (the sandbox's, settled in buy()).
      assert.deepEqual(r.payment, { provider: 'razorpay', payment_id: paymentId, method: 'upi', kind: 'checkout', status: 'paid', paid_at: r.payment.paid_at });
      assert.deepEqual([r.credits, r.credit_notes], [null, []]);
      // By id too; and the API key's route answers the same document.
      assert.equal((await json<Receipt>(await server.request('GET', `/v1/receipts/${r.id}`, { token }))).number, r.number);
      const byKey = await json<Receipt>(await server.request('GET', `/v1/customers/${customer}/receipts/${r.id}`, API));
      assert.deepEqual({ ...byKey, links: undefined }, { ...r, links: undefined });
      assert.deepEqual((await json<ReceiptList>(await server.request('GET', `/v1/customers/${customer}/receipts`, API))).receipts.map((x) => x.number), [r.number]);
      // tollgate/client's receipts.list/get, whose types are the contract's (tsc checks the assignments).
      const client = createClient({ baseUrl: server.deps.config.publicUrl, apiKey: TEST_ENV.TOLLGATE_API_KEY, fetch: (url, init) => Promise.resolve(server.app.request(String(url), init)) });
      const listed: ClientReceiptSummary[] = await client.receipts.list(customer, { locale: 'hi' });
      assert.deepEqual(listed.map((x) => x.number), [r.number]);
      const got: ClientReceipt = await client.receipts.get(customer, r.number);
      const typed: ClientReceipt = r;
      assert.deepEqual({ ...got, links: undefined }, { ...typed, links: undefined });
      await assert.rejects(client.receipts.get(uniqueId(), r.number), (err: Error & { code?: string }) => err.code === 'not_found');
    });

    test('50 concurrent verifies of 50 customers: 50 receipts numbered 1…50 more, each once', async () => {
      const start = (await seqs(store, 'INV')).length;
      const buyers = await Promise.all(Array.from({ length: 50 }, () => signedVerify(server)));
      // Each verified twice at once: the replay issues nothing.
      const answers = await Promise.all(buyers.flatMap((b) => [b.verify(), b.verify()]));
      assert.ok(answers.every((a) => a.status === 200), String(answers.map((a) => a.status)));
      const numbers = await store.query<{ customer_id: string; seq: number }>("SELECT customer_id, seq::int AS seq FROM receipts WHERE kind = 'receipt' AND customer_id = ANY($1::text[])", [buyers.map((b) => b.customer)]);
      assert.equal(numbers.length, 50);
      assert.equal(new Set(numbers.map((n) => n.customer_id)).size, 50);
      assert.deepEqual((await seqs(store, 'INV')), oneToN(start + 50));
    });

    test('a payment rolled back gives its number back: the next one takes it', async () => {
      const customer = uniqueId();
      await store.query("INSERT INTO customers (id, plan) VALUES ($1, 'free')", [customer]);
      const renewal = (id: string) => ({ provider: 'razorpay', payment_id: id, customer_id: customer, subscription_id: 'sub_test', plan: 'pro', interval: 'month' as const, amount: 159900, currency: 'INR', paid_at: new Date() });
      const before = await seqs(store, 'INV');
      await assert.rejects(
        store.transaction(async (tx) => {
          assert.equal(await recordRenewalPayment(tx, renewal(`pay_rolled_${customer}`)), true);
          const [issued] = await tx.query<{ seq: number }>("SELECT seq::int AS seq FROM receipts WHERE payment_id = $1", [`pay_rolled_${customer}`]);
          assert.equal(issued.seq, before.length + 1);
          throw new Error('the payment fails after its receipt was numbered');
        }),
        /after its receipt was numbered/,
      );
      assert.equal((await store.query('SELECT 1 FROM receipts WHERE payment_id = $1', [`pay_rolled_${customer}`])).length, 0);
      assert.equal(await recordRenewalPayment(store, renewal(`pay_kept_${customer}`)), true);
      // The same renewal again (a replayed webhook): no second receipt, no number used.
      assert.equal(await recordRenewalPayment(store, renewal(`pay_kept_${customer}`)), false);
      const [kept] = await store.query<{ seq: number; kind: string }>('SELECT seq::int AS seq, kind FROM receipts WHERE payment_id = $1', [`pay_kept_${customer}`]);
      assert.equal(kept.seq, before.length + 1);
      assert.deepEqual(await seqs(store, 'INV'), oneToN(before.length + 1));
      const token = await server.session(customer);
      const [r] = await receiptsOf(server, token);
      assert.equal(r.payment_id, `pay_kept_${customer}`);
    });

    test('nobody reads another customer’s receipt: not by id, number, link, API key route or list', async () => {
      const a = await buy(server);
      const b = await buy(server);
      const [ra] = await receiptsOf(server, a.token);
      const [rb] = await receiptsOf(server, b.token);
      for (const ref of [ra.id, ra.number]) {
        for (const suffix of ['', '/html', '/pdf']) {
          const res = await server.request('GET', `/v1/receipts/${ref}${suffix}`, { token: b.token });
          assert.equal(res.status, 404, `${ref}${suffix}`);
          assert.equal((await json(res)).error.code, 'not_found');
        }
        assert.equal((await server.request('GET', `/v1/customers/${b.customer}/receipts/${ref}`, API)).status, 404);
      }
      assert.deepEqual((await receiptsOf(server, b.token)).map((r) => r.id), [rb.id]);
      // A's link opens A's receipt only: not B's, not as a session anywhere else.
      const linkToken = new URL(ra.links.html).searchParams.get('token')!;
      assert.equal((await open(server, ra.links.html)).status, 200);
      // B's link token on A's receipt: not one of B's receipts.
      assert.equal((await server.app.request(`/v1/receipts/${ra.id}/html?token=${new URL(rb.links.html).searchParams.get('token')}`)).status, 404);
      // A's link on A's other receipt: another receipt than the link's.
      await buy(server, 'team', a.customer);
      const mine = await receiptsOf(server, a.token);
      const second = mine.find((r) => r.id !== ra.id)!;
      const wrongReceipt = await server.app.request(`/v1/receipts/${second.id}/pdf?token=${linkToken}`);
      assert.equal(wrongReceipt.status, 403);
      for (const path of ['/v1/receipts', `/v1/receipts/${ra.id}`, '/v1/subscription', '/v1/entitlements']) {
        const res = await server.request('GET', path, { token: linkToken });
        assert.equal(res.status, 403, path);
        assert.equal((await json(res)).error.code, 'forbidden');
      }
      assert.equal((await server.request('POST', '/v1/checkout', { token: linkToken, body: { plan: 'pro' } })).status, 403);
      assert.equal((await server.app.request(`/v1/checkout/${a.checkoutId}/events?token=${linkToken}`)).status, 403);
      // A plain session as ?token= is no link; no credentials at all is 401; an expired link is 401.
      assert.equal((await server.app.request(`/v1/receipts/${ra.id}/html?token=${a.token}`)).status, 403);
      assert.equal((await server.app.request(`/v1/receipts/${ra.id}/html`)).status, 401);
      const stale = await issueSessionToken(server.deps.config.sessionSecret, { customerId: a.customer, receiptScope: ra.id }, 15 * 60, Math.floor(Date.now() / 1000) - 16 * 60);
      const expired = await server.app.request(`/v1/receipts/${ra.id}/html?token=${stale.token}`);
      assert.equal(expired.status, 401);
      assert.equal((await json(expired)).error.code, 'invalid_token');
      // A link may not outlive 15 min, whoever signs it.
      const long = await issueSessionToken(server.deps.config.sessionSecret, { customerId: a.customer, receiptScope: ra.id }, 3600);
      assert.equal((await server.app.request(`/v1/receipts/${ra.id}/html?token=${long.token}`)).status, 401);
      // Hostile refs are a 404 envelope, not a 500.
      for (const ref of ['..%2F..%2Fetc', 'x'.repeat(200), "INV'--"]) assert.equal((await server.request('GET', `/v1/receipts/${ref}`, { token: a.token })).status, 404, ref);
    });

    test('the page: strict CSP, no script, localised words and money in en, en-IN and hi', async () => {
      const { token } = await buy(server, 'enterprise');
      const [r] = await receiptsOf(server, token);
      const page = async (locale: string) => {
        const res = await open(server, r.links.html, { locale });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type')!, /^text\/html/);
        const csp = res.headers.get('content-security-policy')!;
        assert.match(csp, /default-src 'none'/);
        assert.match(csp, /script-src 'nonce-/);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
        assert.equal(res.headers.get('content-language'), locale);
        const text = await res.text();
        assert.doesNotMatch(text, /<script/i);
        const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
        assert.ok(text.includes(`<style nonce="${nonce}">`));
        assert.ok(text.includes(r.number));
        return text;
      };
      const en = await page('en');
      assert.ok(en.includes('Receipt number') && en.includes('Total paid') && en.includes('₹123,456.78') && en.includes('Acme Software Pvt Ltd') && en.includes('GSTIN: 29ABCDE1234F1Z5') && en.includes('Razorpay (UPI)'));
      const enIn = await page('en-IN');
      assert.ok(enIn.includes('Total paid') && enIn.includes('₹1,23,456.78'), 'en-IN groups lakhs');
      const hi = await page('hi');
      assert.ok(hi.includes('<html lang="hi">'));
      for (const words of ['रसीद संख्या', 'कुल भुगतान', 'विक्रेता', 'ख़रीदार', 'एंटरप्राइज़ · मासिक', '₹1,23,456.78']) assert.ok(hi.includes(words), words);
      assert.ok(!hi.includes('Total paid'));
      // Accept-Language picks the language when ?locale= is absent.
      const u = new URL(r.links.html);
      u.searchParams.delete('locale');
      const negotiated = await server.app.request(u.pathname + u.search, { headers: { 'Accept-Language': 'hi-IN,hi;q=0.9,en;q=0.5' } });
      assert.equal(negotiated.headers.get('content-language'), 'hi-IN');
      assert.ok((await negotiated.text()).includes('कुल भुगतान'));
    });

    test('the PDF: its text read back has the number, the seller, the line and the amounts', async () => {
      const { token, paymentId } = await buy(server, 'enterprise');
      const [r] = await receiptsOf(server, token);
      for (const [locale, amount, words] of [
        ['en-IN', '₹1,23,456.78', ['Receipt', 'Total paid', 'Enterprise · Monthly']],
        ['en', '₹123,456.78', ['Receipt', 'Total paid']],
        ['hi', '₹1,23,456.78', []],
      ] as const) {
        const res = await open(server, r.links.pdf, { locale });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/pdf');
        assert.equal(res.headers.get('content-disposition'), `inline; filename="${r.number}.pdf"`);
        const bytes = await res.arrayBuffer();
        assert.equal(new TextDecoder().decode(bytes.slice(0, 5)), '%PDF-');
        const text = await pdfText(bytes);
        for (const expected of [r.number, amount, paymentId, SELLER.legal_name, SELLER.gstin, 'Razorpay (UPI)', ...words]) assert.ok(text.includes(expected), `${locale}: ${expected} in ${JSON.stringify(text)}`);
        // The amount appears for the unit price, the line, the subtotal and the total.
        assert.equal(text.split(amount).length - 1, 4, `${locale}: ${text}`);
      }
      // The API key's PDF route gives the same document.
      const { customer } = (await store.query<{ customer_id: string }>('SELECT customer_id FROM receipts WHERE id = $1', [r.id])).map((x) => ({ customer: x.customer_id }))[0];
      const byKey = await server.request('GET', `/v1/customers/${customer}/receipts/${r.number}/pdf`, API);
      assert.equal(byKey.status, 200);
      assert.ok((await pdfText(await byKey.arrayBuffer())).includes(r.number));
    });

    test('a full refund issues a credit note in its own series, referencing the receipt', async () => {
      const { token, paymentId } = await buy(server);
      const raw = JSON.stringify({
        entity: 'event', account_id: 'acc_test', event: 'refund.created', contains: ['refund'], created_at: Math.floor(Date.now() / 1000),
        payload: { refund: { entity: { id: `rfnd_${uniqueId('r')}`, entity: 'refund', amount: 159900, payment_id: paymentId } } },
      });
      const res = await server.request('POST', '/v1/webhooks/razorpay', { rawBody: raw, idempotencyKey: null, headers: { 'X-Razorpay-Signature': signRazorpayWebhook(server.deps.config.razorpay.webhookSecret, raw), 'X-Razorpay-Event-Id': `evt_${uniqueId('t')}` } });
      assert.equal((await json(res)).outcome, 'reverted');
      const list = await receiptsOf(server, token);
      assert.deepEqual(list.map((r) => r.kind).sort(), ['credit_note', 'receipt']);
      const receipt = list.find((r) => r.kind === 'receipt')!;
      const note = list.find((r) => r.kind === 'credit_note')!;
      assert.match(note.number, /^CRN-\d{4}-\d{5}$/);
      assert.deepEqual(note.credits, { id: receipt.id, number: receipt.number });
      assert.equal(receipt.status, 'refunded');
      assert.equal(note.total, 159900);
      const full = await json<Receipt>(await server.request('GET', `/v1/receipts/${receipt.id}`, { token }));
      assert.deepEqual(full.credit_notes, [{ id: note.id, number: note.number }]);
      assert.deepEqual(await seqs(store, 'CRN'), oneToN((await seqs(store, 'CRN')).length));
      const text = await pdfText(await (await open(server, note.links.pdf, { locale: 'en' })).arrayBuffer());
      for (const expected of ['Credit note', note.number, `Credits receipt: ${receipt.number}`, 'Total credited', '₹1,599']) assert.ok(text.includes(expected), `${expected} in ${text}`);
      const html = await (await open(server, note.links.html, { locale: 'hi' })).text();
      assert.ok(html.includes('क्रेडिट नोट') && html.includes(receipt.number));
    });

    test('checkout.paid names the receipt (number and URL) in the event written with the payment', async () => {
      const events = await makeServer({
        store,
        sandboxWebhookDelayMs: 0,
        file: { ...FILE, partner_webhooks: [{ url: 'http://127.0.0.1:9/events', secret_env: 'PARTNER_WEBHOOK_SECRET' }] },
        env: { PARTNER_WEBHOOK_SECRET: SECRET },
        partnerWebhooks: { retryScheduleMs: [600_000], sweepMs: 600_000 },
      });
      try {
        await events.deps.partnerWebhooks.ready;
        await events.receiptsReady;
        const { customer, token } = await buy(events);
        const [r] = await receiptsOf(events, token);
        const [paid] = await store.query<{ data: Record<string, any> }>("SELECT data FROM outbox_events WHERE type = 'checkout.paid' AND data->>'customer_id' = $1", [customer]);
        assert.deepEqual(paid.data.receipt, { id: r.id, number: r.number, url: `${events.deps.config.publicUrl}/v1/customers/${customer}/receipts/${r.id}` });
        assert.equal((await events.request('GET', new URL(paid.data.receipt.url).pathname, API)).status, 200);
      } finally {
        await store.query('DELETE FROM partner_endpoints');
        await events.close();
      }
    });

    test('migration 17 numbers the payments made before it in paid_at order', async () => {
      const old = await testStore(engine);
      try {
        // The store as migration 16 left it: payments, no receipts.
        await old.exec(`DROP TRIGGER payments_receipt ON payments; DROP TABLE receipts; DROP TABLE receipt_counters; DROP TABLE receipt_settings;
          ALTER TRIGGER checkouts_a_payment ON checkouts RENAME TO checkouts_payment; DELETE FROM schema_migrations WHERE id = 17;`);
        await old.query("INSERT INTO customers (id, plan, email) VALUES ('cust_old', 'pro', 'old@example.in')");
        const at = (day: number) => new Date(Date.UTC(2026, 5, day));
        for (const [id, day, status] of [['pay_c', 3, 'paid'], ['pay_a', 1, 'refunded'], ['pay_b', 2, 'paid']] as const) {
          await old.query(
            "INSERT INTO payments (provider, payment_id, customer_id, kind, plan, interval, amount, currency, status, paid_at, refunded_at) VALUES ('razorpay', $1, 'cust_old', 'renewal', 'pro', 'month', 159900, 'INR', $2, $3, $4)",
            [id, status, at(day), status === 'refunded' ? at(10) : null],
          );
        }
        await old.transaction(async (tx) => {
          await tx.exec(MIGRATIONS.find((m) => m.id === 17)!.sql);
          await tx.query("INSERT INTO schema_migrations (id, name) VALUES (17, 'receipts')");
        });
        const rows = await old.query<{ payment_id: string; kind: string; number: string; receipt_id: string | null }>('SELECT payment_id, kind, number, receipt_id FROM receipts ORDER BY kind DESC, seq');
        assert.deepEqual(rows.map((r) => [r.payment_id, r.kind, r.number]), [
          ['pay_a', 'receipt', 'TG-2026-000001'],
          ['pay_b', 'receipt', 'TG-2026-000002'],
          ['pay_c', 'receipt', 'TG-2026-000003'],
          ['pay_a', 'credit_note', 'CN-2026-000001'],
        ]);
        assert.equal(rows[3].receipt_id, (await old.query<{ id: string }>("SELECT id FROM receipts WHERE payment_id = 'pay_a' AND kind = 'receipt'"))[0].id);
        // The next payment continues the series; its trigger was renamed to fire before the outbox's.
        await old.query("INSERT INTO payments (provider, payment_id, customer_id, kind, plan, interval, amount, currency, paid_at) VALUES ('razorpay', 'pay_d', 'cust_old', 'renewal', 'pro', 'month', 159900, 'INR', now())");
        assert.deepEqual(await seqs(old, 'TG'), [1, 2, 3, 4]);
        // Numbered before any start knew the seller (`{}`): the first start that knows one fills it in; a later
        // change of seller leaves the receipts already issued as they were.
        const settings = receiptSettingsOf(server.deps.config);
        assert.deepEqual((await old.query<{ seller: unknown }>('SELECT DISTINCT seller FROM receipts')).map((r) => r.seller), [{}]);
        await syncReceiptSettings(old, settings);
        assert.deepEqual((await old.query<{ seller: unknown }>('SELECT DISTINCT seller FROM receipts')).map((r) => r.seller), [settings.seller]);
        await syncReceiptSettings(old, { ...settings, seller: { ...settings.seller, legal_name: 'Renamed Software LLP' } });
        assert.deepEqual((await old.query<{ n: string }>("SELECT DISTINCT seller->>'legal_name' AS n FROM receipts")).map((r) => r.n), [settings.seller.legal_name]);
      } finally {
        await old.close();
      }
    });
  });
}

// Two instances on one PostgreSQL, each with its own connections: one series, no gap, no repeat.
if (process.env.DATABASE_URL) {
  describe('receipts across two instances (postgres)', () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    let stores: Store[] = [];
    let servers: TestServer[] = [];
    before(async () => {
      stores = [await openStore({ databaseUrl: process.env.DATABASE_URL, schema }), await openStore({ databaseUrl: process.env.DATABASE_URL, schema })];
      servers = await Promise.all(stores.map((store) => makeServer({ store, sandboxWebhookDelayMs: 0, file: FILE })));
      await Promise.all(servers.map((s) => s.receiptsReady));
    });
    after(async () => {
      for (const s of servers) await s.close();
      await stores[0].query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      for (const s of stores) await s.close();
    });

    test('a mounted handler answers nothing before the receipts config is in the store (no receipt numbered with the old one)', async () => {
      const other = `t_${randomBytes(6).toString('hex')}`;
      const holder = await openStore({ databaseUrl: process.env.DATABASE_URL, schema: other });
      const store = await openStore({ databaseUrl: process.env.DATABASE_URL, schema: other });
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      // Another instance holding the settings row: this one's sync of the receipts config waits for it.
      const holding = holder.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM receipt_settings WHERE id FOR UPDATE');
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await isLocked;
      const tollgate = createTollgate({ store, env: TEST_ENV, config: { ...DEFAULT_CONFIG, ...FILE }, log: 'error' });
      try {
        const answered = tollgate.fetch(new Request('http://tollgate.test/v1/plans')).then(() => 'answered');
        assert.equal(await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, 500, 'waiting'))]), 'waiting');
        release();
        await holding;
        assert.equal(await answered, 'answered');
        assert.deepEqual((await store.query<{ series: string }>('SELECT series FROM receipt_settings')).map((r) => r.series), ['INV']);
      } finally {
        release();
        await holding;
        await tollgate.close();
        await holder.query(`DROP SCHEMA IF EXISTS ${other} CASCADE`);
        await holder.close();
        await store.close();
      }
    });

    test('50 payments verified on two instances at once: INV 1…50, each once', async () => {
      const buyers = await Promise.all(Array.from({ length: 50 }, (_, i) => signedVerify(servers[i % 2])));
      const answers = await Promise.all(buyers.map((b) => b.verify()));
      assert.ok(answers.every((a) => a.status === 200), String(answers.map((a) => a.status)));
      assert.deepEqual(await seqs(stores[0], 'INV'), oneToN(50));
      const numbers = await stores[1].query<{ number: string }>('SELECT number FROM receipts');
      assert.equal(new Set(numbers.map((n) => n.number)).size, 50);
    });
  });
}
