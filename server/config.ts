// Server configuration: the plan catalog and provider settings from a JSON file (TOLLGATE_CONFIG),
// validated with zod; secrets only from the environment. A bad file names the field and the fix.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { Interval, Metric, ProviderName } from '../src/contract/index.js';
import { ConfigError } from './errors.js';
import { entitlementKeysFrom, MAX_ENTITLEMENT_TTL_S, type EntitlementKeys } from './security/entitlement-tokens.js';
import type { LogLevel } from './log.js';
import { RazorpaySection, razorpaySecrets, type RazorpaySecrets } from './providers/razorpay/settings.js';
import { providerSecrets, type ProviderMode } from './providers/settings.js';
import { PARTNER_EVENT_TYPES } from './store/outbox.js';

export { providerSecrets, type ProviderMode };

/** Edit distance (insert, delete, substitute) between two keys, for "did you mean" hints. */
export function levenshtein(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** The message for keys a config object does not have, each with the closest valid key. */
export function unknownKeysMessage(keys: readonly string[], allowed: readonly string[]): string {
  const hints = keys.map((key) => {
    const closest = [...allowed].sort((x, y) => levenshtein(key, x) - levenshtein(key, y))[0];
    return closest === undefined ? `"${key}"` : `"${key}" (did you mean "${closest}"?)`;
  });
  return `unknown key${keys.length > 1 ? 's' : ''} ${hints.join(', ')}; remove ${keys.length > 1 ? 'them' : 'it'} or fix the spelling`;
}

/**
 * The error map for parsing config (the file and the providers' own sections): every object there is strict,
 * so a typo is refused instead of silently ignored, and the refusal names the closest valid key.
 */
export const configErrors = {
  error: (issue: z.core.$ZodRawIssue) => {
    if (issue.code !== 'unrecognized_keys') return undefined; // zod's own message
    const allowed = issue.inst && 'shape' in issue.inst ? Object.keys(issue.inst.shape as object) : [];
    return unknownKeysMessage(issue.keys, allowed);
  },
};

/**
 * A price's tax (README "Taxes"): inclusive (part of the amount) or exclusive (added to it), at a rate per
 * buyer country. The rate is a percent with at most two decimals (e.g. 18, 7.7): the tax is priced on
 * hundredths of a percent, in integers.
 */
const RatedTaxConfig = z.strictObject({
  mode: z.enum(['inclusive', 'exclusive']),
  rates: z.record(
    z.string(),
    z.strictObject({
      rate: z.number().min(0).max(100).refine((r) => Math.abs(r * 100 - Math.round(r * 100)) < 1e-9, 'give the rate in percent with at most two decimals, e.g. 18 or 7.7'),
      /** What the elements call it: "GST", "VAT". */
      name: z.string().min(1).max(20),
      /** India: show and record the GST as CGST + SGST halves (intra-state) or as IGST (inter-state). */
      split: z.enum(['cgst_sgst', 'igst']).optional(),
    }),
  ),
}).superRefine((t, ctx) => {
  for (const country of Object.keys(t.rates)) {
    if (!/^[A-Z]{2}$/.test(country)) ctx.addIssue({ code: 'custom', path: ['rates', country], message: 'key by an upper-case ISO 3166 country code such as "IN" or "DE"' });
  }
});
/** `stripe_tax` (a Stripe price's own `tax` only): Stripe Tax prices the tax at checkout from the buyer's address. */
const StripeTaxConfig = z.strictObject({ mode: z.literal('stripe_tax') });
export const TaxConfig = z.discriminatedUnion('mode', [RatedTaxConfig, StripeTaxConfig]);
export type TaxConfig = z.infer<typeof TaxConfig>;

const PlanPrice = z.strictObject({
  provider: ProviderName,
  currency: z.string().regex(/^[A-Z]{3}$/, 'use an upper-case ISO 4217 code such as "INR" or "USD"'),
  amount: z
    .number({ error: 'give the amount as an integer in minor units (paise, cents), e.g. 159900 for ₹1,599' })
    .int('give the amount as an integer in minor units (paise, cents), e.g. 159900 for ₹1,599')
    .nonnegative(),
  interval: Interval,
  /** Stripe: an existing price id; without it the server sends price_data from this entry. */
  stripe_price_id: z.string().optional(),
  /**
   * Razorpay: renews by itself (a Razorpay Subscription: UPI Autopay, card or e-mandate) instead of an order for
   * one period. Monthly or yearly; the plan's `trial_days` apply.
   */
  recurring: z.boolean().optional(),
  /** Razorpay, recurring: an existing Razorpay Plan (`plan_…`); without it the server creates one per price. */
  razorpay_plan_id: z.string().regex(/^plan_[A-Za-z0-9]+$/, 'use a Razorpay plan id such as "plan_00000000000001"').optional(),
  /** Providers with their own plan names (mintbot tier, MimicBot plan, Bonzai product…): free-form mapping. */
  upstream: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Priced per seat (README "Seats"): `amount` is one seat's; a checkout buys `quantity` in [min_quantity, max_quantity]. */
  per_unit: z.boolean().optional(),
  min_quantity: z.number().int('give a whole number of seats').positive().optional(),
  max_quantity: z.number().int('give a whole number of seats').positive().max(100_000).optional(),
  /** This price's tax; else the catalog's `tax`; else none. */
  tax: TaxConfig.optional(),
}).superRefine((p, ctx) => {
  if (!p.per_unit && (p.min_quantity !== undefined || p.max_quantity !== undefined)) ctx.addIssue({ code: 'custom', path: ['min_quantity'], message: 'min_quantity and max_quantity are for a per-seat price; add "per_unit": true or remove them' });
  if (p.min_quantity !== undefined && p.max_quantity !== undefined && p.min_quantity > p.max_quantity) ctx.addIssue({ code: 'custom', path: ['max_quantity'], message: `max_quantity (${p.max_quantity}) is below min_quantity (${p.min_quantity})` });
  if (p.tax?.mode === 'stripe_tax' && p.provider !== 'stripe') ctx.addIssue({ code: 'custom', path: ['tax', 'mode'], message: `"stripe_tax" is Stripe's own tax service; a ${p.provider} price cannot use it: give it "inclusive" or "exclusive" rates` });
});

/**
 * A promotion code (README "Promotion codes"): a percent or a fixed amount per currency off the price, for some
 * plans and intervals, lasting one payment, `duration_periods` payments or all of them, within a window and
 * up to a number of redemptions overall and per customer. Cross-checks (plans exist, recurring-only durations)
 * are in the ConfigFile's superRefine.
 */
const PromotionCodeConfig = z
  .strictObject({
    code: z.string().regex(/^[A-Za-z0-9_-]{2,40}$/, 'use 2–40 letters, digits, _ or -, e.g. "LAUNCH20" (matched without regard to case)').transform((c) => c.toUpperCase()),
    /** Percent off, above 0 and below 100, at most two decimals. */
    percent_off: z.number().gt(0).lt(100, 'a code takes less than 100 % off; give the plan away with a grant instead').multipleOf(0.01, 'use at most two decimals, e.g. 12.5').optional(),
    /** A fixed amount off per currency, in minor units: {"INR": 50000, "USD": 500}. */
    amount_off: z.record(z.string(), z.number().int('give amounts in minor units (paise, cents), e.g. 50000 for ₹500').positive()).optional(),
    /** The plan ids the code is for; absent: every orderable plan. */
    plans: z.array(z.string()).min(1).optional(),
    /** The billing intervals it is for; absent: every interval its duration allows. */
    intervals: z.array(Interval).min(1).optional(),
    duration: z.enum(['once', 'repeating', 'forever']).default('once'),
    /** For "repeating": how many billing periods are discounted. */
    duration_periods: z.number().int().min(1).max(36).optional(),
    starts_at: z.iso.datetime({ offset: true, error: 'use an ISO 8601 time, e.g. "2026-12-01T00:00:00Z"' }).optional(),
    expires_at: z.iso.datetime({ offset: true, error: 'use an ISO 8601 time, e.g. "2026-12-31T23:59:59Z"' }).optional(),
    max_redemptions: z.number().int().positive().optional(),
    max_per_customer: z.number().int().positive().default(1),
    first_purchase_only: z.boolean().default(false),
    /** Stripe: use this existing coupon instead of one Tollgate creates (it must take the same amount off). */
    stripe_coupon_id: z.string().min(1).optional(),
    /** Razorpay Subscriptions: the Offer to attach (a subscription's discount needs one; orders take the discounted amount). */
    razorpay_offer_id: z.string().regex(/^offer_[A-Za-z0-9]+$/, 'use a Razorpay offer id, e.g. "offer_JHD834hjbxzhd38d"').optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.percent_off === undefined) === (p.amount_off === undefined)) ctx.addIssue({ code: 'custom', path: ['percent_off'], message: 'set exactly one of percent_off (e.g. 20) or amount_off (e.g. {"INR": 50000})' });
    for (const currency of Object.keys(p.amount_off ?? {})) {
      if (!/^[A-Z]{3}$/.test(currency)) ctx.addIssue({ code: 'custom', path: ['amount_off', currency], message: 'key by an upper-case ISO 4217 code such as "INR" or "USD"' });
    }
    if (p.duration === 'repeating' && p.duration_periods === undefined) ctx.addIssue({ code: 'custom', path: ['duration_periods'], message: 'a "repeating" code needs duration_periods, e.g. 3 for three billing periods' });
    if (p.duration !== 'repeating' && p.duration_periods !== undefined) ctx.addIssue({ code: 'custom', path: ['duration_periods'], message: 'only a "repeating" code has duration_periods; remove it or set "duration": "repeating"' });
    if (p.duration !== 'once' && p.intervals?.includes('once')) ctx.addIssue({ code: 'custom', path: ['intervals'], message: `a "${p.duration}" discount is for recurring prices; remove "once" or set "duration": "once"` });
    if (p.starts_at && p.expires_at && Date.parse(p.starts_at) >= Date.parse(p.expires_at)) ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'must be after starts_at' });
  });
