// The `tollgate` command (and `npm start`): `start` (the default), `migrate`, `check-config`, `--help`, `--version`.
// A configuration problem exits 1 with the field and the fix; a wrong argument exits 2 and nothing starts.
import { ConfigError, levenshtein } from './config.js';
import { COMMAND_USAGE, USAGE, type Command } from './cli/usage.js';
import { packageVersion } from './cli/version.js';

type Run = (env: NodeJS.ProcessEnv, write: (text: string) => void) => Promise<void>;

/** Each command's module is loaded when it runs: `--help` and `migrate` do not load the app and its providers. */
const COMMANDS: Record<Command, { load: () => Promise<Run>; failed: string }> = {
  start: { load: async () => (await import('./cli/start.js')).start, failed: 'failed to start' },
  migrate: { load: async () => (await import('./cli/migrate.js')).migrate, failed: 'migration failed' },
  'check-config': { load: async () => (await import('./cli/check-config.js')).checkConfig, failed: 'could not check the configuration' },
};
const NAMES = Object.keys(COMMANDS) as Command[];

const isCommand = (arg: string): arg is Command => (NAMES as string[]).includes(arg);

type Invocation = { command: Command; help: boolean; version: boolean } | { error: string };

/** One optional command first, then `--help` / `--version`; anything else is an error (exit 2). */
function parseArguments(args: readonly string[]): Invocation {
  let command: Command | undefined;
  let help = false;
  let version = false;
  for (const [i, arg] of args.entries()) {
    if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '-v' || arg === '--version') version = true;
    else if (i === 0 && isCommand(arg)) command = arg;
    else if (i === 0 && !arg.startsWith('-')) {
      const closest = [...NAMES].sort((a, b) => levenshtein(arg, a) - levenshtein(arg, b))[0];
      return { error: `unknown command ${JSON.stringify(arg)}${levenshtein(arg, closest) <= 3 ? ` (did you mean "${closest}"?)` : ''}; the commands are ${NAMES.join(', ')} (see --help)` };
    } else return { error: `unknown argument ${JSON.stringify(arg)}; the server is configured by the environment (see ${command ? `tollgate ${command} --help` : '--help'})` };
  }
  return { command: command ?? 'start', help, version };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const invocation = parseArguments(args);
  const write = (text: string) => process.stdout.write(text);
  if ('error' in invocation) {
    process.stderr.write(`tollgate: ${invocation.error}\n`);
    process.exit(2);
  }
  if (invocation.help) {
    write(args[0] === invocation.command ? COMMAND_USAGE[invocation.command] : USAGE);
    process.exit(0);
  }
  if (invocation.version) {
    write(`tollgate ${packageVersion()}\n`);
    process.exit(0);
  }
  const command = COMMANDS[invocation.command];
  try {
    await (await command.load())(process.env, write);
  } catch (err) {
    // A configuration problem is the operator's to fix: say what and how, without a stack.
    if (err instanceof ConfigError) process.stderr.write(`tollgate: configuration error\n${err.message}\n`);
    else process.stderr.write(`tollgate: ${command.failed}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  // migrate and check-config are done; start keeps serving until a signal.
  if (invocation.command !== 'start') process.exit(0);
}

void main();
