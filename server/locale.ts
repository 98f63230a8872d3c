// Which language to answer in: the widget sends its locale (Accept-Language, or ?locale=), the
// catalog has its own language plus any translations; the best match wins, tag then base language.

const TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

/** The caller's languages in preference order: `?locale=` first, then Accept-Language by q-value. */
export function requestedLocales(query: string | undefined, header: string | undefined): string[] {
  const out: string[] = [];
  if (query && TAG.test(query)) out.push(query);
  const ranked: { tag: string; q: number; at: number }[] = [];
  for (const [at, part] of (header ?? '').split(',').slice(0, 20).entries()) {
    const [tag = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (TAG.test(tag) && Number.isFinite(q) && q > 0) ranked.push({ tag, q, at });
  }
  ranked.sort((a, b) => b.q - a.q || a.at - b.at);
  return [...out, ...ranked.map((r) => r.tag)];
}

const base = (tag: string): string => tag.toLowerCase().split('-')[0]!;

/**
 * The best of `available` for `requested`: for each requested tag in turn, the same tag, else one of
 * the same language ("hi-IN" takes "hi", "hi" takes "hi-IN"). Undefined when nothing matches.
 */
export function negotiateLocale(requested: readonly string[], available: readonly string[]): string | undefined {
  for (const want of requested) {
    const exact = available.find((a) => a.toLowerCase() === want.toLowerCase());
    if (exact) return exact;
    const sameLanguage = available.find((a) => base(a) === base(want));
    if (sameLanguage) return sameLanguage;
  }
  return undefined;
}
