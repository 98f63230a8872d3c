// What the read paths (GET /v1/entitlements, /v1/subscription) need of a customer, in one statement and
// behind a bounded cache: the row, this period's usage and the providers that know the customer. A read
// never writes: a customer with no row yet reads as a new customer on the free plan.
import type { CustomerRow } from './customers.js';
import type { Store } from './index.js';

export interface CustomerView {
  customer: CustomerRow;
  /** This period's counters. */
  usage: { metric: string; used: number }[];
  /** Providers holding an upstream customer for this customer (provider_customers). */
  linked: string[];
  /** False for a customer with no row yet (shown as new, on the free plan). */
  stored: boolean;
}

const VIEW_SQL = `
SELECT c.*,
  COALESCE((SELECT json_agg(json_build_object('metric', u.metric, 'used', u.used)) FROM usage_counters u WHERE u.customer_id = c.id AND u.period = $2), '[]'::json) AS view_usage,
  COALESCE((SELECT json_agg(p.provider) FROM provider_customers p WHERE p.customer_id = c.id), '[]'::json) AS view_linked
FROM customers c WHERE c.id = $1`;

/** How many customers' views are kept; the least recently read goes first. */
const CAPACITY = 10_000;

/**
 * How long a cached view is trusted. Every write made through this process's store drops the views read
 * before it (Store.writeGeneration), so on PGlite, which one process owns, a view is never stale. On
 * PostgreSQL another instance may write: its change shows here within this time.
 */
export const SHARED_STORE_STALENESS_MS = 1_000;

export class CustomerViews {
  private readonly views = new Map<string, { view: CustomerView; generation: number; at: number }>();
  private readonly ttlMs: number;

  constructor(
    private readonly store: Store,
    private readonly freePlan: string,
    options: { ttlMs?: number; clock?: () => number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? (store.engine === 'postgres' ? SHARED_STORE_STALENESS_MS : Number.POSITIVE_INFINITY);
    this.clock = options.clock ?? performance.now.bind(performance);
  }

  private readonly clock: () => number;

  async get(customer: { id: string; email?: string; name?: string }, period: string): Promise<CustomerView> {
    const key = `${customer.id}\n${period}`;
    const generation = this.store.writeGeneration;
    const cached = this.views.get(key);
    if (cached && cached.generation === generation && this.clock() - cached.at < this.ttlMs) {
      // Most recently read last: the Map's order is the eviction order.
      this.views.delete(key);
      this.views.set(key, cached);
      return cached.view;
    }
    const at = this.clock();
    const [row] = await this.store.query<CustomerRow & { view_usage: CustomerView['usage']; view_linked: string[] }>(VIEW_SQL, [customer.id, period]);
    const view: CustomerView = row
      ? { customer: withoutViewColumns(row), usage: row.view_usage, linked: row.view_linked, stored: true }
      : { customer: newCustomer(customer, this.freePlan), usage: [], linked: [], stored: false };
    // Kept only if nothing was written while it was read (a write that finished meanwhile may not be in it).
    if (this.store.writeGeneration === generation) {
      this.views.delete(key);
      if (this.views.size >= CAPACITY) this.views.delete(this.views.keys().next().value!);
      this.views.set(key, { view, generation, at });
    }
    return view;
  }
}

function withoutViewColumns(row: CustomerRow & { view_usage?: unknown; view_linked?: unknown }): CustomerRow {
  const { view_usage: _usage, view_linked: _linked, ...customer } = row;
  return customer;
}

/** A customer not yet stored, as ensureCustomer() would create them. */
function newCustomer(customer: { id: string; email?: string; name?: string }, freePlan: string): CustomerRow {
  const epoch = new Date(0);
  return {
    id: customer.id,
    email: customer.email ?? null,
    name: customer.name ?? null,
    contact: null,
    currency: null,
    plan: freePlan,
    status: 'active',
    cancel_at_period_end: false,
    current_period_end: null,
    billing_provider: null,
    state_at: null,
    plan_interval: null,
    created_at: epoch,
    updated_at: epoch,
  };
}
