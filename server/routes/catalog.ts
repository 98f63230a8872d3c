// GET /v1/plans: the plans and metrics on sale, priced and translated for this caller.
import { Hono } from 'hono';
import type { Catalog } from '../catalog.js';
import type { AppEnv } from '../context.js';
import { answerLocale } from '../http.js';
import { offerContext } from '../store/customers.js';

export const catalogRoutes = new Hono<AppEnv>();

// `charge` follows ?currency=, else the signed-in customer's currency, else the default; the text
// follows ?locale= or Accept-Language where the catalog has a translation. A signed-in
// customer who has subscribed before is offered no trial (the checkout gives none either).
catalogRoutes.get('/v1/plans', async (c) => {
  const { store, catalog } = c.get('deps');
  let currency = c.req.query('currency');
  let trialUsed = false;
  const customer = c.get('customer');
  if (customer) {
    const offer = await offerContext(store, customer.customerId);
    currency ||= offer.currency ?? undefined;
    trialUsed = offer.subscribedBefore;
  }
  const locale = answerLocale(c);
  const charged = currency && /^[A-Z]{3}$/.test(currency) ? currency : null;
  // The answer's text, made once per catalog, currency, language and trial offer (the catalog never changes
  // while the server runs): the same bytes for every caller who gets it.
  let texts = answers.get(catalog);
  if (!texts) answers.set(catalog, (texts = new Map()));
  const key = `${charged ?? ''}|${locale}|${trialUsed}`;
  let text = texts.get(key);
  if (text === undefined) {
    const plans = catalog.publicPlans(charged, locale);
    text = JSON.stringify({ plans: trialUsed ? plans.map((plan) => (plan.trial_days ? { ...plan, trial_days: 0 } : plan)) : plans, metrics: catalog.publicMetrics(locale) });
    // Bounded: any three capital letters are a currency to ask for, not to keep.
    if (texts.size < 256) texts.set(key, text);
  }
  return c.body(text, 200, { 'Content-Type': 'application/json' });
});

const answers = new WeakMap<Catalog, Map<string, string>>();