export type PromotionCodeConfig = z.infer<typeof PromotionCodeConfig>;

/** A BCP 47 tag as the widgets send it: "hi", "en-IN", "pt-BR". */
const LOCALE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const LOCALE_HINT = 'use a BCP 47 language tag such as "hi" or "en-IN"';
const LocaleTag = z.string().regex(LOCALE_TAG, LOCALE_HINT);
/** Translations by locale (keys checked in the superRefine below: zod's record key errors name no fix). */
const byLocale = <T extends z.ZodType>(value: T) => z.record(z.string(), value).optional();

/** Catalog text in other languages, by locale; anything left out falls back to the catalog's own text. */
const PlanTranslation = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().min(1).optional(),
  /** Feature labels by feature id. */
  features: z.record(z.string(), z.string().min(1)).optional(),
});

const MetricConfig = z.strictObject({
  ...Metric.shape,
  translations: byLocale(z.strictObject({ label: z.string().min(1), label_one: z.string().min(1).optional() })),
});

const PlanConfig = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use a lower-case slug such as "pro"'),
  name: z.string().min(1),
  description: z.string().optional(),
  features: z.array(z.strictObject({ id: z.string().min(1), label: z.string().min(1) })).default([]),
  translations: byLocale(PlanTranslation),
  limits: z.record(z.string(), z.number().int().nonnegative().nullable()).default({}),
  popular: z.boolean().default(false),
  trial_days: z.number().int().min(0).max(730).default(0),
  prices: z.array(PlanPrice).default([]),
});

