// The OpenAPI 3.1 document of the server, made from the route table (table.ts) and the contract's zod schemas
// (zod's own JSON Schema output): served at GET /openapi.json and written to dist/openapi.json by the build.
import { z } from 'zod';
import * as contract from '../../src/contract/index.js';
import { ERROR_CODES, ErrorEnvelope, type ErrorCode } from '../../src/contract/index.js';
import { packageVersion } from '../cli/version.js';
import { STATUS_OF } from '../errors.js';
import { ID_PARAMS, PATH_PARAMS, ROUTES, type RouteSpec } from './table.js';

type Json = Record<string, unknown>;

const REF = '#/components/schemas/';

/** The error envelope with its code enum, the component every error answer refers to. */
const ErrorSchema = ErrorEnvelope.extend({ error: ErrorEnvelope.shape.error.extend({ code: z.enum(ERROR_CODES) }) });

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 303: 'See Other', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout',
  409: 'Conflict', 413: 'Content Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

const TAGS: Record<RouteSpec['tag'], string> = {
  Meta: 'Health and this document',
  Catalog: 'The plans on sale',
  Sessions: 'Customer sessions, minted by the partner’s backend',
  Checkout: 'Checkouts, hand-offs and payment verification (the widgets’ calls)',
  Account: 'The signed-in customer’s own state',
  Partner: 'The partner’s backend (API key): customers, checks, usage, grants',
  Admin: 'Provider-specific routes for the partner’s backend (API key), registered when the provider is configured',
  Webhooks: 'Providers’ signed webhooks (not authenticated: the signature is checked over the raw body)',
  Sandbox: 'Sandbox only (TOLLGATE_SANDBOX=1): simulated provider pages and the demo session',
  Pages: 'Pages for the customer’s browser',
};

/** `/v1/checkout/:id` → `/v1/checkout/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function pascal(text: string): string {
  return text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep, ch: string) => ch.toUpperCase());
}

export function operationId(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return route.method + pascal(route.path.replace(/:([A-Za-z_]+)/g, 'by_$1'));
}

/** Every error code a route can answer: its own, and those its auth, input, idempotency and the middleware imply. */
export function errorCodesOf(route: RouteSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>(['internal_error', 'payload_too_large', 'request_timeout']);
  if (route.path.startsWith('/v1/')) codes.add('rate_limited');
  for (const auth of route.auth) {
    if (auth === 'customer' || auth === 'handoff' || auth === 'session_query' || auth === 'portal' || auth === 'receipt_link') for (const c of ['unauthenticated', 'invalid_token', 'forbidden'] as const) codes.add(c);
    if (auth === 'api_key') codes.add('unauthenticated');
    if (auth === 'signature') for (const c of ['invalid_signature', 'validation_error', 'provider_unavailable'] as const) codes.add(c);
  }
  if (route.body || route.query || (route.path.startsWith('/v1/') && route.path.includes(':'))) codes.add('validation_error');
  if (route.idempotency) for (const c of ['validation_error', 'idempotency_key_mismatch', 'conflict'] as const) codes.add(c);
  if (route.idempotency === 'required') codes.add('missing_idempotency_key');
  for (const c of route.errors ?? []) codes.add(c);
  return ERROR_CODES.filter((c) => codes.has(c));
}

/** The contract's schemas by export name, and each other schema of the table under a name of its route. */
function namedSchemas(): Map<z.ZodType, string> {
  const names = new Map<z.ZodType, string>();
  for (const [name, value] of Object.entries(contract)) if (value instanceof z.ZodType && !names.has(value)) names.set(value, name);
  names.set(ErrorSchema, 'Error');
  for (const route of ROUTES) {
    const id = pascal(operationId(route));
    if (route.body && !names.has(route.body)) names.set(route.body, `${id}Request`);
    for (const [status, answer] of Object.entries(route.responses)) if (answer instanceof z.ZodType && !names.has(answer)) names.set(answer, `${id}${status}`);
  }
  return names;
}

/** `z.toJSONSchema` of every named schema at once (so they refer to each other by `$ref`), without `$schema`/`$id` (3.1's dialect is 2020-12). */
function generate(names: Map<z.ZodType, string>, io: 'input' | 'output', refName: (id: string) => string): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of names) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, unrepresentable: 'any', uri: (id) => REF + refName(id) }) as { schemas: Record<string, Json> };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return schemas;
}

/** The names whose `$ref`s a JSON Schema holds. */
function refsOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsOf(v, into);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF)) into.add(v.slice(REF.length));
      else refsOf(v, into);
    }
  }
  return into;
}

