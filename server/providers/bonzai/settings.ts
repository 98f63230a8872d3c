// Bonzai settings: `providers.bonzai` from the config file (product, grant plan, VAT, polling), the token and
// base URL from the environment, and the checks that turn a wrong setting into a start-up error with its fix.
import { z } from 'zod';
import { ConfigError, parseConfigSection, providerSecrets, type ConfigFile, type ProviderMode } from '../../config.js';
import type { ProviderCapabilities } from '../capabilities.js';

/** Bonzai's orders and subscriptions are read back by polling (docs/upstream/bonzai-business-api.txt); no trial, no portal. */
export const BONZAI_CAPABILITIES: ProviderCapabilities = { renewal: 'reported', trials: false, creditsUnusedTime: false, verify: false, portal: false, discounts: 'amount', quantities: 'amount' };

export const BONZAI_DEFAULT_API_BASE = 'https://www.bonzai.pro/api/v1';
/** docs/upstream/bonzai-business-api.txt "Create a custom product checkout": "Available values: EUR or USD". */
export const BONZAI_CURRENCIES = ['EUR', 'USD'] as const;

const ProductUuid = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'use the product id from a product URL, e.g. "xBgq3Z3J" in https://www.bonzai.pro/products/xBgq3Z3J');

const BonzaiSection = z
  .object({
    /** The Bonzai product every checkout and invitation is for (a price may override it with `upstream.product_uuid`). */
    product_uuid: ProductUuid.optional(),
    /** The plan an invitation (promotional access) gives; defaults to the first plan with a Bonzai price. */
    grant_plan: z.string().optional(),
    /** docs/upstream/bonzai-business-api.txt `is_vat_incl`: whether the catalog amounts include VAT. Bonzai's default is true. */
    is_vat_incl: z.boolean().default(true),
    /** How often open and paid Bonzai orders are re-read (GET /orders/{id}); 0 turns the poller off. */
    poll_interval_s: z.number().int().min(0).max(86_400).default(60),
    /**
     * How often an order whose access ended is re-read, to see access given back ("a new access object"),
     * while its customer is on no other paid plan; slower than poll_interval_s; 0 turns it off.
     */
    ended_poll_interval_s: z.number().int().min(0).max(30 * 86_400).default(3600),
    /** Orders checked per poll. */
    poll_batch: z.number().int().min(1).max(1000).default(50),
    /** An unpaid checkout stops being polled after this long (Bonzai's checkout links expire; the sample lasts an hour). */
    pending_ttl_s: z.number().int().min(60).max(30 * 86_400).default(86_400),
  })
  .strict();

export interface BonzaiSettings {
  mode: ProviderMode;
  token: string;
  apiBase: string;
  productUuid: string | null;
  grantPlan: string | null;
  isVatIncl: boolean;
  pollIntervalMs: number;
  endedPollIntervalMs: number;
  pollBatch: number;
  pendingTtlMs: number;
}

export function loadBonzaiSettings(file: ConfigFile, env: Record<string, string | undefined>): BonzaiSettings {
  const section = parseConfigSection(BonzaiSection, file.providers.bonzai, 'providers.bonzai');
  // One secret: set → live; unset → unavailable (there is no simulated Bonzai, even in sandbox mode).
  const secrets = providerSecrets(env, ['BONZAI_API_TOKEN'], false);
  const apiBase = env.BONZAI_API_BASE ?? BONZAI_DEFAULT_API_BASE;
  try {
    new URL(apiBase);
  } catch {
    throw new ConfigError(`BONZAI_API_BASE=${apiBase} is not a URL; unset it for ${BONZAI_DEFAULT_API_BASE} or give a full URL`);
  }

  const prices = file.plans.flatMap((plan, i) => plan.prices.map((price, j) => ({ plan, price, path: `plans[${i}].prices[${j}]` }))).filter((p) => p.price.provider === 'bonzai');
  for (const { price, path } of prices) {
    if (!(BONZAI_CURRENCIES as readonly string[]).includes(price.currency)) throw new ConfigError(`${path}: Bonzai charges EUR or USD only; set "currency": "EUR" or "USD"`);
    if (price.amount <= 0) throw new ConfigError(`${path}: a Bonzai price must be above 0 (amount in cents, e.g. 1900 for 19.00)`);
    const own = price.upstream?.product_uuid;
    if (own !== undefined && !ProductUuid.safeParse(own).success) throw new ConfigError(`${path}.upstream.product_uuid: use the product id from a product URL, e.g. "xBgq3Z3J"`);
    if (own === undefined && !section.product_uuid) throw new ConfigError(`${path} uses provider "bonzai"; set "providers": {"bonzai": {"product_uuid": "<id from https://www.bonzai.pro/products/<id>>"}}`);
  }

  let grantPlan: string | null = section.grant_plan ?? prices[0]?.plan.id ?? null;
  if (section.grant_plan !== undefined) {
    if (!file.plans.some((p) => p.id === section.grant_plan)) throw new ConfigError(`providers.bonzai.grant_plan: no plan "${section.grant_plan}" in "plans"; name an existing plan`);
    if (section.grant_plan === file.free_plan) throw new ConfigError(`providers.bonzai.grant_plan: "${section.grant_plan}" is the free plan; name the plan an invitation gives`);
  }
  if (grantPlan === file.free_plan) grantPlan = null;

  return {
    mode: secrets.mode === 'live' ? 'live' : 'unavailable',
    token: secrets.values.BONZAI_API_TOKEN ?? '',
    apiBase: apiBase.replace(/\/$/, ''),
    productUuid: section.product_uuid ?? null,
    grantPlan,
    isVatIncl: section.is_vat_incl,
    pollIntervalMs: section.poll_interval_s * 1000,
    endedPollIntervalMs: section.ended_poll_interval_s * 1000,
    pollBatch: section.poll_batch,
    pendingTtlMs: section.pending_ttl_s * 1000,
  };
}
