// Per-customer MimicBot tokens in SQL, encrypted at rest (AES-256-GCM, key derived from the session
// secret) so a database dump does not hand out upstream credentials. The table: migration 3.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Sql, Store } from '../../store/index.js';

export class MimicbotTokenStore {
  private readonly key: Buffer;

  constructor(
    private readonly store: Store,
    sessionSecret: Uint8Array,
  ) {
    this.key = createHash('sha256').update('tollgate mimicbot token v1\n').update(sessionSecret).digest();
  }

  private encrypt(token: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
  }

  private decrypt(stored: string): string | null {
    try {
      const raw = Buffer.from(stored, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return null; // the session secret changed since it was stored: the token must be set again
    }
  }

  async get(customerId: string, sql: Sql = this.store): Promise<string | null> {
    const [row] = await sql.query<{ token_ciphertext: string }>('SELECT token_ciphertext FROM mimicbot_tokens WHERE customer_id = $1', [customerId]);
    return row ? this.decrypt(row.token_ciphertext) : null;
  }

  async set(customerId: string, token: string): Promise<void> {
    await this.store.query(
      `INSERT INTO mimicbot_tokens (customer_id, token_ciphertext, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (customer_id) DO UPDATE SET token_ciphertext = EXCLUDED.token_ciphertext, updated_at = now()`,
      [customerId, this.encrypt(token)],
    );
  }

  async remove(customerId: string): Promise<boolean> {
    const rows = await this.store.query('DELETE FROM mimicbot_tokens WHERE customer_id = $1 RETURNING customer_id', [customerId]);
    return rows.length > 0;
  }
}
