// The CLI's help: `tollgate --help` and `tollgate <command> --help`.

const ENVIRONMENT = `Environment (README "Configuration" has them all):
  PORT                     port to listen on (default 8787)
  HOST                     address to listen on (default 0.0.0.0, every interface, in live mode; 127.0.0.1, this machine only, in sandbox mode)
  TOLLGATE_PUBLIC_URL      where browsers reach the server, with its mount path if any (default http://localhost:$PORT)
  TOLLGATE_CONFIG          path of the JSON config file (plans, routing, providers, origins, limits)
  TOLLGATE_SANDBOX         1/0: simulate providers without credentials (default on unless NODE_ENV=production)
  TOLLGATE_API_KEY         your backend's key for POST /v1/sessions, /v1/usage and the admin routes
  TOLLGATE_SESSION_SECRET  secret of customer session tokens, at least 32 characters
  DATABASE_URL             PostgreSQL instead of PGlite (postgres://…)
  DATA_DIR                 PGlite data folder (default .data), one process at a time
  LOG_LEVEL                debug, info (default), warn, error
  RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET, STRIPE_SECRET_KEY, …: a provider's keys make it live
`;

export const COMMAND_USAGE = {
  start: `Usage: tollgate start [--help]        (in this repo: npm start)

Serves the API, the webhooks, the widgets' files and the demo pages, after applying any migrations the
store lacks. With no provider keys it runs in sandbox mode (simulated payments, no money moves) on an
embedded PGlite store, listening on 127.0.0.1 unless HOST is set. The default command.

${ENVIRONMENT}`,

  migrate: `Usage: tollgate migrate [--help]      (in this repo: npm start -- migrate)

Opens the store, applies the migrations it lacks, lists them (or says it is up to date) and exits. A
deploy runs it once before starting its instances; start applies them too, so it is never required.

Environment:
  DATABASE_URL             PostgreSQL (postgres://…); its database (and schema, if named) must exist
  DATA_DIR                 PGlite data folder (default .data), when DATABASE_URL is not set; not while a server has it
`,

  'check-config': `Usage: tollgate check-config [--help] (in this repo: npm start -- check-config)

Loads the config file and the environment as start would and builds every provider from its section and
secrets, without opening the store or listening. Prints what is live and what is simulated, the store,
the address, the public URL and the allowed origins. Exit code 1, with the field and the fix, on any
problem: an unreadable file, an unknown key, a bad value, a missing secret in live mode.

${ENVIRONMENT}`,
} as const;

export type Command = keyof typeof COMMAND_USAGE;

export const USAGE = `Usage: tollgate [command] [options]     (in this repo: npm start -- [command] [options])

Commands:
  start                    serve the API, the webhooks, the widgets and the demo (the default)
  migrate                  apply the store's migrations and exit (before starting several instances)
  check-config             check the config file and the environment, say what is live and simulated, and exit

Options:
  -h, --help               this text (tollgate <command> --help: that command's)
  -v, --version            the version

${ENVIRONMENT}`;
