// Stripe's request encoding: application/x-www-form-urlencoded with bracket keys for nested objects and
// arrays (`line_items[0][price_data][currency]=usd`, `metadata[plan]=pro`), reference/stripe.md "Checkout Sessions".
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
