// Checkout: price the plan on the server, create the order upstream, answer with the browser's next
// action; hand-off checkouts start later from the system browser; Razorpay verify; checkout status.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { CheckoutRequest, RazorpayVerifyRequest, type CheckoutResponse, type HandoffAction } from '../../src/contract/index.js';
import { assertPlanChangeAllowed, checkoutPrice, checkoutState, derivedId, ensureCustomer, findCheckoutByOrder, getCheckout, markCheckoutPaid, ownCheckout, type CheckoutRow, type CustomerRow } from '../billing.js';
import type { AppContext, AppEnv } from '../context.js';
import { AppError } from '../errors.js';
import { allowedReturnUrl, readJson, requireCustomer } from '../http.js';
import { idempotencyKeyOf, withIdempotency } from '../security/idempotency.js';
import { HANDOFF_TTL_S, issueSessionToken, type CustomerIdentity } from '../security/tokens.js';
import type { Provider } from '../providers/types.js';

const FINAL = new Set(['paid', 'failed', 'canceled', 'expired', 'refunded']);

export const checkoutRoutes = new Hono<AppEnv>();

function providerFor(c: AppContext, row: Pick<CheckoutRow, 'provider'>): Provider {
  const provider = c.get('deps').providers.get(row.provider);
  if (!provider || provider.mode === 'unavailable') throw new AppError('provider_unavailable', `${row.provider} is not configured on this server`);
  return provider;
}

/** The return URL with the checkout id in it: in place of `{CHECKOUT_ID}`, else as `tollgate_checkout`. */
function withCheckoutId(base: URL, checkoutId: string): string {
  const text = base.toString();
  if (text.includes('%7BCHECKOUT_ID%7D') || text.includes('{CHECKOUT_ID}')) return text.replace(/%7BCHECKOUT_ID%7D|\{CHECKOUT_ID\}/g, checkoutId);
  const url = new URL(text);
  url.searchParams.set('tollgate_checkout', checkoutId);
  return url.toString();
}

/** Create the upstream order for a checkout row and store the action; a failure marks the row failed. */
async function startUpstream(c: AppContext, row: CheckoutRow, customer: CustomerRow, identity: CustomerIdentity, request: CheckoutRequest, returnBase: URL): Promise<CheckoutResponse> {
  const { store, catalog, now } = c.get('deps');
  const provider = providerFor(c, row);
  const plan = catalog.plan(row.plan);
  if (!plan) throw new AppError('conflict', `Plan "${row.plan}" is no longer sold; start a new checkout`);
  // The price stored when the checkout was made, never a second look-up: the catalog may list several
  // prices for this provider (currencies, intervals), and the customer was shown this one.
  const price = checkoutPrice(catalog, row);
  try {
    const started = await provider.createCheckout({
      checkout: row,
      customer,
      plan,
      price,
      identity,
      request,
      returnUrl: withCheckoutId(returnBase, row.id),
      idempotencyKey: `tollgate-${row.id}`,
    });
    await store.query('UPDATE checkouts SET provider_order_id = $2, action = $3::jsonb, status = $4, updated_at = $5 WHERE id = $1', [
      row.id,
      started.providerOrderId,
      JSON.stringify(started.action),
      started.status ?? 'pending',
      now(),
    ]);
    return { checkout_id: row.id, plan: row.plan, plan_name: plan.name, interval: row.interval, action: started.action };
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'internal_error';
    await store.query("UPDATE checkouts SET status = CASE WHEN mode = 'handoff' THEN 'created' ELSE 'failed' END, last_error = $2::jsonb, updated_at = $3 WHERE id = $1", [
      row.id,
      JSON.stringify({ code, message: err instanceof Error ? err.message : 'failed' }),
      now(),
    ]);
    throw err;
  }
}

/**
 * The checkout a retried POST /v1/checkout made before (its answer was a 5xx, so the key was released).
 * It must be the same order; a paid or closed one is not started again.
 */
async function retriedCheckout(c: AppContext, id: string, wanted: Pick<CheckoutRow, 'plan' | 'interval' | 'provider' | 'currency' | 'amount' | 'mode'>): Promise<CheckoutRow> {
  const row = (await getCheckout(c.get('deps').store, id))!;
  const same = (Object.keys(wanted) as (keyof typeof wanted)[]).every((k) => row[k] === wanted[k]);
  if (!same) throw new AppError('idempotency_key_mismatch', 'This Idempotency-Key was already used for another checkout; use a fresh key for a new request');
  if (row.status === 'paid') throw new AppError('conflict', 'This checkout is already paid');
  if (row.status === 'refunded' || row.status === 'expired' || row.status === 'canceled') throw new AppError('conflict', `This checkout is ${row.status}`);
  return row;
}

