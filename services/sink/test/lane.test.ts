import { test } from 'node:test'
import assert from 'node:assert/strict'
import { batchToken, Lane, type Entry, type Limits } from '../src/lane.ts'
import type { Route } from '../src/routes.ts'

const route: Route = { name: 'observations', topic: 't.cleaned', table: 'trend_observations', toRow: (r) => r, deadLetterRejects: true }
const limits: Limits = { rows: 3, bytes: 1_000_000, waitMs: 1000 }
const entry = (offset: number, bytes = 10): Entry => ({ offset: String(offset), row: { n: offset }, value: null, bytes })

/** Feeds offsets the way the consumer does: a record that is not accepted closes the open batch first. */
function feed(lane: Lane, offsets: number[]): Array<[string, string]> {
  const batches: Array<[string, string]> = []
  for (const offset of offsets) {
    if (!lane.accepts(String(offset), limits)) {
      const batch = lane.take()
      batches.push([batch.first, batch.last])
    }
    lane.add(entry(offset), 0)
    if (lane.ready({ ...limits, waitMs: Number.POSITIVE_INFINITY }, 0)) {
      const batch = lane.take()
      batches.push([batch.first, batch.last])
    }
  }
  return batches
}

test('new batches close on rows', () => {
  const lane = new Lane(route, 0, { ranges: [], truncated: false, from: 0n })
  assert.deepEqual(feed(lane, [0, 1, 2, 3, 4, 5, 6]), [
    ['0', '2'],
    ['3', '5'],
  ])
  assert.equal(lane.size, 1)
})

test('new batches close on bytes and on age', () => {
  const lane = new Lane(route, 0, { ranges: [], truncated: false, from: 0n })
  lane.add(entry(0, 600), 100)
  assert.equal(lane.ready({ rows: 10, bytes: 1000, waitMs: 1000 }, 100), false)
  assert.equal(lane.accepts('1', { rows: 10, bytes: 1000, waitMs: 1000 }), true)
  lane.add(entry(1, 600), 150)
  assert.equal(lane.ready({ rows: 10, bytes: 1000, waitMs: 1000 }, 150), true, 'bytes reached')
  lane.take()
  lane.add(entry(2), 2000)
  assert.equal(lane.ready({ rows: 10, bytes: 1000, waitMs: 1000 }, 2999), false)
  assert.equal(lane.ready({ rows: 10, bytes: 1000, waitMs: 1000 }, 3000), true, 'age reached')
})

test('ranges from the ledger are formed again exactly, whatever the limits, and new batches stop before them', () => {
  // Earlier batches were [10-14] and [15-15]; a gap follows, then [20-21].
  const ranges = [
    { first: 10n, last: 14n },
    { first: 15n, last: 15n },
    { first: 20n, last: 21n },
  ]
  const lane = new Lane(route, 0, { ranges, truncated: false, from: 10n })
  const formed = feed(lane, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22])
  assert.deepEqual(formed, [
    ['10', '14'],
    ['15', '15'],
    ['16', '18'],
    ['19', '19'],
    ['20', '21'],
  ])
  const planned = new Lane(route, 0, { ranges: [{ first: 10n, last: 14n }], truncated: false, from: 10n })
  planned.add(entry(10), 0)
  assert.equal(planned.formingPlanned(), true)
  assert.equal(planned.ready({ rows: 1, bytes: 1, waitMs: 0 }, 10_000), false, 'a planned range is not cut short by limits or age')
})

test('ranges whose records are gone are skipped; a lane without its plan asks for it', () => {
  const lane = new Lane(route, 0, { ranges: [{ first: 0n, last: 4n }], truncated: false, from: 0n })
  assert.deepEqual(feed(lane, [7, 8, 9]), [['7', '9']])
  assert.equal(new Lane(route, 0).needsPlan(), true)
  assert.equal(new Lane(route, 0, { ranges: [], truncated: true, from: 0n }).needsPlan(), true, 'a truncated plan that ran out')
})

test('the token is the topic, partition and offset range', () => {
  assert.equal(batchToken({ topic: 'tiktok.trends.cleaned', partition: 4, first: '100', last: '250' }), 'tiktok.trends.cleaned:4:100-250')
})

test('a lane following another ledger forms batches before its first range and as it has them, none past its end', () => {
  const lane = new Lane({ ...route, follow: true }, 0, {
    ranges: [
      { first: 5n, last: 7n },
      { first: 8n, last: 9n },
    ],
    truncated: false,
    from: 0n,
  })
  for (const at of [0n, 4n, 5n, 9n]) assert.equal(lane.needsPlan(at), false, `offset ${at} is before or in the ranges`)
  assert.equal(lane.needsPlan(10n), true, 'past the end of the ledger it follows: read it again first')
  assert.deepEqual(feed(lane, [3, 4, 5, 6, 7, 8, 9]), [
    ['3', '4'],
    ['5', '7'],
    ['8', '9'],
  ])
  assert.equal(lane.needsPlan(10n), true)
  // A lane of its own ledger forms new batches past the end.
  const own = new Lane(route, 0, { ranges: [{ first: 5n, last: 7n }], truncated: false, from: 0n })
  assert.equal(own.needsPlan(10n), false)
})
