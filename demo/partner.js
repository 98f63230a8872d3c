// Partner page script: a sandbox session for the demo customer, and a few page reactions to the
// elements' events. Everything billing-related happens inside the elements and on the server.
import { configure } from '../tollgate.js';
import { planName, startSessionStrip } from './sandbox-session.js';

void startSessionStrip(configure);

// <usage-meter>'s "Upgrade" asks the page to show the plans.
document.addEventListener('upgrade-request', () => {
  document.getElementById('pricing')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  document.querySelector('plan-picker')?.focus();
});

const paid = document.querySelector('[data-paid]');
document.addEventListener('checkout-success', async (event) => {
  if (!paid) return;
  paid.textContent = `Payment verified by the server: you are now on ${await planName(event.detail.new_plan)}. The meter and the export panel have updated.`;
  paid.hidden = false;
});

// The export buttons only exist inside the unlocked gate; the server would check the plan again.
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-export]') : null;
  if (!button) return;
  const status = document.querySelector('[data-export-status]');
  if (status) status.textContent = `Preparing your ${button.getAttribute('data-export').toUpperCase()} export… (demo: nothing is downloaded)`;
});