/** Node's HTTP server limits (server/serve.ts); a request that takes longer gets 408, a client over the cap 429. */
const HTTP_DEFAULTS = { headers_timeout_ms: 10_000, request_timeout_ms: 20_000, idle_timeout_ms: 5_000, max_connections_per_client: 64 };
const HttpLimits = z
  .strictObject({
    /** The request line and headers must arrive within this. */
    headers_timeout_ms: z.number().int().min(100).max(600_000).default(HTTP_DEFAULTS.headers_timeout_ms),
    /** The whole request, body included, must arrive within this. */
    request_timeout_ms: z.number().int().min(100).max(600_000).default(HTTP_DEFAULTS.request_timeout_ms),
    /** A keep-alive connection with no request in flight is closed after this. */
    idle_timeout_ms: z.number().int().min(100).max(600_000).default(HTTP_DEFAULTS.idle_timeout_ms),
    /** Open connections from one socket address; 0 for no cap (e.g. behind a proxy that is the only client). */
    max_connections_per_client: z.number().int().min(0).max(100_000).default(HTTP_DEFAULTS.max_connections_per_client),
  })
  .refine((v) => v.headers_timeout_ms <= v.request_timeout_ms, { path: ['headers_timeout_ms'], message: 'must not be longer than request_timeout_ms (the headers are part of the request)' });
export type HttpLimits = z.infer<typeof HttpLimits>;

/** "10.0.0.1", "::1", "10.0.0.0/8", "fd00::/8". */
function isAddressOrCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  const version = isIP(address);
  if (!version || rest.length) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

const RateLimit = z.strictObject({ limit: z.number().int().positive(), window_s: z.number().int().positive() });

/** A provider's own section (stripe, mintbot…): its keys are checked by the provider's settings parser. */
const ProviderSection = z.record(z.string(), z.unknown()).optional();

/** An endpoint of the partner's own backend that receives Tollgate's events (Standard Webhooks). */
const PartnerWebhook = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'use an http(s) URL of your backend, e.g. "https://api.example.com/tollgate/events"' }),
  /** The event types it receives; absent: all of them. */
  events: z.array(z.enum(PARTNER_EVENT_TYPES)).min(1, 'list at least one event type, or leave "events" out for all of them').optional(),
  /** Name of the environment variable that holds the signing secret, `whsec_` + base64 (never the secret itself). */
  secret_env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'name an environment variable, e.g. "TOLLGATE_WEBHOOK_SECRET"'),
  /** How long one attempt may take before it counts as failed. */
  timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
});

/** A receipt series' name: printed in every number of it ("TG" → "TG-2026-000042"). */
const ReceiptSeries = z.string().regex(/^[A-Z0-9]{1,12}$/, 'use 1–12 upper-case letters or digits, e.g. "TG"');
/** What a receipt number is made of (README "Receipts"): literal letters, digits, "-", "_" (URL-safe: the number names the receipt in its URL) and {series}, {year}, {number} or {number:0N}. */
const ReceiptFormat = z
  .string()
  .max(64)
  .refine((f) => /^(?:[A-Za-z0-9_-]|\{series\}|\{year\}|\{number(?::0?[1-9][0-9]?)?\})+$/.test(f), 'use letters, digits, "-", "_" and the fields {series}, {year}, {number} or {number:06}')
  .refine((f) => f.includes('{series}') && /\{number(:0?[0-9]+)?\}/.test(f), 'include {series} and {number} (e.g. "{series}-{year}-{number:06}"): numbers of two series never look alike');

