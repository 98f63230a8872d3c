// The schema, as ordered migrations. Uniqueness of provider order ids, payment ids, webhook event ids and
// idempotency keys lives here, so retries and races resolve in SQL rather than in memory.
export const MIGRATIONS: { id: number; name: string; sql: string }[] = [
  {
    id: 1,
    name: 'core',
    sql: `
CREATE TABLE customers (
  id text PRIMARY KEY,
  email text,
  name text,
  contact text,
  currency text,
  plan text NOT NULL,
  status text NOT NULL DEFAULT 'active',
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  current_period_end timestamptz,
  billing_provider text,
  -- the provider-side timestamp of the last subscription state applied: older events never overwrite newer ones
  state_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE provider_customers (
  provider text NOT NULL,
  customer_id text NOT NULL REFERENCES customers(id),
  external_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, customer_id),
  UNIQUE (provider, external_id)
);

CREATE TABLE checkouts (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  plan text NOT NULL,
  interval text NOT NULL,
  provider text NOT NULL,
  amount integer NOT NULL CHECK (amount >= 0),
  currency text NOT NULL,
  mode text NOT NULL DEFAULT 'inline',
  status text NOT NULL DEFAULT 'created',
  provider_order_id text,
  payment_id text,
  action jsonb,
  last_error jsonb,
  fulfillment jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  paid_at timestamptz,
  UNIQUE (provider, provider_order_id),
  UNIQUE (provider, payment_id)
);
CREATE INDEX checkouts_customer ON checkouts (customer_id, created_at DESC);

CREATE TABLE plan_changes (
  id serial PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  old_plan text NOT NULL,
  new_plan text NOT NULL,
  kind text NOT NULL,
  source text NOT NULL,
  checkout_id text REFERENCES checkouts(id),
  payment_id text,
  event_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- one upgrade and one revert per checkout, whatever the number of verifies and webhooks
  UNIQUE (checkout_id, kind),
  UNIQUE (source, event_id)
);
CREATE INDEX plan_changes_customer ON plan_changes (customer_id, id);

CREATE TABLE webhook_events (
  provider text NOT NULL,
  event_id text NOT NULL,
  type text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

CREATE TABLE idempotency_keys (
  scope text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  status integer,
  body text,
  content_type text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);

CREATE TABLE usage_counters (
  customer_id text NOT NULL REFERENCES customers(id),
  metric text NOT NULL,
  period text NOT NULL,
  used integer NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, metric, period)
);
`,
  },
  {
    id: 2,
    name: 'bonzai',
    // Bonzai orders we track (has_access transitions) and promotional grants (invite/revoke); see providers/bonzai/state.ts.
    sql: `CREATE TABLE IF NOT EXISTS bonzai_orders (
  checkout_id text PRIMARY KEY REFERENCES checkouts(id),
  order_id text NOT NULL UNIQUE,
  state text NOT NULL DEFAULT 'open',
  observed_at timestamptz,
  checked_at timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS bonzai_orders_due ON bonzai_orders (state, checked_at);
CREATE TABLE IF NOT EXISTS bonzai_grants (
  id serial PRIMARY KEY,
  customer_id text REFERENCES customers(id),
  email text NOT NULL,
  name text,
  code text,
  bonzai_user_id text,
  plan text NOT NULL,
  granted_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS bonzai_grants_email ON bonzai_grants (lower(email));
CREATE INDEX IF NOT EXISTS bonzai_grants_customer ON bonzai_grants (customer_id);
`,
  },
  {
    id: 3,
    name: 'mimicbot_tokens',
    // Per-customer MimicBot tokens, encrypted at rest; see providers/mimicbot/tokens.ts.
    sql: `
CREATE TABLE IF NOT EXISTS mimicbot_tokens (
  customer_id text PRIMARY KEY REFERENCES customers(id),
  token_ciphertext text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    id: 4,
    name: 'plan_interval',
    // The billing interval of the plan in force (month, year, once), where the provider tells it.
    sql: `
ALTER TABLE customers ADD COLUMN IF NOT EXISTS plan_interval text;
`,
  },
  {
    id: 5,
    name: 'checkout_price',
    // The catalog price a checkout was priced with (provider, currency, amount, interval, stripe_price_id,
    // upstream mapping), kept with the checkout: every later step (hand-off start, retry, verify, renewal)
    // charges exactly this, whatever the catalog says by then. NULL on checkouts made before it existed.
    sql: `
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS price jsonb;
ALTER TABLE checkouts ADD CONSTRAINT checkouts_price_matches CHECK (
  price IS NULL OR (price->>'provider' = provider AND price->>'currency' = currency AND price->>'interval' = interval AND (price->>'amount')::bigint = amount)
);
`,
  },
  {
    id: 6,
    name: 'idempotency_lease',
    // An in-progress Idempotency-Key is leased to the request that claimed it (owner) until locked_until,
    // renewed while it runs: a claim whose process died expires and the next retry takes it over
    // (security/idempotency.ts). A row without a lease (claimed before this migration) is expired.
    sql: `
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS owner text;
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS locked_until timestamptz;
`,
  },
  {
    id: 7,
    name: 'rate_limit_counters',
    // Rate-limit counters shared by the instances on one PostgreSQL (security/rate-limit.ts); PGlite keeps
    // them in memory. One row per key: its current window and the one before. Unlogged: counters need no
    // crash safety, and skip the WAL on every request.
    sql: `
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limit_counters (
  bucket text NOT NULL,
  key text NOT NULL,
  -- ms since the epoch, a multiple of the bucket's window
  window_start bigint NOT NULL,
  previous integer NOT NULL,
  current integer NOT NULL,
  -- whether the last hit was let through
  counted boolean NOT NULL,
  PRIMARY KEY (bucket, key)
);
`,
  },
  {
    id: 8,
    name: 'mark_paid_function',
    // A checkout paid by one payment, with its plan change and audit row, as one statement: one round trip
    // where the same steps from the application take eight (store/plan-changes.ts markCheckoutPaid says what
    // it does and passes what the application knows: the clock, the period ends, the capabilities).
    sql: `
CREATE OR REPLACE FUNCTION tollgate_mark_paid(
  p_checkout text, p_payment text, p_source text, p_event text, p_now timestamptz,
  p_month_end timestamptz, p_year_end timestamptz, p_one_period text[], p_credits text[]
) RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  k checkouts%ROWTYPE;
  c customers%ROWTYPE;
  paid record;
  audit record;
  period_end timestamptz;
  credit_ms float8 := 0;
  left_ms float8;
  len_paid float8;
  len_new float8;
BEGIN
  SELECT * INTO k FROM checkouts WHERE id = p_checkout FOR UPDATE;
  IF NOT FOUND THEN RETURN json_build_object('error', 'not_found'); END IF;
  IF k.status IN ('paid', 'refunded') THEN
    IF k.payment_id IS DISTINCT FROM p_payment THEN RETURN json_build_object('error', 'paid_by_other'); END IF;
    IF k.status = 'refunded' THEN RETURN json_build_object('error', 'refunded'); END IF;
    SELECT old_plan, new_plan INTO audit FROM plan_changes WHERE checkout_id = k.id AND kind = 'upgrade';
    RETURN json_build_object('old_plan', COALESCE(audit.old_plan, k.plan), 'new_plan', COALESCE(audit.new_plan, k.plan), 'changed', false);
  END IF;
  IF EXISTS (SELECT 1 FROM checkouts WHERE provider = k.provider AND payment_id = p_payment AND id <> k.id) THEN
    RETURN json_build_object('error', 'payment_used');
  END IF;
  SELECT * INTO c FROM customers WHERE id = k.customer_id FOR UPDATE;
  period_end := CASE k.interval WHEN 'once' THEN NULL WHEN 'year' THEN p_year_end ELSE p_month_end END;
  -- Unused paid time carried into a new purchase (providers with creditsUnusedTime): see markCheckoutPaid.
  IF k.provider = ANY (p_credits) AND c.billing_provider = k.provider AND c.current_period_end > p_now AND c.status = 'active' AND k.interval <> 'once' THEN
    SELECT amount, currency, interval INTO paid FROM checkouts
      WHERE customer_id = c.id AND plan = c.plan AND status = 'paid' AND provider = k.provider ORDER BY paid_at DESC LIMIT 1;
    IF FOUND AND paid.interval <> 'once' AND paid.currency = k.currency AND k.amount > 0 THEN
      left_ms := (EXTRACT(EPOCH FROM (c.current_period_end - p_now)) * 1000)::float8;
      len_paid := (EXTRACT(EPOCH FROM ((CASE paid.interval WHEN 'year' THEN p_year_end ELSE p_month_end END) - p_now)) * 1000)::float8;
      len_new := (EXTRACT(EPOCH FROM (period_end - p_now)) * 1000)::float8;
      credit_ms := floor((((left_ms / len_paid) * paid.amount::float8) / k.amount::float8) * len_new);
    END IF;
  END IF;
  UPDATE checkouts SET status = 'paid', payment_id = p_payment, paid_at = p_now, updated_at = p_now WHERE id = k.id;
  UPDATE customers SET plan = k.plan, status = 'active',
      cancel_at_period_end = (period_end IS NOT NULL AND k.provider = ANY (p_one_period)),
      current_period_end = CASE WHEN period_end IS NOT NULL AND credit_ms > 0 THEN period_end + credit_ms * interval '1 millisecond' ELSE period_end END,
      billing_provider = k.provider, plan_interval = k.interval, updated_at = p_now
    WHERE id = c.id;
  INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, payment_id, event_id, created_at)
    VALUES (c.id, c.plan, k.plan, 'upgrade', p_source, k.id, p_payment, p_event, p_now);
  RETURN json_build_object('old_plan', c.plan, 'new_plan', k.plan, 'changed', true);
END
$fn$;
`,
  },
  {
    id: 9,
    name: 'webhook_inbox',
    // webhook_events becomes the inbox: a verified event is stored with its payload before it is
    // acknowledged, and applied right after; its outcome is set in the transaction that applies it
    // (store/webhook-events.ts, providers/webhook-inbox.ts). Rows from before were applied with their claim.
    sql: `
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS payload jsonb;
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS outcome text;
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS applied_at timestamptz;
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN IF NOT EXISTS last_attempt_at timestamptz;
UPDATE webhook_events SET outcome = 'applied', applied_at = received_at WHERE outcome IS NULL;
CREATE INDEX IF NOT EXISTS webhook_events_pending ON webhook_events (received_at) WHERE outcome IS NULL;
`,
  },
  {
    id: 10,
    name: 'rate_limit_batches',
    // The shared rate limiter counts the hits that arrive together in one upsert (security/rate-limit.ts):
    // how many a key was asked for in it, and how many fitted.
    sql: `
ALTER TABLE rate_limit_counters ADD COLUMN IF NOT EXISTS requested integer NOT NULL DEFAULT 1;
ALTER TABLE rate_limit_counters ADD COLUMN IF NOT EXISTS granted integer NOT NULL DEFAULT 0;
`,
  },
  {
    id: 11,
    name: 'partner_api',
    // The partner backend's API (routes/partner.ts): usage reports keyed by the partner's event id (a retry
    // with the same event_id counts once, whatever the instance), the audit of usage corrections (a
    // negative quantity), and manual plan grants (support, promotions) that count while `until` is ahead.
    // A grant and its revocation are audited in plan_changes too (kind 'grant' / 'grant_revoke').
    sql: `
CREATE TABLE IF NOT EXISTS usage_events (
  customer_id text NOT NULL REFERENCES customers(id),
  event_id text NOT NULL,
  metric text NOT NULL,
  period text NOT NULL,
  quantity integer NOT NULL,
  -- the counter after this event: what a retry of it answers
  used integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, event_id)
);
CREATE TABLE IF NOT EXISTS usage_adjustments (
  id serial PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  metric text NOT NULL,
  period text NOT NULL,
  -- asked for (negative) and applied (the counter never goes below 0, so applied >= requested)
  requested integer NOT NULL,
  applied integer NOT NULL,
  used_before integer NOT NULL,
  used_after integer NOT NULL,
  event_id text,
  reason text,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS usage_adjustments_customer ON usage_adjustments (customer_id, id);
CREATE TABLE IF NOT EXISTS plan_grants (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  plan text NOT NULL,
  until timestamptz NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS plan_grants_customer ON plan_grants (customer_id, until);
`,
  },
  {
    id: 13,
    name: 'partner_outbox',
    // Events to the partner's own backend (Standard Webhooks), queued by triggers in the transaction of the
    // change that causes them: a rollback queues nothing, a commit loses nothing. partner_endpoints is the
    // config's partner_webhooks (synced at start, services/partner-webhooks.ts): with none, nothing is queued.
    // Deliveries to one endpoint go in id order; the endpoint row is leased to the instance delivering them.
    sql: `
CREATE TABLE IF NOT EXISTS partner_endpoints (
  url text PRIMARY KEY,
  -- the event types it takes; NULL: every type
  events text[],
  lease_owner text,
  leased_until timestamptz
);
CREATE TABLE IF NOT EXISTS outbox_events (
  -- the webhook-id: the same on every attempt and replay
  id text PRIMARY KEY,
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id bigserial PRIMARY KEY,
  -- outbox_events(id); no foreign key: both rows are written by one function, and the key's check would be a
  -- trigger of its own on every event
  event_id text NOT NULL,
  endpoint text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  last_status integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, endpoint)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (endpoint, id) WHERE status = 'pending';

-- A time as events carry it: ISO 8601 in UTC, to the millisecond ("2026-12-01T10:00:00.000Z").
CREATE OR REPLACE FUNCTION tollgate_iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$fn$;

-- Queue one event for every endpoint that takes its type, in the caller's transaction; its id, or NULL when none does.
CREATE OR REPLACE FUNCTION tollgate_enqueue_event(p_type text, p_data jsonb) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  msg text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM partner_endpoints WHERE events IS NULL OR p_type = ANY (events)) THEN RETURN NULL; END IF;
  msg := 'msg_' || replace(gen_random_uuid()::text, '-', '');
  INSERT INTO outbox_events (id, type, data) VALUES (msg, p_type, p_data);
  INSERT INTO webhook_deliveries (event_id, endpoint)
    SELECT msg, url FROM partner_endpoints WHERE events IS NULL OR p_type = ANY (events) ORDER BY url;
  RETURN msg;
END
$fn$;

-- The triggers' functions. The triggers themselves exist only while an endpoint is configured (created and
-- dropped by store/outbox.ts syncEndpoints): with none, a change costs nothing at all.
CREATE OR REPLACE FUNCTION tollgate_plan_changed_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM tollgate_enqueue_event('customer.plan_changed', jsonb_build_object(
    'customer_id', NEW.customer_id, 'old_plan', NEW.old_plan, 'new_plan', NEW.new_plan, 'kind', NEW.kind,
    'source', NEW.source, 'checkout_id', NEW.checkout_id, 'at', tollgate_iso(NEW.created_at)));
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION tollgate_checkout_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM tollgate_enqueue_event(CASE NEW.status WHEN 'paid' THEN 'checkout.paid' WHEN 'failed' THEN 'checkout.failed' ELSE 'payment.refunded' END, jsonb_build_object(
    'checkout_id', NEW.id, 'customer_id', NEW.customer_id, 'plan', NEW.plan, 'interval', NEW.interval, 'provider', NEW.provider,
    'amount', NEW.amount, 'currency', NEW.currency, 'status', NEW.status, 'payment_id', NEW.payment_id,
    'error', NEW.last_error, 'at', tollgate_iso(COALESCE(NEW.updated_at, now()))));
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION tollgate_subscription_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM tollgate_enqueue_event('subscription.updated', jsonb_build_object(
    'customer_id', NEW.id, 'plan', NEW.plan, 'status', NEW.status, 'cancel_at_period_end', NEW.cancel_at_period_end,
    'current_period_end', tollgate_iso(NEW.current_period_end), 'interval', NEW.plan_interval, 'provider', NEW.billing_provider,
    'at', tollgate_iso(COALESCE(NEW.updated_at, now()))));
  RETURN NULL;
