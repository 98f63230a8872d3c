// Razorpay settings: the key pair and webhook secret from the environment (all or none; per-process
// sandbox credentials otherwise) and the `providers.razorpay` section of the config file.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { providerSecrets, type ProviderMode } from '../settings.js';
import type { ProviderCapabilities } from '../capabilities.js';

/** A Razorpay order buys one period that nothing renews; its unused time is credited to the next purchase. */
export const RAZORPAY_CAPABILITIES: ProviderCapabilities = { renewal: 'one_period', trials: false, creditsUnusedTime: true, verify: true, portal: false, discounts: 'amount', quantities: 'amount' };

export const RAZORPAY_ENV = ['RAZORPAY_KEY_ID', 'RAZORPAY_KEY_SECRET', 'RAZORPAY_WEBHOOK_SECRET'] as const;

/** `providers.razorpay` in the config file: how the checkout modal looks. */
export const RazorpaySection = z.strictObject({ theme_color: z.string().optional(), image: z.url().optional() });

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
