// The small base every Tollgate element shares: api/session/locale resolution, the API client
// and the message catalog, refreshed when the page calls `configure()`.
import { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import { ApiClient } from '../api/client.js';
import { CONFIG_EVENT, DEFAULT_API_BASE, getConfig } from '../config.js';
import { msg, type MessageKey } from '../i18n/index.js';

export class TollgateElement extends LitElement {
  /** Base URL of the Tollgate server, with the path it is mounted at (`https://app.example/billing`); defaults to `configure({api})`, then where the script came from. */
  @property() api?: string;

  /** Customer session token; defaults to `configure({session})`. */
  @property() session?: string;

  /** Locale for strings, money, dates and the catalog text the server sends (as Accept-Language); defaults to `configure({locale})`, `<html lang>`, the browser. */
  @property() locale?: string;

  private readonly _onConfigure = (): void => this.configChanged();

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener(CONFIG_EVENT, this._onConfigure);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener(CONFIG_EVENT, this._onConfigure);
  }

  /** Called when `configure()` changes page settings. */
  protected configChanged(): void {
    this.requestUpdate();
  }

  get apiBase(): string {
    return this.api || getConfig().api || DEFAULT_API_BASE;
  }

  get token(): string | undefined {
    return this.session || getConfig().session || undefined;
  }

  get resolvedLocale(): string {
    const candidate = this.locale || getConfig().locale || document.documentElement.lang || navigator.language || 'en';
    try {
      return Intl.getCanonicalLocales(candidate)[0] ?? 'en';
    } catch {
      return 'en';
    }
  }

  /** An API client for the current api base and session. */
  client(): ApiClient {
    return new ApiClient({ base: this.apiBase, token: this.token, locale: this.resolvedLocale });
  }

  t(key: MessageKey, params?: Record<string, string | number>): string {
    return msg(this.resolvedLocale, key, params);
  }
}
