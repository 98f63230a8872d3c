// <usage-meter>: the customer's plan, status and usage per metric, from GET /v1/subscription, and with `receipts`
// the latest receipts from GET /v1/receipts (src/receipts/, a chunk of its own).
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { Task, TaskStatus } from '@lit/task';
import type { PortalResponse, Subscription } from '../../contract/index.js';
import { usageMetrics, type MetricUsage } from '../../contract/usage.js';
import { TollgateElement } from '../../base/tollgate-element.js';
import { sessionGrace } from '../../base/session-grace.js';
import { TollgateError, forgetAnswers } from '../../api/client.js';
import { browserNav, getConfig } from '../../config.js';
import { emit } from '../../events.js';
import { errorKey, type MessageKey } from '../../i18n/index.js';
import { formatDate, formatNumber } from '../../format.js';
import { usageMeterStyles } from './usage-meter.styles.js';

/**
 * @summary Shows the customer's plan, its status in plain words, the period end and a labelled
 * meter per usage metric, with "Manage billing" and "Upgrade" actions ("Upgrade" only while a higher
 * plan can be ordered: the subscription's `canUpgrade` is not `false`). Without a session it keeps
 * its placeholder for up to 1.5 s (the page may still be fetching one), then says to sign in. With
 * `receipts`, a payment history under the meters: the latest five receipts and credit notes (number, date,
 * amount), each a link to its receipt page; loaded, and asked of the server, only with the attribute.
 *
 * @fires upgrade-request - The customer pressed "Upgrade"; `detail: {plan}` (the current plan).
 * @fires handoff-open - Cancelable. Hand-off mode: "Manage billing" opens the portal in the system browser; `detail: {url, checkout_id: ""}`. Not canceled: the element opens it here.
 *
 * @slot header - The partner's copy above the plan.
 * @slot actions - Extra actions next to "Manage billing" and "Upgrade".
 *
 * @csspart base - The card.
 * @csspart plan-name - The plan name.
 * @csspart plan-status - The status badge.
 * @csspart meter - A meter track (`role="meter"`).
 * @csspart meter-fill - A meter's filled part.
 * @csspart button - Every button.
 * @csspart manage - The "Manage billing" button.
 * @csspart upgrade - The "Upgrade" button (not shown on the top plan).
 * @csspart receipts - The payment history (with `receipts`): a heading and `receipts-list`, one `receipt` per row with its `receipt-link`.
 *
 * @cssproperty --accent - Meter and button colour (falls back to `--tollgate-accent`).
 * @cssproperty --track-color - Empty part of a meter.
 * @cssproperty --warn-color - Meter colour from `warn-at`.
 * @cssproperty --danger-color - Meter colour from `critical-at`, and errors.
 * @cssproperty --surface - Card background.
 * @cssproperty --radius - Corner radius.
 * @cssproperty --text - Text colour.
 * @cssproperty --muted - Secondary text colour.
 * @cssproperty --font - Font family.
 */
export class UsageMeter extends TollgateElement {
  /** Percent of a limit from which a meter shows a warning. */
  @property({ type: Number, attribute: 'warn-at' }) warnAt = 80;

  /** Percent of a limit from which a meter shows over-limit. */
  @property({ type: Number, attribute: 'critical-at' }) criticalAt = 100;

  /** Re-fetch every this many seconds (0 = only on demand and after a checkout). */
  @property({ type: Number, attribute: 'refresh-interval' }) refreshInterval = 0;

  /** A smaller variant: plan line and meters only. */
  @property({ type: Boolean, reflect: true }) compact = false;

  /** Where the billing portal returns to (defaults to this page). */
  @property({ attribute: 'return-url' }) returnUrl?: string;

  /** Show the payment history: the latest receipts, each linked to its receipt page. */
  @property({ type: Boolean }) receipts = false;

  static override styles = usageMeterStyles;

  @state() private _portalMissing = false;
  @state() private _portalBusy = false;
  @state() private _portalError?: string;

