// Razorpay settings: the key pair and webhook secret from the environment (all or none; per-process
// sandbox credentials otherwise) and the `providers.razorpay` section of the config file.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { providerSecrets, type ProviderMode } from '../settings.js';
import type { ProviderCapabilities } from '../capabilities.js';

/**
 * A Razorpay order buys one period that nothing renews; its unused time is credited to the next purchase. A
 * recurring price is a Razorpay Subscription: it renews upstream and runs the plan's trial.
 */
export const RAZORPAY_CAPABILITIES: ProviderCapabilities = {
  renewal: 'one_period',
  trials: false,
  creditsUnusedTime: true,
  verify: true,
  portal: false,
  discounts: 'amount',
  quantities: 'amount',
  recurring: { renewal: 'upstream', trials: true, creditsUnusedTime: false },
};

export const RAZORPAY_ENV = ['RAZORPAY_KEY_ID', 'RAZORPAY_KEY_SECRET', 'RAZORPAY_WEBHOOK_SECRET'] as const;

/** Billing cycles of a new subscription by interval (Razorpay requires `total_count`): ten years. */
export const RAZORPAY_TOTAL_COUNT = { month: 120, year: 10 } as const;
/** Days a halted subscription keeps its plan before the customer drops to free. */
export const RAZORPAY_HALTED_GRACE_DAYS = 3;

/**
 * `providers.razorpay` in the config file: how the checkout modal looks, and how recurring prices (Razorpay
 * Subscriptions) are billed: cycles per subscription, when a plan change takes effect (`auto`: an upgrade now,
 * a downgrade or a seat decrease at the cycle end), and how long a halted subscription keeps its plan.
 */
export const RazorpaySection = z.strictObject({
  theme_color: z.string().optional(),
  image: z.url().optional(),
  /** Billing cycles of a new subscription, by interval (default 120 months, 10 years). */
  total_count: z.strictObject({ month: z.number().int().min(1).max(1200).optional(), year: z.number().int().min(1).max(100).optional() }).optional(),
  /** When a plan or seat change takes effect (default `auto`). */
  schedule_change_at: z.enum(['auto', 'now', 'cycle_end']).optional(),
  /** Days a halted subscription keeps its plan (default 3). */
  halted_grace_days: z.number().int().min(0).max(60).optional(),
});
export type RazorpaySection = z.infer<typeof RazorpaySection>;

/** The subscription settings of `providers.razorpay` with their defaults. */
export function razorpaySubscriptionSettings(section: RazorpaySection | undefined) {
  return {
    totalCount: { month: section?.total_count?.month ?? RAZORPAY_TOTAL_COUNT.month, year: section?.total_count?.year ?? RAZORPAY_TOTAL_COUNT.year },
    scheduleChangeAt: section?.schedule_change_at ?? 'auto',
    haltedGraceDays: section?.halted_grace_days ?? RAZORPAY_HALTED_GRACE_DAYS,
  };
}

export interface RazorpaySecrets {
  mode: ProviderMode;
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  apiBase: string;
}

export function razorpaySecrets(env: Record<string, string | undefined>, sandbox: boolean): RazorpaySecrets {
  const rzp = providerSecrets(env, [...RAZORPAY_ENV], sandbox);
  if (rzp.mode === 'live')
    return { mode: 'live', keyId: rzp.values.RAZORPAY_KEY_ID, keySecret: rzp.values.RAZORPAY_KEY_SECRET, webhookSecret: rzp.values.RAZORPAY_WEBHOOK_SECRET, apiBase: env.RAZORPAY_API_BASE ?? 'https://api.razorpay.com' };
  return {
    mode: rzp.mode,
    // Sandbox credentials are made per process: real HMACs, never valid anywhere else.
    keyId: 'rzp_test_sandbox',
    keySecret: randomBytes(24).toString('hex'),
    webhookSecret: randomBytes(24).toString('hex'),
    apiBase: '',
  };
}