END
$fn$;
`,
  },
  {
    id: 14,
    name: 'usage_thresholds',
    // usage.threshold_reached (README "Events to your backend"): a counter written with the limit it counts
    // against (usage_limit: what the plan in force allowed at that write) crosses 80 % or 100 % of it; each
    // threshold once per customer, metric and period (usage_thresholds' key), queued in the transaction of
    // the write by a trigger that exists while an endpoint is configured (store/outbox.ts).
    sql: `
ALTER TABLE usage_counters ADD COLUMN IF NOT EXISTS usage_limit integer;
CREATE TABLE IF NOT EXISTS usage_thresholds (
  customer_id text NOT NULL,
  metric text NOT NULL,
  period text NOT NULL,
  percent integer NOT NULL,
  used integer NOT NULL,
  usage_limit integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, metric, period, percent)
);
CREATE OR REPLACE FUNCTION tollgate_usage_threshold_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  p integer;
BEGIN
  FOREACH p IN ARRAY ARRAY[80, 100] LOOP
    IF NEW.used::bigint * 100 >= p::bigint * NEW.usage_limit THEN
      INSERT INTO usage_thresholds (customer_id, metric, period, percent, used, usage_limit)
        VALUES (NEW.customer_id, NEW.metric, NEW.period, p, NEW.used, NEW.usage_limit) ON CONFLICT DO NOTHING;
      IF FOUND THEN
        PERFORM tollgate_enqueue_event('usage.threshold_reached', jsonb_build_object(
          'customer_id', NEW.customer_id, 'metric', NEW.metric, 'period', NEW.period, 'threshold', p,
          'used', NEW.used, 'limit', NEW.usage_limit, 'at', tollgate_iso(now())));
      END IF;
    END IF;
  END LOOP;
  RETURN NULL;