  private _timer?: ReturnType<typeof setInterval>;
  /** The payment history (src/receipts/receipt-history.ts), once `receipts` has loaded it. */
  private _history?: import('../../receipts/receipt-history.js').ReceiptHistory;
  private _historyLoad?: Promise<void>;

  private readonly _subscription = new Task(this, {
    task: async ([, token], { signal }): Promise<Subscription> => {
      if (!token) {
        // The placeholder stays while the page may still be fetching its session.
        await sessionGrace(signal);
        throw new TollgateError('no_session', 'No session.');
      }
      return this.client().shared<Subscription>('/v1/subscription');
    },
    args: () => [this.apiBase, this.token, this.resolvedLocale] as const,
  });

  // The answers were forgotten on the way (api/client.ts): this and every other element ask once, together.
  private readonly _onCheckoutSuccess = (): void => void this._subscription.run();

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('checkout-success', this._onCheckoutSuccess);
    this.restartTimer();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('checkout-success', this._onCheckoutSuccess);
    clearInterval(this._timer);
  }

  protected override willUpdate(): void {
    if (this.receipts) {
      this._historyLoad ??= import('../../receipts/receipt-history.js').then(({ ReceiptHistory }) => {
        this._history = new ReceiptHistory(this);
        this.requestUpdate();
      });
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('refreshInterval')) this.restartTimer();
  }

  /** Fetch the subscription again (the page's shared answers are forgotten). */
  refresh(): Promise<unknown> {
    forgetAnswers();
    this._history?.reload();
    return this._subscription.run();
  }

  private restartTimer(): void {
    clearInterval(this._timer);
    this._timer = undefined;
    if (this.isConnected && this.refreshInterval > 0) {
      this._timer = setInterval(() => {
        if (this._subscription.status !== TaskStatus.PENDING) void this.refresh();
      }, this.refreshInterval * 1000);
    }
  }

  override render(): TemplateResult {
    const status = this._subscription.status;
    const value = this._subscription.value;
    // Keep showing the last value while a refresh runs: no flicker, no layout shift.
    const loading = !value && (status === TaskStatus.INITIAL || status === TaskStatus.PENDING);
    return html`<section part="base" aria-busy=${status === TaskStatus.PENDING ? 'true' : 'false'} aria-label=${this.t('usage.label')}>
      <slot name="header"></slot>
      ${status === TaskStatus.ERROR && !value
        ? this.renderError()
        : loading || !value
          ? this.renderPlaceholder()
          : this.renderSubscription(value)}
    </section>`;
  }

  private renderPlaceholder(): TemplateResult {
    return html`<div class="sr-only" role="status">${this.t('loading')}</div>
      <div class="skeleton placeholder"></div>
      <div class="skeleton placeholder"></div>
      <div class="skeleton placeholder"></div>`;
  }

  private renderError(): TemplateResult {
    const error = this._subscription.error;
    const code = error instanceof TollgateError ? error.code : 'generic';
    return html`<div class="error" part="error" role="alert">
      <span>${this.t(errorKey(code))}</span>
      ${code === 'no_session'
        ? nothing
        : html`<button part="button retry" class="secondary" @click=${() => void this.refresh()}>${this.t('retry')}</button>`}
    </div>`;
  }

  private renderSubscription(sub: Subscription): TemplateResult {
    const locale = this.resolvedLocale;
    const end = sub.currentPeriodEnd ? formatDate(sub.currentPeriodEnd, locale) : undefined;
    const ending = sub.cancelAtPeriodEnd || sub.status === 'canceled';
    return html`
      <header>
        <span><span class="sr-only">${this.t('usage.plan')}: </span><span part="plan-name">${sub.planName}</span></span>
        <span part="plan-status" data-status=${sub.status}>${this.t(`status.${sub.status}` as MessageKey)}</span>
      </header>
      ${sub.cancelAtPeriodEnd
        ? html`<p class="notice" part="notice">${end ? this.t('cancel.notice', { date: end }) : this.t('cancel.notice_nodate')}</p>`
        : end
          ? html`<p class="period">${this.t(ending ? 'period.ends' : 'period.renews', { date: end })}</p>`
          : nothing}
      ${usageMetrics(sub.usage).map((metric) => this.renderMetric(metric, sub.metricLabels))}
      <div class="actions">
        ${sub.hasPortal && !this._portalMissing
          ? html`<button part="button manage" class="secondary" ?disabled=${this._portalBusy} @click=${this.openPortal}>${this.t('manage')}</button>`
          : nothing}
        ${sub.canUpgrade === false
          ? nothing
          : html`<button part="button upgrade" @click=${() => emit(this, 'upgrade-request', { plan: sub.plan })}>${this.t('upgrade')}</button>`}
        <slot name="actions"></slot>
      </div>
      ${this._portalError ? html`<div class="error" role="alert">${this._portalError}</div>` : nothing}
      ${this.receipts && this._history ? this._history.render() : nothing}
    `;
  }

  private renderMetric(metric: MetricUsage, labels?: Record<string, string>): TemplateResult {
    const locale = this.resolvedLocale;
    const label = this.metricLabel(metric.id, labels);
    const used = formatNumber(metric.used, locale);
    if (metric.limit === null) {
      return html`<div class="metric unlimited" data-metric=${metric.id}>
        <div class="metric-head"><span>${label}</span><span class="value">${this.t('usage.unlimited', { used })}</span></div>
      </div>`;
    }
    const limit = metric.limit;
    const pct = limit > 0 ? (metric.used / limit) * 100 : metric.used > 0 ? Infinity : 0;
    const level = pct >= this.criticalAt ? 'over' : pct >= this.warnAt ? 'warning' : 'ok';
    const text = this.t('usage.of', { used, limit: formatNumber(limit, locale) });
    const levelText = level === 'over' ? this.t('usage.over') : level === 'warning' ? this.t('usage.warn') : '';
    const id = `meter-${metric.id}`;
    // The fill width goes through CSSOM (`.style`), not a style attribute: IDE webviews' CSP has no
    // 'unsafe-inline' for styles and refuses style attributes.
    return html`<div class="metric ${level}" data-metric=${metric.id} data-level=${level}>
      <div class="metric-head">
        <span id="${id}-label">${label}</span>
        <span class="value">${text}${levelText ? html` · <span class="level">${levelText}</span>` : nothing}</span>
      </div>
      <div
        part="meter meter-${level}"
        role="meter"
        aria-labelledby="${id}-label"
        aria-valuemin="0"
        aria-valuemax=${limit}
        aria-valuenow=${Math.min(metric.used, limit)}
        aria-valuetext=${levelText ? `${text}, ${levelText}` : text}
      >
        <div part="meter-fill" .style=${`inline-size:${Math.min(100, Number.isFinite(pct) ? pct : 100)}%`}></div>
      </div>
    </div>`;
  }

  /** The catalog's label as the server sent it (in this locale where translated), else our own words. */
  private metricLabel(id: string, labels?: Record<string, string>): string {
    const key = `metric.${id}` as MessageKey;
    const label = labels?.[id] ?? this.t(key);
    return label === key ? id.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase()) : label;
  }

  private readonly openPortal = async (): Promise<void> => {
    this._portalBusy = true;
    this._portalError = undefined;
    try {
      const { url } = await this.client().post<PortalResponse>('/v1/portal', { return_url: this.returnUrl ?? location.href });
      // In hand-off mode (IDE webviews) the page opens the portal in the system browser, as it does a payment.
      if (!getConfig().handoff || emit(this, 'handoff-open', { url, checkout_id: '' }, true)) browserNav.assign(url);
    } catch (error) {
      const code = error instanceof TollgateError ? error.code : 'generic';
      if (code === 'not_found') this._portalMissing = true;
      else this._portalError = this.t(errorKey(code));
    } finally {
      this._portalBusy = false;
    }
  };
}
