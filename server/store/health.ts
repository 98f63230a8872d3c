// Whether the store answers (for /healthz).
import type { Sql } from './index.js';

export async function storeReachable(sql: Sql): Promise<boolean> {
  try {
    await sql.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
