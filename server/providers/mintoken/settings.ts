// Mintoken settings: the `providers.mintoken` section of the config file, MINTOKEN_API_BASE, and the checks
// on every mintoken price (forward mode needs external_jwt; Mintoken sells monthly plans, docs/upstream/mintoken-billing-api.txt).
import { z } from 'zod';
import { ConfigError, parseConfigSection, type PlanPriceConfig, type ServerConfig } from '../../config.js';
import type { ProviderMode } from '../settings.js';
import type { ProviderCapabilities } from '../capabilities.js';

/** A Mintoken order buys one month that nothing renews; the browser's Razorpay signature is verified by Mintoken. */
export const MINTOKEN_CAPABILITIES: ProviderCapabilities = { renewal: 'one_period', trials: false, creditsUnusedTime: false, verify: true, portal: false, discounts: false, quantities: false };

export const MINTOKEN_DEFAULT_API_BASE = 'https://api.mintoken.in';

/** `providers.mintoken` in the config file. */
const MintokenSection = z
  .object({
    /** The name in the Razorpay modal; defaults to the config's `name` (docs/upstream/mintoken-billing-api.txt shows "Mintoken"). */
    name: z.string().min(1).optional(),
    /** The modal's theme colour; docs/upstream/mintoken-billing-api.txt: "#FF6B1A is the mintoken orange… replace with your brand color". */
    theme_color: z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'use a hex colour such as "#FF6B1A"').optional(),
  })
  .strict();

/** The Mintoken plan slug of a price: `upstream.plan` when set, else our plan id ("pro" or "team" per docs/upstream/mintoken-billing-api.txt). */
export function mintokenPlanSlug(price: PlanPriceConfig, planId: string): string {
  const slug = price.upstream?.plan;
  return typeof slug === 'string' ? slug : planId;
}

export function mintokenSettings({ file, env }: Pick<ServerConfig, 'file' | 'env'>): { section: z.infer<typeof MintokenSection>; apiBase: string; mode: ProviderMode } {
  const section = parseConfigSection(MintokenSection, file.providers.mintoken, 'providers.mintoken');
  const apiBase = env.MINTOKEN_API_BASE ?? MINTOKEN_DEFAULT_API_BASE;
  try {
    new URL(apiBase);
  } catch {
    throw new ConfigError(`MINTOKEN_API_BASE=${apiBase} is not a URL; unset it for ${MINTOKEN_DEFAULT_API_BASE} or give a full URL`);
  }

  const prices = file.plans.flatMap((plan, i) => plan.prices.map((price, j) => ({ plan, price, path: `plans[${i}].prices[${j}]` }))).filter((p) => p.price.provider === 'mintoken');
  // Forward mode has no secret of its own: it works when the server checks Supabase JWTs.
  const mode: ProviderMode = file.external_jwt ? 'live' : 'unavailable';
  if (prices.length && mode === 'unavailable') {
    throw new ConfigError(
      `${prices[0].path} uses provider "mintoken", which forwards the customer's Supabase JWT; add "external_jwt": {"secret_env": "SUPABASE_JWT_SECRET", "audience": "authenticated"} (or "jwks_url") to the config file`,
    );
  }
  for (const { price, path } of prices) {
    // Mintoken sells monthly plans only (docs/upstream/mintoken-billing-api.txt has no interval); its order amount must be what our catalog shows.
    if (price.interval !== 'month') throw new ConfigError(`${path}: Mintoken plans are monthly; set "interval": "month" or remove this price`);
  }

  return { section, apiBase, mode };
}