checkoutRoutes.post('/v1/checkout', async (c) => {
  const identity = await requireCustomer(c);
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const { store, catalog, config, now } = c.get('deps');
    const body = await readJson(c, CheckoutRequest);
    const plan = catalog.orderablePlan(body.plan);
    const customer = await ensureCustomer(store, catalog.freePlan.id, { id: identity.customerId, email: identity.email, name: identity.name });
    const interval = body.interval ?? 'month';
    const price = catalog.chargePrice(plan, interval, { provider: body.provider, currency: body.currency ?? customer.currency });
    const priceName = `${interval === 'once' ? 'one-off' : `${interval}ly`} price`;
    if (!price) throw new AppError('validation_error', `interval: plan "${plan.id}" has no ${priceName}${body.provider ? ` for ${body.provider}` : ''}`);
    if (body.currency && price.currency !== body.currency) throw new AppError('validation_error', `currency: plan "${plan.id}" has no ${priceName} in ${body.currency}`);
    assertPlanChangeAllowed(catalog, customer, plan, now());
    const provider = providerFor(c, price);
    const returnBase = allowedReturnUrl(c, body.return_url); // a foreign return_url is refused before anything is created

    const mode = body.mode ?? 'inline';
    if (mode === 'handoff') {
      const reason = provider.handoffUnsupported;
      if (reason) throw new AppError('validation_error', `mode: ${reason}; use "mode": "inline"`);
    }

    // The id comes from the customer and the Idempotency-Key: the browser's retry of a request that
    // failed (an upstream timeout) finds the same checkout and starts it again under the same upstream
    // key, so the upstream replays its first order instead of making a second one.
    const id = derivedId('chk', ['checkout', customer.id, idempotencyKeyOf(c)]);
    const [inserted] = await store.query<CheckoutRow>(
      `INSERT INTO checkouts (id, customer_id, plan, interval, provider, amount, currency, mode, price)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT (id) DO NOTHING RETURNING *`,
      [id, customer.id, plan.id, interval, price.provider, price.amount, price.currency, mode, JSON.stringify(price)],
    );
    const row = inserted ?? (await retriedCheckout(c, id, { plan: plan.id, interval, provider: price.provider, currency: price.currency, amount: price.amount, mode }));
    if (!inserted && row.action && row.status !== 'created' && row.status !== 'starting' && mode === 'inline') {
      return c.json({ checkout_id: row.id, plan: row.plan, plan_name: plan.name, interval: row.interval, action: row.action } as CheckoutResponse, 201);
    }

    if (mode === 'handoff') {
      // The payment runs in the system browser; the token in the link's fragment only works for this checkout.
      const { token, expiresAt } = await issueSessionToken(config.sessionSecret, { customerId: customer.id, email: identity.email, name: identity.name, checkoutScope: row.id }, HANDOFF_TTL_S, Math.floor(now().getTime() / 1000));
      const action: HandoffAction = {
        type: 'handoff',
        url: `${config.publicUrl}/pay/${row.id}#token=${token}`,
        status_url: `${config.publicUrl}/v1/checkout/${row.id}`,
        expires_at: expiresAt.toISOString(),
      };
      return c.json({ checkout_id: row.id, plan: row.plan, plan_name: plan.name, interval: row.interval, action } satisfies CheckoutResponse, 201);
    }
    return c.json(await startUpstream(c, row, customer, identity, body, returnBase), 201);
  });
});

// The hand-off page in the system browser starts the payment of an existing checkout, once.
checkoutRoutes.post('/v1/checkout/:id/start', async (c) => {
  const identity = await requireCustomer(c, { allowScoped: true });
  const id = c.req.param('id');
  if (identity.checkoutScope && identity.checkoutScope !== id) throw new AppError('forbidden', 'This hand-off token is for another checkout');
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const { store, catalog } = c.get('deps');
    const row = await ownCheckout(store, identity.customerId, id);
    if (row.status === 'paid') throw new AppError('conflict', 'This checkout is already paid');
    if (row.status === 'refunded' || row.status === 'expired' || row.status === 'canceled') throw new AppError('conflict', `This checkout is ${row.status}`);
    if (row.action && row.status !== 'created') return c.json({ checkout_id: row.id, plan: row.plan, plan_name: catalog.plan(row.plan)?.name ?? row.plan, interval: row.interval, action: row.action } as CheckoutResponse);
    const customer = await ensureCustomer(store, catalog.freePlan.id, { id: identity.customerId });
    // The plan may have changed since the link was made (another tab, another device).
    assertPlanChangeAllowed(catalog, customer, catalog.plan(row.plan) ?? { id: row.plan, name: row.plan }, c.get('deps').now());
    // Claim the start in SQL so two tabs cannot create two upstream orders.
    const [claimed] = await store.query<CheckoutRow>("UPDATE checkouts SET status = 'starting' WHERE id = $1 AND status IN ('created', 'failed') RETURNING *", [row.id]);
    if (!claimed) throw new AppError('conflict', 'This checkout is being started; retry shortly', { headers: { 'Retry-After': '1' } });
    // A hosted page returns to a plain "back to your editor" page: the editor learns the outcome from the server.
    const returnBase = new URL(`${c.get('deps').config.publicUrl}/pay/${row.id}/done`);
    return c.json(await startUpstream(c, claimed, customer, identity, { plan: row.plan, interval: row.interval }, returnBase));
  });
});

