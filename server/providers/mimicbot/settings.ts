// MimicBot settings: the `providers.mimicbot` section of the config file, MIMICBOT_TOKEN and MIMICBOT_API_BASE
// from the environment, and the `upstream.plan` each mimicbot price maps to (docs/upstream/mimicbot-billing-api.txt).
import { z } from 'zod';
import { ConfigError, configErrors, parseConfigSection, providerSecrets, type ConfigFile, type ServerConfig } from '../../config.js';
import type { ProviderMode } from '../settings.js';
import type { ProviderCapabilities } from '../capabilities.js';

export const MIMICBOT_DEFAULT_API_BASE = 'https://api.mimicbot.app';
export const MIMICBOT_PLANS = ['starter', 'pro', 'agency'] as const;
export type MimicbotPaidPlan = (typeof MIMICBOT_PLANS)[number];

/** MimicBot runs a Stripe subscription upstream: it renews there, gives the trial, and has the customer portal. */
export const MIMICBOT_CAPABILITIES: ProviderCapabilities = { renewal: 'upstream', trials: true, creditsUnusedTime: false, verify: false, portal: true, discounts: false, quantities: false };

/** `providers.mimicbot` in TOLLGATE_CONFIG. */
const MimicbotSection = z
  .object({
    /** Accept per-customer tokens (PUT /v1/admin/mimicbot/customers/:id/token), with or without MIMICBOT_TOKEN. */
    customer_tokens: z.boolean().default(false),
    max_retry_after_s: z.number().int().min(0).max(10).default(2),
  })
  .strict();

export const MimicbotUpstream = z.object({ plan: z.enum(MIMICBOT_PLANS, { error: 'set plan to one of "starter", "pro", "agency"' }) }).strict();

export function mimicbotSettings({ file, env, sandbox }: Pick<ServerConfig, 'file' | 'env' | 'sandbox'>): { section: z.infer<typeof MimicbotSection>; sharedToken: string | null; mode: ProviderMode; apiBase: string } {
  const section = parseConfigSection(MimicbotSection, file.providers.mimicbot, 'providers.mimicbot');
  const secrets = providerSecrets(env, ['MIMICBOT_TOKEN'], sandbox);
  const sharedToken = secrets.mode === 'live' ? secrets.values.MIMICBOT_TOKEN : null;
  // No simulated MimicBot: usable with the shared token, or when per-customer tokens are turned on.
  const mode: ProviderMode = sharedToken || section.customer_tokens ? 'live' : 'unavailable';
  const apiBase = env.MIMICBOT_API_BASE ?? MIMICBOT_DEFAULT_API_BASE;
  try {
    new URL(apiBase);
  } catch {
    throw new ConfigError(`MIMICBOT_API_BASE=${apiBase} is not a URL; use e.g. ${MIMICBOT_DEFAULT_API_BASE}`);
  }
  return { section, sharedToken, mode, apiBase };
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`;
}

/** Catalog plan ↔ MimicBot plan, by MimicBot plan: from each mimicbot price's `upstream.plan`, checked at start-up. */
export function mimicbotPlanMap(catalog: { file: ConfigFile; freePlan: { id: string } }): Map<string, string> {
  const catalogPlanOf = new Map<string, string>([['free', catalog.freePlan.id]]);
  catalog.file.plans.forEach((plan, i) =>
    plan.prices.forEach((price, j) => {
      if (price.provider !== 'mimicbot') return;
      const parsed = MimicbotUpstream.safeParse(price.upstream ?? {}, configErrors);
      if (!parsed.success) throw new ConfigError(`plans[${i}].prices[${j}].upstream (plan "${plan.id}", mimicbot): ${issueText(parsed.error)}; e.g. "upstream": {"plan": "pro"}`);
      const taken = catalogPlanOf.get(parsed.data.plan);
      if (taken && taken !== plan.id) throw new ConfigError(`plans[${i}].prices[${j}].upstream.plan: MimicBot plan "${parsed.data.plan}" is already sold as plan "${taken}"; map each MimicBot plan to one catalog plan`);
      catalogPlanOf.set(parsed.data.plan, plan.id);
    }),
  );
  return catalogPlanOf;
}
