// The plan_grants table: manual plans (support, promotions) a customer holds until `until`, each made and
// revoked in one transaction with its audit row in plan_changes (kind 'grant' / 'grant_revoke'). Which
// plan is in force with them is billing.ts effectivePlan; the read paths load them (store/customer-views.ts).
import { newId } from './checkouts.js';
import { ensureCustomer } from './customers.js';
import type { Store } from './index.js';

export interface GrantRow {
  id: string;
  customer_id: string;
  plan: string;
  until: Date;
  reason: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** Make a grant (and the customer, on the free plan, if new), audited; touches the customer's `updated_at`. */
export async function createGrant(store: Store, freePlan: string, input: { customerId: string; plan: string; until: Date; reason: string; now: Date }): Promise<GrantRow> {
  return store.transaction(async (tx) => {
    const customer = await ensureCustomer(tx, freePlan, { id: input.customerId });
    const [grant] = await tx.query<GrantRow>(
      'INSERT INTO plan_grants (id, customer_id, plan, until, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
      [newId('grant'), input.customerId, input.plan, input.until, input.reason, input.now],
    );
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, event_id, created_at) VALUES ($1, $2, $3, 'grant', 'grant', $4, $5)`,
      [input.customerId, customer.plan, input.plan, grant.id, input.now],
    );
    await tx.query('UPDATE customers SET updated_at = $2 WHERE id = $1', [input.customerId, input.now]);
    return grant;
  });
}

/**
 * Revoke a grant of this customer: null when there is none. Revoking again answers the same and audits
 * nothing more (the UPDATE matches a grant not yet revoked only).
 */
export async function revokeGrant(store: Store, input: { customerId: string; grantId: string; now: Date }): Promise<GrantRow | null> {
  return store.transaction(async (tx) => {
    const [revoked] = await tx.query<GrantRow>(
      'UPDATE plan_grants SET revoked_at = $3 WHERE id = $1 AND customer_id = $2 AND revoked_at IS NULL RETURNING *',
      [input.grantId, input.customerId, input.now],
    );
    if (!revoked) {
      const [existing] = await tx.query<GrantRow>('SELECT * FROM plan_grants WHERE id = $1 AND customer_id = $2', [input.grantId, input.customerId]);
      return existing ?? null;
    }
    const [customer] = await tx.query<{ plan: string }>('SELECT plan FROM customers WHERE id = $1', [input.customerId]);
    await tx.query(
      `INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, event_id, created_at) VALUES ($1, $2, $3, 'grant_revoke', 'grant_revoke', $4, $5)`,
      [input.customerId, revoked.plan, customer.plan, revoked.id, input.now],
    );
    await tx.query('UPDATE customers SET updated_at = $2 WHERE id = $1', [input.customerId, input.now]);
    return revoked;
  });
}
