// The checkout service: create a checkout (priced on the server, a promotion code's discount too), preview a
// code, start a hand-off checkout, verify a payment and mark it paid. Routes call one function each; the SQL
// is in store/, the plan rules in billing.ts, the promotion rules in promotions.ts.
import { OPEN_CHECKOUT_STATUSES, type PromotionPreview, type PromotionPreviewRequest, type CheckoutRequest, type CheckoutResponse, type HandoffAction, type RazorpayVerifyRequest, type RazorpayVerifyResponse } from '../../src/contract/index.js';
import { assertPlanChangeAllowed } from '../billing.js';
import type { PlanConfig, PlanPriceConfig } from '../config.js';
import type { Catalog } from '../catalog.js';
import type { AppDeps } from '../context.js';
import { AppError } from '../errors.js';
import { returnUrlFor } from '../http.js';
import type { Provider } from '../providers/types.js';
import { HANDOFF_TTL_S, issueSessionToken, type CustomerIdentity } from '../security/tokens.js';
import { claimCheckoutStart, derivedId, getCheckout, insertCheckout, ownCheckout, recordCheckoutStarted, recordCheckoutStartFailed, type CheckoutRow } from '../store/checkouts.js';
import { ensureCustomer, type CustomerRow } from '../store/customers.js';
import { markCheckoutPaidBatched, type UpgradeResult } from '../store/plan-changes.js';
import { assertPromotionAvailable, claimPromotion } from '../store/promotions.js';
import { checkBusinessDetails } from './business.js';
import { chargePrice, checkoutPrice, checkoutQuantity } from './pricing.js';
import { capabilitiesOf } from '../providers/capability-table.js';
import { taxRuleOf, type TaxRule } from './taxes.js';
import { priceCheckout, pricedCheckoutOf, promotionPreview } from './promotions.js';

/** The provider that takes this checkout's payment, or 503 provider_unavailable. */
export function providerFor(deps: AppDeps, row: Pick<CheckoutRow, 'provider'>): Provider {
  const provider = deps.providers.get(row.provider);
  if (!provider || provider.mode === 'unavailable') throw new AppError('provider_unavailable', `${row.provider} is not configured on this server`);
  return provider;
}

/** A hand-off token works for its own checkout only. */
export function assertCheckoutScope(identity: CustomerIdentity, checkoutId: string): void {
  if (identity.receiptScope) throw new AppError('forbidden', 'This receipt link’s token only opens its own receipt');
  if (identity.checkoutScope && identity.checkoutScope !== checkoutId) throw new AppError('forbidden', 'This hand-off token is for another checkout');
}

/** A checkout no longer open in the store (paid, refunded, expired, canceled) is not started again. */
function assertStartable(row: CheckoutRow): void {
  if ((OPEN_CHECKOUT_STATUSES as readonly string[]).includes(row.status)) return;
  throw new AppError('conflict', row.status === 'paid' ? 'This checkout is already paid' : `This checkout is ${row.status}`);
}

export function answer(catalog: Catalog, row: CheckoutRow, planName: string, action: CheckoutResponse['action']): CheckoutResponse {
  const priced = pricedCheckoutOf(row, checkoutPrice(catalog, row));
  const pricing = { currency: priced.currency, unit_amount: priced.unit_amount, quantity: priced.quantity, subtotal: priced.subtotal, discount: priced.discount, tax: priced.tax, total: priced.total };
  return { checkout_id: row.id, plan: row.plan, plan_name: planName, interval: row.interval, action, pricing };
}

/**
 * A tax the provider cannot charge as shown is refused before anything is made: an exclusive tax adds to the
 * amount, which only a provider that takes our amount or line items can do; where the discount is the provider's
 * own coupon (Stripe), a recurring exclusive tax is a fixed line that would not follow the end of a code that ends.
 */
