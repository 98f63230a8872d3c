// Page-level settings for every Tollgate element: API base, session token, locale, hand-off mode.

/** Settings a page passes to `configure()`; each element attribute overrides its counterpart. */
export interface TollgateConfig {
  /** Base URL of the Tollgate server, with its mount path (`https://app.example/billing`); defaults to where the elements' script came from. */
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
  globalThis.document?.dispatchEvent(new CustomEvent(CONFIG_EVENT));
}

/** The current page-level settings (read-only view). */
export function getConfig(): Readonly<TollgateConfig> {
  return settings;
}

/**
 * The API base for elements loaded from the script at `src`: its origin, and, when the file is one the Tollgate
 * server serves (tollgate.js, tollgate.iife.js, elements/<x>.js, chunks/<x>.js; not from /node_modules/ or a
 * framework's /_next/), the path before it too: a server mounted at /billing serves elements that call /billing/v1/….
 */
export function apiBaseOf(src: string): string {
  const url = new URL(src);
  const mount = /^(?!.*\/(?:node_modules|_next)\/)(.*)\/(?:tollgate(?:\.iife)?|(?:elements|chunks)\/[\w-]+)\.js$/.exec(url.pathname);
  return url.origin + (mount?.[1] ?? '');
}

// Where the elements' script came from: `document.currentScript` for the classic (IIFE) build,
// `import.meta.url` for the ES module build. A partner's one script tag then needs no other config.
// Read once at import, while a classic script is current; in Node (SSR, a test runner) there is no document: ''.
function scriptBase(): string {
  try {
    return apiBaseOf((document.currentScript as HTMLScriptElement | null)?.src || import.meta.url);
  } catch {
    return globalThis.location?.origin ?? '';
  }
}

export const DEFAULT_API_BASE = scriptBase();

/** Indirection over navigation so tests can observe it; the elements never call `window.open`. */
export const browserNav = {
  assign(url: string): void {
    location.assign(url);
  },
};
