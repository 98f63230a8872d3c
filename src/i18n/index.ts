// The message catalog: English is built in; Hindi loads on first use as its own small chunk, then
// every element re-renders. `{name}` slots are filled from params.
import { en, type MessageKey } from './en.js';
import { CONFIG_EVENT } from '../config.js';

export type { MessageKey };

type Catalog = Record<MessageKey, string>;

const catalogs: Record<string, Partial<Catalog>> = { en: { ...en } };
const loaders: Record<string, () => Promise<Catalog>> = {
  hi: () => import('./hi.js').then((m) => m.hi),
};
const loading = new Map<string, Promise<void>>();

/** The catalog language for a locale (`hi-IN` → `hi`); English when we have no catalog. */
export function catalogLanguage(locale: string): string {
  const language = locale.toLowerCase().split('-')[0];
  return language in catalogs || language in loaders ? language : 'en';
}

/** Add strings to a loaded catalog: lazy code (the checkout flow) brings its own English. */
export function addMessages(language: string, messages: Partial<Catalog>): void {
  catalogs[language] = { ...messages, ...catalogs[language] };
}

/** Load the catalog for `locale` (no-op for English); elements re-render when it arrives. */
export function loadCatalog(locale: string): Promise<void> {
  const language = catalogLanguage(locale);
  if (catalogs[language]) return Promise.resolve();
  let pending = loading.get(language);
  if (!pending) {
    pending = loaders[language]().then(
      (catalog) => {
        catalogs[language] = catalog;
        document.dispatchEvent(new CustomEvent(CONFIG_EVENT));
      },
      () => void loading.delete(language), // stay in English; a later call retries
    );
    loading.set(language, pending);
  }
  return pending;
}

/** Translate `key` for `locale`, replacing `{name}` with `params.name` (English until a catalog loads). */
export function msg(locale: string, key: MessageKey, params: Record<string, string | number> = {}): string {
  const language = catalogLanguage(locale);
  const catalog = catalogs[language];
  if (!catalog) void loadCatalog(language);
  const template = catalog?.[key] ?? catalogs.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** A message for an error code, falling back to the generic one. */
export function errorKey(code: string): MessageKey {
  const key = `error.${code}`;
  return (key in catalogs.en ? key : 'error.generic') as MessageKey;
}

// Start early on pages that declare Hindi, so the first paint is usually already translated.
if (typeof document !== 'undefined' && document.documentElement.lang) void loadCatalog(document.documentElement.lang);
