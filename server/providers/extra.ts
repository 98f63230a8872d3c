// Providers beyond Razorpay (Stripe and the seed backends), each built by its own module from the environment.
import type { CreateAppOptions } from '../app.js';
import type { Provider } from './types.js';

export const extraProviders: NonNullable<CreateAppOptions['extraProviders']> = (): Provider[] => [];
