// <plan-picker>: the plan catalog as an accessible single-choice group that starts a checkout.
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { Task, TaskStatus } from '@lit/task';
import type { PlansResponse, PublicPlan, Subscription, CheckoutRequest } from '../../contract/index.js';
import { TollgateElement } from '../../base/tollgate-element.js';
import { LazyCheckout } from '../../checkout/lazy-checkout.js';
import { LazyPromotion } from '../../promotion/lazy-promotion.js';
import { TollgateError, forgetAnswers } from '../../api/client.js';
import { getConfig } from '../../config.js';
import { emit } from '../../events.js';
import { errorKey } from '../../i18n/index.js';
import { formatMoney, formatNumber } from '../../format.js';
import { planPickerStyles } from './plan-picker.styles.js';
import { chargeFor, yearlySaving } from './prices.js';

type BillingInterval = 'month' | 'year';

/**
 * @summary Shows the plan catalog as a radio group with prices in the customer's locale and runs
 * the checkout for the chosen plan (Razorpay modal, redirect, embedded Stripe or hand-off).
 *
 * @fires plan-select - Cancelable. The customer chose a plan; `detail: {plan, interval, amount, currency}`.
 * @fires checkout-start - Cancelable. A checkout is about to be created.
 * @fires checkout-success - The server confirmed the payment; `detail: {plan, checkout_id, new_plan, old_plan?, payment_id?}`.
 * @fires checkout-error - `detail: {code, message}`.
 * @fires checkout-dismiss - The customer closed the payment window, or chose "Start over" while a payment was awaited.
 * @fires payment-failed - Razorpay reported a failed payment attempt (its error fields).
 * @fires handoff-open - Cancelable. Hand-off mode: the customer asked to continue in the system browser; `detail: {url, checkout_id}`.
 * @fires handoff-end - Hand-off checkout ended without payment; `detail: {checkout_id, status}`.
 *
 * @slot header - The partner's copy above the plans.
 * @slot footer - The partner's copy below the plans.
 *
 * @csspart base - The wrapper.
 * @csspart interval-switch - The monthly/yearly switch.
 * @csspart plan - One plan card.
 * @csspart price - A plan's price.
 * @csspart badge - A badge (current plan, popular, trial).
 * @csspart features - A plan's feature list.
 * @csspart button - Every button.
 * @csspart cta - A plan's call to action.
 * @csspart status - The live region announcing checkout progress.
 * @csspart handoff - The hand-off view.
 * @csspart handoff-url - The hand-off link as selectable text.
 * @csspart start-over - "Start over": stops waiting for a hand-off or an unconfirmed hosted-page payment.
 * @csspart panel-link - "Open panel" after a paid checkout that set up an agent (mintbot).
 * @csspart promotion-toggle - "Have a code?" (with `promotion-codes`).
 * @csspart promotion - The promotion code form; `promotion-input`, `promotion-apply`, `promotion-remove` inside it.
 * @csspart promotion-result - The live region with the discounted price (`promotion-total`, `promotion-duration`) or the refusal.
 * @csspart seats - The seat stepper of a per-seat plan: `seats-input`, `seats-fewer`, `seats-more` and the live `seats-total` inside it.
 * @csspart tax - The tax in a price: "incl. ₹244 GST" or "+ ₹244 GST".
 * @csspart business-toggle - "Buying for a business? Add GST details" (with `business-details`), a disclosure.
 * @csspart business - The business details form; `business-field` (a label and its input), `business-input` and `business-error` inside it.
 *
 * @cssproperty --accent - Brand colour (falls back to `--tollgate-accent`).
 * @cssproperty --on-accent - Text on the brand colour.
 * @cssproperty --radius - Corner radius.
 * @cssproperty --surface - Card background.
 * @cssproperty --text - Text colour.
 * @cssproperty --muted - Secondary text colour.
 * @cssproperty --border - Card border colour.
 * @cssproperty --font - Font family.
 */
export class PlanPicker extends TollgateElement {
  /** The catalog to show instead of fetching `GET /v1/plans` (a `PlansResponse` or a plan list). */
  @property({ attribute: false }) plans?: PlansResponse | PublicPlan[];

  /** Billing interval shown first. */
  @property({ reflect: true }) interval: 'month' | 'year' = 'month';

  /** The customer's current plan id; otherwise learnt from `GET /v1/subscription` when there is a session. */
  @property({ attribute: 'current-plan' }) currentPlan?: string;

  /** Ask the server for this billing provider (otherwise the server's rule picks). */
  @property() provider?: CheckoutRequest['provider'];
  /** Show (and charge) the prices in this currency, e.g. `USD` (otherwise the customer's or the server's default). */
  @property() currency?: string;

