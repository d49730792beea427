import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelay, nextDelay, parseRetryAfter, type RetryPolicy } from '../src/retry.ts'

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 4000, budgetMs: 60_000 }

test('full jitter: between 0 and min(max, base·2^retry)', () => {
  assert.equal(
    backoffDelay(policy, 0, () => 0),
    0,
  )
  assert.equal(
    backoffDelay(policy, 0, () => 0.999999),
    499,
  )
  assert.equal(
    backoffDelay(policy, 2, () => 0.5),
    1000,
  )
  assert.equal(
    backoffDelay(policy, 10, () => 0.999999),
    3999,
  )
  for (let i = 0; i < 200; i++) {
    const delay = backoffDelay(policy, 3)
    assert.ok(delay >= 0 && delay < 4000)
  }
})

test('Retry-After as seconds or as an HTTP date; unreadable is ignored', () => {
  const now = Date.parse('2026-11-24T10:00:00Z')
  assert.equal(parseRetryAfter('3', now), 3000)
  assert.equal(parseRetryAfter('Tue, 24 Nov 2026 10:00:05 GMT', now), 5000)
  assert.equal(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', now), 0)
  assert.equal(parseRetryAfter('soon', now), undefined)
  assert.equal(parseRetryAfter(undefined, now), undefined)
})

test('the server asks for a wait: never less than Retry-After', () => {
  assert.equal(
    nextDelay(policy, 0, 3000, () => 0.9),
    3000,
  )
  assert.equal(
    nextDelay(policy, 3, 100, () => 0.5),
    2000,
  )
  assert.equal(
    nextDelay(policy, 1, undefined, () => 0.5),
    500,
  )
})
