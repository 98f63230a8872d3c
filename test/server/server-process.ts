// The real server as a child process (`node --import tsx server/cli.ts`, PORT=0) for the tests that start
// it twice on one data folder, kill it with SIGKILL and restart it: the PGlite lock and the crash test.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

export interface ServerProcess {
  url: string;
  pid: number;
  /** Everything it wrote, stdout and stderr, for failure messages. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Send `signal` and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The environment of a child server: this one's, minus provider credentials, config and DATABASE_URL, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(out)) {
    if (/^(RAZORPAY|STRIPE|MINTBOT|MIMICBOT|MINTOKEN|BONZAI|SUPABASE)_/.test(key) || ['TOLLGATE_CONFIG', 'TOLLGATE_SANDBOX', 'DATABASE_URL', 'DATA_DIR'].includes(key)) delete out[key];
  }
  return { ...out, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', ...env };
}

function launch(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let log = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts'], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  // Safety net: never leave a server behind if the test process dies first.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      done(code);
    }),
  );
  return { child, output: () => log, exited };
}

/** Start the server and wait until it prints its start-up line (it is listening then); reject if it exits first. */
export async function spawnServer(env: Record<string, string>, timeoutMs = 90_000): Promise<ServerProcess> {
  const { child, output, exited } = launch(env);
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  while (port === undefined) {
    const match = /Tollgate is running on \S+ +\(port (\d+),/.exec(output());
    if (match) port = Number(match[1]);
    else if (gone) throw new Error(`the server exited before it started:\n${output()}`);
    else if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not start within ${timeoutMs} ms:\n${output()}`);
    }
    else await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (!gone) child.kill(signal);
      await exited;
    },
  };
}

/** Run the server expecting it to refuse to start: its exit code and output; `started` when it started after all (it is killed then). */
export async function refusedStart(env: Record<string, string>, timeoutMs = 90_000): Promise<{ code: number | null; started: boolean; output: string }> {
  const { child, output, exited } = launch(env);
  let started = false;
  const watch = setInterval(() => {
    if (output().includes('Tollgate is running on')) {
      started = true;
      child.kill('SIGKILL');
    }
  }, 25);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearInterval(watch);
  clearTimeout(timer);
  return { code, started, output: output() };
}
