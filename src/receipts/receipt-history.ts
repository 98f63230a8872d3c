// The payment history of <usage-meter receipts> (loaded only with the attribute, as its own chunk): the customer's
// latest receipts and credit notes from GET /v1/receipts (README "Receipts"), each a link to its print-friendly
// page; the links live 15 minutes, so the list is asked again before they expire, and after a paid checkout.
import { css, html, nothing, type ReactiveController, type TemplateResult } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import type { TollgateElement } from '../base/tollgate-element.js';
import type { ReceiptList, ReceiptSummary } from '../contract/receipts.js';
import { TollgateError } from '../api/client.js';
import { formatDate, formatMoney } from '../format.js';
import { enReceipts } from '../i18n/en-receipts.js';
import { addMessages, errorKey } from '../i18n/index.js';

addMessages('en', enReceipts);

/** How many receipts are listed: the latest ones (the billing portal has them all). */
export const RECEIPTS_SHOWN = 5;
/** Ask for fresh links this long before the earliest one expires (and never more often than every minute). */
const LINK_MARGIN_MS = 60_000;

const historyStyles = css`
  .receipts { margin-block-start: 1rem; }
  .receipts h3 { font-size: 1em; margin: 0 0 0.5rem; }
  .receipts ul { list-style: none; margin: 0; padding: 0; }
  .receipts li { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; padding-block: 0.375rem; border-block-start: 1px solid var(--track-color, #e5e7eb); }
  .receipts li > :last-child { margin-inline-start: auto; font-variant-numeric: tabular-nums; }
  .receipts a { color: var(--accent, var(--tollgate-accent, #4338ca)); }
  .receipts .date, .receipts p { color: var(--muted, inherit); }
`;

export class ReceiptHistory implements ReactiveController {
  private timer?: ReturnType<typeof setTimeout>;
  private readonly list: Task<readonly unknown[], ReceiptSummary[] | undefined>;

  constructor(private readonly host: TollgateElement) {
    const root = host.renderRoot as ShadowRoot;
    const sheet = historyStyles.styleSheet;
    if (sheet && root.adoptedStyleSheets && !root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    this.list = new Task(host, {
      task: async ([, token], { signal }) => {
        if (!token) return undefined;
        const { receipts } = await host.client().get<ReceiptList>('/v1/receipts', { signal });
        this.renewBefore(receipts);
        return receipts.slice(0, RECEIPTS_SHOWN);
      },
      args: () => [host.apiBase, host.token, host.resolvedLocale],
    });
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('checkout-success', this.reload);
  }

  hostDisconnected(): void {
    document.removeEventListener('checkout-success', this.reload);
    clearTimeout(this.timer);
  }

  /** Ask for the list again (a payment made a receipt, or its links are about to expire). */
  readonly reload = (): void => void this.list.run();

  private renewBefore(receipts: ReceiptSummary[]): void {
    clearTimeout(this.timer);
    const first = Math.min(...receipts.map((r) => Date.parse(r.links.expires_at)));
    if (Number.isFinite(first) && this.host.isConnected) this.timer = setTimeout(this.reload, Math.max(LINK_MARGIN_MS, first - Date.now() - LINK_MARGIN_MS));
  }

  render(): TemplateResult {
    const t = this.host.t.bind(this.host);
    const locale = this.host.resolvedLocale;
    const rows = this.list.value;
    const error = this.list.status === TaskStatus.ERROR ? this.list.error : undefined;
    return html`<section part="receipts" class="receipts" aria-labelledby="tg-receipts-title">
      <h3 id="tg-receipts-title">${t('receipts.title')}</h3>
      ${error
        ? html`<p role="alert">${t(errorKey(error instanceof TollgateError ? error.code : 'generic'))}</p>`
        : !rows
          ? html`<p>${t('loading')}</p>`
          : !rows.length
            ? html`<p>${t('receipts.none')}</p>`
            : html`<ul part="receipts-list">
                ${rows.map(
                  (r) => html`<li part="receipt" data-kind=${r.kind}>
                    <a part="receipt-link" href=${r.links.html} target="_blank" rel="noopener"
                      >${t(r.kind === 'credit_note' ? 'receipts.credit_note' : 'receipts.receipt', { number: r.number })}<span class="sr-only"> ${t('receipts.new_tab')}</span></a
                    >
                    <span class="date">${formatDate(r.issued_at, locale)}</span>
                    ${r.kind === 'receipt' && r.status === 'refunded' ? html`<span>${t('receipts.refunded')}</span>` : nothing}
                    <span>${formatMoney(r.total, r.currency, locale)}</span>
                  </li>`,
                )}
              </ul>`}
    </section>`;
  }
}
