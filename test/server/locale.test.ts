// Catalog text in the widget's language: Accept-Language / ?locale= negotiation, translated plans and
// metric labels in GET /v1/plans and GET /v1/subscription, and the config checks on translations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_CONFIG, parseConfig } from '../../server/config.js';
import { negotiateLocale, requestedLocales } from '../../server/locale.js';
import type { Store } from '../../server/store/index.js';
import { engines, json, makeServer, testStore, uniqueId, type TestServer } from './helpers.js';

test('requested languages: ?locale= first, then Accept-Language by q-value (ties keep their order); junk is skipped', () => {
  assert.deepEqual(requestedLocales(undefined, 'en-US,hi;q=0.9,fr;q=0.95'), ['en-US', 'fr', 'hi']);
  assert.deepEqual(requestedLocales('hi', 'en'), ['hi', 'en']);
  assert.deepEqual(requestedLocales('<script>', '*, de;q=0, x_y, ta;q=abc, mr;q=0.5'), ['mr']);
  assert.deepEqual(requestedLocales(undefined, undefined), []);
});

test('negotiation: the same tag, else the same language, in the caller\'s order; nothing matching is undefined', () => {
  const available = ['en', 'hi', 'pt-BR'];
  assert.equal(negotiateLocale(['hi-IN'], available), 'hi');
  assert.equal(negotiateLocale(['HI'], available), 'hi');
  assert.equal(negotiateLocale(['pt'], available), 'pt-BR');
  assert.equal(negotiateLocale(['fr', 'en-GB', 'hi'], available), 'en');
  assert.equal(negotiateLocale(['fr', 'de'], available), undefined);
});

test('config: translations name a BCP 47 tag and the plan\'s own feature ids; a typo says which ids exist', () => {
  const plans = DEFAULT_CONFIG.plans!.map((p) => (p.id === 'pro' ? { ...p, translations: { 'hi_IN': { name: 'प्रो' }, hi: { features: { exports: 'एक्सपोर्ट' } } } } : p));
  assert.throws(
    () => parseConfig({ ...DEFAULT_CONFIG, plans }),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /plans\[1\]\.translations\.hi_IN: use a BCP 47 language tag such as "hi" or "en-IN"/);
      return true;
    },
  );
  const typo = DEFAULT_CONFIG.plans!.map((p) => (p.id === 'pro' ? { ...p, translations: { hi: { features: { exports: 'एक्सपोर्ट' } } } } : p));
  assert.throws(
    () => parseConfig({ ...DEFAULT_CONFIG, plans: typo }),
    (err: Error) => {
      assert.match(err.message, /plans\[1\]\.translations\.hi\.features\.exports: plan "pro" has no feature "exports"; use one of its feature ids \(basic-analytics, export, priority-support\)/);
      return true;
    },
  );
  const unknownField = DEFAULT_CONFIG.plans!.map((p) => (p.id === 'pro' ? { ...p, translations: { hi: { title: 'प्रो' } } } : p));
  assert.throws(() => parseConfig({ ...DEFAULT_CONFIG, plans: unknownField }), /plans\[1\]\.translations\.hi/);
});

for (const engine of engines()) {
  describe(`catalog text in the caller's language (${engine})`, () => {
    let store: Store;
    let server: TestServer;
    before(async () => {
      store = await testStore(engine);
      // The default catalog keeps plan names as brand names; this one also names them in Hindi.
      const plans = DEFAULT_CONFIG.plans!.map((p) => ({ ...p, translations: { hi: { ...p.translations?.hi, name: { free: 'निःशुल्क', pro: 'प्रो', team: 'टीम' }[p.id]! } } }));
      server = await makeServer({ store, sandboxWebhookDelayMs: 0, file: { plans } });
    });
    after(() => store.close());

    test('GET /v1/plans in Hindi: names, descriptions, features and metric labels translated; prices, ids and limits unchanged', async () => {
      const en = await server.request('GET', '/v1/plans', { headers: { 'Accept-Language': 'en-IN' } });
      const hi = await server.request('GET', '/v1/plans', { headers: { 'Accept-Language': 'hi-IN,hi;q=0.9,en;q=0.8' } });
      assert.equal(en.headers.get('Content-Language'), 'en');
      assert.equal(hi.headers.get('Content-Language'), 'hi');
      assert.match(hi.headers.get('Vary') ?? '', /Accept-Language/);
      const [enBody, hiBody] = [await json(en), await json(hi)];
      const pro = hiBody.plans.find((p: any) => p.id === 'pro');
      assert.equal(pro.name, 'प्रो');
      assert.equal(pro.description, 'पेशेवरों के लिए');
      assert.deepEqual(pro.features, ['बुनियादी एनालिटिक्स', 'CSV और PDF एक्सपोर्ट', 'प्राथमिकता वाली सहायता']);
      assert.deepEqual(pro.feature_ids, ['basic-analytics', 'export', 'priority-support']);
      // A translation without label_one drops the English one rather than mixing languages.
      assert.deepEqual(hiBody.metrics.find((m: any) => m.id === 'seats'), { id: 'seats', label: 'सीट' });
      assert.ok(hiBody.metrics.every((m: any) => !('translations' in m)));
      const strip = (plans: any[]) => plans.map(({ name, description, features, ...rest }) => rest);
      assert.deepEqual(strip(hiBody.plans), strip(enBody.plans));
      assert.equal(enBody.plans.find((p: any) => p.id === 'pro').name, 'Pro');
      assert.deepEqual(enBody.metrics.find((m: any) => m.id === 'seats'), { id: 'seats', label: 'Seats', label_one: 'Seat' });
    });

    test('?locale= beats Accept-Language; a language the catalog lacks gets its own text', async () => {
      const viaQuery = await json(await server.request('GET', '/v1/plans?locale=hi', { headers: { 'Accept-Language': 'en' } }));
      assert.equal(viaQuery.plans[1].name, 'प्रो');
      const french = await server.request('GET', '/v1/plans', { headers: { 'Accept-Language': 'fr-FR,fr;q=0.9' } });
      assert.equal(french.headers.get('Content-Language'), 'en');
      assert.equal((await json(french)).plans[1].name, 'Pro');
      const junk = await server.request('GET', '/v1/plans?locale=%3Cx%3E', { headers: { 'Accept-Language': ';;;,q=2' } });
      assert.equal(junk.status, 200);
      assert.equal((await json(junk)).plans[1].name, 'Pro');
    });

    test('GET /v1/subscription: plan name and metric labels in the caller\'s language', async () => {
      const token = await server.session(uniqueId());
      const hi = await json(await server.request('GET', '/v1/subscription', { token, headers: { 'Accept-Language': 'hi' } }));
      assert.equal(hi.planName, 'निःशुल्क');
      assert.deepEqual(hi.metricLabels, { messages: 'संदेश', seats: 'सीट', projects: 'प्रोजेक्ट' });
      const en = await json(await server.request('GET', '/v1/subscription', { token, headers: { 'Accept-Language': 'en-IN' } }));
      assert.equal(en.planName, 'Free');
      assert.deepEqual(en.metricLabels, { messages: 'Messages', seats: 'Seats', projects: 'Projects' });
    });
  });
}