export function assertProviderTaxes(rule: TaxRule | null, price: PlanPriceConfig, promotion: { code: string; duration: string } | null): void {
  if (rule?.mode !== 'exclusive') return;
  const caps = capabilitiesOf(price.provider);
  if (!caps?.quantities) throw new AppError('tax_not_supported', `${price.provider} prices this plan itself and cannot add ${rule.name}; make the price's tax "inclusive"`);
  // A recurring price is a Razorpay Subscription: each charge is its plan's amount × seats, so a tax on top cannot be added.
  if (price.recurring) throw new AppError('tax_not_supported', `A recurring ${price.provider} price charges its plan's amount each period and cannot add ${rule.name}; make the price's tax "inclusive"`);
  if (caps.discounts === 'coupon' && price.interval !== 'once' && promotion && promotion.duration !== 'forever') {
    throw new AppError('tax_not_supported', `A ${price.provider} subscription adds ${rule.name} as a fixed line; the code ${promotion.code} changes the amount it is due on after its first period`);
  }
}

/** The return URL with the checkout id in it: in place of `{CHECKOUT_ID}`, else as `tollgate_checkout`. */
function withCheckoutId(base: URL, checkoutId: string): string {
  const text = base.toString();
  if (text.includes('%7BCHECKOUT_ID%7D') || text.includes('{CHECKOUT_ID}')) return text.replace(/%7BCHECKOUT_ID%7D|\{CHECKOUT_ID\}/g, checkoutId);
  const url = new URL(text);
  url.searchParams.set('tollgate_checkout', checkoutId);
  return url.toString();
}

/** Create the upstream order for a checkout row and store the action; a failure marks the row failed (a seat top-up too: services/seats.ts). */
export async function startUpstream(
  deps: AppDeps,
  input: { row: CheckoutRow; plan: PlanConfig | undefined; customer: CustomerRow; identity: CustomerIdentity; request: CheckoutRequest; returnBase: URL },
): Promise<CheckoutResponse> {
  const { row, plan } = input;
  const provider = providerFor(deps, row);
  if (!plan) throw new AppError('conflict', `Plan "${row.plan}" is no longer sold; start a new checkout`);
  // The price stored when the checkout was made, never a second look-up: the catalog may list several
  // prices for this provider (currencies, intervals), and the customer was shown this one.
  const price: PlanPriceConfig = checkoutPrice(deps.catalog, row);
  try {
    const started = await provider.createCheckout({
      checkout: row,
      customer: input.customer,
      plan,
      price,
      priced: pricedCheckoutOf(row, price),
      identity: input.identity,
      request: input.request,
      returnUrl: withCheckoutId(input.returnBase, row.id),
      idempotencyKey: `tollgate-${row.id}`,
    });
    await recordCheckoutStarted(deps.store, { checkoutId: row.id, providerOrderId: started.providerOrderId, action: started.action, status: started.status ?? 'pending', now: deps.now() });
    return answer(deps.catalog, row, plan.name, started.action);
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'internal_error';
    await recordCheckoutStartFailed(deps.store, { checkoutId: row.id, code, message: err instanceof Error ? err.message : 'failed', now: deps.now() });
    throw err;
  }
}

/**
 * The checkout a retried POST /v1/checkout made before (its answer was a 5xx, so the key was released).
 * It must be the same order; a paid or closed one is not started again.
 */
async function retriedCheckout(deps: AppDeps, id: string, wanted: Pick<CheckoutRow, 'plan' | 'interval' | 'provider' | 'currency' | 'amount' | 'mode' | 'promotion_code' | 'quantity'>): Promise<CheckoutRow> {
  const row = (await getCheckout(deps.store, id))!;
  const same = (Object.keys(wanted) as (keyof typeof wanted)[]).every((k) => row[k] === wanted[k]);
  if (!same) throw new AppError('idempotency_key_mismatch', 'This Idempotency-Key was already used for another checkout; use a fresh key for a new request');
  assertStartable(row);
  return row;
}

/** The hand-off action: the payment runs in the system browser; the token in the link's fragment only works for this checkout. */
async function handoffAction(deps: AppDeps, row: CheckoutRow, identity: CustomerIdentity): Promise<HandoffAction> {
  const { config, now } = deps;
  const scoped = { customerId: row.customer_id, email: identity.email, name: identity.name, checkoutScope: row.id };
  const { token, expiresAt } = await issueSessionToken(config.sessionSecret, scoped, HANDOFF_TTL_S, Math.floor(now().getTime() / 1000));
  return { type: 'handoff', url: `${config.publicUrl}/pay/${row.id}#token=${token}`, status_url: `${config.publicUrl}/v1/checkout/${row.id}`, expires_at: expiresAt.toISOString() };
}

