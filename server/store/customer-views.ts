// What the read paths (GET /v1/entitlements, /v1/subscription, the API key's /v1/customers/{id} and
// /v1/check) need of a customer, in one statement and behind a bounded cache: the row, this period's usage,
// the providers that know the customer and the grants in force. A read never writes: a customer with no
// row yet reads as a new customer on the free plan.
import type { ActiveGrant } from '../billing.js';
import type { CustomerRow } from './customers.js';
import type { Store } from './index.js';

export interface CustomerView {
  customer: CustomerRow;
  /** This period's counters. */
  usage: { metric: string; used: number }[];
  /** Providers holding an upstream customer for this customer (provider_customers). */
  linked: string[];
  /** Manual grants in force when it was read (store/grants.ts), the soonest to end first. */
  grants: ActiveGrant[];
  /** The last change of a grant (made, revoked, or run out) by then; null with none. */
  grantsChangedAt: Date | null;
  /** False for a customer with no row yet (shown as new, on the free plan). */
  stored: boolean;
}

const VIEW_SQL = `
SELECT c.*,
  COALESCE((SELECT json_agg(json_build_object('metric', u.metric, 'used', u.used)) FROM usage_counters u WHERE u.customer_id = c.id AND u.period = $2), '[]'::json) AS view_usage,
  COALESCE((SELECT json_agg(p.provider) FROM provider_customers p WHERE p.customer_id = c.id), '[]'::json) AS view_linked,
  COALESCE((SELECT json_agg(json_build_object('id', g.id, 'plan', g.plan, 'until', g.until) ORDER BY g.until) FROM plan_grants g
    WHERE g.customer_id = c.id AND g.revoked_at IS NULL AND g.until > $3::timestamptz), '[]'::json) AS view_grants,
  (SELECT max(CASE WHEN LEAST(g.until, COALESCE(g.revoked_at, g.until)) <= $3::timestamptz THEN LEAST(g.until, COALESCE(g.revoked_at, g.until)) ELSE g.created_at END)
    FROM plan_grants g WHERE g.customer_id = c.id) AS view_grants_changed_at
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
  private readonly views = new Map<string, { view: CustomerView; readonly generation: number; readonly at: number; readonly endsAt: number }>();
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
  /** The reads in flight per view key: a noteUsage for the key marks them, as they may miss it, and they are not kept. */
  private readonly reading = new Map<string, Set<{ noted: boolean }>>();

  /**
   * A metered check's new count (consumeUsageBatched, whose writes leave writeGeneration alone): written into
   * the cached view, if there is one. Consumes only add within a period, so the larger count is the newer one
   * (corrections go through POST /v1/usage, which drops the views as every other write does).
   */
  noteUsage(customerId: string, period: string, metric: string, used: number): void {
    const key = `${customerId}\n${period}`;
    for (const read of this.reading.get(key) ?? []) read.noted = true;
    const cached = this.views.get(key);
    if (!cached) return;
    const known = cached.view.usage.find((u) => u.metric === metric);
    if (known && known.used >= used) return;
    const usage = known ? cached.view.usage.map((u) => (u.metric === metric ? { metric, used } : u)) : [...cached.view.usage, { metric, used }];
    cached.view = { ...cached.view, usage };
  }

  /** The customer's view in `period` as of `now` (which also decides which grants are in force). */
  async get(customer: { id: string; email?: string; name?: string }, period: string, now: Date = new Date()): Promise<CustomerView> {
    const key = `${customer.id}\n${period}`;
    const generation = this.store.writeGeneration;
    const cached = this.views.get(key);
    // A view holding a grant is kept no later than the grant's end: then it reads again and the grant is gone.
    if (cached && cached.generation === generation && this.clock() - cached.at < this.ttlMs && now.getTime() < cached.endsAt) {
      // Most recently read last: the Map's order is the eviction order.
      this.views.delete(key);
      this.views.set(key, cached);
      return cached.view;
    }
    const at = this.clock();
    const read = { noted: false };
    let reads = this.reading.get(key);
    if (!reads) this.reading.set(key, (reads = new Set()));
    reads.add(read);
    let row: ViewRow | undefined;
    try {
      [row] = await this.store.query<ViewRow>(VIEW_SQL, [customer.id, period, now]);
    } finally {
      reads.delete(read);
      if (reads.size === 0 && this.reading.get(key) === reads) this.reading.delete(key);
    }
    const view: CustomerView = row
      ? {
          customer: withoutViewColumns(row),
          usage: row.view_usage,
          linked: row.view_linked,
          grants: row.view_grants.map((g) => ({ id: g.id, plan: g.plan, until: new Date(g.until) })),
          grantsChangedAt: row.view_grants_changed_at ? new Date(row.view_grants_changed_at) : null,
          stored: true,
        }
      : { customer: newCustomer(customer, this.freePlan), usage: [], linked: [], grants: [], grantsChangedAt: null, stored: false };
    const endsAt = view.grants.length ? Math.min(...view.grants.map((g) => g.until.getTime())) : Number.POSITIVE_INFINITY;
    // Kept only if nothing was written while it was read (a write that finished meanwhile may not be in it).
    if (this.store.writeGeneration === generation && !read.noted) {
      this.views.delete(key);
      if (this.views.size >= CAPACITY) this.views.delete(this.views.keys().next().value!);
      this.views.set(key, { view, generation, at, endsAt });
    }
    return view;
  }
}

type ViewRow = CustomerRow & {
  view_usage: CustomerView['usage'];
  view_linked: string[];
  view_grants: { id: string; plan: string; until: string }[];
  view_grants_changed_at: Date | string | null;
};

function withoutViewColumns(row: ViewRow): CustomerRow {
  const { view_usage: _usage, view_linked: _linked, view_grants: _grants, view_grants_changed_at: _changed, ...customer } = row;
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