/** The seller printed on every receipt (snapshotted into each at issue). */
const ReceiptSeller = z.strictObject({
  legal_name: z.string().min(1).max(200),
  /** The postal address, lines separated by "\n". */
  address: z.string().min(1).max(500),
  email: z.email().max(254),
  /** India: the 15-character GSTIN. */
  gstin: z.string().regex(/^[0-9]{2}[A-Z0-9]{10}[0-9A-Z]Z[0-9A-Z]$/, 'use a 15-character GSTIN such as "29ABCDE1234F1Z5"').optional(),
  /** EU: the VAT identification number, country prefix first. */
  vat_id: z.string().regex(/^[A-Z]{2}[0-9A-Za-z+*.]{2,13}$/, 'use a VAT id with its country prefix, such as "DE123456789"').optional(),
});

export const RECEIPT_DEFAULTS = { series: 'TG', credit_note_series: 'CN', format: '{series}-{year}-{number:06}' } as const;

const Receipts = z
  .strictObject({
    series: ReceiptSeries.default(RECEIPT_DEFAULTS.series),
    credit_note_series: ReceiptSeries.default(RECEIPT_DEFAULTS.credit_note_series),
    format: ReceiptFormat.default(RECEIPT_DEFAULTS.format),
    seller: ReceiptSeller.optional(),
  })
  .refine((r) => r.series !== r.credit_note_series, { path: ['credit_note_series'], message: 'use a series of its own for credit notes (e.g. "CN")' });
export type ReceiptsConfig = z.infer<typeof Receipts>;

