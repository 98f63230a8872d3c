// The route table of the OpenAPI document: one entry per route the app registers (method, path, auth, body,
// query, responses by status, the error codes it can answer). A new route is one entry here; test/server/openapi.test.ts fails until it has one.
import { z } from 'zod';
import {
  CheckAnswer,
  CheckoutRequest,
  PromotionPreview,
  PromotionPreviewRequest,
  CheckoutResponse,
  CheckoutState,
  CheckRequest,
  CustomerState,
  EntitlementTokenAsk,
  Entitlements,
  Grant,
  GrantRequest,
  Health,
  Jwks,
  PlansResponse,
  PortalActionResponse,
  PortalChangePlanRequest,
  PortalPaymentMethodVerifyRequest,
  PortalRequest,
  PortalResponse,
  PortalSummary,
  RazorpayVerifyRequest,
  RazorpayVerifyResponse,
  SeatChange,
  SeatsRequest,
  SessionRequest,
  WebhookDeliveryList,
  WebhookDeliveryQuery,
  WebhookDeliveryReplay,
  SessionResponse,
  Subscription,
  UsageAnswer,
  UsageReport,
  WebhookAnswer,
  type ErrorCode,
} from '../../src/contract/index.js';
import { Receipt, ReceiptList } from '../../src/contract/receipts.js';
import { InviteRequest, RevokeRequest } from '../providers/bonzai/admin.js';
import { TokenRequest } from '../providers/mimicbot/admin.js';
import { ORDER_STATUSES, RenewRequest } from '../providers/mintbot/admin.js';
import { PayRequest, SandboxSubscriptionView } from '../providers/razorpay/sandbox/routes.js';
import { PortalEmptyBody } from '../routes/portal.js';
import { SandboxSessionRequest } from '../routes/sessions.js';

/**
 * Who may call: `none`; `customer` (a customer session, Bearer); `handoff` (a customer session or the
 * hand-off token of that one checkout, Bearer); `session_query` (a customer session as `?token=`, for
 * EventSource); `receipt_link` (a receipt link's `?token=`, scoped to that receipt); `api_key` (the partner's
 * TOLLGATE_API_KEY, Bearer); `signature` (a provider's signed webhook); `portal` (the token of a billing-portal
 * link from POST /v1/portal, Bearer; `handoff` routes take it too).
 */
export type Auth = 'none' | 'customer' | 'handoff' | 'session_query' | 'receipt_link' | 'api_key' | 'signature' | 'portal';

/** A body that is not JSON: a page, a PDF, a script, an event stream, or a 303 to another page. */
export type NonJson = { html: string } | { pdf: string } | { javascript: string } | { eventStream: string } | { redirect: string };

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Hono's path template (`/v1/checkout/:id`), as the app registers it. */
  path: string;
  summary: string;
  tag: 'Catalog' | 'Sessions' | 'Checkout' | 'Account' | 'Partner' | 'Admin' | 'Webhooks' | 'Sandbox' | 'Pages' | 'Meta';
  /** Every way in; `['none', 'customer']` is a public route that answers a signed-in customer differently. */
  auth: Auth[];
  /** Registered in sandbox mode only (`TOLLGATE_SANDBOX=1`). */
  sandboxOnly?: boolean;
  /** Registered only when this holds (a provider configured). */
  when?: string;
  /** JSON request body. */
  body?: z.ZodType;
  /** A provider's signed webhook body: any JSON object, and the header carrying the signature. */
  signedBody?: { header: string };
  query?: Record<string, { schema: z.ZodType; description: string; required?: boolean }>;
  /** `Idempotency-Key` header: required (400 missing_idempotency_key without it) or optional. */
  idempotency?: 'required' | 'optional';
  /** Success answers by status: a zod schema for JSON, or what else is sent. */
  responses: Record<number, z.ZodType | NonJson>;
  /** Error codes beyond those the auth, body, idempotency and middleware imply (see document.ts). */
  errors?: ErrorCode[];
}