  /** Where a hosted payment page sends the customer back to (must be an allowed origin). */
  @property({ attribute: 'return-url' }) returnUrl?: string;

  /** Hand-off mode: pay in the system browser (IDE webviews). Also set by `configure({handoff: true})`. */
  @property({ type: Boolean }) handoff = false;

  /** Offer a "Have a code?" field: a promotion code checked against the selected plan and priced by the server. */
  @property({ type: Boolean, attribute: 'promotion-codes' }) promotionCodes = false;

  /** Offer "Buying for a business? Add GST details": legal name, GSTIN or VAT ID and billing address, sent with the checkout and checked by the server. */
  @property({ type: Boolean, attribute: 'business-details' }) businessDetails = false;

  static override styles = planPickerStyles;

  @state() private _selected?: string;
  @state() private _paidPlan?: string;
  /** The seat stepper and tax line (src/seats/seats.ts), once loaded. */
  private _seats?: import('../../seats/seats.js').Seats;
  private _seatsLoad?: Promise<void>;
  private _businessLoad?: Promise<unknown>;
  /** The business details form and its toggle (src/business/), loaded once `business-details` is set. */
  private _business?: import('../../business/business-field.js').BusinessField;

  /** The checkout code loads when the customer chooses a plan, not with the catalog. */
  private readonly _checkout = new LazyCheckout(this);
  /** The checkout the customer would start now (what a code is checked against, what suggests the billing country). */
  private readonly _target = () => {
    const plan = this._catalog.value?.plans.find((p) => p.id === this._selected);
    return plan && this.checkoutOf(plan, this.interval);
  };
  private readonly _promo = new LazyPromotion(this, this._target);

  private readonly _catalog = new Task(this, {
    task: async ([, given]): Promise<PlansResponse> => {
      let catalog = given && (Array.isArray(given) ? { plans: given, metrics: [] } : given);
      if (!catalog) {
        const answer = this.client().shared<PlansResponse>(this.currency ? `/v1/plans?currency=${encodeURIComponent(this.currency)}` : '/v1/plans');
        // A page's first Intl number format sets up ICU (~100 ms of a slow phone's CPU): do it while the answer travels.
        setTimeout(formatNumber, 0, 0, this.resolvedLocale);
        catalog = await answer;
      }
      // A plan sold only in another currency has nothing to charge here: not offered (the free plan has no prices).
      return { ...catalog, plans: catalog.plans.filter((p) => p.charge?.length || !p.orderable) };
    },
    args: () => [this.apiBase, this.plans, this.currency, this.token, this.resolvedLocale] as const,
  });

  private readonly _subscription = new Task(this, {
    // Without it we just cannot mark the current plan: a failure is no error here.
    task: async ([, token]): Promise<Subscription | undefined> =>
      token ? this.client().shared<Subscription>('/v1/subscription').catch(() => undefined) : undefined,
    args: () => [this.apiBase, this.token] as const,
  });

  get handoffMode(): boolean {
    return this.handoff || Boolean(getConfig().handoff);
  }

  /** The plan the customer is on now, if known. */
  get current(): string | undefined {
    return this._paidPlan ?? this.currentPlan ?? this._subscription.value?.plan;
  }

  /** Whether `plan` billed per `interval` is what the customer has: on Pro monthly, Pro yearly can be chosen. */
  private isCurrent(plan: string, interval: string): boolean {
    const sub = this._subscription.value;
    return plan === this.current && !(sub?.plan === plan && sub.interval && sub.interval !== interval);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('checkout-success', this._onSuccess);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('checkout-success', this._onSuccess);
  }

