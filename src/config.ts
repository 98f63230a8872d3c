// Page-level settings for every Tollgate element: API base, session token, locale, hand-off mode.

/** Settings a page passes to `configure()`; each element attribute overrides its counterpart. */
export interface TollgateConfig {
  /** Base URL of the Tollgate server; defaults to the origin that served the elements' script. */
  api?: string;
  /** Customer session token (from `POST /v1/sessions` on the partner's backend). */
  session?: string;
  /** BCP 47 locale for strings, numbers, money and dates. */
  locale?: string;
  /** Pay in the system browser instead of inline (IDE webviews). */
  handoff?: boolean;
}

const settings: TollgateConfig = {};

/** Fired on `document` when `configure()` changes settings, so mounted elements refetch. */
export const CONFIG_EVENT = 'tollgate-configure';

/** Set page-level defaults for every Tollgate element (before or after they render). */
export function configure(next: TollgateConfig): void {
  Object.assign(settings, next);
  document.dispatchEvent(new CustomEvent(CONFIG_EVENT));
}

/** The current page-level settings (read-only view). */
export function getConfig(): Readonly<TollgateConfig> {
  return settings;
}

// Where the elements' script came from: `document.currentScript` for the classic (IIFE) build,
// `import.meta.url` for the ES module build. A partner's one script tag then needs no other config.
function scriptOrigin(): string {
  try {
    const current = document.currentScript as HTMLScriptElement | null;
    if (current?.src) return new URL(current.src).origin;
    return new URL(import.meta.url).origin;
  } catch {
    return location.origin;
  }
}

export const DEFAULT_API_BASE = scriptOrigin();

/** Indirection over navigation so tests can observe it; the elements never call `window.open`. */
export const browserNav = {
  assign(url: string): void {
    location.assign(url);
  },
};