const locale = { schema: z.string().max(64), description: 'A catalog language (`fr`, `de-CH`); else Accept-Language is used' };
const receiptLocale = { schema: z.string().max(64), description: 'The receipt’s language and formats: `en`, `en-IN` or `hi` (else Accept-Language)' };
const receiptToken = { schema: z.string().max(4096), description: 'The receipt link’s token (in `links` of the receipt): opens this receipt for 15 min, nothing else' };
const token = { schema: EntitlementTokenAsk, description: '`1`: also a signed entitlement token (`token`, `token_expires_at`) to verify offline against /.well-known/jwks.json' };

/** Razorpay's Checkout handler response, as the sandbox modal receives it (docs/upstream/razorpay.md). */
/** Razorpay's own error envelope, as checkout.js hands it to `payment.failed`. */
const RazorpayErrorAnswer = z.object({ error: z.looseObject({ code: z.string(), description: z.string(), source: z.string(), step: z.string(), reason: z.string() }) });
const SandboxPayAnswer = z.union([
  z.object({ razorpay_payment_id: z.string(), razorpay_order_id: z.string(), razorpay_signature: z.string() }),
  z.object({ razorpay_payment_id: z.string(), razorpay_subscription_id: z.string(), razorpay_signature: z.string() }),
  RazorpayErrorAnswer,
]);
/** mintbot's own order object (docs/upstream/mintbot-partner-api.txt), passed through, with our checkout id when it came through Tollgate. */
const MintbotOrder = z.looseObject({ id: z.union([z.number(), z.string()]), tollgate_checkout_id: z.string().nullable() });
const MintbotUpstream = z.looseObject({});

