// In-memory fake of the Bonzai Business API (docs/upstream/bonzai-business-api.txt): invite/revoke access, custom checkout, order retrieval.
import { Hono, type Context } from 'hono';
import { BaseUrl, FaultInjector, bearerToken, listen, randomId, readJsonObject } from './harness.js';

/** Base path of every route in docs/upstream/bonzai-business-api.txt (https://www.bonzai.pro/api/v1/…). */
export const BONZAI_BASE_PATH = '/api/v1';

export interface BonzaiProduct {
  uuid: string;
  id: number;
  name: string;
}

export interface BonzaiAccess {
  id: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** An order as the fake stores it; `toOrderResponse` renders docs/upstream/bonzai-business-api.txt "Retrieve an order". */
export interface BonzaiOrderRecord {
  id: number;
  product_uuid: string;
  amount: number;
  is_vat_incl: boolean;
  currency: 'EUR' | 'USD';
  mode: 'one_off' | 'subscription';
  interval: 'monthly' | 'yearly' | null;
  metadata: Record<string, unknown> | null;
  email: string | null;
  title: string | null;
  redirect_url: string | null;
  checkout_url: string;
  /** pending until paid; completed once paid; refunded after control.refund (pending/refunded are our assumption). */
  intent_status: 'pending' | 'completed' | 'refunded';
  subscription_status: 'active' | 'cancelled' | 'expired' | null;
  subscription_ends_at: string | null;
  accesses: BonzaiAccess[];
}

/** A grant made through /invite. */
export interface BonzaiGrant {
  id: number;
  product_uuid: string;
  user_id: string | null;
  email: string;
  name: string;
  code: string | null;
  /** granted: the email matched a Bonzai user; invited: an invitation email went out. */
  status: 'granted' | 'invited';
  revoked_at: string | null;
}

export interface BonzaiFakeOptions {
  /** API token; default `bonzai_test_token`. */
  apiToken?: string;
  /** Default: one product `xBgq3Z3J` (id 199, "Super Product", as in the doc's samples). */
  products?: BonzaiProduct[];
  /** Existing Bonzai users, by email (invite grants them access directly). */
  users?: { id: string; email: string; name?: string }[];
  /** VAT rate used to derive amount_excl_vat when is_vat_incl; not documented, 0.2 is our assumption. */
  vatRate?: number;
  now?: () => number;
  publicUrl?: string;
}

export interface BonzaiState {
  products: Map<string, BonzaiProduct>;
  users: Map<string, { id: string; email: string; name: string }>;
  grants: BonzaiGrant[];
  orders: Map<number, BonzaiOrderRecord>;
}

/** Laravel's timestamp serialisation, as in the doc's accesses sample: `2025-08-26T11:37:59.000000Z`. */
export function formatBonzaiTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Laravel validation failure. docs/upstream/bonzai-business-api.txt shows the body but not the status; 422 (Laravel's default) is our assumption. */
function validationError(c: Context, errors: Record<string, string[]>): Response {
  const first = Object.values(errors)[0]?.[0] ?? 'The given data was invalid.';
  const more = Object.values(errors).flat().length - 1;
  const message = more > 0 ? `${first} (and ${more} more error${more > 1 ? 's' : ''})` : first;
  return c.json({ message, errors }, 422);
}

const notFound = (c: Context) => c.json({ message: 'Not found.' }, 404);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Builds the fake's Hono app and the handles its driver needs. */
export function createBonzaiApp(options: BonzaiFakeOptions = {}) {
  const now = options.now ?? Date.now;
  const apiToken = options.apiToken ?? 'bonzai_test_token';
  const vatRate = options.vatRate ?? 0.2;
  const baseUrl = new BaseUrl(options.publicUrl ?? 'http://bonzai.fake');
  const faults = new FaultInjector();
  let nextOrderId = 34855;
  let nextAccessId = 90330;
  let nextGrantId = 1;
  let nextUserId = 5000;
  const state: BonzaiState = {
    products: new Map((options.products ?? [{ uuid: 'xBgq3Z3J', id: 199, name: 'Super Product' }]).map((p) => [p.uuid, p])),
    users: new Map((options.users ?? []).map((u) => [u.email.toLowerCase(), { id: u.id, email: u.email, name: u.name ?? u.email.split('@')[0]! }])),
    grants: [],
    orders: new Map(),
  };

  /** docs/upstream/bonzai-business-api.txt has_access: one-off → paid and not refunded; subscription → true until the period ends, even if cancelled. */
  function hasAccess(order: BonzaiOrderRecord): boolean {
    if (order.mode === 'one_off') return order.intent_status === 'completed';
    if (order.intent_status !== 'completed' || order.subscription_status === 'expired' || order.subscription_status === null) return false;
    return order.subscription_ends_at === null || Date.parse(order.subscription_ends_at) > now();
  }

  /** A cancelled subscription whose period has ended has "fully expired": revoke its access, as Bonzai would. */
  function settleExpiry(order: BonzaiOrderRecord): void {
    if (order.mode === 'subscription' && order.subscription_status === 'cancelled' && order.subscription_ends_at && Date.parse(order.subscription_ends_at) <= now()) {
      order.subscription_status = 'expired';
      revokeAccesses(order, Date.parse(order.subscription_ends_at));
    }
  }

  function revokeAccesses(order: BonzaiOrderRecord, atMs: number): void {
    for (const access of order.accesses) {
      if (access.deleted_at === null) {
        access.deleted_at = formatBonzaiTimestamp(atMs);
        access.updated_at = access.deleted_at;
      }
    }
  }

  function amountExclVat(order: BonzaiOrderRecord): string {
    const net = order.is_vat_incl ? order.amount / (1 + vatRate) : order.amount;
    // The doc's sample renders "20": a decimal string without trailing zeros.
    return String(Math.round(net * 100) / 100);
  }

  function toOrderResponse(order: BonzaiOrderRecord) {
    settleExpiry(order);
    const product = state.products.get(order.product_uuid)!;
    return {
      id: order.id,
      price_id: null, // "price_id will be null if the order was created through a custom checkout flow"
      amount_excl_vat: amountExclVat(order),
      currency: order.currency,
      mode: order.mode,
      interval: order.interval,
      intent_status: order.intent_status,
      subscription_status: order.subscription_status,
      subscription_ends_at: order.subscription_ends_at,
      has_access: hasAccess(order),
      metadata: order.metadata,
      product: { id: product.id, name: product.name },
      accesses: order.accesses,
    };
  }

  const app = new Hono();
  app.use(
    '*',
    faults.middleware((c, fault) =>
      fault.kind === 'rate_limited' ? c.json({ message: 'Too Many Attempts.' }, 429) : c.json({ message: 'Server Error' }, fault.status as 500),
    ),
  );

  app.get('/manage/:spa', (c) => c.html(`<!doctype html><title>Fake Bonzai checkout</title><p>${c.req.param('spa')}</p>`));

  const api = new Hono();
  // Laravel Sanctum's response to a missing or unknown token.
  api.use('*', async (c, next) => {
    const token = bearerToken(c.req.header('Authorization'));
    if (token !== apiToken) return c.json({ message: 'Unauthenticated.' }, 401);
    await next();
  });

  api.post('/products/:product_uuid/invite', async (c) => {
    const product = state.products.get(c.req.param('product_uuid'));
    if (!product) return notFound(c);
    const body = (await readJsonObject(c)).value ?? {};
    const errors: Record<string, string[]> = {};
    if (body.email === undefined || body.email === null || body.email === '') errors.email = ['The email field is required.'];
    else if (typeof body.email !== 'string' || !EMAIL.test(body.email)) errors.email = ['The email field must be a valid email address.'];
    if (body.name !== undefined && body.name !== null && typeof body.name !== 'string') errors.name = ['The name field must be a string.'];
    if (body.code !== undefined && body.code !== null && typeof body.code !== 'string') errors.code = ['The code field must be a string.'];
    if (Object.keys(errors).length) return validationError(c, errors);
    const email = body.email as string;
    const user = state.users.get(email.toLowerCase());
    // "If only an email is provided, we assume the name from the email's prefix".
    const name = typeof body.name === 'string' ? body.name : (user?.name ?? email.split('@')[0]!);
    const grant: BonzaiGrant = {
      id: nextGrantId++,
      product_uuid: product.uuid,
      user_id: user?.id ?? null,
      email,
      name,
      code: typeof body.code === 'string' ? body.code : null,
      status: user ? 'granted' : 'invited',
      revoked_at: null,
    };
    // Invited people get a user id up front so revoke-by-user_id works "as provided in the invite request response".
    grant.user_id ??= `u_${nextUserId++}`;
    state.grants.push(grant);
    // Response body is not documented; this shape is our assumption.
    return c.json({ id: grant.id, user_id: grant.user_id, email: grant.email, name: grant.name, code: grant.code, status: grant.status }, 200);
  });

  api.post('/products/:product_uuid/revoke', async (c) => {
    const product = state.products.get(c.req.param('product_uuid'));
    if (!product) return notFound(c);
    const body = (await readJsonObject(c)).value ?? {};
    const filter = (field: string) => (typeof body[field] === 'string' && body[field] !== '' ? (body[field] as string) : null);
    const userId = filter('user_id');
    const email = filter('email');
    const code = filter('code');
    if (!userId && !email && !code) {
      return validationError(c, { filter: ['You must provide at least one valid filter: user_id, email or code.'] });
    }
    const revokedAt = formatBonzaiTimestamp(now());
    const matched = state.grants.filter(
      (g) =>
        g.product_uuid === product.uuid &&
        g.revoked_at === null &&
        (!userId || g.user_id === userId) &&
        // "email: Only search for invited members (not Bonzai user yet)".
        (!email || (g.status === 'invited' && g.email.toLowerCase() === email.toLowerCase())) &&
        (!code || g.code === code),
    );
    for (const grant of matched) grant.revoked_at = revokedAt;
    // Response body is not documented; this shape is our assumption.
    return c.json({ revoked: matched.length, user_ids: matched.map((g) => g.user_id) });
  });

  api.post('/products/:product_uuid/checkout', async (c) => {
    const product = state.products.get(c.req.param('product_uuid'));
    if (!product) return notFound(c);
    const body = (await readJsonObject(c)).value ?? {};
    const errors: Record<string, string[]> = {};
    const present = (field: string) => body[field] !== undefined && body[field] !== null && body[field] !== '';
    if (!present('amount')) errors.amount = ['The amount field is required.'];
    else if (typeof body.amount !== 'number' || !(body.amount > 0)) errors.amount = ['The amount field must be a number greater than 0.'];
    if (!present('currency')) errors.currency = ['The currency field is required.'];
    else if (body.currency !== 'EUR' && body.currency !== 'USD') errors.currency = ['The selected currency is invalid.'];
    if (present('is_vat_incl') && typeof body.is_vat_incl !== 'boolean') errors.is_vat_incl = ['The is vat incl field must be true or false.'];
    if (present('mode') && body.mode !== 'one_off' && body.mode !== 'subscription') errors.mode = ['The selected mode is invalid.'];
    const mode = body.mode === 'subscription' ? 'subscription' : 'one_off';
    // "Only applies if mode=subscription": we require it then (required_if) and ignore it for one_off — an assumption.
    if (mode === 'subscription' && !present('interval')) errors.interval = ['The interval field is required when mode is subscription.'];
    else if (present('interval') && body.interval !== 'monthly' && body.interval !== 'yearly') errors.interval = ['The selected interval is invalid.'];
    if (present('metadata') && (typeof body.metadata !== 'object' || Array.isArray(body.metadata))) errors.metadata = ['The metadata field must be an array.'];
    if (present('email') && (typeof body.email !== 'string' || !EMAIL.test(body.email))) errors.email = ['The email field must be a valid email address.'];
    if (present('title') && typeof body.title !== 'string') errors.title = ['The title field must be a string.'];
    if (present('redirect_url')) {
      let ok = false;
      try {
        ok = typeof body.redirect_url === 'string' && /^https?:$/.test(new URL(body.redirect_url).protocol);
      } catch {
        ok = false;
      }
      if (!ok) errors.redirect_url = ['The redirect url field must be a valid URL.'];
    }
    if (Object.keys(errors).length) return validationError(c, errors);

    const id = nextOrderId++;
    const expires = Math.floor(now() / 1000) + 3600;
    const order: BonzaiOrderRecord = {
      id,
      product_uuid: product.uuid,
      amount: body.amount as number,
      is_vat_incl: body.is_vat_incl !== false,
      currency: body.currency as 'EUR' | 'USD',
      mode,
      interval: mode === 'subscription' ? (body.interval as 'monthly' | 'yearly') : null,
      metadata: present('metadata') ? (body.metadata as Record<string, unknown>) : null,
      email: present('email') ? (body.email as string) : null,
      title: present('title') ? (body.title as string) : null,
      redirect_url: present('redirect_url') ? (body.redirect_url as string) : null,
      checkout_url: `${baseUrl.get()}/manage/spa_${randomId(12).toLowerCase()}?expires=${expires}&signature=${randomId(64).toLowerCase()}`,
      intent_status: 'pending',
      subscription_status: null,
      subscription_ends_at: null,
      accesses: [],
    };
    state.orders.set(id, order);
    return c.json({ order_id: order.id, checkout_url: order.checkout_url });
  });

  api.get('/orders/:order_id', (c) => {
    const idParam = c.req.param('order_id');
    const order = /^\d+$/.test(idParam) ? state.orders.get(Number(idParam)) : undefined;
    return order ? c.json(toOrderResponse(order)) : notFound(c);
  });

  api.all('*', notFound);
  app.route(BONZAI_BASE_PATH, api);
  app.all('*', notFound);

  function requireOrder(orderId: number): BonzaiOrderRecord {
    const order = state.orders.get(orderId);
    if (!order) throw new Error(`bonzai fake: no order ${orderId}`);
    return order;
  }

  const control = {
    ...faults.controls(),
    /** The customer paid: intent completed, a new access created; subscriptions start active (period end unset until cancelled). */
    pay(orderId: number) {
      const order = requireOrder(orderId);
      settleExpiry(order);
      if (hasAccess(order)) throw new Error(`bonzai fake: order ${orderId} already grants access`);
      if (order.intent_status === 'refunded') throw new Error(`bonzai fake: order ${orderId} was refunded`);
      const at = formatBonzaiTimestamp(now());
      order.intent_status = 'completed';
      if (order.mode === 'subscription') {
        order.subscription_status = 'active';
        order.subscription_ends_at = null;
      }
      // "Each time an order is paid, a new access record is created."
      order.accesses.push({ id: nextAccessId++, created_at: at, updated_at: at, deleted_at: null });
      return toOrderResponse(order);
    },
    /** Cancelled by the user: access remains until periodEnd, then the order reads as expired. */
    cancelSubscription(orderId: number, periodEnd: Date | string) {
      const order = requireOrder(orderId);
      if (order.mode !== 'subscription' || order.subscription_status !== 'active') throw new Error(`bonzai fake: order ${orderId} has no active subscription`);
      order.subscription_status = 'cancelled';
      order.subscription_ends_at = formatBonzaiTimestamp(new Date(periodEnd).getTime());
      return toOrderResponse(order);
    },
    /** The subscription fully ended now: has_access false, access deleted_at set. */
    expire(orderId: number) {
      const order = requireOrder(orderId);
      if (order.mode !== 'subscription') throw new Error(`bonzai fake: order ${orderId} is one-off`);
      order.subscription_status = 'expired';
      order.subscription_ends_at ??= formatBonzaiTimestamp(now());
      revokeAccesses(order, now());
      return toOrderResponse(order);
    },
    /** Refunded: has_access false, access deleted_at set. */
    refund(orderId: number) {
      const order = requireOrder(orderId);
      if (order.intent_status !== 'completed') throw new Error(`bonzai fake: order ${orderId} is not paid`);
      order.intent_status = 'refunded';
      if (order.mode === 'subscription') order.subscription_status = 'expired';
      revokeAccesses(order, now());
      return toOrderResponse(order);
    },
    addUser(user: { id: string; email: string; name?: string }): void {
      state.users.set(user.email.toLowerCase(), { id: user.id, email: user.email, name: user.name ?? user.email.split('@')[0]! });
    },
  };

  return { app, state, control, baseUrl };
}

export type BonzaiControl = ReturnType<typeof createBonzaiApp>['control'];

/** Starts the Bonzai fake on 127.0.0.1; the API lives under `url + BONZAI_BASE_PATH`. */
export async function startBonzaiFake(options: BonzaiFakeOptions = {}): Promise<{
  url: string;
  apiBaseUrl: string;
  close(): Promise<void>;
  state: BonzaiState;
  control: BonzaiControl;
}> {
  const fake = createBonzaiApp(options);
  const server = await listen(fake.app);
  fake.baseUrl.set(server.url);
  return { url: server.url, apiBaseUrl: `${server.url}${BONZAI_BASE_PATH}`, state: fake.state, control: fake.control, close: server.close };
}
