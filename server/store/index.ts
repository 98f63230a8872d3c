// The SQL store: PGlite (PostgreSQL in WASM, on disk) by default, PostgreSQL when DATABASE_URL is set.
// Same dialect, same migrations and queries on both.
import { mkdirSync } from 'node:fs';
import { lockDataDir } from './lock.js';
import { MIGRATIONS } from './migrations.js';

export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Run a script of several statements, without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Store extends Sql {
  readonly engine: 'pglite' | 'postgres';
  /**
   * Bumped once a write to what a customer's reads show (customers, usage_counters, provider_customers, plan_grants)
   * has finished in this process: after a statement's answer, after a transaction's commit or rollback.
   * Read caches (store/customer-views.ts) drop what they read before it.
   */
  readonly writeGeneration: number;
  /**
   * Call `listener` once a write that may queue partner events (customers, checkouts, plan_changes, our
   * functions: store/outbox.ts's triggers) has finished in this process, after its commit; returns the unwatch.
   */
  watchWrites?(listener: () => void): () => void;
  /** Run fn in one transaction; concurrent transactions on PostgreSQL are retried on serialization failures. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * The same store without the write tracking: its writes leave writeGeneration as it is. Only for a writer
   * that brings the read caches up to date itself (consumeUsage, whose new count CustomerViews.noteUsage
   * writes into the cached view), so a metered check does not drop every cached view.
   */
  readonly untracked?: Pick<Store, 'query'>;
  close(): Promise<void>;
}

/** The end of the year 9999, in ms since the epoch: timestamps from upstreams beyond it are no time. */
const LAST_STORABLE_MS = 253_402_300_800_000;

/** `ms` as a Date the store can hold (the years 1970–9999), else null (NaN, 1e308, the year −200000…). */
export function storableDate(ms: number): Date | null {
  return Number.isFinite(ms) && ms >= 0 && ms < LAST_STORABLE_MS ? new Date(ms) : null;
}

export interface StoreOptions {
  /** postgres://… — use PostgreSQL. */
  databaseUrl?: string;
  /** PGlite data folder; omit for an in-memory database. Locked for this process while open (store/lock.ts). */
  dataDir?: string;
  /** PostgreSQL schema to use (tests isolate themselves in one); created when missing. */
  schema?: string;
  /** A PGlite data dump to start from (tests clone a migrated template instead of migrating again). */
  loadDataDir?: Blob;
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  return (await openAndMigrate(options)).store;
}

/** A migration, as `schema_migrations` lists it. */
export type MigrationName = { id: number; name: string };

/** Open the store and say which migrations this opening applied (none: it was up to date); `tollgate migrate` prints them. */
export async function openAndMigrate(options: StoreOptions = {}): Promise<{ store: Store; applied: MigrationName[] }> {
  const store = trackWrites(options.databaseUrl ? await openPostgres(options.databaseUrl, options.schema) : await openPglite(options));
  const applied = await migrate(store);
  return { store, applied };
}