  private readonly _onSuccess = (event: GlobalEventHandlersEventMap['checkout-success']): void => {
    this._paidPlan = event.detail.new_plan;
    void this._subscription.run(); // the interval now in force
  };

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    const plans = this._catalog.value?.plans;
    if (plans && (!this._selected || !plans.some((p) => p.id === this._selected))) {
      this._selected = (plans.find((p) => p.popular) ?? plans.find((p) => p.orderable) ?? plans[0])?.id;
    }
    this._promo.retarget();
    if (this.businessDetails) this._businessLoad ??= import('../../business/business-field.js').then(({ BusinessField }) => (this._business = new BusinessField(this, this._target)));
    // The seat stepper and the tax line load only for a catalog that has a per-seat or taxed price.
    if (!this._seatsLoad && plans?.some((p) => p.charge.some((c) => c.per_unit || c.tax))) {
      this._seatsLoad = import('../../seats/seats.js').then(({ Seats }) => {
        this._seats = new Seats(this);
        this.requestUpdate();
      });
    }
  }

  override render(): TemplateResult {
    const status = this._catalog.status;
    // A refetch (the session arrived, the currency changed) keeps the plans on screen: no flash of placeholder.
    const loading = status === TaskStatus.INITIAL || status === TaskStatus.PENDING;
    return html`
      <div part="base" aria-busy=${loading || this._checkout.busy ? 'true' : 'false'}>
        <slot name="header"></slot>
        ${status === TaskStatus.ERROR
          ? this.renderLoadError()
          : !this._catalog.value
            ? this.renderPlaceholder()
            : this.renderCatalog(this._catalog.value)}
        ${this.promotionCodes && this._catalog.value ? this._promo.render() : nothing}
        ${this._catalog.value && this._business?.render()}
        ${this._checkout.render()}
        <slot name="footer"></slot>
      </div>
    `;
  }

  private renderPlaceholder(): TemplateResult {
    return html`<div class="sr-only" role="status">${this.t('loading')}</div>
      <div role="presentation" class="grid-placeholder">
        ${[0, 1, 2].map(() => html`<div class="skeleton placeholder"></div>`)}
      </div>`;
  }

  private renderLoadError(): TemplateResult {
    const error = this._catalog.error;
    const code = error instanceof TollgateError ? error.code : 'generic';
    return html`<div class="error" part="error" role="alert">
      <span>${this.t(errorKey(code))}</span>
      <button part="button retry" class="secondary" @click=${() => void this._catalog.run()}>${this.t('retry')}</button>
    </div>`;
  }

  private renderCatalog(catalog: PlansResponse): TemplateResult {
    const hasYear = catalog.plans.some((p) => p.charge.some((c) => c.interval === 'year'));
    const hasMonth = catalog.plans.some((p) => p.charge.some((c) => c.interval === 'month'));
    // The interval the prices are shown in (the attribute may name one the catalog lacks).
    const interval: BillingInterval = !hasYear ? 'month' : !hasMonth ? 'year' : this.interval;
    const bestSaving = Math.max(0, ...catalog.plans.map((p) => yearlySaving(p) ?? 0));
    return html`
      ${hasYear && hasMonth
        ? html`<div part="interval-switch" class="switch" role="group" aria-label=${this.t('picker.interval')}>
            ${(['month', 'year'] as const).map(
              (value) => html`<button
                type="button"
                aria-pressed=${interval === value ? 'true' : 'false'}
                @click=${() => (this.interval = value)}
              >
                ${this.t(value === 'month' ? 'interval.month' : 'interval.year')}
                ${value === 'year' && bestSaving > 0
                  ? html`<span class="saving">${this.t('save', { pct: formatNumber(bestSaving, this.resolvedLocale) })}</span>`
                  : nothing}
              </button>`,
            )}
          </div>`
        : nothing}
      <div role="radiogroup" aria-label=${this.t('picker.label')} @keydown=${(event: KeyboardEvent) => this.onKeydown(event, interval)}>
        ${catalog.plans.map((plan) => this.renderPlan(plan, interval, catalog))}
      </div>
    `;
  }

  private renderPlan(plan: PublicPlan, interval: BillingInterval, catalog: PlansResponse): TemplateResult {
    const selected = plan.id === this._selected;
    const isCurrent = this.isCurrent(plan.id, interval);
    const charge = chargeFor(plan, interval);
    const locale = this.resolvedLocale;
    const saving = interval === 'year' ? yearlySaving(plan) : undefined;
    // Metric labels are catalog text: the server sends them in this locale where the catalog has it.
    const labelOf = (metric: string, count?: number): string => {
      const m = catalog.metrics.find((x) => x.id === metric);
      return (count === 1 && m?.label_one) || m?.label || metric;
    };
    return html`
      <div part="plan${selected ? ' plan-selected' : ''}${isCurrent ? ' plan-current' : ''}" class="card ${selected ? 'selected' : ''}">
        <div
          role="radio"
          id="plan-${plan.id}"
          data-plan=${plan.id}
          aria-checked=${selected ? 'true' : 'false'}
          tabindex=${selected ? '0' : '-1'}
          @click=${() => this.select(plan.id, false)}
        >
          <span class="name">
            ${plan.name}
            ${isCurrent ? html`<span part="badge badge-current">${this.t('badge.current')}</span>` : nothing}
            ${plan.popular ? html`<span part="badge badge-popular">${this.t('badge.popular')}</span>` : nothing}
          </span>
          <span part="price">
            ${charge ? formatMoney(charge.amount, charge.currency, locale) : this.t('price.free')}
            ${charge ? html`<span class="per">${this.t(charge.interval === 'year' ? 'per.year' : charge.interval === 'once' ? 'per.once' : 'per.month')}</span>` : nothing}
          </span>
          ${saving ? html`<span class="saving">${this.t('save', { pct: formatNumber(saving, locale) })}</span>` : nothing}
          ${plan.trial_days > 0 ? html`<span part="badge badge-trial">${this.t('badge.trial', { days: formatNumber(plan.trial_days, locale) })}</span>` : nothing}
          ${plan.description ? html`<span class="description">${plan.description}</span>` : nothing}
        </div>
        ${charge && this._seats ? this._seats.render(plan.id, charge, selected && this._promo.code) : nothing}
        <ul part="features">
          ${Object.entries(plan.limits).map(
            ([metric, limit]) =>
              html`<li>${limit === null
                ? this.t('limit.unlimited', { metric: labelOf(metric).toLowerCase() })
                : this.t('limit.value', { n: formatNumber(limit, locale), metric: labelOf(metric, limit).toLowerCase() })}</li>`,
          )}
          ${plan.features.map((feature) => html`<li>${feature}</li>`)}
        </ul>
        ${plan.orderable || isCurrent
          ? html`<button
              type="button"
              part="button cta"
              data-plan=${plan.id}
              ?disabled=${isCurrent || this._checkout.locked}
              @click=${(event: Event) => this.choose(plan, interval, event.currentTarget as Element)}
            >
              ${isCurrent ? this.t('cta.current') : this.t('cta.choose', { plan: plan.name })}
            </button>`
          : nothing}
      </div>
    `;
  }

  private select(id: string, focus: boolean): void {
    this._selected = id;
    if (focus) {
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[role="radio"][data-plan="${CSS.escape(id)}"]`)?.focus());
    }
  }

  /** Arrow keys, Home and End move the choice; Enter chooses it, billed per the `interval` on screen. */
  private onKeydown(event: KeyboardEvent, interval: BillingInterval): void {
    const plans = this._catalog.value?.plans ?? [];
    if (!plans.length || !(event.target as HTMLElement).matches('[role="radio"]')) return;
    const index = Math.max(0, plans.findIndex((p) => p.id === this._selected));
    const rtl = this.matches(':dir(rtl)');
    let next: number | undefined;
    switch (event.key) {
      case 'ArrowDown':
        next = index + 1;
        break;
      case 'ArrowUp':
        next = index - 1;
        break;
      case 'ArrowRight':
        next = rtl ? index - 1 : index + 1;
        break;
      case 'ArrowLeft':
        next = rtl ? index + 1 : index - 1;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = plans.length - 1;
        break;
      case 'Enter': {
        const plan = plans[index];
        if (plan?.orderable) this.choose(plan, interval);
        event.preventDefault();
        return;
      }
      case ' ':
        event.preventDefault();
        return;
      default:
        return;
    }
    event.preventDefault();
    const wrapped = (next + plans.length) % plans.length;
    this.select(plans[wrapped].id, true);
  }

  private choose(plan: PublicPlan, interval: BillingInterval, control?: Element): void {
    if (this._checkout.locked || this.isCurrent(plan.id, interval)) return;
    this._selected = plan.id;
    const charge = chargeFor(plan, interval);
    const proceed = emit(
      this,
      'plan-select',
      { plan: plan.id, interval: charge?.interval ?? interval, amount: charge?.amount, currency: charge?.currency },
      true,
    );
    if (!proceed) return;
    void this._checkout.start({ ...this.checkoutOf(plan, interval), promotionCode: this._promo.code, business: this._business?.details, returnUrl: this.returnUrl, control });
  }

  /** The checkout of `plan` billed per `interval`: the price on screen is the price charged, so its provider, currency and seats. */
  private checkoutOf(plan: PublicPlan, interval: BillingInterval) {
    const charge = chargeFor(plan, interval);
    return { plan: plan.id, interval: charge?.interval === 'once' ? undefined : (charge?.interval ?? interval), provider: this.provider ?? charge?.provider, currency: charge?.currency, quantity: this._seats?.quantityOf(plan.id, charge) };
  }

  /** A plan's display name from the catalog (the checkout flow names the plan it confirms). */
  planNameOf(plan: string): string | undefined {
    return this._catalog.value?.plans.find((p) => p.id === plan)?.name;
  }

  /** Re-fetch the catalog and the customer's subscription (the page's shared answers are forgotten). */
  refresh(): void {
    forgetAnswers();
    void this._catalog.run();
    void this._subscription.run();
  }
}
