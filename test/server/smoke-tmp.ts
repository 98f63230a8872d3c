import { writeFileSync } from 'node:fs';
import { json, makeServer, testStore, uniqueId } from './helpers.js';
const store = await testStore('pglite');
const server = await makeServer({ store, sandboxWebhookDelayMs: 0, file: { receipts: { seller: { legal_name: 'Acme Software Pvt Ltd', address: '12 MG Road\nBengaluru 560001\nKarnataka, India', email: 'billing@acme.in', gstin: '29ABCDE1234F1Z5' } } } });
await server.receiptsReady;
const customer = uniqueId();
const token = await server.session(customer, { email: 'asha@example.in' });
const co = await json(await server.request('POST', '/v1/checkout', { token, body: { plan: 'pro' } }));
const paid = server.razorpaySandbox!.pay(co.action.order_id);
console.log((await server.request('POST', '/v1/razorpay/verify', { token, body: { plan: 'pro', ...paid } })).status);
await server.razorpaySandbox!.settle();
const list = await json(await server.request('GET', '/v1/receipts', { token }));
console.log(JSON.stringify(list, null, 1).slice(0, 1500));
const r = await json(await server.request('GET', `/v1/receipts/${list.receipts[0].number}?locale=en-IN`, { token }));
console.log(JSON.stringify(r, null, 1).slice(0, 3000));
for (const [loc, as] of [['en-IN','pdf'],['hi','pdf'],['hi','html']]) {
  const u = new URL(r.links[as]); u.searchParams.set('locale', loc);
  const res = await server.app.request(u.pathname + u.search);
  console.log(as, loc, res.status, res.headers.get('content-type'), res.headers.get('content-security-policy'));
  const buf = Buffer.from(await res.arrayBuffer());
  writeFileSync(`/tmp/rcpt/receipt-${loc}.${as}`, buf);
  if (res.status !== 200) console.log(buf.toString());
}
await server.close(); await store.close();
