// The request that begins one attempt: `POST /v1/checkout` for a plan, or `POST /v1/checkout/{id}/start`
// for an existing hand-off checkout, under the attempt's Idempotency-Key.
import type { CheckoutRequest, CheckoutResponse } from '../contract/index.js';
import { checkoutPath } from './poll.js';
import { pageUrl } from './runners/redirect.js';
import type { CheckoutHost, CheckoutInput } from './types.js';

export function createCheckout(host: CheckoutHost, input: CheckoutInput, key: string): Promise<CheckoutResponse> {
  const client = host.client();
  if (input.checkoutId) {
    return client.post<CheckoutResponse>(`${checkoutPath(input.checkoutId)}/start`, {}, { idempotencyKey: key });
  }
  const body: CheckoutRequest = { plan: input.plan };
  if (input.interval) body.interval = input.interval;
  if (input.provider) body.provider = input.provider;
  if (input.currency) body.currency = input.currency;
  if (input.uiMode) body.ui_mode = input.uiMode;
  if (input.promotionCode) body.promotion_code = input.promotionCode;
  if (input.quantity) body.quantity = input.quantity;
  if (input.business) body.business = input.business;
  // A hosted page returns to this page unless told otherwise (the server would pick its origin's root).
  const returnUrl = input.returnUrl ?? (host.handoffMode ? undefined : pageUrl());
  if (returnUrl) body.return_url = returnUrl;
  if (host.handoffMode) body.mode = 'handoff';
  return client.post<CheckoutResponse>('/v1/checkout', body, { idempotencyKey: key });
}
