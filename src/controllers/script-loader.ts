// Loads a third-party script (Razorpay's checkout.js) once per page per URL, as a reactive
// controller: failure and timeout become a state the element renders, never a throw.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

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

export type ScriptStatus = 'idle' | 'loading' | 'ready' | 'error';

export class ScriptLoader implements ReactiveController {
  status: ScriptStatus = 'idle';
  timeoutMs = 15_000;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  /**
   * Load `url` unless `isReady()` already holds (the global is on the page); resolves true when
   * the script is usable, false on failure or timeout (then `status` is `error`).
   */
  async load(url: string, isReady: () => boolean): Promise<boolean> {
    if (isReady()) return this.set('ready');
    this.set('loading');
    try {
      await loadScript(url, this.timeoutMs);
      return this.set(isReady() ? 'ready' : 'error');
    } catch {
      return this.set('error');
    }
  }

  private set(status: ScriptStatus): boolean {
    this.status = status;
    this.host.requestUpdate();
    return status === 'ready';
  }
}
