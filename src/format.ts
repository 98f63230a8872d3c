// Money, numbers and dates through Intl, at render time only; money arrives in minor units.

const numberFormats = new Map<string, Intl.NumberFormat>();

function cachedFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = locale + JSON.stringify(options);
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}

/** Format an integer amount of minor units (159900 INR → "₹1,599" in en-IN); whole amounts drop ".00". */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = cachedFormat(locale, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const major = minor / 10 ** digits;
  const whole = Number.isInteger(major);
  return cachedFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: whole ? 0 : digits,
    maximumFractionDigits: whole ? 0 : digits,
  }).format(major);
}

export function formatNumber(value: number, locale: string): string {
  return cachedFormat(locale, {}).format(value);
}

export function formatDate(iso: string, locale: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(date);
}