END
$fn$;
`,
  },
  {
    id: 15,
    name: 'payments',
    // The payments ledger: one row per provider payment (PRIMARY KEY (provider, payment_id)), whatever made
    // it: a paid checkout (written by the trigger below, in the transaction that marks the checkout paid,
    // whichever path does it) or a subscription's renewal charge (written by the provider's webhook handler,
    // kind 'renewal'). A refund of a checkout marks its payment refunded in the same transaction. The
    // billing portal's history and the receipts read this table.
    sql: `
CREATE TABLE IF NOT EXISTS payments (
  provider text NOT NULL,
  payment_id text NOT NULL,
  customer_id text NOT NULL REFERENCES customers(id),
  checkout_id text REFERENCES checkouts(id),
  -- the provider's subscription id, for a subscription's charges
  subscription_id text,
  kind text NOT NULL CHECK (kind IN ('checkout', 'renewal')),
  plan text NOT NULL,
  interval text NOT NULL,
  quantity integer NOT NULL DEFAULT 1 CHECK (quantity >= 1),
  amount integer NOT NULL CHECK (amount >= 0),
  currency text NOT NULL,
  status text NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'refunded')),
  method text,
  invoice_id text,
  invoice_url text,
  period_start timestamptz,
  period_end timestamptz,
  paid_at timestamptz NOT NULL,
  refunded_at timestamptz,
  PRIMARY KEY (provider, payment_id)
);
CREATE INDEX IF NOT EXISTS payments_customer ON payments (customer_id, paid_at DESC);
CREATE OR REPLACE FUNCTION tollgate_checkout_payment() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.payment_id IS NULL THEN RETURN NULL; END IF;
  IF NEW.status = 'paid' AND OLD.status IS DISTINCT FROM 'paid' THEN
    INSERT INTO payments (provider, payment_id, customer_id, checkout_id, kind, plan, interval, amount, currency, paid_at)
      VALUES (NEW.provider, NEW.payment_id, NEW.customer_id, NEW.id, 'checkout', NEW.plan, NEW.interval, NEW.amount, NEW.currency, COALESCE(NEW.paid_at, NEW.updated_at))
      ON CONFLICT DO NOTHING;
  ELSIF NEW.status = 'refunded' AND OLD.status IS DISTINCT FROM 'refunded' THEN
    UPDATE payments SET status = 'refunded', refunded_at = NEW.updated_at WHERE checkout_id = NEW.id AND status = 'paid';
  END IF;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS checkouts_payment ON checkouts;
CREATE TRIGGER checkouts_payment AFTER UPDATE OF status ON checkouts FOR EACH ROW EXECUTE FUNCTION tollgate_checkout_payment();
INSERT INTO payments (provider, payment_id, customer_id, checkout_id, kind, plan, interval, amount, currency, status, paid_at, refunded_at)
  SELECT provider, payment_id, customer_id, id, 'checkout', plan, interval, amount, currency, status, COALESCE(paid_at, updated_at),
         CASE WHEN status = 'refunded' THEN updated_at END
    FROM checkouts WHERE payment_id IS NOT NULL AND status IN ('paid', 'refunded') AND paid_at IS NOT NULL
  ON CONFLICT DO NOTHING;
`,
  },
  {
    id: 16,
    name: 'razorpay_subscriptions',
    // Razorpay Subscriptions (providers/razorpay/subscriptions.ts). razorpay_plans: the upstream Plan made for a
    // recurring catalog price, once per (plan, interval, currency, amount): a changed price is a new key and a new
    // plan; two instances that race to make the first one both create one upstream, the first row wins and both
    // use it. razorpay_subscriptions: each subscription's last state, kept only when the entity is further along
    // (the row comparison in subscriptions.ts), so duplicated and reordered webhooks converge. customers: the
    // subscription whose plan is in force, and since when it is unpaid (halted: the grace period). A paid
    // recurring checkout sets the first and does not end at its period end or credit unused time.
    sql: `