/** A statement that writes a table a customer's reads show, or calls one of our functions (migration 8), which do. */
const WRITES_CUSTOMER_STATE = /^\s*(?:INSERT|UPDATE|DELETE|WITH)\b[\s\S]*\b(?:customers|usage_counters|provider_customers|plan_grants)\b|\btollgate_\w+\(/i;

/** A statement that may queue partner events (migration 13's triggers), or calls one of our functions. */
const MAY_QUEUE_EVENTS = /^\s*(?:INSERT|UPDATE|WITH)\b[\s\S]*\b(?:customers|checkouts|plan_changes)\b|\btollgate_\w+\(/i;

/** The engine's store with its writeGeneration and write listeners kept (see Store). */
function trackWrites(engine: Omit<Store, 'writeGeneration' | 'watchWrites'>): Store {
  let generation = 0;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  const watch = (sql: Sql, onWrite: () => void, onEvents: () => void): Sql => ({
    query: async <T>(text: string, params?: unknown[]) => {
      const write = WRITES_CUSTOMER_STATE.test(text);
      const events = listeners.size > 0 && MAY_QUEUE_EVENTS.test(text);
      try {
        return await sql.query<T>(text, params);
      } finally {
        if (write) onWrite();
        if (events) onEvents();
      }
    },
    exec: async (script: string) => {
      try {
        await sql.exec(script);
      } finally {
        onWrite();
      }
    },
  });
  const store = Object.create(engine) as Store;
  Object.defineProperty(store, 'writeGeneration', { get: () => generation });
  const direct = watch(engine, () => generation++, notify);
  store.query = direct.query;
  store.exec = direct.exec;
  Object.defineProperty(store, 'untracked', { value: { query: engine.query.bind(engine) } });
  store.watchWrites = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  store.transaction = async <T>(fn: (tx: Sql) => Promise<T>) => {
    let wrote = false;
    let events = false;
    try {
      return await engine.transaction((tx) => fn(watch(tx, () => (wrote = true), () => (events = true))));
    } finally {
      if (wrote) generation++;
      if (events) notify();
    }
  };
  return store;
}

async function openPglite(options: StoreOptions): Promise<Omit<Store, 'writeGeneration' | 'watchWrites'>> {
  // PGlite's CommonJS build, by require: through tsx's ESM loader its 800 KB bundle costs ~½ s and ~45 MB at start
  // (tsx rewrites each dynamic import() with a full source map), and Node reading PGlite's own source maps
  // another 50–200 ms; by require, with source maps off for this one synchronous load, ~30 ms (bench/startup.ts).
  const [{ createRequire }, { existsSync }, { join }] = await Promise.all([import('node:module'), import('node:fs'), import('node:path')]);
  const require = createRequire(import.meta.url);
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  let pglite: typeof import('@electric-sql/pglite');
  try {
    pglite = require('@electric-sql/pglite');
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
  }
  const { PGlite } = pglite;
  // shared_buffers is PostgreSQL's page cache, and PGlite's default (128 MB, all of it touched at start) was most of
  // the server's idle memory; 16 MB holds a Tollgate store many times over and the OS caches the files beneath it.
  // It changes no durability setting: a commit is written out (WAL) before it returns, as before.
  const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // One process per folder: a second one refuses here, naming the folder and the process that has it.
  const lock = options.dataDir ? lockDataDir(options.dataDir) : undefined;
  let db: InstanceType<typeof PGlite>;
  try {
    // A new folder: PGlite's initdb runs a second PostgreSQL and a tar of its files in the heap of the process that
    // asks (~900 MB at its peak, ~400 MB kept long after, even from a worker thread); made by a short-lived node
    // process instead, all of it goes back to the system when that exits, and this one opens an existing folder.
    if (options.dataDir && !options.loadDataDir && !existsSync(join(options.dataDir, 'PG_VERSION'))) {
      const { execFile } = await import('node:child_process');
      const init = `const [pglite, dataDir, startParams] = process.argv.slice(1);
        require(pglite).PGlite.create(dataDir, { startParams: JSON.parse(startParams) }).then((db) => db.close());`;
      await new Promise<void>((done, fail) =>
        execFile(process.execPath, ['-e', init, '--', require.resolve('@electric-sql/pglite'), options.dataDir!, JSON.stringify(startParams)], (err, _stdout, stderr) =>
          err ? fail(new Error(`PGlite's initdb in ${options.dataDir} failed: ${stderr.trim() || err.message}`)) : done(),
        ),
      );
    }
    db = await PGlite.create(options.dataDir, { startParams, ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}) });
  } catch (err) {
    lock?.release();
    throw err;
  }
  return {
    engine: 'pglite',
    async query<T>(text: string, params?: unknown[]) {
      return (await db.query<T>(text, params)).rows;
    },
    async exec(script: string) {
      await db.exec(script);
    },
    // PGlite runs one transaction at a time (an internal mutex), so there are no serialization failures here.
    transaction<T>(fn: (tx: Sql) => Promise<T>) {
      return db.transaction((tx) =>
        fn({
          query: async <R>(text: string, params?: unknown[]) => (await tx.query<R>(text, params)).rows,
          exec: async (script: string) => void (await tx.exec(script)),
        }),
      );
    },
    async close() {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
    // Tests use this to clone a migrated database.
    dumpDataDir: () => db.dumpDataDir('none'),
  } as Omit<Store, 'writeGeneration' | 'watchWrites'>;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** How many distinct statements are kept prepared on each connection; past that they are sent unnamed. */
const PREPARED_LIMIT = 500;

/**
 * Every statement sent as a named prepared statement: PostgreSQL parses and plans it once per connection,
 * and each later call is one Bind/Execute (pg keeps the per-connection list). The name is the statement's
 * number in order of first use, so one text always has one name.
 */
function preparedStatements() {
  const names = new Map<string, string>();
  return (text: string, values?: unknown[]) => {
    let name = names.get(text);
    if (name === undefined && names.size < PREPARED_LIMIT) names.set(text, (name = `tollgate_${names.size + 1}`));
    return name === undefined ? { text, values } : { name, text, values };
  };
}

async function openPostgres(url: string, schema?: string): Promise<Omit<Store, 'writeGeneration' | 'watchWrites'>> {
  const pg = (await import('pg')).default;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const statement = preparedStatements();
  return {
    engine: 'postgres',
    async query<T>(text: string, params?: unknown[]) {
      return (await pool.query(statement(text, params))).rows as T[];
    },
    async exec(script: string) {
      await pool.query(script);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>) {
      for (let attempt = 0; ; attempt++) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn({
            query: async <R>(text: string, params?: unknown[]) => (await client.query(statement(text, params))).rows as R[],
            exec: async (script: string) => void (await client.query(script)),
          });
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          if (attempt < 5 && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
          throw err;
        } finally {
          client.release();
        }
      }
    },
    async close() {
      await pool.end();
    },
  };
}

async function migrate(store: Store): Promise<MigrationName[]> {
  return store.transaction(async (tx) => {
    // Several server instances may start together on one PostgreSQL: one migrates, the others wait.
    if (store.engine === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(72616)');
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await tx.query<{ id: number }>('SELECT id FROM schema_migrations')).map((r) => r.id));
    const applied: MigrationName[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      applied.push({ id: m.id, name: m.name });
    }
    return applied;
  });
}
