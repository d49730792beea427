import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDuration } from '../src/duration.ts'

test('durations: seconds, minutes, hours, days', () => {
  assert.equal(parseDuration('90s'), 90_000)
  assert.equal(parseDuration('15m'), 900_000)
  assert.equal(parseDuration('6h'), 21_600_000)
  assert.equal(parseDuration('1d'), 86_400_000)
  assert.equal(parseDuration('1w'), undefined)
  assert.equal(parseDuration('soon'), undefined)
})