checkoutRoutes.get('/v1/checkout/:id', async (c) => {
  const identity = await requireCustomer(c, { allowScoped: true });
  const id = c.req.param('id');
  if (identity.checkoutScope && identity.checkoutScope !== id) throw new AppError('forbidden', 'This hand-off token is for another checkout');
  const { store } = c.get('deps');
  let row = await ownCheckout(store, identity.customerId, id);
  const provider = c.get('deps').providers.get(row.provider);
  // Paid but still provisioning (mintbot agents): keep asking, so a lost agent.ready webhook still shows up.
  const provisioning = row.status === 'paid' && row.fulfillment?.status === 'provisioning';
  if ((!FINAL.has(row.status) || provisioning) && row.provider_order_id && provider?.refreshCheckout) {
    await provider.refreshCheckout(row);
    row = (await getCheckout(store, id))!;
  }
  return c.json(checkoutState(row));
});

// Server-sent events for one checkout (EventSource cannot send headers: the token comes as ?token=).
checkoutRoutes.get('/v1/checkout/:id/events', async (c) => {
  const token = c.req.query('token');
  if (!token) throw new AppError('unauthenticated', 'Missing ?token=<session token>');
  const identity = await c.get('deps').verifyToken(token);
  const id = c.req.param('id');
  if (identity.checkoutScope && identity.checkoutScope !== id) throw new AppError('forbidden', 'This hand-off token is for another checkout');
  const { store } = c.get('deps');
  await ownCheckout(store, identity.customerId, id);
  return streamSSE(c, async (stream) => {
    let last = '';
    const until = Date.now() + 10 * 60 * 1000;
    while (!stream.aborted && Date.now() < until) {
      const row = (await getCheckout(store, id))!;
      const state = JSON.stringify(checkoutState(row));
      if (state !== last) {
        last = state;
        await stream.writeSSE({ event: 'status', data: state });
      }
      if (FINAL.has(row.status)) break;
      await stream.sleep(1000);
    }
  });
});

checkoutRoutes.post('/v1/razorpay/verify', async (c) => {
  const identity = await requireCustomer(c, { allowScoped: true });
  return withIdempotency(c, `customer:${identity.customerId}`, async () => {
    const { store, now } = c.get('deps');
    const body = await readJson(c, RazorpayVerifyRequest);
    const checkout = await findCheckoutByOrder(store, c.get('deps').providers.namesWith('verify'), body.razorpay_order_id);
    // Another customer's order is indistinguishable from no order.
    if (!checkout || checkout.customer_id !== identity.customerId) throw new AppError('not_found', 'No such order for this customer');
    if (identity.checkoutScope && identity.checkoutScope !== checkout.id) throw new AppError('forbidden', 'This hand-off token is for another checkout');
    if (checkout.plan !== body.plan) throw new AppError('validation_error', `plan: this order is for "${checkout.plan}", not "${body.plan}"`);
    const provider = providerFor(c, checkout);
    if (!provider.verifyPayment) throw new AppError('validation_error', `${checkout.provider} payments are not verified here`);
    await provider.verifyPayment({ checkout, body, identity });
    const result = await store.transaction((tx) =>
      markCheckoutPaid(tx, { checkoutId: checkout.id, paymentId: body.razorpay_payment_id, source: `${checkout.provider}_verify`, now: now() }),
    );
    c.get('deps').log.info('payment verified', { request_id: c.get('requestId'), checkout_id: checkout.id, payment_id: result.payment_id, changed: result.changed });
    return c.json({ message: 'Plan upgraded' as const, old_plan: result.old_plan, new_plan: result.new_plan, payment_id: result.payment_id });
  });
});