export const ROUTES: RouteSpec[] = [
  // Meta
  { method: 'get', path: '/.well-known/jwks.json', summary: 'The public keys of the entitlement tokens (Ed25519; the signing key first, two during a rotation)', tag: 'Meta', auth: ['none'], responses: { 200: Jwks } },
  { method: 'get', path: '/healthz', summary: 'Health: the store answers, the engine, sandbox or not, each provider’s mode', tag: 'Meta', auth: ['none'], responses: { 200: Health, 503: Health } },
  { method: 'get', path: '/openapi.json', summary: 'This document (OpenAPI 3.1)', tag: 'Meta', auth: ['none'], responses: { 200: z.looseObject({ openapi: z.string() }) } },

  // Catalog and sessions
  {
    method: 'get', path: '/v1/plans', summary: 'The plans and metrics on sale, priced and translated for this caller', tag: 'Catalog', auth: ['none', 'customer'],
    query: { currency: { schema: z.string().regex(/^[A-Z]{3}$/), description: 'Price `charge` in this currency (else the signed-in customer’s, else the default)' }, locale },
    responses: { 200: PlansResponse },
  },
  { method: 'post', path: '/v1/sessions', summary: 'Mint a customer session (the partner’s backend, for its signed-in user)', tag: 'Sessions', auth: ['api_key'], body: SessionRequest, responses: { 201: SessionResponse } },
  {
    method: 'post', path: '/v1/sandbox/session', summary: 'A demo customer’s session without the API key', tag: 'Sandbox', auth: ['none'], sandboxOnly: true,
    body: SandboxSessionRequest, idempotency: 'required', responses: { 201: SessionResponse }, errors: ['not_found'],
  },

  // Checkout
  {
    method: 'post', path: '/v1/checkout', summary: 'Start a checkout for a plan (priced on the server)', tag: 'Checkout', auth: ['customer'], body: CheckoutRequest, idempotency: 'required',
    responses: { 201: CheckoutResponse }, errors: ['subscription_exists', 'downgrade_not_available', 'provider_unavailable', 'upstream_error', 'promotion_unknown', 'promotion_expired', 'promotion_not_applicable', 'promotion_exhausted', 'promotion_already_used', 'promotion_first_purchase_only', 'promotion_not_supported', 'quantity_not_supported', 'tax_not_supported'],
  },
  {
    method: 'post', path: '/v1/seats', summary: 'Change the seats of the per-seat plan in force: the provider’s subscription update, or a prorated top-up checkout to pay (a one-off period)', tag: 'Checkout', auth: ['customer'], body: SeatsRequest, idempotency: 'required',
    responses: { 200: SeatChange }, errors: ['not_found', 'provider_unavailable', 'upstream_error', 'tax_not_supported'],
  },
  {
    method: 'post', path: '/v1/promotion-codes/validate', summary: 'What a checkout of this plan would charge with a promotion code (nothing is held)', tag: 'Checkout', auth: ['customer'], body: PromotionPreviewRequest,
    responses: { 200: PromotionPreview },
    errors: ['promotion_unknown', 'promotion_expired', 'promotion_not_applicable', 'promotion_exhausted', 'promotion_already_used', 'promotion_first_purchase_only', 'promotion_not_supported'],
  },
  {
    method: 'post', path: '/v1/checkout/:id/start', summary: 'Start the payment of a hand-off checkout (the page in the system browser)', tag: 'Checkout', auth: ['handoff'], idempotency: 'required',
    responses: { 200: CheckoutResponse }, errors: ['not_found', 'provider_unavailable', 'upstream_error'],
  },
  {
    method: 'get', path: '/v1/checkout/:id', summary: 'A checkout’s status (asks the provider while it is open)', tag: 'Checkout', auth: ['handoff'],
    responses: { 200: CheckoutState }, errors: ['not_found', 'upstream_error', 'provider_unavailable'],
  },
  {
    method: 'get', path: '/v1/checkout/:id/events', summary: 'A checkout’s status as server-sent events (`event: status`, data: CheckoutState), until final', tag: 'Checkout', auth: ['session_query'],
    responses: { 200: { eventStream: '`event: status` with a CheckoutState as data, on every change' } }, errors: ['not_found'],
  },
  {
    method: 'post', path: '/v1/checkout/:id/verify', summary: 'Verify the browser’s proof of payment (Razorpay, Mintoken) and upgrade once', tag: 'Checkout', auth: ['handoff'], body: RazorpayVerifyRequest, idempotency: 'required',
    responses: { 200: RazorpayVerifyResponse }, errors: ['not_found', 'invalid_signature', 'upstream_error', 'provider_unavailable'],
  },
  {
    method: 'post', path: '/v1/razorpay/verify', summary: 'The same verify, the checkout found by its order id (the path Razorpay-shaped actions name)', tag: 'Checkout', auth: ['handoff'], body: RazorpayVerifyRequest, idempotency: 'required',
    responses: { 200: RazorpayVerifyResponse }, errors: ['not_found', 'invalid_signature', 'upstream_error', 'provider_unavailable'],
  },

  // The customer's account
  { method: 'get', path: '/v1/subscription', summary: 'The customer’s subscription (MimicBot’s shape) and usage', tag: 'Account', auth: ['customer'], query: { locale }, responses: { 200: Subscription }, errors: ['upstream_error', 'provider_unavailable'] },
  { method: 'get', path: '/v1/entitlements', summary: 'What the customer’s plan in force allows', tag: 'Account', auth: ['customer'], query: { token }, responses: { 200: Entitlements } },
  {
    method: 'post', path: '/v1/portal', summary: 'A link to the billing provider’s portal', tag: 'Account', auth: ['customer'], body: PortalRequest, idempotency: 'required',
    responses: { 200: PortalResponse }, errors: ['not_found', 'upstream_error', 'provider_unavailable'],
  },
  { method: 'get', path: '/v1/portal/summary', summary: 'Tollgate’s billing portal: plan, next charge, payment method, payment history, plans to change to', tag: 'Account', auth: ['portal'], query: { locale }, responses: { 200: PortalSummary }, errors: ['not_found'] },
  { method: 'post', path: '/v1/portal/cancel', summary: 'Cancel the subscription at the period end (the provider’s subscription controls)', tag: 'Account', auth: ['portal'], body: PortalEmptyBody, idempotency: 'required', responses: { 200: PortalActionResponse }, errors: ['not_found', 'upstream_error'] },
  { method: 'post', path: '/v1/portal/resume', summary: 'Resume a subscription set to end (or paused)', tag: 'Account', auth: ['portal'], body: PortalEmptyBody, idempotency: 'required', responses: { 200: PortalActionResponse }, errors: ['not_found', 'upstream_error'] },
  {
    method: 'post', path: '/v1/portal/change-plan', summary: 'Change plan: the provider’s subscription change, or a new checkout at the catalog’s price to pay on the page', tag: 'Account', auth: ['portal'], body: PortalChangePlanRequest, idempotency: 'required',
    responses: { 200: PortalActionResponse }, errors: ['not_found', 'subscription_exists', 'downgrade_not_available', 'upstream_error', 'provider_unavailable'],
  },
  {
    method: 'post', path: '/v1/portal/seats', summary: 'Change the seats of a per-seat plan (as POST /v1/seats); a one-off period’s top-up is a checkout to pay on the page', tag: 'Account', auth: ['portal'], body: SeatsRequest, idempotency: 'required',
    responses: { 200: PortalActionResponse }, errors: ['not_found', 'provider_unavailable', 'upstream_error', 'tax_not_supported'],
  },
  { method: 'post', path: '/v1/portal/payment-method', summary: 'A new authorisation of the payment method, as a checkout to run on the page (Razorpay: checkout.js with `subscription_card_change`)', tag: 'Account', auth: ['portal'], body: PortalEmptyBody, idempotency: 'required', responses: { 200: PortalActionResponse }, errors: ['not_found', 'upstream_error'] },
  {
    method: 'post', path: '/v1/portal/payment-method/verify', summary: 'checkout.js’s answer to a card change: the signature over payment_id|the stored subscription id, then the subscription as Razorpay has it (its new method; a paid invoice recorded once)', tag: 'Account', auth: ['portal'],
    body: PortalPaymentMethodVerifyRequest, idempotency: 'required', responses: { 200: PortalActionResponse }, errors: ['not_found', 'invalid_signature', 'upstream_error'],
  },

  // Receipts and credit notes (README "Receipts")
  { method: 'get', path: '/v1/receipts', summary: 'The customer’s receipts and credit notes, newest first, each with its links', tag: 'Account', auth: ['customer'], query: { locale: receiptLocale }, responses: { 200: ReceiptList } },
  { method: 'get', path: '/v1/receipts/:ref', summary: 'One receipt or credit note (by id or number): seller, buyer, lines, totals, payment, links', tag: 'Account', auth: ['customer'], query: { locale: receiptLocale }, responses: { 200: Receipt }, errors: ['not_found'] },
  {
    method: 'get', path: '/v1/receipts/:ref/html', summary: 'The receipt as a print-friendly page (strict CSP, no script)', tag: 'Account', auth: ['customer', 'receipt_link'],
    query: { locale: receiptLocale, token: receiptToken }, responses: { 200: { html: 'The receipt page' } }, errors: ['not_found'],
  },
  {
    method: 'get', path: '/v1/receipts/:ref/pdf', summary: 'The receipt as an A4 PDF', tag: 'Account', auth: ['customer', 'receipt_link'],
    query: { locale: receiptLocale, token: receiptToken }, responses: { 200: { pdf: 'The receipt PDF' } }, errors: ['not_found'],
  },

  // The partner's backend
  { method: 'post', path: '/v1/usage', summary: 'Report usage (a retry with the same Idempotency-Key or event_id counts once; negative: a correction)', tag: 'Partner', auth: ['api_key'], body: UsageReport, idempotency: 'optional', responses: { 200: UsageAnswer } },
  { method: 'get', path: '/v1/customers/:id', summary: 'A customer’s plan, status, period, usage and limits, features', tag: 'Partner', auth: ['api_key'], responses: { 200: CustomerState }, errors: ['not_found'] },
  { method: 'get', path: '/v1/customers/:id/entitlements', summary: 'What GET /v1/entitlements answers that customer', tag: 'Partner', auth: ['api_key'], query: { token }, responses: { 200: Entitlements } },
  {
    method: 'post', path: '/v1/check', summary: 'Check a feature, or a metric’s quantity (with `consume`: recorded only if it fits, atomically)', tag: 'Partner', auth: ['api_key'], body: CheckRequest, idempotency: 'optional',
    responses: { 200: CheckAnswer },
  },
  { method: 'post', path: '/v1/customers/:id/grants', summary: 'Grant a plan until a time (audited; never downgrades a paying customer)', tag: 'Partner', auth: ['api_key'], body: GrantRequest, idempotency: 'required', responses: { 201: Grant } },
  {
    method: 'get', path: '/v1/webhook-deliveries', summary: 'Recent deliveries of events to your partner_webhooks endpoints', tag: 'Partner', auth: ['api_key'],
    query: { status: { schema: WebhookDeliveryQuery.shape.status.unwrap(), description: 'Only deliveries in this status' }, limit: { schema: WebhookDeliveryQuery.shape.limit.unwrap(), description: 'At most this many, newest first (default 50)' } },
    responses: { 200: WebhookDeliveryList },
  },
  { method: 'get', path: '/v1/customers/:id/receipts', summary: 'What GET /v1/receipts answers that customer', tag: 'Partner', auth: ['api_key'], query: { locale: receiptLocale }, responses: { 200: ReceiptList } },
  { method: 'get', path: '/v1/customers/:id/receipts/:ref', summary: 'One of the customer’s receipts or credit notes, with its links for a browser', tag: 'Partner', auth: ['api_key'], query: { locale: receiptLocale }, responses: { 200: Receipt }, errors: ['not_found'] },
  { method: 'get', path: '/v1/customers/:id/receipts/:ref/html', summary: 'The receipt page', tag: 'Partner', auth: ['api_key'], query: { locale: receiptLocale }, responses: { 200: { html: 'The receipt page' } }, errors: ['not_found'] },
  { method: 'get', path: '/v1/customers/:id/receipts/:ref/pdf', summary: 'The receipt PDF', tag: 'Partner', auth: ['api_key'], query: { locale: receiptLocale }, responses: { 200: { pdf: 'The receipt PDF' } }, errors: ['not_found'] },
  { method: 'post', path: '/v1/webhook-deliveries/:id/replay', summary: 'Deliver an event again now (the same webhook-id)', tag: 'Partner', auth: ['api_key'], responses: { 202: WebhookDeliveryReplay }, errors: ['not_found'] },
  { method: 'delete', path: '/v1/customers/:id/grants/:grant_id', summary: 'End a grant now (deleting it again answers the same)', tag: 'Partner', auth: ['api_key'], responses: { 200: Grant }, errors: ['not_found'] },

  // Providers' admin routes for the partner's backend
  {
    method: 'get', path: '/v1/admin/mintbot/orders', summary: 'mintbot orders, newest first, cursor paging', tag: 'Admin', auth: ['api_key'], when: 'mintbot is configured',
    query: { status: { schema: z.enum(ORDER_STATUSES), description: 'Only orders in this status' }, cursor: { schema: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/), description: '`next_cursor` of the previous page' } },
    responses: { 200: z.object({ items: z.array(z.looseObject({})), next_cursor: z.string().nullable() }) }, errors: ['provider_unavailable', 'upstream_error'],
  },
  { method: 'get', path: '/v1/admin/mintbot/orders/:id', summary: 'One mintbot order, with its Tollgate checkout', tag: 'Admin', auth: ['api_key'], when: 'mintbot is configured', responses: { 200: MintbotOrder }, errors: ['provider_unavailable', 'upstream_error', 'not_found'] },
  {
    method: 'post', path: '/v1/admin/mintbot/orders/:id/renew', summary: 'Renew a mintbot order (a new order and checkout URL)', tag: 'Admin', auth: ['api_key'], when: 'mintbot is configured', body: RenewRequest, idempotency: 'required',
    responses: { 201: MintbotOrder }, errors: ['provider_unavailable', 'upstream_error', 'not_found'],
  },
  {
    method: 'get', path: '/v1/admin/mintbot/revenue', summary: 'mintbot revenue totals and the latest ledger events', tag: 'Admin', auth: ['api_key'], when: 'mintbot is configured',
    query: { include_paid: { schema: z.enum(['true', 'false']), description: 'Include paid-out events' } }, responses: { 200: MintbotUpstream }, errors: ['provider_unavailable', 'upstream_error'],
  },
  { method: 'get', path: '/v1/admin/mintbot/partner', summary: 'The mintbot partner profile and unpaid balance', tag: 'Admin', auth: ['api_key'], when: 'mintbot is configured', responses: { 200: MintbotUpstream }, errors: ['provider_unavailable', 'upstream_error'] },
  {
    method: 'put', path: '/v1/admin/mimicbot/customers/:customer_id/token', summary: 'Link a customer to their own MimicBot account (token checked with MimicBot first)', tag: 'Admin', auth: ['api_key'],
    when: 'MimicBot is configured with providers.mimicbot.customer_tokens', body: TokenRequest,
    responses: { 200: z.object({ customer_id: z.string(), linked: z.literal(true), plan: z.string() }) }, errors: ['not_found', 'provider_unavailable', 'upstream_error'],
  },
  {
    method: 'delete', path: '/v1/admin/mimicbot/customers/:customer_id/token', summary: 'Unlink a customer’s MimicBot account', tag: 'Admin', auth: ['api_key'], when: 'MimicBot is configured with providers.mimicbot.customer_tokens',
    responses: { 200: z.object({ customer_id: z.string(), linked: z.literal(false) }) }, errors: ['not_found'],
  },
  {
    method: 'post', path: '/v1/admin/bonzai/invite', summary: 'Bonzai product invitation: access without checkout, mirrored as a grant', tag: 'Admin', auth: ['api_key'], when: 'Bonzai is configured', body: InviteRequest, idempotency: 'optional',
    responses: { 201: z.object({ grant_id: z.union([z.string(), z.number()]), user_id: z.string(), customer_id: z.string().nullable(), plan: z.string(), status: z.string() }) }, errors: ['provider_unavailable', 'upstream_error'],
  },
  {
    method: 'post', path: '/v1/admin/bonzai/revoke', summary: 'Bonzai product revocation by user_id, email or code', tag: 'Admin', auth: ['api_key'], when: 'Bonzai is configured', body: RevokeRequest, idempotency: 'optional',
    responses: { 200: z.object({ revoked: z.number().int(), customers: z.record(z.string(), z.string()) }) }, errors: ['provider_unavailable', 'upstream_error'],
  },

  // Providers' webhooks (signed, not authenticated)
  { method: 'post', path: '/v1/webhooks/razorpay', summary: 'Razorpay’s webhooks', tag: 'Webhooks', auth: ['signature'], signedBody: { header: 'X-Razorpay-Signature' }, responses: { 200: WebhookAnswer } },
  { method: 'post', path: '/v1/webhooks/stripe', summary: 'Stripe’s webhooks', tag: 'Webhooks', auth: ['signature'], signedBody: { header: 'Stripe-Signature' }, responses: { 200: WebhookAnswer } },
  { method: 'post', path: '/v1/webhooks/mintbot', summary: 'mintbot’s webhooks', tag: 'Webhooks', auth: ['signature'], signedBody: { header: 'X-Mintbot-Signature' }, when: 'mintbot is configured', responses: { 200: WebhookAnswer } },

  // The sandbox's simulated provider pages (TOLLGATE_SANDBOX=1)
  { method: 'get', path: '/sandbox/razorpay/checkout.js', summary: 'The simulated Razorpay checkout.js', tag: 'Sandbox', auth: ['none'], sandboxOnly: true, responses: { 200: { javascript: 'The simulated checkout.js' } } },
  {
    method: 'post', path: '/sandbox/razorpay/pay', summary: 'The simulated modal pays (or fails) an order, authorises a subscription, or re-authorises one with a new method (`subscription_card_change`; refused in Razorpay’s envelope, 400, for a state whose mandate cannot change)', tag: 'Sandbox', auth: ['none'], sandboxOnly: true,
    body: PayRequest, responses: { 200: SandboxPayAnswer, 400: RazorpayErrorAnswer }, errors: ['not_found', 'conflict'],
  },
  { method: 'get', path: '/sandbox/razorpay/subscriptions/:id', summary: 'What the simulated modal shows for a subscription', tag: 'Sandbox', auth: ['none'], sandboxOnly: true, query: { key: { schema: z.string(), description: 'The sandbox key id (as `POST /sandbox/razorpay/pay` takes it)', required: true }, card_change: { schema: z.enum(['1']), description: '`1`: the modal of a card change (`card_change`: the amount due now, the current method)' } }, responses: { 200: SandboxSubscriptionView }, errors: ['not_found'] },
  { method: 'get', path: '/sandbox/stripe/checkout/:id', summary: 'The simulated Stripe hosted checkout page', tag: 'Sandbox', auth: ['none'], sandboxOnly: true, responses: { 200: { html: 'The page' } }, errors: ['not_found'] },
  { method: 'post', path: '/sandbox/stripe/checkout/:id/pay', summary: 'Pay the simulated hosted checkout', tag: 'Sandbox', auth: ['none'], sandboxOnly: true, responses: { 303: { redirect: 'To the session’s success URL' } }, errors: ['not_found', 'conflict'] },
  { method: 'post', path: '/sandbox/stripe/checkout/:id/cancel', summary: 'Leave the simulated hosted checkout', tag: 'Sandbox', auth: ['none'], sandboxOnly: true, responses: { 303: { redirect: 'To the session’s cancel URL' } }, errors: ['not_found'] },
  { method: 'get', path: '/sandbox/stripe/embedded/:id', summary: 'The simulated Stripe embedded checkout form', tag: 'Sandbox', auth: ['none'], sandboxOnly: true, responses: { 200: { html: 'The form, for an iframe' } }, errors: ['not_found'] },
  {
    method: 'post', path: '/sandbox/stripe/embedded/:id/pay', summary: 'Pay the simulated embedded checkout', tag: 'Sandbox', auth: ['none'], sandboxOnly: true,
    responses: { 200: z.object({ checkout_id: z.string().nullable(), status: z.string(), payment_status: z.string() }) }, errors: ['not_found', 'conflict'],
  },
  { method: 'get', path: '/sandbox/stripe/portal/:id', summary: 'The simulated Stripe billing portal', tag: 'Sandbox', auth: ['none'], sandboxOnly: true, responses: { 200: { html: 'The portal page' } }, errors: ['not_found'] },
  { method: 'post', path: '/sandbox/stripe/portal/:id/:sub/:action', summary: 'Cancel or resume a subscription in the simulated portal (`cancel_at_period_end`, `resume`, `cancel_now`)', tag: 'Sandbox', auth: ['none'], sandboxOnly: true, responses: { 303: { redirect: 'Back to the portal page' } }, errors: ['not_found'] },

  // The hand-off pages (the static assets and demo pages are not in the document: see UNDOCUMENTED)
  { method: 'get', path: '/pay/:id', summary: 'The hand-off pay page, opened in the system browser', tag: 'Pages', auth: ['none'], responses: { 200: { html: 'The pay page' } }, errors: ['not_found'] },
  { method: 'get', path: '/portal', summary: 'Tollgate’s billing portal page (its token in the fragment: `#token=…`)', tag: 'Pages', auth: ['none'], query: { locale: { schema: z.string().max(64), description: '`en`, `en-IN` or `hi`; else Accept-Language' }, return: { schema: z.string().max(2048), description: 'The “Back to the app” link (an allowed origin)' } }, responses: { 200: { html: 'The billing portal page' } } },
  { method: 'get', path: '/pay/:id/done', summary: 'Where a hosted page returns to after a hand-off', tag: 'Pages', auth: ['none'], responses: { 200: { html: 'Back to the editor' } }, errors: ['not_found'] },
];

