// Tollgate's own billing portal (services/portal.ts): the page `GET /portal` (opened from POST /v1/portal's link,
// in the system browser too), its summary and its actions. The API routes take the portal link's token only,
// each action is an idempotent POST scoped to that token's customer.
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { PortalChangePlanRequest, PortalPaymentMethodVerifyRequest, SeatsRequest } from '../../src/contract/index.js';
import type { AppContext, AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { answerLocale, readJson, requireCustomer, returnUrlFor } from '../http.js';
import { requestedLocales } from '../locale.js';
import { portalLocale, portalStrings } from '../portal-strings.js';
import { idempotencyKeyOf, withIdempotency } from '../security/idempotency.js';
import type { CustomerIdentity } from '../security/tokens.js';
import { cancelAtPeriodEnd, changePlan, changePortalSeats, confirmPaymentMethod, portalSummary, resumeSubscription, updatePaymentMethod } from '../services/portal.js';
import { payPageCsp, template } from './pages.js';

export const portalRoutes = new Hono<AppEnv>();

/** The actions that take no input: `{}` or no body. */
export const PortalEmptyBody = z.object({}).strict();

/** The portal link's customer: a billing-portal token, nothing else (a session or a hand-off token is refused). */
async function requirePortalCustomer(c: AppContext): Promise<CustomerIdentity> {
  const identity = await requireCustomer(c, { portal: true });
  if (!identity.portalScope) throw new AppError('forbidden', 'The billing portal takes the token of its link only: ask POST /v1/portal for one');
  return identity;
}

/** A portal action: authenticated by the link's token, idempotent per customer (a replay answers the first answer and changes nothing). */
function action(path: string, run: (c: AppContext, identity: CustomerIdentity, locale: string) => Promise<unknown>) {
  portalRoutes.post(path, async (c) => {
    const identity = await requirePortalCustomer(c);
    return withIdempotency(c, `customer:${identity.customerId}`, async () => c.json(await run(c, identity, answerLocale(c))));
  });
}

portalRoutes.get('/v1/portal/summary', async (c) => {
  const identity = await requirePortalCustomer(c);
  c.header('Cache-Control', 'no-store');
  return c.json(await portalSummary(c.get('deps'), identity, answerLocale(c)));
});

action('/v1/portal/cancel', async (c, identity, locale) => {
  await readJson(c, PortalEmptyBody);
  return cancelAtPeriodEnd(c.get('deps'), identity, locale);
});
action('/v1/portal/resume', async (c, identity, locale) => {
  await readJson(c, PortalEmptyBody);
  return resumeSubscription(c.get('deps'), identity, locale);
});
action('/v1/portal/change-plan', async (c, identity, locale) => {
  const body = await readJson(c, PortalChangePlanRequest);
  return changePlan(c.get('deps'), { identity, body, idempotencyKey: idempotencyKeyOf(c), locale });
});
// The seats of a per-seat plan: POST /v1/seats's change (services/seats.ts), answered as every portal action is.
action('/v1/portal/seats', async (c, identity, locale) => {
  const body = await readJson(c, SeatsRequest);
  return changePortalSeats(c.get('deps'), { identity, quantity: body.quantity, idempotencyKey: idempotencyKeyOf(c), locale });
});
action('/v1/portal/payment-method', async (c, identity, locale) => {
  await readJson(c, PortalEmptyBody);
  return updatePaymentMethod(c.get('deps'), identity, locale);
});
// checkout.js's answer to that action (Razorpay's card change): idempotent like the rest, so a retried verify is one change.
action('/v1/portal/payment-method/verify', async (c, identity, locale) => {
  const body = await readJson(c, PortalPaymentMethodVerifyRequest);
  return confirmPaymentMethod(c.get('deps'), identity, body, locale);
});

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);

// The page: the same look as the hand-off pay page, its words in the visitor's language (?locale=, then
// Accept-Language: en, en-IN, hi), its data from the API with the token in the fragment.
portalRoutes.get('/portal', async (c) => {
  const { config } = c.get('deps');
  const locale = portalLocale(requestedLocales(c.req.query('locale'), c.req.header('Accept-Language')));
  const strings = portalStrings(locale);
  // "Back to the app" only to an allowed origin, as POST /v1/portal checked when it made the link.
  let back: string | null = null;
  try {
    back = c.req.query('return') ? returnUrlFor(config, c.req.query('return'), undefined).toString() : null;
  } catch {
    back = null;
  }
  const nonce = randomBytes(16).toString('base64');
  c.header('Content-Security-Policy', payPageCsp(new URL(c.req.url).origin, nonce));
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Content-Language', locale);
  c.header('Vary', 'Accept-Language', { append: true });
  const values: Record<string, string> = {
    nonce,
    lang: locale,
    return_url: escapeHtml(back ?? ''),
    back_hidden: back ? '' : 'hidden',
    // JSON inside <script>: no "</script>" can close it early.
    strings_json: JSON.stringify(strings).replace(/</g, '\\u003c'),
  };
  for (const [key, text] of Object.entries(strings)) values[`t.${key}`] = escapeHtml(text);
  return c.html(await template(c, 'portal.html', values));
});
