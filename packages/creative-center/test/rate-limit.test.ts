import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TokenBucket, sharedBucket } from '../src/rate-limit.ts'

test('a bucket refills at its rate and never holds more than its burst', async () => {
  let now = 0
  const bucket = new TokenBucket(2, 3, () => now)
  now = 10_000 // a long idle time still saves up only `burst` (3) tokens
  await bucket.take()
  await bucket.take()
  await bucket.take()
  assert.equal(bucket.waitMs(), 500, 'the fourth token is half a second away at 2/s')
  now += 250
  assert.equal(bucket.waitMs(), 250)
  now += 250
  assert.equal(bucket.waitMs(), 0)
})

test('concurrent takers are served in order, at no more than the rate', async () => {
  const bucket = new TokenBucket(20, 1) // one token every 50 ms
  const started = performance.now()
  const times: number[] = []
  await Promise.all(Array.from({ length: 6 }, (_, i) => bucket.take().then(() => times.push(i))))
  const elapsed = performance.now() - started
  assert.deepEqual(times, [0, 1, 2, 3, 4, 5])
  // The first token is there at once; five more need at least 5 × 50 ms.
  assert.ok(elapsed >= 240, `6 takes at 20/s took ${elapsed.toFixed(0)} ms`)
})

test('an aborted waiter rejects and does not block the ones behind it', async () => {
  const bucket = new TokenBucket(10, 1)
  await bucket.take()
  const controller = new AbortController()
  const aborted = bucket.take(controller.signal)
  const next = bucket.take()
  controller.abort(new Error('shutdown'))
  await assert.rejects(aborted, /shutdown/)
  await next
})

test('one bucket per host for the whole process, whatever later callers ask for', () => {
  const first = sharedBucket('shared.example:443', 1, 1)
  const second = sharedBucket('shared.example:443', 1000, 50)
  assert.equal(second, first)
  assert.equal(second.ratePerSecond, 1)
  assert.notEqual(sharedBucket('other.example:443', 1), first)
})

test('a share of the budget scales the rate and the burst (at least one), and can be taken back', async () => {
  let now = 0
  const bucket = new TokenBucket(9, 6, () => now)
  bucket.share(1 / 3)
  assert.deepEqual([bucket.ratePerSecond, bucket.burst], [3, 2])
  // The six tokens saved up at the whole budget shrink to the share's burst of two.
  await bucket.take()
  await bucket.take()
  assert.equal(bucket.waitMs(), 334, 'the next token a third of a second away at 3/s')
  now += 10_000
  bucket.share(1 / 9)
  assert.deepEqual([bucket.ratePerSecond, bucket.burst], [1, 1])
  bucket.share(1)
  assert.deepEqual([bucket.ratePerSecond, bucket.burst], [9, 6])
  assert.throws(() => bucket.share(0), RangeError)
  assert.throws(() => bucket.share(1.5), RangeError)
})
