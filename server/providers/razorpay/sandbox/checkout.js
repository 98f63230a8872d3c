// Tollgate sandbox: a stand-in for https://checkout.razorpay.com/v1/checkout.js with the same interface
// (new Razorpay(options).open(), options.handler, options.modal.ondismiss, rzp.on('payment.failed', cb)),
// and a small accessible modal: Pay, Fail, Close. Payments are simulated by the Tollgate server that
// served this file, which signs them with its sandbox key and sends the signed webhooks. With
// `subscription_id` instead of `order_id` (and no amount) it authorises a subscription: the modal shows the
// plan's amount × quantity per period, asked of the server. With `subscription_id` and `subscription_card_change: 1`
// it re-authorises a live subscription with a new payment method (chosen in the modal); a pending or halted
// one's outstanding invoice is paid by it.
(function () {
  'use strict';
  if (window.Razorpay && window.Razorpay.__tollgateSandbox) return;
  var script = document.currentScript;
  // The server that served this file, with the path it is mounted under: …/billing/sandbox/razorpay/checkout.js.
  var origin = script && script.src ? script.src.replace(/\/sandbox\/razorpay\/checkout\.js(?:[?#].*)?$/, '') : location.origin;

  var css =
    ':host{all:initial}' +
    '.backdrop{position:fixed;inset:0;background:rgba(15,23,42,.55);display:grid;place-items:center;z-index:2147483647;font:15px/1.45 system-ui,sans-serif}' +
    '.dialog{background:#fff;color:#0f172a;border-radius:12px;width:min(360px,calc(100vw - 24px));box-shadow:0 20px 60px rgba(0,0,0,.35);overflow:hidden}' +
    '.head{padding:16px 20px;color:#fff;background:var(--brand,#2563eb)}' +
    '.head h2{margin:0;font-size:17px}.head p{margin:2px 0 0;opacity:.9;font-size:13px}' +
    '.body{padding:16px 20px;display:grid;gap:10px}' +
    '.amount{font-size:26px;font-weight:700}' +
    '.note{font-size:12px;color:#475569;background:#f1f5f9;border-radius:6px;padding:8px}' +
    '.error{color:#b91c1c;font-size:13px;margin:0}' +
    '.note:empty{padding:0}' +
    'button{font:inherit;border-radius:8px;padding:10px 14px;border:1px solid #cbd5e1;background:#fff;color:#0f172a;cursor:pointer}' +
    'button.pay{background:#15803d;border-color:#166534;color:#fff;font-weight:600}' +
    'button.fail{color:#b91c1c}' +
    'button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}' +
    'button[disabled]{opacity:.6;cursor:progress}' +
    '.row{display:flex;gap:8px;flex-wrap:wrap}.row button{flex:1}' +
    'label.method{display:grid;gap:4px;font-size:13px}select{font:inherit;padding:8px;border-radius:8px;border:1px solid #cbd5e1;background:#fff;color:#0f172a}' +
    'select:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}' +
    '.close{position:absolute;inset-block-start:8px;inset-inline-end:8px;background:transparent;border:0;color:#fff;font-size:20px;padding:4px 10px}' +
    '.wrap{position:relative}' +
    '@media (forced-colors:active){.head{border-bottom:1px solid CanvasText}button{border:1px solid ButtonText}}';

  // As the elements show it: ₹1,599, with paise only when there are some.
  function money(amount, currency) {
    try {
      var digits = amount % 100 === 0 ? 0 : 2;
      return new Intl.NumberFormat('en-IN', { style: 'currency', currency: currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amount / 100);
    } catch (e) {
      return currency + ' ' + (amount / 100).toFixed(2);
    }
  }

  function Razorpay(options) {
    if (!(this instanceof Razorpay)) return new Razorpay(options);
    if (!options || !options.key) throw new Error('Razorpay: options.key is required');
    if (!options.order_id && !options.subscription_id) throw new Error('Razorpay: options.order_id or options.subscription_id is required');
    this.options = options;
    this._handlers = {};
    this._host = null;
  }
  Razorpay.__tollgateSandbox = true;

  // checkout.js takes 1 (or true) for a card change.
  function cardChange(o) {
    return Boolean(o.subscription_id && o.subscription_card_change);
  }

  // "month", "3 months", "year"…
  function per(period, interval) {
    var unit = { daily: 'day', weekly: 'week', monthly: 'month', yearly: 'year' }[period] || period;
    return interval > 1 ? interval + ' ' + unit + 's' : unit;
  }

  Razorpay.prototype.on = function (name, cb) {
    (this._handlers[name] = this._handlers[name] || []).push(cb);
    return this;
  };

  Razorpay.prototype._emit = function (name, payload) {
    (this._handlers[name] || []).forEach(function (cb) {
      try {
        cb(payload);
      } catch (e) {
        setTimeout(function () {
          throw e;
        });
      }
    });
  };

  Razorpay.prototype._close = function (dismissed) {
    if (!this._host) return;
    document.removeEventListener('keydown', this._onKey, true);
    this._host.remove();
    this._host = null;
    if (this._restore && this._restore.focus) this._restore.focus();
    if (dismissed && this.options.modal && typeof this.options.modal.ondismiss === 'function') this.options.modal.ondismiss();
  };

  Razorpay.prototype._pay = function (outcome, ui) {
    var self = this;
    var o = this.options;
    ui.pay.disabled = ui.fail.disabled = true;
    ui.error.textContent = '';
    ui.status.textContent = outcome === 'success' ? 'Processing payment…' : 'Processing…';
    return fetch(origin + '/sandbox/razorpay/pay', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        key: o.key,
        order_id: o.subscription_id ? undefined : o.order_id,
        subscription_id: o.subscription_id || undefined,
        outcome: outcome,
        email: o.prefill && o.prefill.email,
        contact: o.prefill && o.prefill.contact,
        method: ui.method ? ui.method.value : o.subscription_id && o.prefill && ['upi', 'card', 'emandate'].indexOf(o.prefill.method) >= 0 ? o.prefill.method : undefined,
        subscription_card_change: cardChange(o) || undefined,
      }),
    })
      .then(function (res) {
        return res.json().then(function (body) {
          return { ok: res.ok, body: body };
        });
      })
      .then(function (r) {
        ui.pay.disabled = ui.fail.disabled = false;
        ui.status.textContent = '';
        if (r.ok && r.body.razorpay_payment_id) {
          self._close(false);
          if (typeof o.handler === 'function') o.handler(r.body);
          return;
        }
        var err = (r.body && r.body.error) || { code: 'BAD_REQUEST_ERROR', description: 'Payment failed' };
        ui.error.textContent = String(err.description).replace(/\.$/, '') + '. You can try again or close.';
        if (err.metadata) self._emit('payment.failed', { error: err });
      })
      .catch(function () {
        ui.pay.disabled = ui.fail.disabled = false;
        ui.status.textContent = '';
        ui.error.textContent = 'Network error. Try again.';
      });
  };

  Razorpay.prototype.open = function () {
    if (this._host) return;
    var self = this;
    var o = this.options;
    this._restore = document.activeElement;
    var host = document.createElement('div');
    host.setAttribute('data-razorpay-sandbox', '');
    var root = host.attachShadow({ mode: 'open' });
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
    var backdrop = document.createElement('div');
    backdrop.className = 'backdrop';
    var dialog = document.createElement('div');
    dialog.className = 'dialog wrap';
    dialog.setAttribute('role', 'dialog');
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-labelledby', 'rzp-title');
    if (o.theme && o.theme.color) dialog.style.setProperty('--brand', o.theme.color);

    var head = document.createElement('div');
    head.className = 'head';
    var title = document.createElement('h2');
    title.id = 'rzp-title';
    title.textContent = o.name || 'Checkout';
    var desc = document.createElement('p');
    var changing = cardChange(o);
    desc.textContent = (changing ? 'Update payment method' + (o.description ? ' · ' + o.description : '') : o.description || '') + ' · Sandbox';
    head.append(title, desc);
    var close = document.createElement('button');
    close.className = 'close';
    close.type = 'button';
    close.setAttribute('aria-label', 'Close checkout');
    close.textContent = '×';

    var body = document.createElement('div');
    body.className = 'body';
    var amount = document.createElement('div');
    amount.className = 'amount';
    amount.textContent = o.subscription_id ? '…' : money(o.amount, o.currency || 'INR');
    var note = document.createElement('p');
    note.className = 'note';
    var contactNote = o.prefill && o.prefill.email ? ' · ' + o.prefill.email : '';
    note.textContent = 'Razorpay sandbox: no money moves. ' + (o.subscription_id ? 'Subscription ' + o.subscription_id : 'Order ' + o.order_id) + contactNote;
    var status = document.createElement('p');
    status.setAttribute('role', 'status');
    status.className = 'note';
    status.style.background = 'transparent';
    var error = document.createElement('p');
    error.className = 'error';
    error.setAttribute('role', 'alert');
    var row = document.createElement('div');
    row.className = 'row';
    var pay = document.createElement('button');
    pay.type = 'button';
    pay.className = 'pay';
    pay.textContent = o.subscription_id ? 'Pay' : 'Pay ' + money(o.amount, o.currency || 'INR');
    var fail = document.createElement('button');
    fail.type = 'button';
    fail.className = 'fail';
    fail.textContent = 'Fail payment';
    row.append(pay, fail);
    body.append(amount, note);
    var method = null;
    if (changing) {
      // The new mandate's method, as the customer picks it in Razorpay's checkout.
      var methodLabel = document.createElement('label');
      methodLabel.className = 'method';
      methodLabel.textContent = 'New payment method';
      method = document.createElement('select');
      [['upi', 'UPI Autopay'], ['card', 'Card'], ['emandate', 'e-mandate (bank account)']].forEach(function (m) {
        var option = document.createElement('option');
        option.value = m[0];
        option.textContent = m[1];
        method.append(option);
      });
      if (o.prefill && ['upi', 'card', 'emandate'].indexOf(o.prefill.method) >= 0) method.value = o.prefill.method;
      methodLabel.append(method);
      body.append(methodLabel);
    }
    body.append(row, status, error);
    dialog.append(head, close, body);
    backdrop.append(dialog);
    root.append(backdrop);

    var ui = { pay: pay, fail: fail, error: error, status: status, method: method };
    if (o.subscription_id) {
      // checkout.js gets no amount for a subscription: ask the server what the plan charges.
      pay.disabled = fail.disabled = true;
      fetch(origin + '/sandbox/razorpay/subscriptions/' + encodeURIComponent(o.subscription_id) + '?key=' + encodeURIComponent(o.key) + (changing ? '&card_change=1' : ''))
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) throw new Error((body.error && body.error.message) || 'Unknown subscription');
            return body;
          });
        })
        .then(function (v) {
          if (changing) {
            // Nothing is charged for an active one (a refunded authorisation); a pending or halted one pays what is due.
            var due = v.card_change.amount_due;
            amount.textContent = due > 0 ? money(due, v.currency) + ' due' : 'Update payment method';
            pay.textContent = due > 0 ? 'Pay ' + money(due, v.currency) + ' and update' : 'Authorise new payment method';
            note.textContent += ' · now paid by ' + (v.card_change.payment_method || 'no method yet') + ' · renews every ' + per(v.period, v.interval);
            pay.disabled = fail.disabled = false;
            if (self._host && root.activeElement !== close) pay.focus();
            return;
          }
          var price = money(v.amount, v.currency) + ' / ' + per(v.period, v.interval);
          amount.textContent = price;
          pay.textContent = (v.trial_ends_at ? 'Authorise ' : 'Pay ') + price;
          if (v.trial_ends_at) note.textContent += ' · first charge on ' + new Date(v.trial_ends_at * 1000).toLocaleDateString('en-IN', { dateStyle: 'medium' });
          note.textContent += ' · renews every ' + per(v.period, v.interval) + (v.quantity > 1 ? ' · ' + v.quantity + ' seats' : '');
          pay.disabled = fail.disabled = false;
          if (self._host && root.activeElement !== close) pay.focus();
        })
        .catch(function (e) {
          amount.textContent = '';
          error.textContent = String(e.message || e).replace(/\.$/, '') + '. Close and try again.';
        });
    }
    pay.addEventListener('click', function () {
      self._pay('success', ui);
    });
    fail.addEventListener('click', function () {
      self._pay('failure', ui);
    });
    close.addEventListener('click', function () {
      self._close(true);
    });
    // Escape closes (modal.escape defaults to true); Tab stays inside the dialog.
    this._onKey = function (e) {
      if (!self._host) return;
      if (e.key === 'Escape' && !(o.modal && o.modal.escape === false)) {
        e.preventDefault();
        self._close(true);
      } else if (e.key === 'Tab') {
        var items = [close, method, pay, fail].filter(function (b) {
          return b && !b.disabled;
        });
        var i = items.indexOf(root.activeElement);
        e.preventDefault();
        var next = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : (i + 1) % items.length;
        items[next].focus();
      }
    };
    document.addEventListener('keydown', this._onKey, true);
    document.body.append(host);
    this._host = host;
    pay.focus();
  };

  window.Razorpay = Razorpay;
})();