/** Path parameters' descriptions: by path prefix for `:id`, else by name. */
export const ID_PARAMS: [prefix: string, description: string][] = [
  ['/v1/customers/', 'The customer id (as given to POST /v1/sessions)'],
  ['/v1/webhook-deliveries/', 'The delivery id (`id` in GET /v1/webhook-deliveries)'],
  ['/v1/checkout/', 'The checkout id (`checkout_id`)'],
  ['/pay/', 'The checkout id (`checkout_id`)'],
  ['/v1/admin/mintbot/', 'The mintbot order id (a number)'],
  ['/sandbox/stripe/portal/', 'The simulated portal session id'],
  ['/sandbox/stripe/', 'The simulated checkout session id'],
];
export const PATH_PARAMS: Record<string, string> = {
  customer_id: 'The customer id (as given to POST /v1/sessions)',
  ref: 'The receipt’s or credit note’s id (`rct_…`, `crn_…`) or number (`TG-2026-000042`)',
  grant_id: 'The grant id (`grant_id` of POST …/grants)',
  sub: 'The simulated subscription id',
  action: '`cancel_at_period_end`, `resume` or `cancel_now`',
};

/** Registered routes that are not in the document: the built widgets, static files and demo pages (not an API). */
export const UNDOCUMENTED: readonly string[] = ['GET /', 'GET /tollgate.js', 'GET /tollgate.iife.js', 'GET /chunks/*', 'GET /elements/*', 'GET /dist/*', 'GET /demo/webview.html', 'GET /demo/*'];
