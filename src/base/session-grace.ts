// An element with no session yet may be on a page that is still fetching one (configure() a moment
// later). Waiting a little before saying "no session" keeps the placeholder up instead of flashing a
// paywall or a sign-in line and then the real content: no layout shift, no false paywall.

/** How long an element without a session waits for one (tests shorten it). */
export const sessionTiming = { graceMs: 1500 };

/** Resolves after the grace period; rejects when the task is aborted (a session arrived). */
export async function sessionGrace(signal: AbortSignal): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, sessionTiming.graceMs));
  signal.throwIfAborted();
}
