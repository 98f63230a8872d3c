// Stripe's request encoding: application/x-www-form-urlencoded with bracket keys for nested objects and
// arrays (`line_items[0][price_data][currency]=usd`, `metadata[plan]=pro`), docs/upstream/stripe.md "Checkout Sessions".
export type FormInput = string | number | boolean | null | undefined | FormInput[] | { [key: string]: FormInput };

/** Flatten params into bracket-key pairs; undefined and null are left out (Stripe treats "" as "unset"). */
export function encodeStripeForm(params: Record<string, FormInput>): string {
  const pairs: [string, string][] = [];
  const walk = (key: string, value: FormInput) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((v, i) => walk(`${key}[${i}]`, v));
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(`${key}[${k}]`, v);
    else pairs.push([key, String(value)]);
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return new URLSearchParams(pairs).toString();
}

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

/**
 * Parses `application/x-www-form-urlencoded` with Stripe's bracket keys (`line_items[0][price]=p`, `metadata[k]=v`,
 * `expand[]=x`) into nested objects; objects whose keys are all integers become arrays in index order.
 */
export function parseStripeForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [fullKey, value] of new URLSearchParams(body)) {
    const head = /^[^[]+/.exec(fullKey)?.[0] ?? fullKey;
    const segments = [head, ...[...fullKey.slice(head.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '')];
    let node: FormObject = root;
    segments.forEach((segment, i) => {
      const isLast = i === segments.length - 1;
      // `a[]` appends: give it the next free index.
      const key = segment === '' ? String(Object.keys(node).length) : segment;
      if (isLast) {
        node[key] = value;
      } else {
        const existing = node[key];
        if (existing === undefined || typeof existing === 'string') node[key] = {};
        node = node[key] as FormObject;
      }
    });
  }
  return arrayify(root) as FormObject;
}

function arrayify(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted: FormObject = {};
  for (const key of keys) converted[key] = arrayify(value[key]!);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => converted[k]!);
  }
  return converted;
}
