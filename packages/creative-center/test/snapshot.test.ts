import { test } from 'node:test'
import assert from 'node:assert/strict'
import { endsChart, failedSnapshotOutcome, snapshotOutcome } from '../src/snapshot.ts'

const page = (items: number, hasMore?: boolean, total?: number) => ({ items, hasMore, total })

test('a chart ends where the upstream says so: has_more false, an empty page, or the announced total reached', () => {
  assert.equal(endsChart(page(50, false), 50), true)
  assert.equal(endsChart(page(0, true), 50), true)
  assert.equal(endsChart(page(50, undefined, 100), 100), true)
  assert.equal(endsChart(page(50, true, 100), 50), false)
  assert.equal(endsChart(page(50), 50), false, 'a page that says nothing leaves the chart open')
})

test('a chart fetch is complete only when its last page ends the chart; otherwise it names why not', () => {
  assert.equal(snapshotOutcome([page(50, true, 100), page(50, false, 100)]), 'complete')
  assert.equal(snapshotOutcome([page(50, true), page(0)]), 'complete', 'an empty page after items ends the chart')
  assert.equal(snapshotOutcome([page(20, true), page(20, true)]), 'max_pages', 'stopped at the cap with more to come')
  assert.equal(snapshotOutcome([page(0, false)]), 'empty')
  assert.equal(snapshotOutcome([]), 'empty')
  // Logged out, a list that stops at exactly the logged-out cap was cut there, not read to its end.
  assert.equal(snapshotOutcome([page(3, false, 3)], 3), 'logged_out_cap')
  assert.equal(snapshotOutcome([page(2, false, 2)], 3), 'complete', 'a shorter list is whole')
  assert.equal(snapshotOutcome([page(3, false, 3)]), 'complete', 'with a session there is no cap')
})

test('a fetch a failure ended: empty for a chart with no item on its first page, else page_failed', () => {
  assert.equal(failedSnapshotOutcome('CC_EMPTY_CHART'), 'empty')
  assert.equal(failedSnapshotOutcome('CC_SERVER_ERROR'), 'page_failed')
  assert.equal(failedSnapshotOutcome('CC_UNEXPECTED'), 'page_failed')
})
