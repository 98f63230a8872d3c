// The checkout flow's waits and polls, in one object so tests can shorten them.
export const checkoutTiming = {
  /** First hand-off status poll delay; it grows by half each poll up to `maxPollMs`. */
  pollMs: 2000,
  maxPollMs: 10_000,
  /** Polls of `GET /v1/checkout/{id}` after an embedded checkout completes. */
  confirmTries: 15,
  confirmMs: 1000,
  scriptTimeoutMs: 15_000,
  /** Automatic verify retries on a 409 `conflict` with Retry-After, each after the server's Retry-After. */
  verifyBusyRetries: 8,
  /** Back from a hosted page: first poll delay, growing by half up to `returnMaxPollMs`, for `returnBoundMs`… */
  returnPollMs: 1500,
  returnMaxPollMs: 5000,
  returnBoundMs: 60_000,
  /** …then "still confirming" with a slow poll. */
  returnSlowPollMs: 20_000,
  /** After a paid checkout that provisions something (mintbot agents): poll every… up to… */
  fulfillmentPollMs: 3000,
  fulfillmentBoundMs: 5 * 60_000,
};