CREATE TABLE IF NOT EXISTS razorpay_plans (
  key text PRIMARY KEY,
  plan_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS razorpay_subscriptions (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  checkout_id text REFERENCES checkouts(id),
  plan text NOT NULL,
  interval text NOT NULL,
  plan_id text NOT NULL,
  quantity integer NOT NULL DEFAULT 1 CHECK (quantity >= 1),
  status text NOT NULL,
  current_start timestamptz,
  current_end timestamptz,
  charge_at timestamptz,
  cancel_at_cycle_end boolean NOT NULL DEFAULT false,
  -- how far along the entity is: (ended, paid_count, phase, event time) compared as a row
  ended integer NOT NULL DEFAULT 0,
  paid_count integer NOT NULL DEFAULT 0,
  phase integer NOT NULL DEFAULT 0,
  event_at bigint NOT NULL DEFAULT 0,
  scheduled jsonb,
  -- Razorpay's payment_method once authorised (upi, card, emandate…)
  payment_method text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS razorpay_subscriptions_customer ON razorpay_subscriptions (customer_id, created_at DESC);
ALTER TABLE customers ADD COLUMN IF NOT EXISTS subscription_id text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS unpaid_since timestamptz;
CREATE OR REPLACE FUNCTION tollgate_mark_paid(
  p_checkout text, p_payment text, p_source text, p_event text, p_now timestamptz,
  p_month_end timestamptz, p_year_end timestamptz, p_one_period text[], p_credits text[]
) RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  k checkouts%ROWTYPE;
  c customers%ROWTYPE;
  paid record;
  audit record;
  period_end timestamptz;
  credit_ms float8 := 0;
  left_ms float8;
  len_paid float8;
  len_new float8;
  recurring boolean;
BEGIN
  SELECT * INTO k FROM checkouts WHERE id = p_checkout FOR UPDATE;
  IF NOT FOUND THEN RETURN json_build_object('error', 'not_found'); END IF;
  IF k.status IN ('paid', 'refunded') THEN
    IF k.payment_id IS DISTINCT FROM p_payment THEN RETURN json_build_object('error', 'paid_by_other'); END IF;
    IF k.status = 'refunded' THEN RETURN json_build_object('error', 'refunded'); END IF;
    SELECT old_plan, new_plan INTO audit FROM plan_changes WHERE checkout_id = k.id AND kind = 'upgrade';
    RETURN json_build_object('old_plan', COALESCE(audit.old_plan, k.plan), 'new_plan', COALESCE(audit.new_plan, k.plan), 'changed', false);
  END IF;
  IF EXISTS (SELECT 1 FROM checkouts WHERE provider = k.provider AND payment_id = p_payment AND id <> k.id) THEN
    RETURN json_build_object('error', 'payment_used');
  END IF;
  SELECT * INTO c FROM customers WHERE id = k.customer_id FOR UPDATE;
  -- A recurring price (a Razorpay Subscription) renews upstream: no "ends on", no credit; its id is the order id.
  recurring := COALESCE((k.price->>'recurring')::boolean, false);
  period_end := CASE k.interval WHEN 'once' THEN NULL WHEN 'year' THEN p_year_end ELSE p_month_end END;
  -- Unused paid time carried into a new purchase (providers with creditsUnusedTime): see markCheckoutPaid.
  IF NOT recurring AND k.provider = ANY (p_credits) AND c.subscription_id IS NULL AND c.billing_provider = k.provider AND c.current_period_end > p_now AND c.status = 'active' AND k.interval <> 'once' THEN
    SELECT amount, currency, interval INTO paid FROM checkouts
      WHERE customer_id = c.id AND plan = c.plan AND status = 'paid' AND provider = k.provider ORDER BY paid_at DESC LIMIT 1;
    IF FOUND AND paid.interval <> 'once' AND paid.currency = k.currency AND k.amount > 0 THEN
      left_ms := (EXTRACT(EPOCH FROM (c.current_period_end - p_now)) * 1000)::float8;
      len_paid := (EXTRACT(EPOCH FROM ((CASE paid.interval WHEN 'year' THEN p_year_end ELSE p_month_end END) - p_now)) * 1000)::float8;
      len_new := (EXTRACT(EPOCH FROM (period_end - p_now)) * 1000)::float8;
      credit_ms := floor((((left_ms / len_paid) * paid.amount::float8) / k.amount::float8) * len_new);
    END IF;
  END IF;
  UPDATE checkouts SET status = 'paid', payment_id = p_payment, paid_at = p_now, updated_at = p_now WHERE id = k.id;
  UPDATE customers SET plan = k.plan, status = 'active',
      cancel_at_period_end = (period_end IS NOT NULL AND k.provider = ANY (p_one_period) AND NOT recurring),
      subscription_id = CASE WHEN recurring THEN k.provider_order_id END, unpaid_since = NULL,
      current_period_end = CASE WHEN period_end IS NOT NULL AND credit_ms > 0 THEN period_end + credit_ms * interval '1 millisecond' ELSE period_end END,
      billing_provider = k.provider, plan_interval = k.interval, updated_at = p_now
    WHERE id = c.id;
  INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, payment_id, event_id, created_at)
    VALUES (c.id, c.plan, k.plan, 'upgrade', p_source, k.id, p_payment, p_event, p_now);
  RETURN json_build_object('old_plan', c.plan, 'new_plan', k.plan, 'changed', true);
END
$fn$;
`,
  },
  {
    id: 17,
    name: 'receipts',
    // Receipts and credit notes (README "Receipts"): every payment gets a receipt, every refund of one a credit
    // note, each numbered in its series by the trigger on payments, in the transaction that writes the payment.
    // The next number is taken from the series' counter row (UPDATE … RETURNING): its row lock serialises
    // concurrent payments, on every instance, and a rollback gives the number back, so a series has no gaps and
    // no repeats (UNIQUE (series, seq)). receipt_settings is the config's "receipts" (series, format, seller),
    // written at start (store/receipts.ts syncReceiptSettings); payments from before are numbered here, in
    // paid_at order. The payments trigger of migration 15 is renamed so that it fires before checkouts_event
    // (triggers fire in name order): checkout.paid then names the receipt it issued.
    sql: `
CREATE TABLE IF NOT EXISTS receipt_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  series text NOT NULL,
  credit_note_series text NOT NULL,
  format text NOT NULL,
  seller jsonb NOT NULL,
  -- TOLLGATE_PUBLIC_URL, for the receipt's URL in checkout.paid
  public_url text
);
INSERT INTO receipt_settings (series, credit_note_series, format, seller) VALUES ('TG', 'CN', '{series}-{year}-{number:06}', '{}') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS receipt_counters (
  series text PRIMARY KEY,
  next_seq bigint NOT NULL CHECK (next_seq >= 1)
);
CREATE TABLE IF NOT EXISTS receipts (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('receipt', 'credit_note')),
  series text NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 1),
  -- the number as printed (format applied at issue: a later format change renumbers nothing)
  number text NOT NULL,
  provider text NOT NULL,
  payment_id text NOT NULL,
  customer_id text NOT NULL,
  -- a credit note's receipt
  receipt_id text REFERENCES receipts(id),
  amount integer NOT NULL,
  currency text NOT NULL,
  -- the seller (the config's receipts.seller) and the buyer as they were at issue
  seller jsonb NOT NULL,
  buyer jsonb NOT NULL,
  issued_at timestamptz NOT NULL,
  UNIQUE (series, seq),
  UNIQUE (provider, payment_id, kind),
  FOREIGN KEY (provider, payment_id) REFERENCES payments (provider, payment_id)
);
CREATE INDEX IF NOT EXISTS receipts_customer ON receipts (customer_id, issued_at DESC);
CREATE INDEX IF NOT EXISTS receipts_number ON receipts (number);

-- "{series}-{year}-{number:06}" → "TG-2026-000042": {year} is the issue's year in UTC; {number:0N} pads to N digits.
CREATE OR REPLACE FUNCTION tollgate_receipt_number(p_format text, p_series text, p_seq bigint, p_at timestamptz) RETURNS text LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  width text := substring(p_format from '[{]number:0?([0-9]+)[}]');
  digits text := p_seq::text;
BEGIN
  IF width IS NOT NULL THEN digits := lpad(digits, greatest(width::int, length(digits)), '0'); END IF;
  RETURN regexp_replace(replace(replace(p_format, '{series}', p_series), '{year}', to_char(p_at AT TIME ZONE 'UTC', 'YYYY')), '[{]number(:0?[0-9]+)?[}]', digits, 'g');
