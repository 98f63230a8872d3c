// Stripe settings: secrets from the environment (all or none), the optional `providers.stripe` section of
// the config file, and a check that every Stripe price in the catalog can be sent to Stripe.
import { z } from 'zod';
import { ConfigError, parseConfigSection, providerSecrets, type ConfigFile, type ProviderMode } from '../../config.js';
import type { ProviderCapabilities } from '../capabilities.js';

/** Stripe runs the subscription: it renews, gives the trial, and has the customer portal. */
export const STRIPE_CAPABILITIES: ProviderCapabilities = { renewal: 'upstream', trials: true, creditsUnusedTime: false, verify: false, portal: true, discounts: 'coupon', quantities: 'line_item' };

export const STRIPE_ENV = ['STRIPE_SECRET_KEY', 'STRIPE_PUBLISHABLE_KEY', 'STRIPE_WEBHOOK_SECRET'] as const;

const StripeSection = z
  .object({
    /** A Billing Portal configuration (`bpc_…`); Stripe's default configuration when absent. */
    portal_configuration: z.string().regex(/^bpc_[A-Za-z0-9]+$/, 'use a portal configuration id such as "bpc_1Abc…"').optional(),
    /** Override the Stripe-Version header (the 2026 ui_mode names need 2026-03-25 or later). */
    api_version: z.string().regex(/^20\d\d-\d\d-\d\d(\.[a-z]+)?$/, 'use a Stripe API version such as "2026-10-28.endive"').optional(),
  })
  .strict();
export type StripeSection = z.infer<typeof StripeSection>;

export interface StripeSettings {
  mode: ProviderMode;
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
  apiBase: string;
  section: StripeSection;
}

export function stripeSettings(env: Record<string, string | undefined>, file: ConfigFile, sandbox: boolean): StripeSettings {
  const section = parseConfigSection(StripeSection, file.providers.stripe, 'providers.stripe');
  file.plans.forEach((plan, i) =>
    plan.prices.forEach((price, j) => {
      if (price.stripe_price_id !== undefined && price.provider !== 'stripe')
        throw new ConfigError(`plans[${i}].prices[${j}].stripe_price_id is set on a ${price.provider} price; move it to the plan's stripe price or remove it`);
      if (price.stripe_price_id !== undefined && !/^price_[A-Za-z0-9_]+$/.test(price.stripe_price_id))
        throw new ConfigError(`plans[${i}].prices[${j}].stripe_price_id "${price.stripe_price_id}" is not a Stripe price id; copy the "price_…" id from the Stripe dashboard`);
    }),
  );
  const secrets = providerSecrets(env, [...STRIPE_ENV], sandbox);
  const apiBase = env.STRIPE_API_BASE ?? 'https://api.stripe.com';
  if (env.STRIPE_API_BASE && !/^https?:\/\//.test(env.STRIPE_API_BASE)) throw new ConfigError(`STRIPE_API_BASE=${env.STRIPE_API_BASE} is not an http(s) URL; unset it to use https://api.stripe.com`);
  if (secrets.mode === 'live') {
    if (!/^(sk|rk)_/.test(secrets.values.STRIPE_SECRET_KEY)) throw new ConfigError('STRIPE_SECRET_KEY does not look like a Stripe secret key; use the "sk_…" (or restricted "rk_…") key from the dashboard');
    if (!/^pk_/.test(secrets.values.STRIPE_PUBLISHABLE_KEY)) throw new ConfigError('STRIPE_PUBLISHABLE_KEY does not look like a publishable key; use the "pk_…" key from the dashboard');
    if (!/^whsec_/.test(secrets.values.STRIPE_WEBHOOK_SECRET)) throw new ConfigError('STRIPE_WEBHOOK_SECRET does not look like an endpoint secret; use the "whsec_…" signing secret of the /v1/webhooks/stripe endpoint');
    return {
      mode: 'live',
      secretKey: secrets.values.STRIPE_SECRET_KEY,
      publishableKey: secrets.values.STRIPE_PUBLISHABLE_KEY,
      webhookSecret: secrets.values.STRIPE_WEBHOOK_SECRET,
      apiBase,
      section,
    };
  }
  return { mode: secrets.mode, secretKey: '', publishableKey: '', webhookSecret: '', apiBase, section };
}
