// Writes docs/elements.md from dist/custom-elements.json (the class doc blocks) and src/events.ts
// (the event detail types), so the element reference is generated, never hand-kept.
// Run after `npm run build`. `--check` fails when docs/elements.md is out of date.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifestPath = `${root}dist/custom-elements.json`;
const outPath = `${root}docs/elements.md`;

if (!existsSync(manifestPath)) {
  console.error('docs: dist/custom-elements.json is missing; run `npm run build` first');
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));

/** Table cells: one line, pipes escaped. */
const cell = (text) => String(text ?? '').replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
/** Inline code; the table's cell() escapes its pipes. */
const code = (text) => (text ? '`' + String(text).replace(/\s*\n\s*/g, ' ').replace(/`/g, '').trim() + '`' : '');

function table(head, rows) {
  if (!rows.length) return '_None._\n';
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n') + '\n';
}

// ---- Event detail types from src/events.ts ---------------------------------------------------

function eventDetails() {
  const source = readFileSync(`${root}src/events.ts`, 'utf8');
  const interfaces = new Map();
  for (const match of source.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
    const fields = [];
    let comment = '';
    for (const line of match[2].split('\n')) {
      const doc = line.match(/^\s*\/\*\*\s*(.*?)\s*\*\/\s*$/);
      if (doc) {
        comment = doc[1];
        continue;
      }
      const field = line.match(/^\s*(\w+)(\?)?:\s*(.+?);\s*$/);
      if (field) {
        fields.push({ name: field[1], optional: Boolean(field[2]), type: field[3], comment });
        comment = '';
      }
    }
    interfaces.set(match[1], fields);
  }
  const details = new Map();
  for (const match of source.matchAll(/'([a-z-]+)': CustomEvent<(\w+)>/g)) details.set(match[1], interfaces.get(match[2]) ?? []);
  return details;
}
const details = eventDetails();

const detailText = (event) => {
  const fields = details.get(event);
  if (!fields) return '';
  return fields.map((f) => `\`${f.name}${f.optional ? '?' : ''}: ${f.type}\``).join(', ');
};

// ---- Elements --------------------------------------------------------------------------------

const declarations = manifest.modules.flatMap((module) => (module.declarations ?? []).map((d) => ({ ...d, path: module.path })));
/** Page order: the way a reader meets them. */
const ORDER = ['plan-picker', 'razorpay-checkout', 'stripe-checkout', 'usage-meter', 'paywall-gate'];
const rank = (tag) => (ORDER.includes(tag) ? ORDER.indexOf(tag) : ORDER.length);
const elements = declarations.filter((d) => d.customElement && d.tagName).sort((a, b) => rank(a.tagName) - rank(b.tagName));

function elementSection(el) {
  const fields = (el.members ?? []).filter(
    (m) => m.kind === 'field' && !m.static && !m.privacy && !m.name.startsWith('_') && (m.description || m.attribute) && !(m.inheritedFrom && !m.attribute),
  );
  const methods = (el.members ?? []).filter((m) => m.kind === 'method' && !m.static && !m.privacy && m.description && !m.inheritedFrom);
  const out = [];
  out.push(`## \`<${el.tagName}>\`\n`);
  if (el.summary) out.push(cell(el.summary) + '\n');
  if (el.description) out.push(el.description.trim() + '\n');
  out.push(`Class \`${el.name}\` · import \`tollgate/elements/${el.tagName}\` (npm) or \`/elements/${el.tagName}.js\` (from the server), or every element: \`tollgate\` or \`/tollgate.js\`.\n`);

  out.push('### Attributes and properties\n');
  out.push(
    table(
      ['Attribute', 'Property', 'Type', 'Default', 'Description'],
      fields.map((f) => [
        f.attribute ? code(f.attribute) + (f.reflects ? ' (reflects)' : '') : '—',
        code(f.name) + (f.readonly ? ' (read-only)' : ''),
        code(f.type?.text),
        code(f.default),
        f.description ?? '',
      ]),
    ),
  );
  if (methods.length) {
    out.push('### Methods\n');
    out.push(
      table(
        ['Method', 'Returns', 'Description'],
        methods.map((m) => [code(`${m.name}(${(m.parameters ?? []).map((p) => p.name).join(', ')})`), code(m.return?.type?.text), m.description]),
      ),
    );
  }
  out.push('### Events\n');
  out.push(table(['Event', 'Detail', 'Description'], (el.events ?? []).map((e) => [code(e.name), detailText(e.name), e.description ?? ''])));
  out.push('### Slots\n');
  out.push(table(['Slot', 'Description'], (el.slots ?? []).map((s) => [s.name ? code(s.name) : '(default)', s.description ?? ''])));
  out.push('### CSS parts\n');
  out.push(table(['Part', 'Description'], (el.cssParts ?? []).map((p) => [code(p.name), p.description ?? ''])));
  out.push('### CSS custom properties\n');
  out.push(table(['Property', 'Description'], (el.cssProperties ?? []).map((p) => [code(p.name), p.description ?? ''])));
  return out.join('\n');
}

// ---- The page --------------------------------------------------------------------------------

const INTRO = `# Tollgate elements

<!-- Generated by scripts/docs.mjs from dist/custom-elements.json and src/events.ts. Do not edit by hand:
     change the class doc blocks in src/components/ and run \`npm run build && node scripts/docs.mjs\`. -->

Web components for plans, payments, usage and paywalls. They talk to the Tollgate server over
\`/v1/*\`; the server holds every secret, prices every plan and verifies every payment.

> **\`<paywall-gate>\` is UI only.** It hides content in the browser, which protects nothing: anyone can
> open the developer tools. Your server must check the customer's entitlements (\`GET /v1/entitlements\`
> or its own copy of them) on every request that serves the gated thing — the export, the API call,
> the file download.

Every element shares these settings: \`api\` (server base URL; default: the origin of the script that
loaded the elements), \`session\` (customer token; default \`configure({session})\`) and \`locale\`
(default \`configure({locale})\`, then \`<html lang>\`, then the browser). Page-wide:

\`\`\`js
import { configure } from 'https://billing.partner.com/tollgate.js';
configure({ session: token, locale: 'en-IN', handoff: false, api: 'https://billing.partner.com' });
\`\`\`

Theming: every short custom property (\`--accent\`, \`--radius\`, …) falls back to a page-wide
\`--tollgate-*\` token (\`--tollgate-accent\`, \`--tollgate-radius\`, \`--tollgate-surface\`, \`--tollgate-text\`,
\`--tollgate-muted\`, \`--tollgate-border\`, \`--tollgate-font\`, \`--tollgate-track-color\`,
\`--tollgate-warn-color\`, \`--tollgate-danger-color\`, \`--tollgate-ok-color\`). Light and dark follow the
page's \`color-scheme\`; \`forced-colors\` and right-to-left are handled.

The checkout code (Razorpay loader, hand-off, Stripe mount) is loaded on the first click that starts a
checkout, so \`start()\` resolves after that load; Stripe.js and Razorpay's checkout.js load only when
a payment needs them.

Elements on one page share what they read (\`GET /v1/plans\`, \`/v1/subscription\`, \`/v1/entitlements\`):
one request per URL, session and locale however many elements show it, while it is on its way and for
30 s after (an element mounted later asks again); a failed request is not kept, so Retry asks again.
Every \`checkout-success\` forgets them all first, so the elements that refresh after a payment ask
once, together. \`refresh()\` and \`recheck()\` always ask the server.
`;

const EMBEDS = `## Embedding

### 1. Script tag on a partner site

One module script; no build step, no framework. The API base defaults to the script's origin, with the
path the server is mounted at: elements from \`https://app.example/billing/tollgate.js\` call \`https://app.example/billing/v1/…\`.
\`tollgate.js\` is one request: it imports no other file until a checkout starts (or a page in Hindi
needs its strings).

\`\`\`html
<script type="module" src="https://billing.partner.com/tollgate.js"></script>
<script type="module">
  import { configure } from 'https://billing.partner.com/tollgate.js';
  // The token comes from your backend: POST /v1/sessions with your API key.
  const { token } = await fetch('/my-backend/tollgate-session', { method: 'POST' }).then((r) => r.json());
  configure({ session: token });
</script>

<plan-picker>
  <h2 slot="header">Pricing</h2>
</plan-picker>
<usage-meter></usage-meter>
<paywall-gate feature="export">
  <button>Export PDF</button>
</paywall-gate>
\`\`\`

For pages that cannot load modules, \`tollgate.iife.js\` is a classic script exposing \`window.Tollgate\`
(\`Tollgate.configure({...})\`).

Until the script has run, the browser shows the elements' light-DOM children as plain HTML: a
\`<paywall-gate>\` would show its gated content and its \`paywall\` slot both. Hide them and hold
each element's loading size, so nothing flashes or jumps (the demo pages do this):

\`\`\`css
paywall-gate:not(:defined) > * { display: none; }
paywall-gate:not(:defined) { display: block; min-block-size: 8rem; }
usage-meter:not(:defined) { display: block; min-block-size: 12rem; }
plan-picker:not(:defined) { display: block; min-block-size: 17rem; }
\`\`\`

While the page is still fetching its session, \`<usage-meter>\` and \`<paywall-gate>\` keep their
placeholder for up to 1.5 s before they say "sign in" or show the paywall; call \`configure({session})\`
as soon as the token arrives.

### 2. IDE webview (VS Code) with a strict CSP and hand-off

Webviews forbid inline script and popups. Load the elements by nonce, turn on hand-off mode, and let
the extension host open the payment page in the system browser; the elements poll the server and flip
when the payment is done.

\`\`\`html
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; script-src 'nonce-\${nonce}'; style-src \${origin} 'nonce-\${nonce}';
           connect-src \${origin}; img-src \${origin} data:; font-src \${origin}">
<script type="module" nonce="\${nonce}" src="\${origin}/tollgate.js"></script>
<script type="module" nonce="\${nonce}" src="\${webviewUri}/main.js"></script>

<paywall-gate feature="export" handoff></paywall-gate>
<usage-meter compact></usage-meter>
\`\`\`

\`\`\`js
// main.js (in the webview)
import { configure } from '\${origin}/tollgate.js';
const vscode = acquireVsCodeApi();
configure({ session: initialState.token, handoff: true });
document.addEventListener('handoff-open', (event) => {
  event.preventDefault(); // we open it, through the extension host
  vscode.postMessage({ type: 'tollgate.openExternal', url: event.detail.url });
});

// extension.ts (the extension host)
panel.webview.onDidReceiveMessage((message) => {
  if (message.type === 'tollgate.openExternal') void vscode.env.openExternal(vscode.Uri.parse(message.url));
});
\`\`\`

The elements never call \`window.open\` and set no inline styles or scripts; the Razorpay script they
insert carries the page's nonce. The hand-off URL opens the server's \`/pay/{checkout_id}\` page, which
runs \`<razorpay-checkout checkout="…">\` with the session from the URL fragment.

### 3. White-label dashboard

Re-theme with custom properties and \`::part\`, follow the host's dark mode, put your copy in slots, and
pass the host's locale.

\`\`\`html
<style>
  :root {
    color-scheme: dark;
    --tollgate-accent: #2dd4bf;
    --tollgate-on-accent: #042f2e;
    --tollgate-radius: 1.1rem;
    --tollgate-font: ui-rounded, 'Nunito', sans-serif;
  }
  plan-picker::part(plan-selected) { box-shadow: 0 0 0 2px #2dd4bf; }
  plan-picker::part(cta) { border-radius: 999px; text-transform: uppercase; }
  usage-meter::part(meter) { block-size: 0.7rem; border-radius: 999px; }
</style>

<usage-meter>
  <span slot="header">Lumen workspace · this billing period</span>
  <a slot="actions" href="#plans">Compare plans</a>
</usage-meter>
<plan-picker id="plans">
  <h2 slot="header">Plans for growing teams</h2>
  <p slot="footer">Questions? billing@lumen.example</p>
</plan-picker>

<script type="module">
  import { configure } from 'https://billing.partner.com/tollgate.js';
  configure({ session: token, locale: 'hi' }); // strings, ₹ amounts, numbers and dates re-render
</script>
\`\`\`
`;

const toc = elements.map((el) => `- [\`<${el.tagName}>\`](#${el.tagName})`).join('\n');
const page = `${INTRO}\n${toc}\n- [Embedding](#embedding)\n\n${elements.map(elementSection).join('\n')}\n${EMBEDS}`;

if (process.argv.includes('--check')) {
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
  if (current !== page) {
    console.error('docs: docs/elements.md is out of date; run `node scripts/docs.mjs`');
    process.exit(1);
  }
  console.log('docs: docs/elements.md is up to date');
} else {
  mkdirSync(`${root}docs`, { recursive: true });
  writeFileSync(outPath, page);
  console.log(`docs: wrote docs/elements.md (${elements.length} elements)`);
}