export const ConfigFile = z
  .strictObject({
    /** The business name shown in payment modals. */
    name: z.string().min(1).default('Tollgate Demo'),
    /** The language the catalog's own text (plan names, descriptions, features, metric labels) is in. */
    locale: LocaleTag.default('en'),
    /** Allowed browser origins for CORS and return URLs. Empty means none, except in sandbox (any). */
    allowed_origins: z.array(z.url()).default([]),
    /** Run simulated providers for every provider without credentials. */
    sandbox: z.boolean().optional(),
    session_ttl_seconds: z.number().int().min(60).max(3600, 'session tokens live at most 1 h (3600)').default(3600),
    /** The signed tokens of GET /v1/entitlements?token=1 (keys: TOLLGATE_ENTITLEMENT_KEYS): how long each lives, and its `aud`. */
    entitlement_tokens: z
      .strictObject({
        ttl_seconds: z.number().int().min(30).max(MAX_ENTITLEMENT_TTL_S, `entitlement tokens live at most 5 min (${MAX_ENTITLEMENT_TTL_S})`).default(MAX_ENTITLEMENT_TTL_S),
        audience: z.string().min(1).max(256).optional(),
      })
      .default({ ttl_seconds: MAX_ENTITLEMENT_TTL_S }),
    body_limit_bytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
    upstream_timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
    /** The HTTP server: how long a client may take to send a request, and how many connections it may hold. */
    http: HttpLimits.default(HTTP_DEFAULTS),
    /** When a webhook is answered: once stored in the inbox ("stored", then applied right after), or once applied too ("applied"). */
    webhooks: z.strictObject({ acknowledge: z.enum(['stored', 'applied']).default('stored') }).default({ acknowledge: 'stored' }),
    rate_limits: z
      .strictObject({ customer: RateLimit.default({ limit: 120, window_s: 60 }), ip: RateLimit.default({ limit: 60, window_s: 60 }), api_key: RateLimit.default({ limit: 600_000, window_s: 60 }) })
      .default({ customer: { limit: 120, window_s: 60 }, ip: { limit: 60, window_s: 60 }, api_key: { limit: 600_000, window_s: 60 } }),
    /** Reverse proxies whose X-Forwarded-For (or RFC 7239 Forwarded) hops are believed; absent: the socket address is the client. */
    trust_proxy: z
      .strictObject({
        proxies: z.array(z.string().refine(isAddressOrCidr, 'use an IP address or a CIDR block, e.g. "10.0.0.0/8" or "::1"')),
        /** The header the proxies append the client to; the other one is ignored (a client could have sent it). */
        header: z.enum(['x-forwarded-for', 'forwarded']).default('x-forwarded-for'),
      })
      .optional(),
    /** The partner's backends that receive events (customer.plan_changed, checkout.paid…), signed per Standard Webhooks. */
    partner_webhooks: z.array(PartnerWebhook).default([]),
    /** Accept an external issuer's JWT (e.g. Supabase's) as the customer session. */
    external_jwt: z
      .strictObject({
        jwks_url: z.url().optional(),
        /** Name of the environment variable that holds the shared HS256 secret (never the secret itself). */
        secret_env: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'name an environment variable, e.g. "SUPABASE_JWT_SECRET"').optional(),
        issuer: z.string().optional(),
        audience: z.string().optional(),
        customer_claim: z.string().default('sub'),
        email_claim: z.string().default('email'),
      })
      .refine((v) => Boolean(v.jwks_url) !== Boolean(v.secret_env), { message: 'set exactly one of jwks_url or secret_env' })
      .optional(),
    /** Receipts and credit notes (README "Receipts"): the numbering series, the number's format, the seller printed on them. */
    receipts: Receipts.default({ ...RECEIPT_DEFAULTS }),
    /** Which provider charges a currency; a request may still name a provider explicitly. */
    routing: z
      .strictObject({
        default_currency: z.string().regex(/^[A-Z]{3}$/).default('INR'),
        currency_providers: z.record(z.string(), ProviderName).default({ INR: 'razorpay', USD: 'stripe' }),
      })
      .default({ default_currency: 'INR', currency_providers: { INR: 'razorpay', USD: 'stripe' } }),
    metrics: z.array(MetricConfig).default([]),
    plans: z.array(PlanConfig).min(1, 'list at least one plan'),
    /** The tax of every price that sets none of its own (README "Taxes"); Stripe Tax is set on each Stripe price. */
    tax: RatedTaxConfig.optional(),
    /** Discount codes customers may enter at checkout (README "Promotion codes"). */
    promotion_codes: z.array(PromotionCodeConfig).default([]),
    /** How long an unpaid checkout holds a redemption of its code; then the checkout expires and the hold is released. */
    promotion_hold_ttl_s: z.number().int().min(1800, 'at least 30 min (1800): a Stripe session cannot expire sooner').max(86_400, 'at most 24 h (86400): a Stripe session cannot live longer').default(3600),
    /** The plan every new customer starts on; it cannot be ordered. */
    free_plan: z.string().default('free'),
    providers: z
      .strictObject({
        razorpay: RazorpaySection.default({}),
        stripe: ProviderSection,
        mintbot: ProviderSection,
        mimicbot: ProviderSection,
        mintoken: ProviderSection,
        bonzai: ProviderSection,
      } satisfies Record<ProviderName, z.ZodType>)
      .default({ razorpay: {} }),
  })
  .superRefine((cfg, ctx) => {
    const ids = new Set<string>();
    cfg.plans.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['plans', i, 'id'], message: `plan id "${p.id}" is used twice; give each plan its own id` });
      ids.add(p.id);
      for (const [locale, t] of Object.entries(p.translations ?? {})) {
        if (!LOCALE_TAG.test(locale)) ctx.addIssue({ code: 'custom', path: ['plans', i, 'translations', locale], message: LOCALE_HINT });
        for (const feature of Object.keys(t.features ?? {})) {
          if (!p.features.some((f) => f.id === feature))
            ctx.addIssue({ code: 'custom', path: ['plans', i, 'translations', locale, 'features', feature], message: `plan "${p.id}" has no feature "${feature}"; use one of its feature ids (${p.features.map((f) => f.id).join(', ') || 'none'})` });
        }
      }
      p.prices.forEach((price, j) => {
        if (price.recurring && price.provider !== 'razorpay')
          ctx.addIssue({ code: 'custom', path: ['plans', i, 'prices', j, 'recurring'], message: `only Razorpay prices take "recurring" (${price.provider} prices with an interval renew as that provider bills them); remove it` });
        else if (price.recurring && price.interval === 'once') ctx.addIssue({ code: 'custom', path: ['plans', i, 'prices', j, 'interval'], message: 'a recurring price renews every "month" or "year"; use one of those' });
        if (price.razorpay_plan_id && !price.recurring) ctx.addIssue({ code: 'custom', path: ['plans', i, 'prices', j, 'razorpay_plan_id'], message: 'a Razorpay plan is for a recurring price; add "recurring": true or remove it' });
      });
      for (const metric of Object.keys(p.limits)) {
        if (!cfg.metrics.some((m) => m.id === metric))
          ctx.addIssue({ code: 'custom', path: ['plans', i, 'limits', metric], message: `unknown metric "${metric}"; add it to "metrics" or remove the limit` });
      }
    });
    cfg.metrics.forEach((m, i) => {
      for (const locale of Object.keys(m.translations ?? {})) {
        if (!LOCALE_TAG.test(locale)) ctx.addIssue({ code: 'custom', path: ['metrics', i, 'translations', locale], message: LOCALE_HINT });
      }
    });
    const urls = new Set<string>();
    cfg.partner_webhooks.forEach((w, i) => {
      if (urls.has(w.url)) ctx.addIssue({ code: 'custom', path: ['partner_webhooks', i, 'url'], message: `${w.url} is listed twice; list each endpoint once (with every event type it takes)` });
      urls.add(w.url);
    });
    const codes = new Set<string>();
    cfg.promotion_codes.forEach((p, i) => {
      if (codes.has(p.code)) ctx.addIssue({ code: 'custom', path: ['promotion_codes', i, 'code'], message: `code "${p.code}" is listed twice (codes match without regard to case); keep one` });
      codes.add(p.code);
      (p.plans ?? []).forEach((plan, j) => {
        if (!ids.has(plan) || plan === cfg.free_plan) ctx.addIssue({ code: 'custom', path: ['promotion_codes', i, 'plans', j], message: `no orderable plan "${plan}"; use one of ${cfg.plans.filter((x) => x.id !== cfg.free_plan).map((x) => `"${x.id}"`).join(', ')}` });
      });
    });
    if (!ids.has(cfg.free_plan)) ctx.addIssue({ code: 'custom', path: ['free_plan'], message: `no plan "${cfg.free_plan}" in "plans"; add it or set free_plan to an existing id` });
  });
