// mintbot settings: the `providers.mintbot` section of the config file, the tier/duration each catalog
// price maps to (`prices[].upstream`), and the secrets from the environment.
import { z } from 'zod';
import { ConfigError, configErrors, parseConfigSection, providerSecrets, type ConfigFile, type PlanPriceConfig, type ProviderMode } from '../../config.js';

export const MINTBOT_DEFAULT_API_BASE = 'https://mint.mintbot.ai/api/mintoffice/v1';
import type { ProviderCapabilities } from '../capabilities.js';

/** mintbot reports each order's state by signed webhook and on polling (docs/upstream/mintbot-partner-api.txt); no trial, no portal. */
export const MINTBOT_CAPABILITIES: ProviderCapabilities = { renewal: 'reported', trials: false, creditsUnusedTime: false, verify: false, portal: false, discounts: false, quantities: false };

/** `providers.mintbot` in TOLLGATE_CONFIG. */
const MintbotSection = z
  .object({
    /** docs/upstream/mintbot-partner-api.txt "Create order": `language` sets Stripe Checkout's locale and the welcome email's language. */
    language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'use a language code such as "en" or "pt-BR"').optional(),
    /** Wait out a 429 whose Retry-After is at most this many seconds, then retry once or twice. */
    max_retry_after_s: z.number().int().min(0).max(10).default(2),
  })
  .strict();

/** docs/upstream/mintbot-partner-api.txt "Create order": tier one of trial/s1/s2/s4, duration_days 1–365, credit_usd optional. */
export const MintbotUpstream = z
  .object({
    tier: z.enum(['trial', 's1', 's2', 's4'], { error: 'set tier to one of "trial", "s1", "s2", "s4"' }),
    duration_days: z.number({ error: 'set duration_days to a whole number of days, 1–365' }).int().min(1).max(365),
    credit_usd: z.number().nonnegative().optional(),
  })
  .strict();
export type MintbotUpstream = z.infer<typeof MintbotUpstream>;

export interface MintbotSettings {
  mode: ProviderMode;
  apiKey: string;
  webhookSecret: string;
  apiBase: string;
  language?: string;
  maxRetryAfterS: number;
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`;
}

/**
 * Secrets from the environment: MINTBOT_API_KEY and MINTBOT_WEBHOOK_SECRET together (live) or neither.
 * There is no simulated mintbot: with neither set the provider is unavailable, sandbox or not.
 */
export function mintbotSettings(env: Record<string, string | undefined>, section: unknown, sandbox: boolean): MintbotSettings {
  const secrets = providerSecrets(env, ['MINTBOT_API_KEY', 'MINTBOT_WEBHOOK_SECRET'], sandbox);
  const own = parseConfigSection(MintbotSection, section, 'providers.mintbot');
  const apiBase = env.MINTBOT_API_BASE ?? MINTBOT_DEFAULT_API_BASE;
  try {
    new URL(apiBase);
  } catch {
    throw new ConfigError(`MINTBOT_API_BASE=${apiBase} is not a URL; use e.g. ${MINTBOT_DEFAULT_API_BASE}`);
  }
  return {
    mode: secrets.mode === 'live' ? 'live' : 'unavailable',
    apiKey: secrets.values.MINTBOT_API_KEY ?? '',
    webhookSecret: secrets.values.MINTBOT_WEBHOOK_SECRET ?? '',
    apiBase,
    language: own.language,
    maxRetryAfterS: own.max_retry_after_s,
  };
}

/** Check every mintbot price of the catalog at start-up, so a wrong tier fails the boot, not a checkout. */
export function checkMintbotPrices(catalog: { file: ConfigFile }): void {
  catalog.file.plans.forEach((plan, i) =>
    plan.prices.forEach((price, j) => {
      if (price.provider !== 'mintbot') return;
      const parsed = MintbotUpstream.safeParse(price.upstream ?? {}, configErrors);
      if (!parsed.success) {
        throw new ConfigError(`plans[${i}].prices[${j}].upstream (plan "${plan.id}", mintbot): ${issueText(parsed.error)}; e.g. "upstream": {"tier": "s1", "duration_days": 30}`);
      }
    }),
  );
}

export function mintbotUpstreamOf(price: PlanPriceConfig): MintbotUpstream {
  return MintbotUpstream.parse(price.upstream ?? {});
}