/**
 * The components: every schema as answers have it (`output`), and as a request body for those whose input
 * differs (defaults, unknown keys: `<Name>Input`); only those the paths reach.
 */
function components(): { schemas: Record<string, Json>; ref: (schema: z.ZodType, io: 'input' | 'output') => Json } {
  const names = namedSchemas();
  const output = generate(names, 'output', (id) => id);
  const firstInput = generate(names, 'input', (id) => id);
  // An input that differs, or refers to one that does, is its own component.
  const differs = new Set(Object.keys(firstInput).filter((id) => JSON.stringify(firstInput[id]) !== JSON.stringify(output[id])));
  for (let grown = true; grown; ) {
    grown = false;
    for (const id of Object.keys(firstInput)) {
      if (differs.has(id) || ![...refsOf(firstInput[id])].some((r) => differs.has(r))) continue;
      differs.add(id);
      grown = true;
    }
  }
  const input = generate(names, 'input', (id) => (differs.has(id) ? `${id}Input` : id));
  const schemas: Record<string, Json> = { ...output };
  for (const id of differs) schemas[`${id}Input`] = input[id];
  const ref = (schema: z.ZodType, io: 'input' | 'output') => {
    const id = names.get(schema)!;
    return { $ref: REF + (io === 'input' && differs.has(id) ? `${id}Input` : id) };
  };
  return { schemas, ref };
}

function inlineSchema(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

function securityOf(route: RouteSpec): Json[] {
  const schemes: Json[] = [];
  for (const auth of route.auth) {
    if (auth === 'none' || auth === 'signature') schemes.push({});
    if (auth === 'customer' || auth === 'handoff' || auth === 'portal') schemes.push({ customerSession: [] });
    if (auth === 'session_query' || auth === 'receipt_link') schemes.push({ sessionQuery: [] });
    if (auth === 'api_key') schemes.push({ apiKey: [] });
  }
  // No security at all is `[]`; a public route that also takes a session keeps the empty alternative.
  return schemes.every((s) => Object.keys(s).length === 0) ? [] : schemes;
}

const AUTH_TEXT: Record<RouteSpec['auth'][number], string> = {
  none: 'no credentials',
  customer: 'a customer session (Bearer)',
  handoff: 'a customer session, the hand-off token of this checkout, or a billing-portal link’s token of its owner (Bearer)',
  portal: 'the token of a billing-portal link (`POST /v1/portal`), Bearer',
  session_query: 'a customer session or hand-off token as `?token=`',
  receipt_link: 'the receipt link’s token as `?token=` (scoped to that receipt, 15 min)',
  api_key: 'the API key (Bearer TOLLGATE_API_KEY)',
  signature: 'the provider’s signature over the raw body',
};

function operation(route: RouteSpec, ref: (schema: z.ZodType, io: 'input' | 'output') => Json): Json {
  const parameters: Json[] = [];
  for (const name of route.path.match(/:([A-Za-z_][A-Za-z0-9_]*)/g)?.map((p) => p.slice(1)) ?? []) {
    const description = (name === 'id' ? ID_PARAMS.find(([prefix]) => route.path.startsWith(prefix))?.[1] : PATH_PARAMS[name]) ?? name;
    parameters.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
  }
  for (const [name, q] of Object.entries(route.query ?? {})) parameters.push({ name, in: 'query', required: q.required ?? false, description: q.description, schema: inlineSchema(q.schema) });
  if (route.idempotency) {
    parameters.push({
      name: 'Idempotency-Key', in: 'header', required: route.idempotency === 'required', schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
      description: 'A fresh key per attempt (a UUID): a retry with the same key gets the first answer (`Idempotent-Replay: true`) and does the work once',
    });
  }
  if (route.signedBody) parameters.push({ name: route.signedBody.header, in: 'header', required: true, description: 'The provider’s signature', schema: { type: 'string' } });

  const responses: Json = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    const description = REASONS[Number(status)] ?? status;
    if (answer instanceof z.ZodType) responses[status] = { description, content: { 'application/json': { schema: ref(answer, 'output') } } };
    else if ('html' in answer) responses[status] = { description: answer.html, content: { 'text/html': { schema: { type: 'string' } } } };
    else if ('pdf' in answer) responses[status] = { description: answer.pdf, content: { 'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } } } };
    else if ('javascript' in answer) responses[status] = { description: answer.javascript, content: { 'text/javascript': { schema: { type: 'string' } } } };
    else if ('eventStream' in answer) responses[status] = { description: answer.eventStream, content: { 'text/event-stream': { schema: { type: 'string' } } } };
    else responses[status] = { description: answer.redirect, headers: { Location: { schema: { type: 'string' } } } };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(route)) byStatus.set(STATUS_OF[code], [...(byStatus.get(STATUS_OF[code]) ?? []), code]);
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    // A status may answer success and error alike (503 of /healthz): the error envelope is the other alternative.
    const envelope = { allOf: [{ $ref: `${REF}Error` }, { properties: { error: { properties: { code: { enum: codes } } } } }] };
    const existing = responses[status] as { content?: { 'application/json'?: { schema: Json } } } | undefined;
    const success = existing?.content?.['application/json']?.schema;
    responses[status] = {
      description: `${REASONS[status] ?? status}: ${codes.join(', ')}`,
      content: { 'application/json': { schema: success ? { anyOf: [success, envelope] } : envelope } },
    };
  }

  for (const [status, response] of Object.entries(responses) as [string, Json][]) {
    response.headers = { ...(response.headers as Json | undefined), 'X-Request-Id': { $ref: '#/components/headers/RequestId' }, ...(status === '429' ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}) };
  }

  return {
    operationId: operationId(route),
    summary: route.summary,
    description: [`Auth: ${route.auth.map((a) => AUTH_TEXT[a]).join(', or ')}.`, route.sandboxOnly ? 'Sandbox only (TOLLGATE_SANDBOX=1): 404 otherwise.' : '', route.when ? `Registered when ${route.when}.` : ''].filter(Boolean).join(' '),
    tags: [route.tag],
    security: securityOf(route),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(route.body, 'input') } } } } : {}),
    ...(route.signedBody ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
    responses,
    'x-tollgate-auth': route.auth,
    ...(route.sandboxOnly ? { 'x-tollgate-sandbox-only': true } : {}),
    ...(route.when ? { 'x-tollgate-registered-when': route.when } : {}),
  };
}

