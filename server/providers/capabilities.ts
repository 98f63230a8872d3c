// What a provider can do, declared in each provider's settings.ts and asked by generic code instead of its name.

/**
 * What a provider can do, asked by generic code instead of its name (billing rules, the catalog, the routes).
 * Fixed per provider (not per mode), declared in its settings.ts.
 */
export interface ProviderCapabilities {
  /**
   * Who renews a paid period: `upstream`, a subscription that renews on the provider's side (a passed period
   * end is a renewal not heard of yet, and a second checkout would bill twice); `one_period`, an order that
   * buys one period and ends (shown as "Ends on"); `reported`, renewals arrive as state from the provider
   * (webhook or poll) that moves the period end, and a passed period end lapses until then.
   */
  readonly renewal: 'upstream' | 'one_period' | 'reported';
  /** Subscriptions start with the plan's `trial_days` (the provider runs the trial). */
  readonly trials: boolean;
  /** A new purchase over a running paid period credits its unused time (same or higher plan; a lower one waits). */
  readonly creditsUnusedTime: boolean;
  /** Payments are confirmed by the browser's Razorpay-style signature (`verifyPayment`, POST /v1/razorpay/verify). */
  readonly verify: boolean;
  /** The customer manages billing in the provider's portal (`portalUrl`, `hasPortal`). */
  readonly portal: boolean;
  /**
   * How a promotion code's discount reaches the provider (README "Promotion codes"): `amount`, the upstream
   * charges the discounted amount we send (a Razorpay order, a Bonzai checkout): it honours a discount that
   * lasts as long as that amount is charged (an order's one payment; a subscription's every payment);
   * `coupon`, the upstream applies a coupon of its own to the checkout (Stripe), for any duration;
   * false, the upstream prices the plan itself and a code is refused (`promotion_not_supported`).
   * A Razorpay subscription (plan-priced upstream) takes a discount only through a configured Offer
   * (`promotion_codes[].razorpay_offer_id`).
   */
  readonly discounts: 'amount' | 'coupon' | false;
  /**
   * What changes for a price marked `recurring` (a Razorpay Subscription rather than an order), and for a
   * customer whose plan in force is such a subscription (`customers.subscription_id`).
   */
  readonly recurring?: Pick<ProviderCapabilities, 'renewal' | 'trials' | 'creditsUnusedTime'>;
  /**
   * How a per-seat price's quantity reaches the provider (README "Seats"): `amount`, the upstream charges the
   * total we send (a Razorpay order, a Bonzai checkout); `line_item`, it takes a line item's quantity (Stripe);
   * false, it prices the plan itself and a per-unit price is refused (`quantity_not_supported`). The same
   * capability says whether an exclusive tax can be added to what it charges.
   */
  readonly quantities: 'amount' | 'line_item' | false;
}
