import { test } from 'node:test'
import assert from 'node:assert/strict'
import { describeSignal } from '@trends/signals'
import { sinceOf } from '../src/commands/signals.ts'

test('each kind of change in words', () => {
  const row = (type: string, previous: number | null, rank: number | null, measure = 'rank', value = 0) => ({
    type,
    previous_rank: previous,
    rank,
    measure,
    value,
  })
  assert.equal(describeSignal(row('entered', null, 5)), 'new at #5')
  assert.equal(describeSignal(row('exited', 15, null)), 'left the chart (was #15)')
  assert.equal(describeSignal(row('rank_jump', 14, 3, 'places', 11)), '#14 → #3 (+11)')
  assert.equal(describeSignal(row('rank_jump', 3, 20, 'places', -17)), '#3 → #20 (-17)')
  assert.equal(describeSignal(row('new_top', null, 1)), 'new number 1 (new)')
  assert.equal(describeSignal(row('new_top', 4, 1)), 'new number 1 (was #4)')
  assert.equal(describeSignal(row('breakout', 9, 2, 'rank_velocity', 6.4999)), 'rising 6.5 places a day (now #2)')
  assert.equal(describeSignal(row('breakout', null, 7, 'curve_velocity', 30)), 'popularity curve +30 points a day (#7)')
})

test('--since: a date, a duration back from now, or a usage error; unset is the last 7 days of data dates', () => {
  const now = Date.UTC(2026, 11, 2, 12)
  assert.deepEqual(sinceOf(undefined, now), { sinceDate: '2026-11-25' })
  assert.deepEqual(sinceOf('2026-11-30', now), { sinceDate: '2026-11-30' })
  assert.deepEqual(sinceOf('6h', now), { sinceTime: '2026-12-02 06:00:00.000' })
  for (const bad of ['yesterday', '2026-13-45', '6 hours', ''])
    assert.throws(
      () => sinceOf(bad, now),
      (error: Error) => /--since: a date such as/.test(error.message),
      bad,
    )
})
