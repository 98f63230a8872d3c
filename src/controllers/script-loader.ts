// Loads a third-party script (Razorpay's checkout.js) once per page per URL; a failure or a timeout
// rejects, and a later call loads it afresh.

const loads = new Map<string, Promise<void>>();

/** Load `url` once per page; concurrent and later callers share the same promise. */
export function loadScript(url: string, timeoutMs = 15_000): Promise<void> {
  const existing = loads.get(url);
  if (existing) return existing;
  const load = new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    const timer = setTimeout(() => fail(new Error(`timed out loading ${url}`)), timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      script.remove();
      loads.delete(url); // a later retry starts a fresh load
      reject(error);
    }
    script.src = url;
    script.async = true;
    // Under a nonce-based CSP (IDE webviews, the hand-off pay page) an inserted script runs only
    // with the page's nonce; browsers hide the attribute after parsing but keep `.nonce`.
    const nonce = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce;
    if (nonce) script.nonce = nonce;
    script.onload = () => {
      clearTimeout(timer);
      resolve();
    };
    script.onerror = () => fail(new Error(`could not load ${url}`));
    document.head.append(script);
  });
  loads.set(url, load);
  return load;
}
