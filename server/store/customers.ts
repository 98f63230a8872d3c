// The customers table and the links to upstream customers (provider_customers): reads and every write.
import type { Interval, SubscriptionStatus } from '../../src/contract/index.js';
import type { Sql } from './index.js';

export interface CustomerRow {
  id: string;
  email: string | null;
  name: string | null;
  contact: string | null;
  currency: string | null;
  plan: string;
  status: SubscriptionStatus;
  cancel_at_period_end: boolean;
  current_period_end: Date | null;
  billing_provider: string | null;
  state_at: Date | null;
  /** The billing interval of the plan in force, where known. */
  plan_interval: Interval | null;
  /** The provider's subscription id when the plan in force is a subscription there that one provider name also sells as orders (Razorpay; migration 16). */
  subscription_id?: string | null;
  /** When that subscription became unpaid (Razorpay `halted`): the grace period counts from here (migration 16). */
  unpaid_since?: Date | null;
  /** The seats of the paid per-seat checkout in force (migration 21): the `seats` limit; null, the plan's. */
  seats?: number | null;
  created_at: Date;
  updated_at: Date;
}

/** Create the customer on first use, on the free plan; later calls refresh email/name when given. */
export async function ensureCustomer(sql: Sql, freePlan: string, customer: { id: string; email?: string; name?: string; contact?: string; currency?: string }): Promise<CustomerRow> {
  // Reads are the common case (every widget load): no write unless something is new.
  const [existing] = await sql.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [customer.id]);
  if (
    existing &&
    (customer.email === undefined || customer.email === existing.email) &&
    (customer.name === undefined || customer.name === existing.name) &&
    (customer.contact === undefined || customer.contact === existing.contact) &&
    (customer.currency === undefined || customer.currency === existing.currency)
  ) {
    return existing;
  }
  const [row] = await sql.query<CustomerRow>(
    `INSERT INTO customers (id, email, name, contact, currency, plan) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET
       email = COALESCE(EXCLUDED.email, customers.email),
       name = COALESCE(EXCLUDED.name, customers.name),
       contact = COALESCE(EXCLUDED.contact, customers.contact),
       currency = COALESCE(EXCLUDED.currency, customers.currency)
     RETURNING *`,
    [customer.id, customer.email ?? null, customer.name ?? null, customer.contact ?? null, customer.currency ?? null, freePlan],
  );
  return row;
}

/**
 * Whether the customer has had a subscription before (a paid or refunded recurring checkout, a trial
 * included): trials are for first-time subscribers, so such a customer is offered none.
 */
export const SUBSCRIBED_BEFORE_SQL = "EXISTS (SELECT 1 FROM checkouts k WHERE k.customer_id = customers.id AND k.status IN ('paid', 'refunded') AND k.interval <> 'once')";

export async function subscribedBefore(sql: Sql, customerId: string): Promise<boolean> {
  const [row] = await sql.query<{ before: boolean }>(`SELECT ${SUBSCRIBED_BEFORE_SQL} AS before FROM customers WHERE id = $1`, [customerId]);
  return Boolean(row?.before);
}

/** What the plan list needs of a signed-in customer: their currency, and whether they have subscribed before. */
export async function offerContext(sql: Sql, customerId: string): Promise<{ currency: string | null; subscribedBefore: boolean }> {
  const [row] = await sql.query<{ currency: string | null; subscribed_before: boolean }>(`SELECT currency, ${SUBSCRIBED_BEFORE_SQL} AS subscribed_before FROM customers WHERE id = $1`, [customerId]);
  return { currency: row?.currency ?? null, subscribedBefore: Boolean(row?.subscribed_before) };
}

/** The upstream customer id (Stripe `cus_…`, MimicBot agency…) of one of our customers, if any. */
export async function providerCustomerId(sql: Sql, provider: string, customerId: string): Promise<string | null> {
  const [row] = await sql.query<{ external_id: string }>('SELECT external_id FROM provider_customers WHERE provider = $1 AND customer_id = $2', [provider, customerId]);
  return row?.external_id ?? null;
}

/** Our customer for an upstream customer id. */
export async function customerForProviderId(sql: Sql, provider: string, externalId: string): Promise<string | null> {
  const [row] = await sql.query<{ customer_id: string }>('SELECT customer_id FROM provider_customers WHERE provider = $1 AND external_id = $2', [provider, externalId]);
  return row?.customer_id ?? null;
}

/**
 * Link an upstream customer id once. Returns the id that won: when two requests race to create one,
 * the first link stays and the caller of the second learns it (and may discard its own upstream customer).
 */
export async function linkProviderCustomer(sql: Sql, provider: string, customerId: string, externalId: string): Promise<string> {
  await sql.query('INSERT INTO provider_customers (provider, customer_id, external_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [provider, customerId, externalId]);
  return (await providerCustomerId(sql, provider, customerId))!;
}