/**
 * A new checkout for the signed-in customer: the plan and its price looked up once, the plan change
 * checked, the row made (or found again on a retry) and, inline, the upstream order created.
 * `origin` is the caller's Origin header (the default return URL).
 */
export async function createCheckout(deps: AppDeps, input: { identity: CustomerIdentity; body: CheckoutRequest; idempotencyKey: string; origin: string | undefined }): Promise<CheckoutResponse> {
  const { store, catalog, config, now } = deps;
  const { identity, body } = input;
  const plan = catalog.orderablePlan(body.plan);
  const customer = await ensureCustomer(store, catalog.freePlan.id, { id: identity.customerId, email: identity.email, name: identity.name });
  const interval = body.interval ?? 'month';
  const price = chargePrice(catalog, plan, interval, { provider: body.provider, currency: body.currency, customerCurrency: customer.currency });
  assertPlanChangeAllowed(catalog, customer, plan, now());
  const provider = providerFor(deps, price);
  const returnBase = returnUrlFor(config, body.return_url, input.origin); // a foreign return_url is refused before anything is created

  const mode = body.mode ?? 'inline';
  if (mode === 'handoff') {
    const reason = provider.handoffUnsupported;
    if (reason) throw new AppError('validation_error', `mode: ${reason}; use "mode": "inline"`);
  }

  // The id comes from the customer and the Idempotency-Key: the browser's retry of a request that
  // failed (an upstream timeout) finds the same checkout and starts it again under the same upstream
  // key, so the upstream replays its first order instead of making a second one.
  const id = derivedId('chk', ['checkout', customer.id, input.idempotencyKey]);
  // A promotion code is checked and its discount priced here, before anything is made; its redemption is
  // held in the transaction that makes the checkout (a refused claim makes none; a retry holds it once).
  // Seats and tax (README "Seats", "Taxes"): quantity × unit, then the discount, then the tax, all here.
  const quantity = checkoutQuantity(price, body.quantity);
  const taxRule = taxRuleOf(catalog.file, price, body.country);
  const business = checkBusinessDetails(body.business);
  const priced = priceCheckout(catalog, { plan, price, code: body.promotion_code, now: now(), quantity, taxRule });
  assertProviderTaxes(taxRule, price, priced.promotion);
  const wanted = { plan: plan.id, interval, provider: price.provider, currency: price.currency, amount: priced.total, mode, promotion_code: priced.promotion?.code ?? null, quantity };
  const values = { id, customer_id: customer.id, ...wanted, price, discount: priced.discount, promotion: priced.promotion, tax: priced.tax, business };
  const { rule } = priced;
  const inserted = rule
    ? await store.transaction(async (tx) => {
        const made = await insertCheckout(tx, values);
        if (made) await claimPromotion(tx, { promo: rule, checkoutId: id, customerId: customer.id, now: now(), holdTtlS: config.file.promotion_hold_ttl_s });
        return made;
      })
    : await insertCheckout(store, values);
  const row = inserted ?? (await retriedCheckout(deps, id, wanted));
  if (!inserted && row.action && row.status !== 'created' && row.status !== 'starting' && mode === 'inline') return answer(deps.catalog, row, plan.name, row.action as CheckoutResponse['action']);
  if (mode === 'handoff') return answer(deps.catalog, row, plan.name, await handoffAction(deps, row, identity));
  return startUpstream(deps, { row, plan, customer, identity, request: body, returnBase });
}

/**
 * What POST /v1/checkout would charge this customer for the plan with a promotion code: the same price and
 * checks, and the code's limits read (not claimed: the checkout claims it). Throws the typed refusal.
 */
