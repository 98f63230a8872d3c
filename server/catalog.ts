// The plan catalog: lookups, which price a customer is charged (the routing rule), and the public view.
import type { Metric, Price, PublicPlan, ProviderName, Interval } from '../src/contract/index.js';
import type { ConfigFile, PlanConfig, PlanPriceConfig } from './config.js';
import { AppError } from './errors.js';
import { negotiateLocale } from './locale.js';
import { capabilitiesOf } from './providers/capability-table.js';
import { priceTax, taxRuleOf } from './services/taxes.js';

export class Catalog {
  /** The public view per currency and language: the catalog is fixed for the life of the process. */
  private readonly publicCache = new Map<string, PublicPlan[]>();
  private readonly answerCache = new Map<string, string>();
  /** The catalog's own language first, then every language it has a translation in. */
  readonly locales: readonly string[];
  constructor(readonly file: ConfigFile) {
    const translated = [...file.plans, ...file.metrics].flatMap((x) => Object.keys(x.translations ?? {}));
    this.locales = [...new Set([file.locale, ...translated])];
  }

  get metrics() {
    return this.file.metrics;
  }

  /** The language to answer a caller in (one of `locales`): the best match, else the catalog's own. */
  localeFor(requested: readonly string[]): string {
    return negotiateLocale(requested, this.locales) ?? this.file.locale;
  }

  /** Metric labels in `locale` (as GET /v1/plans lists them). */
  publicMetrics(locale = this.file.locale): Metric[] {
    return this.metrics.map(({ translations, ...metric }) => {
      const t = translations?.[locale];
      // A translation without label_one must not keep the English one.
      return t ? { ...metric, label: t.label, label_one: t.label_one } : metric;
    });
  }

  /** A plan's name in `locale`; undefined for a plan the catalog does not list. */
  planName(id: string, locale = this.file.locale): string | undefined {
    const plan = this.plan(id);
    return plan && (plan.translations?.[locale]?.name ?? plan.name);
  }

  get freePlan(): PlanConfig {
    return this.plan(this.file.free_plan)!;
  }

  plan(id: string): PlanConfig | undefined {
    return this.file.plans.find((p) => p.id === id);
  }

  isOrderable(plan: PlanConfig): boolean {
    return plan.id !== this.file.free_plan && plan.prices.length > 0;
  }

  /** A plan's rank: its position in the catalog, which lists plans from the lowest to the highest. */
  rank(id: string): number {
    return this.file.plans.findIndex((p) => p.id === id);
  }

  /** Whether some orderable plan ranks above this one (false on the top plan). */
  canUpgradeFrom(id: string): boolean {
    const rank = this.rank(id);
    return this.file.plans.some((p, i) => i > rank && this.isOrderable(p));
  }

  /** A plan that may be ordered; anything else is Mintoken's 400 "Unsupported plan slug". */
  orderablePlan(id: string): PlanConfig {
    const plan = this.plan(id);
    if (!plan || !this.isOrderable(plan)) throw new AppError('validation_error', `Unsupported plan slug: "${id}" cannot be ordered`);
    return plan;
  }

  /**
   * The price that will be charged: an explicit provider if asked for, else the provider the routing
   * rule gives the customer's currency, else the first price of that interval.
   */
  chargePrice(plan: PlanConfig, interval: Interval, options: { provider?: ProviderName; currency?: string | null } = {}): PlanPriceConfig | undefined {
    const ofInterval = plan.prices.filter((p) => p.interval === interval);
    if (options.provider) {
      const ofProvider = ofInterval.filter((p) => p.provider === options.provider);
      return ofProvider.find((p) => p.currency === options.currency) ?? ofProvider[0];
    }
    const currency = options.currency ?? this.file.routing.default_currency;
    const routed = this.file.routing.currency_providers[currency];
    return ofInterval.find((p) => p.currency === currency && p.provider === routed) ?? ofInterval.find((p) => p.currency === currency) ?? ofInterval[0];
  }

  /**
   * `GET /v1/plans`' answer as text, made once per currency, language and trial offer (the catalog never
   * changes while the server runs). Bounded: any three capital letters are a currency to ask for, not to keep.
   */
  plansAnswer(currency: string | null, locale: string, trialUsed: boolean): string {
    const key = `${currency ?? ''}|${locale}|${trialUsed}`;
    let text = this.answerCache.get(key);
    if (text === undefined) {
      const plans = this.publicPlans(currency, locale);
      text = JSON.stringify({ plans: trialUsed ? plans.map((plan) => (plan.trial_days ? { ...plan, trial_days: 0 } : plan)) : plans, metrics: this.publicMetrics(locale) });
      if (this.answerCache.size < 256) this.answerCache.set(key, text);
    }
    return text;
  }

  publicPlans(currency?: string | null, locale = this.file.locale): PublicPlan[] {
    const key = `${currency ?? ''}|${locale}`;
    let cached = this.publicCache.get(key);
    if (!cached) this.publicCache.set(key, (cached = this.buildPublicPlans(currency, locale)));
    return cached;
  }

  private buildPublicPlans(currency: string | null | undefined, locale: string): PublicPlan[] {
    return this.file.plans.map((plan) => {
      const intervals = [...new Set(plan.prices.map((p) => p.interval))];
      const charge = intervals.map((i) => this.chargePrice(plan, i, { currency })).filter((p): p is PlanPriceConfig => Boolean(p));
      const t = plan.translations?.[locale];
      return {
        id: plan.id,
        name: t?.name ?? plan.name,
        description: t?.description ?? plan.description,
        features: plan.features.map((f) => t?.features?.[f.id] ?? f.label),
        feature_ids: plan.features.map((f) => f.id),
        limits: Object.fromEntries(this.metrics.map((m) => [m.id, m.id in plan.limits ? plan.limits[m.id] : null])),
        popular: plan.popular,
        // Only a provider that runs the subscription can give a trial; a Razorpay order charges at once (a recurring price may).
        trial_days: charge.some((p) => capabilitiesOf(p.provider, p.recurring)?.trials) ? plan.trial_days : 0,
        orderable: this.isOrderable(plan),
        prices: plan.prices.map((p) => publicPrice(this.file, p)),
        charge: charge.map((p) => publicPrice(this.file, p)),
      };
    });
  }
}

/** A price as GET /v1/plans shows it: its seats rule, and its tax on one unit for its currency's country (services/taxes.ts). */
function publicPrice(file: ConfigFile, p: PlanPriceConfig): Price {
  const rule = taxRuleOf(file, p, undefined);
  const { tax } = priceTax(p.amount, rule);
  return {
    provider: p.provider,
    currency: p.currency,
    amount: p.amount,
    interval: p.interval,
    ...(p.recurring ? { recurring: true as const } : {}),
    ...(p.per_unit ? { per_unit: true, min_quantity: p.min_quantity ?? 1, ...(p.max_quantity ? { max_quantity: p.max_quantity } : {}) } : {}),
    ...(tax ? { tax: { name: tax.name, rate: tax.rate, inclusive: tax.inclusive, amount: tax.amount, ...(tax.computed_by ? { computed_by: tax.computed_by } : {}) } } : {}),
  };
}
