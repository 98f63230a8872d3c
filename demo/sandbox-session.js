// Demo helper: a sandbox customer session for the demo pages. On a real site the partner's backend
// mints the token (POST /v1/sessions with its API key); the sandbox route stands in for that here.
const STORAGE_KEY = 'tollgate-demo-customer';
/** The Tollgate server this page came from, with the path it is mounted under (…/billing). */
export const API = new URL('..', import.meta.url).href.replace(/\/$/, '');

function store() {
  try {
    return window.localStorage;
  } catch {
    return undefined; // storage disabled (some webviews): a new customer per page load
  }
}

function freshId() {
  return 'demo_' + crypto.randomUUID().replaceAll('-', '').slice(0, 12);
}

/** The demo customer of this browser, kept across reloads. */
export function currentCustomer() {
  const storage = store();
  let id = storage?.getItem(STORAGE_KEY);
  if (!id) {
    id = freshId();
    storage?.setItem(STORAGE_KEY, id);
  }
  return id;
}

/** Forget the current customer and make a new one (on the free plan again). */
export function newCustomer() {
  const id = freshId();
  store()?.setItem(STORAGE_KEY, id);
  return id;
}

/** `POST /v1/sandbox/session` → the customer token the elements send as a bearer token. */
export async function sandboxSession(customerId) {
  const response = await fetch(`${API}/v1/sandbox/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify({ customer_id: customerId }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.token !== 'string') {
    const reason = body.error?.message ?? `HTTP ${response.status}`;
    throw new Error(`Could not start a sandbox session: ${reason}`);
  }
  return body.token;
}

/**
 * Wire the page's session strip: shows the customer id, gets a session, hands it to `configure`,
 * and "Start over as a new customer" reloads the page as a new one.
 */
export function startSessionStrip(configure, root = document) {
  const idOut = root.querySelector('[data-customer-id]');
  const status = root.querySelector('[data-session-status]');
  const restart = root.querySelector('[data-new-customer]');
  // `data-i18n` names the line, so a page that translates its copy (the dashboard) can translate it too.
  const say = (key, text) => {
    if (!status) return;
    status.setAttribute('data-i18n', key);
    status.textContent = text;
  };
  async function connect(customerId) {
    if (idOut) idOut.textContent = customerId;
    say('session.connecting', 'Connecting…');
    try {
      const token = await sandboxSession(customerId);
      configure({ session: token });
      say('session.signed_in', 'Signed in (sandbox)');
    } catch (error) {
      status?.removeAttribute('data-i18n');
      if (status) status.textContent = error instanceof Error ? error.message : String(error);
    }
  }
  // A new customer starts from a clean page: no checkout state of the previous one lingers.
  restart?.addEventListener('click', () => {
    newCustomer();
    location.reload();
  });
  return connect(currentCustomer());
}

let catalog;
/**
 * A plan's display name (the events carry plan ids): from a <plan-picker> on the page, which has the
 * catalog already, else from the public catalog.
 */
export async function planName(id) {
  const known = document.querySelector('plan-picker')?.planNameOf?.(id);
  if (known) return known;
  catalog ??= fetch(`${API}/v1/plans`).then((r) => (r.ok ? r.json() : { plans: [] })).catch(() => ({ plans: [] }));
  return (await catalog).plans.find((p) => p.id === id)?.name ?? id;
}
