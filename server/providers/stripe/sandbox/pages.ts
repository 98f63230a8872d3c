// Sandbox-only pages standing in for Stripe's: the hosted Checkout page, the embedded form (for an iframe),
// and the Billing Portal. Paying completes the simulated session, which sends real signed webhooks to the
// server's own /v1/webhooks/stripe before the customer is sent back, as Stripe would (a moment earlier).
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../../../context.js';
import { AppError } from '../../../errors.js';
import type { SimSession, StripeSimulator } from './simulator.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function money(amount: number, currency: string | null): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: (currency ?? 'usd').toUpperCase() }).format(amount / 100);
  } catch {
    return `${amount / 100} ${currency ?? ''}`;
  }
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f6f9fc;color:#1a1f36}
main{max-width:420px;margin:40px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 2px 8px #0002}
h1{font-size:18px;margin:0 0 4px}.badge{display:inline-block;background:#ffde92;border-radius:4px;padding:0 6px;font-size:12px}
.total{font-size:28px;font-weight:600;margin:12px 0}button{font:inherit;padding:10px 16px;border-radius:6px;border:1px solid #ccd;cursor:pointer;margin-right:8px}
button.pay{background:#635bff;color:#fff;border-color:#635bff}form{display:inline}.muted{color:#697386;font-size:13px}`;

function page(c: Context<AppEnv>, title: string, body: string, options: { script?: string; framable?: boolean } = {}): Response {
  const nonce = randomBytes(16).toString('base64');
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; frame-ancestors ${options.framable ? '*' : "'none'"}`,
  );
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  const script = options.script ? `<script nonce="${nonce}">${options.script}</script>` : '';
  return c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style nonce="${nonce}">${STYLE}</style></head><body><main>${body}</main>${script}</body></html>`);
}

function summary(simulator: StripeSimulator, session: SimSession): string {
  const price = simulator.lineItems.get(session.id)?.[0];
  const interval = price?.recurring ? ` per ${price.recurring.interval}` : '';
  const trialDays = session.mode === 'subscription' ? simulator.trialDaysOf(session.id) : 0;
  return `<span class="badge">Sandbox: no real payment</span>
<h1>${esc(price?.product_name ?? 'Order')}</h1>
<div class="total">${esc(money(session.amount_total, session.currency))}<span class="muted">${esc(interval)}</span></div>
${trialDays ? `<p>${trialDays}-day free trial: nothing is charged today.</p>` : ''}<p class="muted">Simulated Stripe Checkout. Pay completes the session and sends signed webhooks to this server.</p>`;
}

export function sandboxStripeRoutes(simulator: StripeSimulator): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  function openSession(id: string, uiMode: SimSession['ui_mode']): SimSession {
    const session = simulator.sessions.get(id);
    if (!session || session.ui_mode !== uiMode) throw new AppError('not_found', 'No such sandbox checkout session');
    return session;
  }

  // Hosted page (checkout.stripe.com stand-in): plain forms, no script.
  routes.get('/sandbox/stripe/checkout/:id', (c) => {
    const session = openSession(c.req.param('id'), 'hosted_page');
    const id = encodeURIComponent(session.id);
    const body =
      session.status === 'open'
        ? `${summary(simulator, session)}<form method="post" action="${c.get('deps').config.basePath}/sandbox/stripe/checkout/${id}/pay"><button class="pay" type="submit">Pay</button></form><form method="post" action="${c.get('deps').config.basePath}/sandbox/stripe/checkout/${id}/cancel"><button type="submit">Cancel</button></form>`
        : `<h1>This checkout is ${esc(session.status)}</h1>${session.success_url ? `<p><a href="${esc(session.success_url)}">Return</a></p>` : ''}`;
    return page(c, 'Sandbox Stripe Checkout', body);
  });

  routes.post('/sandbox/stripe/checkout/:id/pay', async (c) => {
    const session = openSession(c.req.param('id'), 'hosted_page');
    if (session.status === 'expired') throw new AppError('conflict', 'This checkout session has expired');
    await simulator.completeSession(session.id);
    return c.redirect(session.success_url!, 303);
  });

  routes.post('/sandbox/stripe/checkout/:id/cancel', (c) => {
    const session = openSession(c.req.param('id'), 'hosted_page');
    // Stripe leaves the session open (it expires later); the customer just goes back.
    return c.redirect(session.cancel_url ?? session.success_url!, 303);
  });

  // Embedded form, meant for an iframe; the parent learns the outcome by postMessage, sent only to the
  // origin of the session's return_url (the embedding page), never to "*".
  routes.get('/sandbox/stripe/embedded/:id', (c) => {
    const session = openSession(c.req.param('id'), 'embedded_page');
    const target = session.return_url ? new URL(session.return_url).origin : null;
    const body =
      session.status === 'open'
        ? `${summary(simulator, session)}<button class="pay" id="pay" type="button">Pay</button><p id="msg" class="muted" role="status"></p>`
        : `<h1>This checkout is ${esc(session.status)}</h1>`;
    const script = `(function(){var b=document.getElementById('pay');if(!b)return;var m=document.getElementById('msg');
b.addEventListener('click',function(){b.disabled=true;m.textContent='Processing…';
fetch(${JSON.stringify(`${c.get('deps').config.basePath}/sandbox/stripe/embedded/${encodeURIComponent(session.id)}/pay`)},{method:'POST'}).then(function(r){return r.json().then(function(j){if(!r.ok)throw new Error((j.error&&j.error.message)||'failed');return j;});})
.then(function(j){m.textContent='Paid';if(window.parent!==window)window.parent.postMessage({type:'tollgate:stripe-sandbox-complete',checkout_id:j.checkout_id},${JSON.stringify(target)});})
.catch(function(e){b.disabled=false;m.textContent=e.message;});});})();`;
    return page(c, 'Sandbox Stripe embedded checkout', body, { script: target ? script : undefined, framable: true });
  });

  routes.post('/sandbox/stripe/embedded/:id/pay', async (c) => {
    const session = openSession(c.req.param('id'), 'embedded_page');
    if (session.status === 'expired') throw new AppError('conflict', 'This checkout session has expired');
    await simulator.completeSession(session.id);
    return c.json({ checkout_id: session.client_reference_id, status: session.status, payment_status: session.payment_status });
  });

  // Billing Portal stand-in: the customer's subscriptions with cancel / resume.
  routes.get('/sandbox/stripe/portal/:id', (c) => {
    const portal = simulator.portalSessions.get(c.req.param('id'));
    if (!portal) throw new AppError('not_found', 'No such sandbox portal session');
    const subs = [...simulator.subscriptions.values()].filter((s) => s.customer === portal.customer);
    const pid = encodeURIComponent(portal.id);
    const rows = subs
      .map((s) => {
        const price = s.items.data[0]?.price;
        const end = s.items.data[0]?.current_period_end;
        const actions =
          s.status === 'canceled'
            ? ''
            : `<form method="post" action="${c.get('deps').config.basePath}/sandbox/stripe/portal/${pid}/${encodeURIComponent(s.id)}/${s.cancel_at_period_end ? 'resume' : 'cancel_at_period_end'}"><button type="submit">${s.cancel_at_period_end ? 'Resume' : 'Cancel at period end'}</button></form><form method="post" action="${c.get('deps').config.basePath}/sandbox/stripe/portal/${pid}/${encodeURIComponent(s.id)}/cancel_now"><button type="submit">Cancel now</button></form>`;
        return `<section><h1>${esc(price?.product_name ?? s.id)}</h1><p>Status: ${esc(s.status)}${s.cancel_at_period_end ? ' (cancels at period end)' : ''}${end ? `<br><span class="muted">Period ends ${esc(new Date(end * 1000).toISOString().slice(0, 10))}</span>` : ''}</p>${actions}</section>`;
      })
      .join('');
    return page(c, 'Sandbox billing portal', `<span class="badge">Sandbox billing portal</span>${rows || '<p>No subscriptions.</p>'}${portal.return_url ? `<p><a href="${esc(portal.return_url)}">Return</a></p>` : ''}`);
  });

  routes.post('/sandbox/stripe/portal/:id/:sub/:action', async (c) => {
    const portal = simulator.portalSessions.get(c.req.param('id'));
    const sub = simulator.subscriptions.get(c.req.param('sub'));
    const action = c.req.param('action');
    if (!portal || !sub || sub.customer !== portal.customer) throw new AppError('not_found', 'No such sandbox subscription');
    if (action !== 'cancel_at_period_end' && action !== 'resume' && action !== 'cancel_now') throw new AppError('validation_error', 'Unknown portal action');
    await simulator.changeSubscription(sub.id, action);
    return c.redirect(`${c.get('deps').config.basePath}/sandbox/stripe/portal/${encodeURIComponent(portal.id)}`, 303);
  });

  return routes;
}