END
$fn$;

-- Issue the next receipt or credit note of its series for one payment, in the caller's transaction; its id.
CREATE OR REPLACE FUNCTION tollgate_issue_receipt(p_kind text, p payments, p_receipt text, p_at timestamptz) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  s receipt_settings%ROWTYPE;
  v_series text;
  v_seq bigint;
  v_id text;
  v_buyer jsonb;
BEGIN
  SELECT * INTO s FROM receipt_settings WHERE id;
  v_series := CASE p_kind WHEN 'receipt' THEN s.series ELSE s.credit_note_series END;
  -- The counter row's lock is held to the commit: the next payment of the series waits here, on any instance.
  INSERT INTO receipt_counters AS rc (series, next_seq) VALUES (v_series, 2)
    ON CONFLICT (series) DO UPDATE SET next_seq = rc.next_seq + 1 RETURNING rc.next_seq - 1 INTO v_seq;
  -- Business details (legal name, GSTIN, billing address) are null until checkout collects them.
  SELECT jsonb_build_object('name', c.name, 'email', c.email, 'legal_name', NULL::text, 'gstin', NULL::text, 'address', NULL::text)
    INTO v_buyer FROM customers c WHERE c.id = p.customer_id;
  v_id := CASE p_kind WHEN 'receipt' THEN 'rct_' ELSE 'crn_' END || replace(gen_random_uuid()::text, '-', '');
  INSERT INTO receipts (id, kind, series, seq, number, provider, payment_id, customer_id, receipt_id, amount, currency, seller, buyer, issued_at)
    VALUES (v_id, p_kind, v_series, v_seq, tollgate_receipt_number(s.format, v_series, v_seq, p_at), p.provider, p.payment_id, p.customer_id,
            p_receipt, p.amount, p.currency, s.seller, COALESCE(v_buyer, '{}'::jsonb), p_at);
  RETURN v_id;
END
$fn$;

CREATE OR REPLACE FUNCTION tollgate_payment_receipt() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_receipt text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    v_receipt := tollgate_issue_receipt('receipt', NEW, NULL, NEW.paid_at);
  ELSIF NEW.status = 'refunded' AND OLD.status IS DISTINCT FROM 'refunded' THEN
    SELECT id INTO v_receipt FROM receipts WHERE provider = NEW.provider AND payment_id = NEW.payment_id AND kind = 'receipt';
  END IF;
  IF NEW.status = 'refunded' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'refunded') THEN
    PERFORM tollgate_issue_receipt('credit_note', NEW, v_receipt, COALESCE(NEW.refunded_at, now()));
  END IF;
  RETURN NULL;
END
$fn$;

-- The payments made before: receipts in paid_at order, then credit notes in refund order.
DO $do$
DECLARE
  p payments%ROWTYPE;
BEGIN
  FOR p IN SELECT * FROM payments ORDER BY paid_at, provider, payment_id LOOP
    PERFORM tollgate_issue_receipt('receipt', p, NULL, p.paid_at);
  END LOOP;
  FOR p IN SELECT * FROM payments WHERE status = 'refunded' ORDER BY COALESCE(refunded_at, paid_at), provider, payment_id LOOP
    PERFORM tollgate_issue_receipt('credit_note', p, (SELECT id FROM receipts r WHERE r.provider = p.provider AND r.payment_id = p.payment_id AND r.kind = 'receipt'), COALESCE(p.refunded_at, p.paid_at));
  END LOOP;
END
$do$;

DROP TRIGGER IF EXISTS payments_receipt ON payments;
CREATE TRIGGER payments_receipt AFTER INSERT OR UPDATE OF status ON payments FOR EACH ROW EXECUTE FUNCTION tollgate_payment_receipt();
ALTER TRIGGER checkouts_payment ON checkouts RENAME TO checkouts_a_payment;

-- checkout.paid and payment.refunded name the receipt (and the credit note) issued in their transaction.
CREATE OR REPLACE FUNCTION tollgate_checkout_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_url text := (SELECT public_url FROM receipt_settings WHERE id) || '/v1/customers/' || NEW.customer_id || '/receipts/';
  v_receipt jsonb;
  v_credit jsonb;
BEGIN
  SELECT jsonb_build_object('id', id, 'number', number, 'url', v_url || id) INTO v_receipt FROM receipts
    WHERE provider = NEW.provider AND payment_id = NEW.payment_id AND kind = 'receipt';
  SELECT jsonb_build_object('id', id, 'number', number, 'url', v_url || id) INTO v_credit FROM receipts
    WHERE provider = NEW.provider AND payment_id = NEW.payment_id AND kind = 'credit_note';
  PERFORM tollgate_enqueue_event(CASE NEW.status WHEN 'paid' THEN 'checkout.paid' WHEN 'failed' THEN 'checkout.failed' ELSE 'payment.refunded' END, jsonb_build_object(
    'checkout_id', NEW.id, 'customer_id', NEW.customer_id, 'plan', NEW.plan, 'interval', NEW.interval, 'provider', NEW.provider,
    'amount', NEW.amount, 'currency', NEW.currency, 'status', NEW.status, 'payment_id', NEW.payment_id,
    'error', NEW.last_error, 'at', tollgate_iso(COALESCE(NEW.updated_at, now())))
    || CASE WHEN NEW.status = 'paid' THEN jsonb_build_object('receipt', v_receipt) WHEN NEW.status = 'refunded' THEN jsonb_build_object('receipt', v_receipt, 'credit_note', v_credit) ELSE '{}'::jsonb END);
  RETURN NULL;
END
$fn$;
`,
  },
  {
    id: 18,
    name: 'promotion_codes',
    // Promotion codes (README "Promotion codes", store/promotions.ts). A checkout records the code it was
    // priced with, the discount and the code's terms (its `amount` is what is charged). Each checkout with a
    // code holds one redemption (promotion_holds, one row per checkout: a retried checkout holds once);
    // promotion_counts keeps, per code, the live holds and redemptions overall (customer_id '') and per
    // customer, changed only by the functions below: the claim increments both counters with a conditional
    // upsert, whose row lock and re-checked WHERE make concurrent claims (on any instance) queue, so the
    // limits are never exceeded. A hold is released when its checkout expires or is canceled (the trigger,
    // whichever path sets the status) or, past its expires_at, by the next claim of the same code (which
    // marks such a checkout expired); a paid checkout turns its hold into a redemption, counted again if its
    // hold had been released (a late payment at the discounted price is still one redemption).
    sql: `
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS promotion_code text;
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS discount integer NOT NULL DEFAULT 0 CHECK (discount >= 0);
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS promotion jsonb;
-- The stored price is the price before the discount: what is charged is it less the discount (migration 5's check, extended).
ALTER TABLE checkouts DROP CONSTRAINT IF EXISTS checkouts_price_matches;
ALTER TABLE checkouts ADD CONSTRAINT checkouts_price_matches CHECK (
  price IS NULL OR (price->>'provider' = provider AND price->>'currency' = currency AND price->>'interval' = interval AND (price->>'amount')::bigint = amount::bigint + discount)
);
CREATE TABLE IF NOT EXISTS promotion_holds (
  checkout_id text PRIMARY KEY REFERENCES checkouts(id),
  code text NOT NULL,
  customer_id text NOT NULL REFERENCES customers(id),
  status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'redeemed', 'released')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  settled_at timestamptz
);
CREATE INDEX IF NOT EXISTS promotion_holds_due ON promotion_holds (code, expires_at) WHERE status = 'held';
CREATE TABLE IF NOT EXISTS promotion_counts (
  code text NOT NULL,
  -- '' for the code's total
  customer_id text NOT NULL,
  used integer NOT NULL CHECK (used >= 0),
  PRIMARY KEY (code, customer_id)
);