/** Only the components that the paths reach (directly or through other components). */
function reachable(schemas: Record<string, Json>, paths: Json): Record<string, Json> {
  const keep = new Set<string>();
  const queue = [...refsOf(paths)];
  while (queue.length) {
    const id = queue.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    queue.push(...refsOf(schemas[id]));
  }
  return Object.fromEntries(Object.keys(schemas).filter((id) => keep.has(id)).sort().map((id) => [id, schemas[id]]));
}

/**
 * The document. `serverUrl` is the server's public URL with its mount path (config.publicUrl); without one
 * (dist/openapi.json) the server is a variable defaulting to `http://localhost:8787`.
 */
export function openApiDocument(options: { serverUrl?: string } = {}): Json {
  const { schemas, ref } = components();
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    const path = openApiPath(route.path);
    if (paths[path]?.[route.method]) throw new Error(`openapi: ${route.method.toUpperCase()} ${route.path} is in the route table twice`);
    paths[path] = { ...paths[path], [route.method]: operation(route, ref) };
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Tollgate server API',
      version: packageVersion(import.meta.url),
      description: 'The Tollgate server’s HTTP API (v1). Errors are `{"error":{"code","message","request_id"}}` (components.schemas.Error); each operation lists the codes it can answer, by status. `x-tollgate-auth` names who may call.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: options.serverUrl
      ? [{ url: options.serverUrl }]
      : [{ url: '{publicUrl}', description: 'The server’s TOLLGATE_PUBLIC_URL (with its mount path)', variables: { publicUrl: { default: 'http://localhost:8787' } } }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: reachable(schemas, paths),
      headers: {
        RequestId: { description: 'The id of this request, as in the error envelope and the server’s log', required: true, schema: { type: 'string', pattern: '^req_' } },
        RetryAfter: { description: 'Seconds to wait before retrying', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
      },
      securitySchemes: {
        customerSession: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A customer session (POST /v1/sessions, or your identity provider’s JWT with external_jwt); a hand-off token where an operation says so' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'The partner’s TOLLGATE_API_KEY, from its backend only' },
        sessionQuery: { type: 'apiKey', in: 'query', name: 'token', description: 'A customer session as ?token= (EventSource sends no headers)' },
      },
    },
  };
}

const texts = new Map<string, string>();

/** The document as served for one public URL, made once. */
export function openApiText(serverUrl: string): string {
  let text = texts.get(serverUrl);
  if (text === undefined) texts.set(serverUrl, (text = JSON.stringify(openApiDocument({ serverUrl }))));
  return text;
}