export type ConfigFile = z.infer<typeof ConfigFile>;
export type PlanConfig = z.infer<typeof PlanConfig>;
export type PlanPriceConfig = z.infer<typeof PlanPrice>;

/** What Pro gives, paid one period at a time or renewed by Razorpay (the demo's `pro` and `pro-autopay`). */
const PRO = {
  features: [
    { id: 'basic-analytics', label: 'Basic analytics' },
    { id: 'export', label: 'CSV and PDF export' },
    { id: 'priority-support', label: 'Priority support' },
  ],
  hi: { 'basic-analytics': 'बुनियादी एनालिटिक्स', export: 'CSV और PDF एक्सपोर्ट', 'priority-support': 'प्राथमिकता वाली सहायता' },
  limits: { messages: 10000, seats: 5, projects: 20 },
};

/** The catalog the demo uses and the server falls back to when no file is given. */
export const DEFAULT_CONFIG: z.input<typeof ConfigFile> = {
  name: 'Tollgate Demo',
  // The rupee prices include India's GST (18 %, shown as CGST + SGST); the dollar prices have no rate, so no tax line.
  tax: { mode: 'inclusive', rates: { IN: { rate: 18, name: 'GST', split: 'cgst_sgst' } } },
  metrics: [
    { id: 'messages', label: 'Messages', label_one: 'Message', translations: { hi: { label: 'संदेश' } } },
    { id: 'seats', label: 'Seats', label_one: 'Seat', translations: { hi: { label: 'सीट' } } },
    { id: 'projects', label: 'Projects', label_one: 'Project', translations: { hi: { label: 'प्रोजेक्ट' } } },
  ],
  plans: [
    {
      id: 'free',
      name: 'Free',
      description: 'For trying things out',
      features: [{ id: 'basic-analytics', label: 'Basic analytics' }],
      translations: { hi: { description: 'आज़माने के लिए', features: { 'basic-analytics': 'बुनियादी एनालिटिक्स' } } },
      limits: { messages: 1000, seats: 1, projects: 2 },
    },
    {
      id: 'pro',
      name: 'Pro',
      description: 'For professionals',
      popular: true,
      features: PRO.features,
      translations: {
        hi: {
          description: 'पेशेवरों के लिए',
          features: PRO.hi,
        },
      },
      limits: PRO.limits,
      prices: [
        { provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month' },
        { provider: 'razorpay', currency: 'INR', amount: 1599000, interval: 'year' },
        { provider: 'stripe', currency: 'USD', amount: 1900, interval: 'month' },
        { provider: 'stripe', currency: 'USD', amount: 19000, interval: 'year' },
      ],
    },
    {
      // Pro again, as a Razorpay Subscription: it renews by itself each month (UPI Autopay, a card or an e-mandate), beside Pro's one-off periods.
      id: 'pro-autopay',
      name: 'Pro Autopay',
      description: 'Pro that renews monthly (UPI Autopay or card)',
      features: PRO.features,
      translations: {
        hi: {
          name: 'प्रो ऑटोपे',
          description: 'हर महीने अपने-आप नवीनीकृत होने वाला प्रो (UPI ऑटोपे या कार्ड)',
          features: PRO.hi,
        },
      },
      limits: PRO.limits,
      prices: [{ provider: 'razorpay', currency: 'INR', amount: 159900, interval: 'month', recurring: true }],
    },
    {
      id: 'team',
      name: 'Team',
      description: 'For growing teams',
      trial_days: 14,
      features: [
        { id: 'basic-analytics', label: 'Basic analytics' },
        { id: 'export', label: 'CSV and PDF export' },
        { id: 'priority-support', label: 'Priority support' },
        { id: 'sso', label: 'Single sign-on' },
        { id: 'audit-log', label: 'Audit log' },
      ],
      translations: {
        hi: {
          description: 'बढ़ती टीमों के लिए',
          features: {
            'basic-analytics': 'बुनियादी एनालिटिक्स',
            export: 'CSV और PDF एक्सपोर्ट',
            'priority-support': 'प्राथमिकता वाली सहायता',
            sso: 'सिंगल साइन-ऑन',
            'audit-log': 'ऑडिट लॉग',
          },
        },
      },
      limits: { messages: null, seats: 25, projects: null },
      prices: [
        { provider: 'razorpay', currency: 'INR', amount: 399900, interval: 'month' },
        { provider: 'razorpay', currency: 'INR', amount: 3999000, interval: 'year' },
        { provider: 'stripe', currency: 'USD', amount: 4900, interval: 'month' },
        { provider: 'stripe', currency: 'USD', amount: 49000, interval: 'year' },
      ],
    },
  ],
};

export { ConfigError };

/** `plans[0].prices[1].currency`: an issue's path as the file's reader writes it, after `prefix` when given. */
function configPath(prefix: string, path: readonly PropertyKey[]): string {
  const joined = (prefix + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')).replace(/^\./, '');
  return joined || '(top level)';
}

/** Parse a config object; a failure lists every field with what is wrong and how to fix it. */
export function parseConfig(raw: unknown, source = 'config'): ConfigFile {
  const result = ConfigFile.safeParse(raw, configErrors);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${configPath('', issue.path)}: ${issue.message}`);
  return failConfig(`${source} is invalid:\n${lines.join('\n')}`);
}

/**
 * Parse a provider's own section of the file (`providers.mintbot`…) with the same rules as the file:
 * unknown keys refused with the closest valid key, and each failure named by its full path.
 */
export function parseConfigSection<S extends z.ZodType>(schema: S, raw: unknown, name: string): z.infer<S> {
  const result = schema.safeParse(raw ?? {}, configErrors);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${configPath(name, issue.path)}: ${issue.message}`);
  return failConfig(lines.length === 1 ? lines[0] : `${name} is invalid:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
}

function failConfig(message: string): never {
  throw new ConfigError(message);
}

export function loadConfigFile(path: string | undefined): ConfigFile {
  if (!path) return parseConfig(DEFAULT_CONFIG, 'default config');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return failConfig(`TOLLGATE_CONFIG=${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); point it at a JSON file or unset it to use the default catalog`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return failConfig(`TOLLGATE_CONFIG=${path} is not valid JSON (${(err as Error).message}); fix the syntax`);
  }
  return parseConfig(raw, `TOLLGATE_CONFIG=${path}`);
}

/** Everything the server needs at run time: the validated file plus secrets from the environment. */
export interface ServerConfig {
  file: ConfigFile;
  sandbox: boolean;
  port: number;
  /** The address to listen on: HOST, else 127.0.0.1 in sandbox mode (this machine only) and 0.0.0.0 live (every interface). */
  host: string;
  /** Where browsers reach the server, with the path it is mounted under (no trailing slash): every URL it makes starts so. */
  publicUrl: string;
  /** The public URL's origin (scheme, host, port). */
  publicOrigin: string;
  /** The path the server is mounted under (`/billing`), or '' at the root; requests under it are routed without it. */
  basePath: string;
  dataDir: string;
  databaseUrl?: string;
  logLevel: LogLevel;
  apiKey: string | null;
  sessionSecret: Uint8Array;
  externalJwtSecret?: Uint8Array;
  /** The keys that sign entitlement tokens (security/entitlement-tokens.ts): TOLLGATE_ENTITLEMENT_KEYS, one per process in sandbox, or none. */
  entitlementKeys: EntitlementKeys;
  razorpay: RazorpaySecrets;
  /** Secrets for the other providers, by env var name, read by their adapters. */
  env: Record<string, string | undefined>;
  /** The partner_webhooks endpoints with their signing secrets (services/partner-webhooks.ts). */
  partnerWebhooks: PartnerWebhookConfig[];
}

export interface PartnerWebhookConfig {
  url: string;
  /** null: every event type. */
  events: string[] | null;
  /** The HMAC key: the base64 after `whsec_`, decoded. */
  key: Uint8Array;
  timeoutMs: number;
}

/** A Standard Webhooks secret: `whsec_` + base64 of 24–64 random bytes. */
const WEBHOOK_SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** The partner_webhooks endpoints with their secrets from the environment; a missing or malformed secret names the variable. */
function partnerWebhooksOf(cfg: ConfigFile, env: Record<string, string | undefined>): PartnerWebhookConfig[] {
  return cfg.partner_webhooks.map((w, i) => {
    const fix = 'set it to whsec_ followed by base64 of 24–64 random bytes, e.g. `echo whsec_$(openssl rand -base64 32)`';
    const value = env[w.secret_env];
    if (!value) failConfig(`partner_webhooks[${i}].secret_env names ${w.secret_env}, which is not set; ${fix}`);
    const match = WEBHOOK_SECRET.exec(value);
    const key = match ? Buffer.from(match[1], 'base64') : Buffer.alloc(0);
    if (key.length < 24 || key.length > 64) failConfig(`${w.secret_env} (partner_webhooks[${i}].secret_env) is not a webhook secret; ${fix}`);
    return { url: w.url, events: w.events ?? null, key: new Uint8Array(key), timeoutMs: w.timeout_ms };
  });
}

const SANDBOX_API_KEY = 'tg_sandbox_api_key';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Where the store is: PostgreSQL when DATABASE_URL is set, else PGlite in DATA_DIR (`tollgate migrate` needs only this). */
export function storeLocation(env: Record<string, string | undefined>): { databaseUrl?: string; dataDir: string } {
  return { databaseUrl: env.DATABASE_URL || undefined, dataDir: env.DATA_DIR ?? '.data' };
}

/** Build the run-time config from the environment; throws ConfigError with a fix on anything wrong. */
export function loadServerConfig(env: Record<string, string | undefined> = process.env, file?: ConfigFile): ServerConfig {
  const cfg = file ?? loadConfigFile(env.TOLLGATE_CONFIG);
  const sandboxEnv = env.TOLLGATE_SANDBOX;
  if (sandboxEnv !== undefined && !['0', '1', 'true', 'false'].includes(sandboxEnv)) failConfig(`TOLLGATE_SANDBOX=${sandboxEnv} is not a boolean; use 1 or 0`);
  const sandbox = sandboxEnv !== undefined ? sandboxEnv === '1' || sandboxEnv === 'true' : (cfg.sandbox ?? env.NODE_ENV !== 'production');

  const port = Number(env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) failConfig(`PORT=${env.PORT} is not a port number; use e.g. 8787`);

  const publicUrl = parsePublicUrl(env.TOLLGATE_PUBLIC_URL || `http://localhost:${port}`);

  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) failConfig(`LOG_LEVEL=${env.LOG_LEVEL} is not a level; use ${LOG_LEVELS.join(', ')}`);

  const razorpay = razorpaySecrets(env, sandbox);

  let sessionSecret = env.TOLLGATE_SESSION_SECRET;
  if (!sessionSecret) {
    if (!sandbox) failConfig('TOLLGATE_SESSION_SECRET is missing; set it to a random string of at least 32 characters (e.g. `openssl rand -hex 32`)');
    sessionSecret = randomBytes(32).toString('hex');
  } else if (sessionSecret.length < 32) failConfig('TOLLGATE_SESSION_SECRET is too short; use at least 32 characters (e.g. `openssl rand -hex 32`)');

  let apiKey = env.TOLLGATE_API_KEY ?? null;
  if (!apiKey && sandbox) apiKey = SANDBOX_API_KEY;
  if (!apiKey) failConfig('TOLLGATE_API_KEY is missing; set it so your backend can mint customer sessions (POST /v1/sessions)');

  let externalJwtSecret: Uint8Array | undefined;
  if (cfg.external_jwt?.secret_env) {
    const value = env[cfg.external_jwt.secret_env];
    if (!value) failConfig(`external_jwt.secret_env names ${cfg.external_jwt.secret_env}, which is not set; set it to the issuer's JWT secret`);
    externalJwtSecret = new TextEncoder().encode(value);
  }

  return {
    file: cfg,
    sandbox,
    port,
    // A sandbox (generated secrets, the well-known sandbox API key) is for this machine unless HOST says otherwise.
    host: env.HOST || (sandbox ? '127.0.0.1' : '0.0.0.0'),
    publicUrl: publicUrl.href,
    publicOrigin: publicUrl.origin,
    basePath: publicUrl.basePath,
    ...storeLocation(env),
    logLevel,
    apiKey,
    sessionSecret: new TextEncoder().encode(sessionSecret),
    externalJwtSecret,
    entitlementKeys: entitlementKeysFrom(env, sandbox),
    razorpay,
    env,
    partnerWebhooks: partnerWebhooksOf(cfg, env),
  };
}

/**
 * TOLLGATE_PUBLIC_URL: an http(s) URL with no query or fragment; its path (`https://app.example/billing`) is
 * the mount path. Plain path segments only, so that it can be joined and stripped as text.
 */
function parsePublicUrl(text: string): { href: string; origin: string; basePath: string } {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return failConfig(`TOLLGATE_PUBLIC_URL=${text} is not an http(s) URL; give the server's address as browsers reach it, e.g. https://billing.example.com, or https://app.example.com/billing when it is mounted under a path`);
  }
  if (url.search || url.hash || url.username || url.password) failConfig(`TOLLGATE_PUBLIC_URL=${text}: no query, fragment or credentials; only an origin and an optional mount path`);
  const basePath = url.pathname.replace(/\/+$/, '');
  if (basePath && !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) failConfig(`TOLLGATE_PUBLIC_URL=${text}: the mount path ${basePath} may hold only letters, digits and . _ ~ - between slashes`);
  return { href: url.origin + basePath, origin: url.origin, basePath };
}

export const SANDBOX_PUBLIC_API_KEY = SANDBOX_API_KEY;