export async function previewPromotion(deps: AppDeps, input: { identity: CustomerIdentity; body: PromotionPreviewRequest }): Promise<PromotionPreview> {
  const { store, catalog, now } = deps;
  const { identity, body } = input;
  const plan = catalog.orderablePlan(body.plan);
  const customer = await ensureCustomer(store, catalog.freePlan.id, { id: identity.customerId, email: identity.email, name: identity.name });
  const interval = body.interval ?? 'month';
  const price = chargePrice(catalog, plan, interval, { provider: body.provider, currency: body.currency, customerCurrency: customer.currency });
  // The same seats and tax as the checkout would price (README "Seats", "Taxes").
  const priced = priceCheckout(catalog, { plan, price, code: body.code, now: now(), quantity: checkoutQuantity(price, body.quantity), taxRule: taxRuleOf(catalog.file, price, body.country) });
  await assertPromotionAvailable(store, { promo: priced.rule!, customerId: customer.id });
  return promotionPreview(priced, price.interval);
}

/** The hand-off page in the system browser starts the payment of an existing checkout, once. */
export async function startCheckout(deps: AppDeps, identity: CustomerIdentity, id: string): Promise<CheckoutResponse> {
  const { store, catalog, config, now } = deps;
  const row = await ownCheckout(store, identity.customerId, id);
  assertStartable(row);
  const plan = catalog.plan(row.plan);
  if (row.action && row.status !== 'created') return answer(deps.catalog, row, plan?.name ?? row.plan, row.action as CheckoutResponse['action']);
  const customer = await ensureCustomer(store, catalog.freePlan.id, { id: identity.customerId });
  // The plan may have changed since the link was made (another tab, another device).
  assertPlanChangeAllowed(catalog, customer, plan ?? { id: row.plan, name: row.plan }, now());
  // Claim the start in SQL so two tabs cannot create two upstream orders.
  const claimed = await claimCheckoutStart(store, row.id);
  if (!claimed) throw new AppError('conflict', 'This checkout is being started; retry shortly', { headers: { 'Retry-After': '1' } });
  // A hosted page returns to a plain "back to your editor" page: the editor learns the outcome from the server.
  const returnBase = new URL(`${config.publicUrl}/pay/${row.id}/done`);
  return startUpstream(deps, { row: claimed, plan, customer, identity, request: { plan: row.plan, interval: row.interval }, returnBase });
}

/** Mark a checkout paid by one payment, with its plan change and audit row, in one statement (store/plan-changes.ts). */
export async function markPaid(deps: AppDeps, input: { checkoutId: string; paymentId: string; source: string; eventId?: string }): Promise<UpgradeResult> {
  return markCheckoutPaidBatched(deps.store, { ...input, now: deps.now() });
}

/**
 * Verify the browser's proof of payment with the checkout's provider (`provider.verifyPayment`) and
 * mark the checkout paid. `checkout` is the one the request names; another customer's is no checkout.
 */
export async function verifyPayment(
  deps: AppDeps,
  input: { identity: CustomerIdentity; checkout: CheckoutRow | undefined; body: RazorpayVerifyRequest; requestId: string },
): Promise<RazorpayVerifyResponse> {
  const { identity, checkout, body } = input;
  // Another customer's order is indistinguishable from no order.
  if (!checkout || checkout.customer_id !== identity.customerId) throw new AppError('not_found', 'No such order for this customer');
  assertCheckoutScope(identity, checkout.id);
  if (checkout.plan !== body.plan) throw new AppError('validation_error', `plan: this order is for "${checkout.plan}", not "${body.plan}"`);
  const provider = providerFor(deps, checkout);
  if (!provider.verifyPayment) throw new AppError('validation_error', `${checkout.provider} payments are not verified here`);
  const settled = await provider.verifyPayment({ checkout, body, identity });
  const result = settled ?? (await markPaid(deps, { checkoutId: checkout.id, paymentId: body.razorpay_payment_id, source: `${checkout.provider}_verify` }));
  deps.log.info('payment verified', { request_id: input.requestId, checkout_id: checkout.id, payment_id: result.payment_id, changed: result.changed });
  return { message: 'Plan upgraded', old_plan: result.old_plan, new_plan: result.new_plan, payment_id: result.payment_id };
}
