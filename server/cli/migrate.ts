// `tollgate migrate`: open the store (PGlite in DATA_DIR, or PostgreSQL at DATABASE_URL), apply the migrations
// it lacks, say which, and close; a deploy runs it once before starting its instances.
import { storeLocation } from '../config.js';
import { MIGRATIONS } from '../store/migrations.js';
import { openAndMigrate } from '../store/index.js';
import { describeStore } from './describe.js';

export async function migrate(env: Record<string, string | undefined>, write: (text: string) => void): Promise<void> {
  const location = storeLocation(env);
  const { store, applied } = await openAndMigrate({ databaseUrl: location.databaseUrl, dataDir: location.databaseUrl ? undefined : location.dataDir });
  await store.close();
  const latest = MIGRATIONS[MIGRATIONS.length - 1];
  const lines = [`tollgate migrate: ${describeStore(location)}`];
  if (applied.length === 0) lines.push(`  up to date (migration ${latest.id}, ${latest.name})`);
  else lines.push(...applied.map((m) => `  applied ${m.id} ${m.name}`), `  ${applied.length} migration${applied.length > 1 ? 's' : ''} applied; now at ${latest.id} (${latest.name})`);
  write(lines.join('\n') + '\n');
}
