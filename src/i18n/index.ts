// The message catalog: pick English or Hindi from a BCP 47 locale and fill `{name}` slots.
import { en, type MessageKey } from './en.js';
import { hi } from './hi.js';

export type { MessageKey };

const catalogs: Record<string, Record<MessageKey, string>> = { en, hi };

/** The catalog language for a locale (`hi-IN` → `hi`); English when we have no catalog. */
export function catalogLanguage(locale: string): string {
  const language = locale.toLowerCase().split('-')[0];
  return language in catalogs ? language : 'en';
}

/** Translate `key` for `locale`, replacing `{name}` with `params.name`. */
export function msg(locale: string, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = catalogs[catalogLanguage(locale)][key] ?? en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** A message for an error code, falling back to the generic one. */
export function errorKey(code: string): MessageKey {
  const key = `error.${code}`;
  return (key in en ? key : 'error.generic') as MessageKey;
}
