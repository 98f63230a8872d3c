// The HTTP bench's child processes (Tollgate, the baselines, the peer): a free port each, readiness by polling
// a URL, and a kill of every child on any exit of the bench (done, error, Ctrl-C) so none is ever left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { httpSend } from './load.js';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

const running = new Set<ChildProcess>();
const killAll = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.once('exit', killAll);

/** Clean-ups (temporary folders, bench schemas) run last in first out by {@link cleanUp}, also on Ctrl-C. */
const cleanups: (() => unknown)[] = [];
export function onCleanUp(fn: () => unknown): void {
  cleanups.push(fn);
}
let cleaning: Promise<void> | undefined;
/** Kill the children that still run and run the clean-ups, once: a second call (Ctrl-C during the first) waits for the first. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    killAll();
    while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch((err) => process.stderr.write(`bench: clean-up failed: ${err}\n`));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}: stopping the children and cleaning up\n`);
    const timer = setTimeout(() => process.exit(130), 10_000);
    void cleanUp().finally(() => (clearTimeout(timer), process.exit(130)));
  });
}

/** A port nothing listens on now (the OS's pick, released at once for the child to take). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface Child {
  name: string;
  url: string;
  pid: number;
  /** The last few KB of its stderr, for failure messages. */
  stderr(): string;
  /** How it ended (`exit code 0`, `signal SIGTERM`) if it has, else undefined. */
  ended(): string | undefined;
  stop(): Promise<void>;
}

/**
 * `node --import tsx <script> ...args` from the repo root with `env` over this process's environment; stdout is
 * dropped (a server logging at info writes a line per request: reading it would load the bench, not the server),
 * stderr kept for errors. Resolves once GET `readyPath` answers 200.
 */
export async function startChild(name: string, script: string, args: string[], env: Record<string, string | undefined>, readyPath = '/healthz', timeoutMs = 120_000, nodeArgs = ['--import', 'tsx']): Promise<Child> {
  const port = Number(env.PORT ?? (await freePort()));
  // An undefined value removes the variable (a provider's credentials, DATABASE_URL) from what the child inherits.
  const childEnv = Object.fromEntries(Object.entries({ ...process.env, ...env, PORT: String(port) }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-8192)));
  let gone = false;
  let how: string | undefined;
  const exited = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      gone = true;
      how = signal ? `signal ${signal}` : `exit code ${code}`;
      done();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`${name} exited before it was ready:\n${stderr}`);
    const ok = (await httpSend(url, { method: 'GET', path: readyPath })).status === 200;
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    url,
    pid: child.pid!,
    stderr: () => stderr,
    ended: () => how,
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
