// IDE webview page script: hand-off mode, the VS Code bridge (postMessage to the extension host,
// never window.open), and the CSP violation report. Loaded by nonce; no inline handlers, no eval.
import { configure } from '../tollgate.js';
import { planName, startSessionStrip } from './sandbox-session.js';

configure({ handoff: true });
void startSessionStrip(configure);

// acquireVsCodeApi() exists only inside a VS Code webview, and may be called once.
const vscode = typeof globalThis.acquireVsCodeApi === 'function' ? globalThis.acquireVsCodeApi() : undefined;

const hostPanel = document.querySelector('[data-extension-host]');
const hostLink = document.querySelector('[data-testid="handoff-url"]');

document.addEventListener('handoff-open', (event) => {
  // We open it (through the extension host); the element must not try anything itself.
  event.preventDefault();
  const { url } = event.detail;
  if (vscode) {
    vscode.postMessage({ type: 'tollgate.openExternal', url });
    return;
  }
  // A normal browser standing in for VS Code: show what the extension host would open.
  hostLink.textContent = url;
  hostLink.href = url;
  hostPanel.hidden = false;
  hostLink.focus();
});

const paid = document.querySelector('[data-paid]');
document.addEventListener('checkout-success', async (event) => {
  hostPanel.hidden = true;
  paid.textContent = `Payment confirmed by the server: you are on ${await planName(event.detail.new_plan)} now. Export is unlocked.`;
  paid.hidden = false;
});

// The CSP report: the inline first script collects, this renders.
const cspBox = document.querySelector('[data-csp]');
const cspCount = document.querySelector('[data-csp-count]');
const cspList = document.querySelector('[data-csp-list]');
function renderViolations() {
  const violations = window.__cspViolations ?? [];
  cspBox.dataset.count = String(violations.length);
  cspCount.textContent = `${violations.length} violation${violations.length === 1 ? '' : 's'}`;
  cspList.replaceChildren(
    ...violations.map((v) => {
      const item = document.createElement('li');
      item.textContent = `${v.directive}: ${v.blocked || 'inline'}${v.source ? ` (${v.source})` : ''}${v.sample ? ` “${v.sample}”` : ''}`;
      return item;
    }),
  );
}
document.addEventListener('demo-csp-violation', renderViolations);
renderViolations();
