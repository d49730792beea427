import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDuration, parseDuration } from '../src/duration.ts'

test('durations: milliseconds, seconds, minutes, hours, days', () => {
  assert.equal(parseDuration('250ms'), 250)
  assert.equal(parseDuration('90s'), 90_000)
  assert.equal(parseDuration('15m'), 900_000)
  assert.equal(parseDuration('6h'), 21_600_000)
  assert.equal(parseDuration('1d'), 86_400_000)
  assert.equal(parseDuration('1w'), undefined)
  assert.equal(parseDuration('soon'), undefined)
})

test('durations written back in the largest unit that holds them whole, and read again the same', () => {
  const cases: Array<[number, string]> = [
    [500, '500ms'],
    [1500, '1500ms'],
    [30_000, '30s'],
    [120_000, '2m'],
    [90_000, '90s'],
    [21_600_000, '6h'],
    [259_200_000, '3d'],
    [0, '0ms'],
  ]
  for (const [ms, text] of cases) {
    assert.equal(formatDuration(ms), text)
    assert.equal(parseDuration(text), ms)
  }
})

test('full jitter stays between 0 and the capped exponential', async () => {
  const { fullJitter } = await import('../src/backoff.ts')
  assert.equal(
    fullJitter(0, 200, 30_000, () => 0),
    0,
  )
  assert.equal(
    fullJitter(3, 200, 30_000, () => 0.5),
    800,
  )
  assert.equal(
    fullJitter(20, 200, 30_000, () => 0.999999),
    29_999,
  )
})

test('withTimeout passes the result through, or rejects once the time is up', async () => {
  const { withTimeout } = await import('../src/timeout.ts')
  assert.equal(await withTimeout(Promise.resolve(7), 1000), 7)
  await assert.rejects(withTimeout(new Promise(() => undefined), 20), /no answer within 20 ms/)
})
