// The sliding-window counter: the limit holds inside a window, Retry-After is sensible, the window slides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../server/security/rate-limit.js';
import { AppError } from '../../server/errors.js';

function retryAfter(fn: () => void): number | null {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'rate_limited');
    return Number(err.headers['Retry-After']);
  }
}

test('allows the limit within a window, then 429 with Retry-After, per key', () => {
  let now = 60_000 * 100;
  const limiter = new RateLimiter(120, 60_000, () => now);
  for (let i = 0; i < 120; i++) assert.equal(retryAfter(() => limiter.hit('a')), null);
  const wait = retryAfter(() => limiter.hit('a'));
  assert.ok(wait !== null && wait >= 1 && wait <= 60, `retry after ${wait}`);
  assert.equal(retryAfter(() => limiter.hit('b')), null);
  now += 30_000;
  assert.notEqual(retryAfter(() => limiter.hit('a')), null, 'still limited half a window later');
});

test('the window slides: the previous window counts by its overlap, then not at all', () => {
  let now = 60_000 * 100;
  const limiter = new RateLimiter(60, 60_000, () => now);
  for (let i = 0; i < 60; i++) limiter.hit('ip');
  now += 60_000 + 30_000; // half-way into the next window: the 60 earlier hits weigh 30
  let allowed = 0;
  while (retryAfter(() => limiter.hit('ip')) === null) allowed++;
  assert.equal(allowed, 30);
  now += 120_000; // two windows on: everything has slid out
  for (let i = 0; i < 60; i++) assert.equal(retryAfter(() => limiter.hit('ip')), null);
});
