// One process per PGlite data folder: a lock file in DATA_DIR, created atomically, naming its process and
// found stale when that process is gone, so a second `npm start` refuses and a kill -9 blocks nothing.
// PGlite is PostgreSQL inside one process with no guard of its own: two processes on one folder each
// think they own its files, and the writes one of them acknowledged are lost to the other.
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'tollgate.lock';
/** The holder touches its lock this often; a lock of another host that has not been touched for {@link FOREIGN_STALE_MS} is stale. */
const HEARTBEAT_MS = 10_000;
const FOREIGN_STALE_MS = 60_000;

interface Holder {
  pid: number;
  host: string;
  started_at: string;
  /** The process's start time in clock ticks since boot (Linux /proc), so a reused pid is not mistaken for the holder. */
  proc_start?: string | null;
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Folders this process holds: opening one twice in one process is refused too. */
const held = new Set<string>();

/** Field 22 of /proc/<pid>/stat (starttime), or null where there is no /proc. */
function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

function readHolder(path: string): { raw: string; holder: Holder | null } | null {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return null; // gone meanwhile
  }
  try {
    const holder = JSON.parse(raw) as Holder;
    return { raw, holder: Number.isInteger(holder.pid) && typeof holder.host === 'string' ? holder : null };
  } catch {
    return { raw, holder: null };
  }
}

/** Whether the lock's process is gone: on this host, its pid is dead or now another process; elsewhere, it stopped touching the lock. */
function isStale(path: string, holder: Holder | null): boolean {
  if (!holder) return true; // not written by us: the lock is created whole (link), so this is debris
  if (holder.host === hostname()) {
    if (holder.pid === process.pid) return true; // not us (we hold it in `held`): a reused pid, e.g. pid 1 of a restarted container
    if (!alive(holder.pid)) return true;
    const start = procStart(holder.pid);
    return Boolean(holder.proc_start && start && start !== holder.proc_start);
  }
  try {
    return Date.now() - statSync(path).mtimeMs > FOREIGN_STALE_MS;
  } catch {
    return true;
  }
}

function inUseMessage(dir: string, holder: Holder): string {
  const other = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
  return (
    `DATA_DIR ${dir} is in use by another Tollgate process (${other}, started ${holder.started_at}); ` +
    `PGlite allows one process per data folder: stop that process first, or give this one another DATA_DIR (or use DATABASE_URL to share a PostgreSQL)`
  );
}

/**
 * Lock `dir` for this process, or throw an Error naming the folder and the process that holds it. A lock
 * whose process is gone (kill -9, a crash) is taken over. Release it when the store closes; it is also
 * removed when the process exits.
 */
export function lockDataDir(dir: string): DataDirLock {
  const folder = resolve(dir);
  const path = join(folder, LOCK_FILE);
  if (held.has(folder)) throw new Error(`DATA_DIR ${folder} is already open in this process (pid ${process.pid}); close that store first`);
  const mine: Holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString(), proc_start: procStart(process.pid) };
  const text = JSON.stringify(mine) + '\n';
  // Write the whole lock under a private name, then link it into place: link(2) fails if the lock exists,
  // atomically, and a reader never sees a half-written lock.
  const draft = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(draft, text);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(draft, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const found = readHolder(path);
      if (found && !isStale(path, found.holder)) throw new Error(inUseMessage(folder, found.holder!));
      if (attempt >= 3) throw new Error(`DATA_DIR ${folder}: could not take over the stale lock ${path}; remove it if no Tollgate process uses this folder`);
      if (found) removeStale(path, found.raw);
    }
  } finally {
    unlinkSync(draft);
  }
  held.add(folder);

  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // the folder went away; nothing to keep fresh
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.removeListener('exit', release);
    held.delete(folder);
    // Only our own lock: never remove one another process took over meanwhile.
    if (readHolder(path)?.raw === text) unlinkSync(path);
  };
  process.on('exit', release);
  return { path, release };
}

/**
 * Remove a stale lock, unless another starter replaced it since it was read: move it aside, and if what
 * was moved is not the stale lock, put it back.
 */
function removeStale(path: string, staleRaw: string): void {
  const aside = `${path}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // already gone
  }
  if (readHolder(aside)?.raw !== staleRaw) {
    try {
      linkSync(aside, path);
    } catch {
      // a third process locked meanwhile: its lock stands, and ours will be refused
    }
  }
  unlinkSync(aside);
}
