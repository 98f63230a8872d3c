// GET /v1/plans: the plans and metrics on sale, priced and translated for this caller.
import { Hono } from 'hono';
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
  return c.body(catalog.plansAnswer(charged, locale, trialUsed), 200, { 'Content-Type': 'application/json' });
});