-- Release one checkout's hold: its counters go down once, however often this runs.
CREATE OR REPLACE FUNCTION tollgate_release_promotion(p_checkout text, p_now timestamptz) RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  h record;
BEGIN
  UPDATE promotion_holds SET status = 'released', settled_at = p_now WHERE checkout_id = p_checkout AND status = 'held' RETURNING code, customer_id INTO h;
  IF NOT FOUND THEN RETURN false; END IF;
  -- The code's total first, then the customer's: every path takes the counters in this order (no deadlock).
  UPDATE promotion_counts SET used = used - 1 WHERE code = h.code AND customer_id = '' AND used > 0;
  UPDATE promotion_counts SET used = used - 1 WHERE code = h.code AND customer_id = h.customer_id AND used > 0;
  RETURN true;
END
$fn$;

-- Claim one redemption of a code for a checkout, in one statement: 'held', 'exists' (this checkout holds
-- it already: a retry), or the limit that refused it ('exhausted', 'already_used', 'first_purchase_only').
CREATE OR REPLACE FUNCTION tollgate_claim_promotion(
  p_code text, p_checkout text, p_customer text, p_max integer, p_max_per_customer integer, p_first_only boolean, p_now timestamptz, p_expires timestamptz
) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM promotion_holds WHERE checkout_id = p_checkout) THEN RETURN 'exists'; END IF;
  -- Holds past their time: their open checkouts expire, in one statement that locks those rows before its
  -- triggers release the holds (checkout, then counters: the order a payment's path takes them in too).
  UPDATE checkouts SET status = 'expired', updated_at = p_now
    WHERE id IN (SELECT checkout_id FROM promotion_holds WHERE code = p_code AND status = 'held' AND expires_at <= p_now)
      AND status IN ('created', 'starting', 'pending', 'failed');
  IF p_first_only AND EXISTS (SELECT 1 FROM checkouts WHERE customer_id = p_customer AND status IN ('paid', 'refunded')) THEN RETURN 'first_purchase_only'; END IF;
  INSERT INTO promotion_counts AS pc (code, customer_id, used) VALUES (p_code, '', 1)
    ON CONFLICT (code, customer_id) DO UPDATE SET used = pc.used + 1 WHERE p_max IS NULL OR pc.used < p_max;
  IF NOT FOUND THEN RETURN 'exhausted'; END IF;
  INSERT INTO promotion_counts AS pc (code, customer_id, used) VALUES (p_code, p_customer, 1)
    ON CONFLICT (code, customer_id) DO UPDATE SET used = pc.used + 1 WHERE pc.used < p_max_per_customer;
  IF NOT FOUND THEN
    UPDATE promotion_counts SET used = used - 1 WHERE code = p_code AND customer_id = '';
    RETURN CASE WHEN p_first_only THEN 'first_purchase_only' ELSE 'already_used' END;
  END IF;
  INSERT INTO promotion_holds (checkout_id, code, customer_id, expires_at, created_at) VALUES (p_checkout, p_code, p_customer, p_expires, p_now);
  RETURN 'held';
END
$fn$;

CREATE OR REPLACE FUNCTION tollgate_checkout_promotion() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  h record;
BEGIN
  IF NEW.status IN ('expired', 'canceled') THEN
    PERFORM tollgate_release_promotion(NEW.id, COALESCE(NEW.updated_at, now()));
  ELSIF NEW.status = 'paid' AND OLD.status IS DISTINCT FROM 'paid' THEN
    SELECT code, customer_id, status INTO h FROM promotion_holds WHERE checkout_id = NEW.id FOR UPDATE;
    IF FOUND AND h.status <> 'redeemed' THEN
      UPDATE promotion_holds SET status = 'redeemed', settled_at = COALESCE(NEW.paid_at, NEW.updated_at) WHERE checkout_id = NEW.id;
      IF h.status = 'released' THEN
        INSERT INTO promotion_counts AS pc (code, customer_id, used) VALUES (h.code, '', 1), (h.code, h.customer_id, 1)
          ON CONFLICT (code, customer_id) DO UPDATE SET used = pc.used + 1;
      END IF;
    END IF;
  END IF;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS checkouts_promotion ON checkouts;
CREATE TRIGGER checkouts_promotion AFTER UPDATE OF status ON checkouts FOR EACH ROW WHEN (NEW.promotion_code IS NOT NULL) EXECUTE FUNCTION tollgate_checkout_promotion();
`,
  },
  {
    id: 20,
    name: 'consume_function',
    // The metered checks that arrive together (POST /v1/check with consume: store/usage.ts consumeUsageBatched)
    // as one statement: each item is consumeUsage's conditional upsert, in order, in one transaction, answered
    // as [allowed, used] pairs. One round trip per batch where a transaction of N upserts takes N + 2.
    sql: `
CREATE OR REPLACE FUNCTION tollgate_consume(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  it jsonb;
  q integer;
  lim integer;
  n integer;
  answers jsonb := '[]'::jsonb;
BEGIN
  FOR it IN SELECT value FROM jsonb_array_elements(p_items) LOOP
    q := (it->>'quantity')::integer;
    lim := (it->>'limit')::integer;
    INSERT INTO usage_counters (customer_id, metric, period, used, usage_limit)
      SELECT it->>'customer_id', it->>'metric', it->>'period', q, lim WHERE lim IS NULL OR q <= lim
      ON CONFLICT (customer_id, metric, period) DO UPDATE SET used = usage_counters.used + EXCLUDED.used, usage_limit = EXCLUDED.usage_limit
      WHERE (lim IS NULL OR usage_counters.used + EXCLUDED.used <= lim) AND usage_counters.used::bigint + EXCLUDED.used <= 2147483647
      RETURNING used INTO n;
    IF FOUND THEN
      answers := answers || jsonb_build_array(jsonb_build_array(true, n));
    ELSE
      SELECT used INTO n FROM usage_counters WHERE customer_id = it->>'customer_id' AND metric = it->>'metric' AND period = it->>'period';
      answers := answers || jsonb_build_array(jsonb_build_array(false, COALESCE(n, 0)));
    END IF;
  END LOOP;
  RETURN answers;
END
$fn$;
`,
  },
  {
    id: 21,
    name: 'seats_taxes',
    // Seats and taxes (README "Seats", "Taxes"): a checkout keeps its quantity, its tax line (null: no tax) and
    // the buyer's business details (GSTIN, VAT id, legal name, address) for the receipt; its `amount` stays the
    // total charged, checked against the stored unit price in SQL. The payments trigger of migration 15 is replaced to copy the quantity into the ledger, and
    // a paid per-seat checkout sets the customer's seats (the `seats` limit in entitlements; null: the plan's).
    sql: `
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS quantity integer NOT NULL DEFAULT 1 CHECK (quantity >= 1);
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS per_unit boolean NOT NULL DEFAULT false;
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS tax jsonb;
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS tax_amount integer NOT NULL DEFAULT 0 CHECK (tax_amount >= 0);
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS business jsonb;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS seats integer CHECK (seats >= 1);
-- What is charged is the unit price × the seats, less the discount, plus an exclusive tax (migration 18's check, extended).
ALTER TABLE checkouts DROP CONSTRAINT IF EXISTS checkouts_price_matches;
ALTER TABLE checkouts ADD CONSTRAINT checkouts_price_matches CHECK (
  price IS NULL OR (price->>'provider' = provider AND price->>'currency' = currency AND price->>'interval' = interval
    AND (price->>'amount')::bigint * quantity = amount::bigint + discount - CASE WHEN tax IS NOT NULL AND NOT (tax->>'inclusive')::boolean THEN tax_amount ELSE 0 END)
);
ALTER TABLE checkouts ADD CONSTRAINT checkouts_tax_amount CHECK (tax_amount = COALESCE((tax->>'amount')::integer, 0));
CREATE OR REPLACE FUNCTION tollgate_checkout_payment() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.payment_id IS NULL THEN RETURN NULL; END IF;
  IF NEW.status = 'paid' AND OLD.status IS DISTINCT FROM 'paid' THEN
    INSERT INTO payments (provider, payment_id, customer_id, checkout_id, kind, plan, interval, quantity, amount, currency, paid_at)
      VALUES (NEW.provider, NEW.payment_id, NEW.customer_id, NEW.id, 'checkout', NEW.plan, NEW.interval, NEW.quantity, NEW.amount, NEW.currency, COALESCE(NEW.paid_at, NEW.updated_at))
      ON CONFLICT DO NOTHING;
    UPDATE customers SET seats = CASE WHEN NEW.per_unit THEN NEW.quantity END WHERE id = NEW.customer_id AND seats IS DISTINCT FROM (CASE WHEN NEW.per_unit THEN NEW.quantity END);
  ELSIF NEW.status = 'refunded' AND OLD.status IS DISTINCT FROM 'refunded' THEN
    UPDATE payments SET status = 'refunded', refunded_at = NEW.updated_at WHERE checkout_id = NEW.id AND status = 'paid';
  END IF;
  RETURN NULL;
END
$fn$;
`,
  },
  {
    id: 22,
    name: 'razorpay_subscription_claims',
    // One Razorpay subscription being bought per customer at a time (providers/razorpay/subscriptions.ts): a
    // checkout claims the customer's row before the subscription is made upstream; another checkout of the same
    // customer may take the claim only once the claiming checkout is no longer open (paid, expired, canceled)
    // or its subscription can no longer be authorised (expire_by passed). Two tabs buying at once thus make one
    // subscription upstream, not two that would both bill.
    sql: `
CREATE TABLE IF NOT EXISTS razorpay_subscription_claims (
  customer_id text PRIMARY KEY REFERENCES customers(id),
  checkout_id text NOT NULL REFERENCES checkouts(id),
  -- the last moment the claiming checkout's subscription can be authorised
  open_until timestamptz NOT NULL
);
`,
  },
  {
    id: 23,
    name: 'checkout_event_terms',
    // checkout.paid / checkout.failed / payment.refunded carry the checkout's terms too (README "Events to your
    // backend"): seats (quantity), the promotion code and its discount, and the tax line; migration 17's
    // function otherwise as it was.
    sql: `
CREATE OR REPLACE FUNCTION tollgate_checkout_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_url text := (SELECT public_url FROM receipt_settings WHERE id) || '/v1/customers/' || NEW.customer_id || '/receipts/';
  v_receipt jsonb;
  v_credit jsonb;
BEGIN
  SELECT jsonb_build_object('id', id, 'number', number, 'url', v_url || id) INTO v_receipt FROM receipts
    WHERE provider = NEW.provider AND payment_id = NEW.payment_id AND kind = 'receipt';
  SELECT jsonb_build_object('id', id, 'number', number, 'url', v_url || id) INTO v_credit FROM receipts
    WHERE provider = NEW.provider AND payment_id = NEW.payment_id AND kind = 'credit_note';
  PERFORM tollgate_enqueue_event(CASE NEW.status WHEN 'paid' THEN 'checkout.paid' WHEN 'failed' THEN 'checkout.failed' ELSE 'payment.refunded' END, jsonb_build_object(
    'checkout_id', NEW.id, 'customer_id', NEW.customer_id, 'plan', NEW.plan, 'interval', NEW.interval, 'provider', NEW.provider,
    'amount', NEW.amount, 'currency', NEW.currency, 'status', NEW.status, 'payment_id', NEW.payment_id,
    'quantity', NEW.quantity, 'promotion_code', NEW.promotion_code, 'discount', NEW.discount, 'tax', NEW.tax,
    'error', NEW.last_error, 'at', tollgate_iso(COALESCE(NEW.updated_at, now())))
    || CASE WHEN NEW.status = 'paid' THEN jsonb_build_object('receipt', v_receipt) WHEN NEW.status = 'refunded' THEN jsonb_build_object('receipt', v_receipt, 'credit_note', v_credit) ELSE '{}'::jsonb END);
  RETURN NULL;
END
$fn$;
`,
  },
  {
    id: 24,
    name: 'seat_changes',
    // Seat changes after purchase (README "Seats and taxes", services/seats.ts). A one-off period (a Razorpay order)
    // gets more seats through a top-up checkout (kind 'seats'): `quantity` is the seats added, `seats_from` the seats
    // in force when it was priced and `prorated_until` the period end it runs to; its amount is the prorated price
    // (at most the full unit price × the seats added, no promotion code). Paid, it makes no plan change and leaves
    // the period end as it is: tollgate_mark_paid (migration 16's, with this branch, and the unused-time credit now
    // valued from plan checkouts only) marks it paid once, and the payments trigger (migration 21's) adds its seats
    // to the customer's, while the customer is still on its plan; a refund of it takes them off again. checkout.paid,
    // checkout.failed and payment.refunded say which kind of checkout it was (migration 23's function, with `kind`
    // and `seats_from`).
    sql: `
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'plan' CHECK (kind IN ('plan', 'seats'));
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS seats_from integer CHECK (seats_from >= 1);
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS prorated_until timestamptz;
ALTER TABLE checkouts ADD CONSTRAINT checkouts_seat_topup CHECK (kind = 'plan' OR (per_unit AND seats_from IS NOT NULL AND discount = 0 AND promotion_code IS NULL));
-- A plan checkout charges the unit price × the seats (migration 21's check); a top-up at most that, prorated.
ALTER TABLE checkouts DROP CONSTRAINT IF EXISTS checkouts_price_matches;
ALTER TABLE checkouts ADD CONSTRAINT checkouts_price_matches CHECK (
  price IS NULL OR (price->>'provider' = provider AND price->>'currency' = currency AND price->>'interval' = interval
    AND CASE WHEN kind = 'seats'
      THEN amount::bigint - CASE WHEN tax IS NOT NULL AND NOT (tax->>'inclusive')::boolean THEN tax_amount ELSE 0 END <= (price->>'amount')::bigint * quantity
      ELSE (price->>'amount')::bigint * quantity = amount::bigint + discount - CASE WHEN tax IS NOT NULL AND NOT (tax->>'inclusive')::boolean THEN tax_amount ELSE 0 END END)
);
CREATE OR REPLACE FUNCTION tollgate_checkout_payment() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.payment_id IS NULL THEN RETURN NULL; END IF;
  IF NEW.status = 'paid' AND OLD.status IS DISTINCT FROM 'paid' THEN
    INSERT INTO payments (provider, payment_id, customer_id, checkout_id, kind, plan, interval, quantity, amount, currency, paid_at)
      VALUES (NEW.provider, NEW.payment_id, NEW.customer_id, NEW.id, 'checkout', NEW.plan, NEW.interval, NEW.quantity, NEW.amount, NEW.currency, COALESCE(NEW.paid_at, NEW.updated_at))
      ON CONFLICT DO NOTHING;
    IF NEW.kind = 'seats' THEN
      -- Added to the seats in force (two top-ups paid in any order add both); none while on another plan.
      UPDATE customers SET seats = COALESCE(seats, NEW.seats_from) + NEW.quantity WHERE id = NEW.customer_id AND plan = NEW.plan;
    ELSE
      UPDATE customers SET seats = CASE WHEN NEW.per_unit THEN NEW.quantity END WHERE id = NEW.customer_id AND seats IS DISTINCT FROM (CASE WHEN NEW.per_unit THEN NEW.quantity END);
    END IF;
  ELSIF NEW.status = 'refunded' AND OLD.status IS DISTINCT FROM 'refunded' THEN
    UPDATE payments SET status = 'refunded', refunded_at = NEW.updated_at WHERE checkout_id = NEW.id AND status = 'paid';
    IF NEW.kind = 'seats' AND OLD.status = 'paid' THEN
      UPDATE customers SET seats = GREATEST(1, seats - NEW.quantity) WHERE id = NEW.customer_id AND plan = NEW.plan AND seats IS NOT NULL;
    END IF;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE FUNCTION tollgate_mark_paid(
  p_checkout text, p_payment text, p_source text, p_event text, p_now timestamptz,
  p_month_end timestamptz, p_year_end timestamptz, p_one_period text[], p_credits text[]
) RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  k checkouts%ROWTYPE;
  c customers%ROWTYPE;
  paid record;
  audit record;
  period_end timestamptz;
  credit_ms float8 := 0;
  left_ms float8;
  len_paid float8;
  len_new float8;
  recurring boolean;
BEGIN
  SELECT * INTO k FROM checkouts WHERE id = p_checkout FOR UPDATE;
  IF NOT FOUND THEN RETURN json_build_object('error', 'not_found'); END IF;
  IF k.status IN ('paid', 'refunded') THEN
    IF k.payment_id IS DISTINCT FROM p_payment THEN RETURN json_build_object('error', 'paid_by_other'); END IF;
    IF k.status = 'refunded' THEN RETURN json_build_object('error', 'refunded'); END IF;
    SELECT old_plan, new_plan INTO audit FROM plan_changes WHERE checkout_id = k.id AND kind = 'upgrade';
    RETURN json_build_object('old_plan', COALESCE(audit.old_plan, k.plan), 'new_plan', COALESCE(audit.new_plan, k.plan), 'changed', false);
  END IF;
  IF EXISTS (SELECT 1 FROM checkouts WHERE provider = k.provider AND payment_id = p_payment AND id <> k.id) THEN
    RETURN json_build_object('error', 'payment_used');
  END IF;
  -- A seat top-up: paid, its seats added by the payments trigger; the plan and the period end stay as they are.
  IF k.kind = 'seats' THEN
    UPDATE checkouts SET status = 'paid', payment_id = p_payment, paid_at = p_now, updated_at = p_now WHERE id = k.id;
    RETURN json_build_object('old_plan', k.plan, 'new_plan', k.plan, 'changed', true);
  END IF;
  SELECT * INTO c FROM customers WHERE id = k.customer_id FOR UPDATE;
  -- A recurring price (a Razorpay Subscription) renews upstream: no "ends on", no credit; its id is the order id.
  recurring := COALESCE((k.price->>'recurring')::boolean, false);
  period_end := CASE k.interval WHEN 'once' THEN NULL WHEN 'year' THEN p_year_end ELSE p_month_end END;
  -- Unused paid time carried into a new purchase (providers with creditsUnusedTime): see markCheckoutPaid.
  IF NOT recurring AND k.provider = ANY (p_credits) AND c.subscription_id IS NULL AND c.billing_provider = k.provider AND c.current_period_end > p_now AND c.status = 'active' AND k.interval <> 'once' THEN
    SELECT amount, currency, interval INTO paid FROM checkouts
      WHERE customer_id = c.id AND plan = c.plan AND status = 'paid' AND provider = k.provider AND kind = 'plan' ORDER BY paid_at DESC LIMIT 1;
    IF FOUND AND paid.interval <> 'once' AND paid.currency = k.currency AND k.amount > 0 THEN
      left_ms := (EXTRACT(EPOCH FROM (c.current_period_end - p_now)) * 1000)::float8;
      len_paid := (EXTRACT(EPOCH FROM ((CASE paid.interval WHEN 'year' THEN p_year_end ELSE p_month_end END) - p_now)) * 1000)::float8;
      len_new := (EXTRACT(EPOCH FROM (period_end - p_now)) * 1000)::float8;
      credit_ms := floor((((left_ms / len_paid) * paid.amount::float8) / k.amount::float8) * len_new);
    END IF;
  END IF;
  UPDATE checkouts SET status = 'paid', payment_id = p_payment, paid_at = p_now, updated_at = p_now WHERE id = k.id;
  UPDATE customers SET plan = k.plan, status = 'active',
      cancel_at_period_end = (period_end IS NOT NULL AND k.provider = ANY (p_one_period) AND NOT recurring),
      subscription_id = CASE WHEN recurring THEN k.provider_order_id END, unpaid_since = NULL,
      current_period_end = CASE WHEN period_end IS NOT NULL AND credit_ms > 0 THEN period_end + credit_ms * interval '1 millisecond' ELSE period_end END,
      billing_provider = k.provider, plan_interval = k.interval, updated_at = p_now
    WHERE id = c.id;
  INSERT INTO plan_changes (customer_id, old_plan, new_plan, kind, source, checkout_id, payment_id, event_id, created_at)
    VALUES (c.id, c.plan, k.plan, 'upgrade', p_source, k.id, p_payment, p_event, p_now);
  RETURN json_build_object('old_plan', c.plan, 'new_plan', k.plan, 'changed', true);
END
$fn$;
CREATE OR REPLACE FUNCTION tollgate_checkout_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_url text := (SELECT public_url FROM receipt_settings WHERE id) || '/v1/customers/' || NEW.customer_id || '/receipts/';
  v_receipt jsonb;
  v_credit jsonb;
BEGIN
  SELECT jsonb_build_object('id', id, 'number', number, 'url', v_url || id) INTO v_receipt FROM receipts
    WHERE provider = NEW.provider AND payment_id = NEW.payment_id AND kind = 'receipt';
  SELECT jsonb_build_object('id', id, 'number', number, 'url', v_url || id) INTO v_credit FROM receipts
    WHERE provider = NEW.provider AND payment_id = NEW.payment_id AND kind = 'credit_note';
  PERFORM tollgate_enqueue_event(CASE NEW.status WHEN 'paid' THEN 'checkout.paid' WHEN 'failed' THEN 'checkout.failed' ELSE 'payment.refunded' END, jsonb_build_object(
    'checkout_id', NEW.id, 'customer_id', NEW.customer_id, 'plan', NEW.plan, 'interval', NEW.interval, 'provider', NEW.provider,
    'amount', NEW.amount, 'currency', NEW.currency, 'status', NEW.status, 'payment_id', NEW.payment_id,
    'quantity', NEW.quantity, 'promotion_code', NEW.promotion_code, 'discount', NEW.discount, 'tax', NEW.tax,
    'kind', NEW.kind, 'seats_from', NEW.seats_from,
    'error', NEW.last_error, 'at', tollgate_iso(COALESCE(NEW.updated_at, now())))
    || CASE WHEN NEW.status = 'paid' THEN jsonb_build_object('receipt', v_receipt) WHEN NEW.status = 'refunded' THEN jsonb_build_object('receipt', v_receipt, 'credit_note', v_credit) ELSE '{}'::jsonb END);
  RETURN NULL;
END
$fn$;
`,
  },
];
