import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { PageDrift, RawItem } from '@trends/creative-center'
import { itemRows, nameOf, pageSummary, snapshotLine } from '../src/items.ts'

test("an item's name from whichever field its family and generation use, the first non-empty one", () => {
  assert.equal(nameOf({ hashtag_name: 'fyp', name: 'other' }), 'fyp')
  assert.equal(nameOf({ keyword: 'summer' }), 'summer')
  assert.equal(nameOf({ title: 'song', author: 'someone' }), 'song')
  assert.equal(nameOf({ nick_name: '', nickName: 'creator' }), 'creator', 'an empty field is skipped')
  assert.equal(nameOf({ item_id: '7300000000000000001' }), '7300000000000000001')
  assert.equal(nameOf({ title: 42, name: 'n' }), 'n', 'a field that is no string is skipped')
  for (const none of [{}, null, 'text', 5, ['fyp']]) assert.equal(nameOf(none), '')
})

test('rows of a page: position from 1, the id or "(none)", the name', () => {
  const items: RawItem[] = [
    { raw: '{"hashtag_name":"fyp"}', value: { hashtag_name: 'fyp' }, position: 0, id: '1' },
    { raw: '{"hashtag_name":"cat"}', value: { hashtag_name: 'cat' }, position: 1, id: undefined },
  ]
  assert.deepEqual(itemRows(items), [
    { position: 1, id: '1', name: 'fyp' },
    { position: 2, id: '(none)', name: 'cat' },
  ])
})

test('the page summary: items, status, latency in whole ms, attempts, then the request id and more pages when known', () => {
  const page = {
    page: 2,
    items: [] as RawItem[],
    status: 200,
    latencyMs: 123.6,
    attempts: 1,
    requestId: undefined,
    pagination: { page: 2, size: 20, total: undefined, hasMore: undefined },
    drift: [] as PageDrift[],
  }
  assert.equal(pageSummary('hashtags', page), 'hashtags page 2: 0 items, HTTP 200, 124 ms, 1 attempt(s)\n')
  assert.equal(
    pageSummary('sounds', { ...page, attempts: 3, requestId: '2026120121abc', pagination: { ...page.pagination, hasMore: true } }),
    'sounds page 2: 0 items, HTTP 200, 124 ms, 3 attempt(s), request 2026120121abc, more pages\n',
  )
  assert.equal(
    pageSummary('x', { ...page, pagination: { ...page.pagination, hasMore: false } }),
    'x page 2: 0 items, HTTP 200, 124 ms, 1 attempt(s)\n',
  )
  // Drift in words on a line of its own, the upstream's names escaped for the terminal.
  const drift: PageDrift[] = [
    { field: 'hashtag_name', kind: 'missing', items: 20 },
    { field: 'tag\u001b[2Jname', kind: 'unknown', items: 20 },
  ]
  assert.equal(
    pageSummary('hashtags-legacy', { ...page, drift }),
    'hashtags-legacy page 2: 0 items, HTTP 200, 124 ms, 1 attempt(s)\ndrift: hashtag_name missing, tag\\u001b[2Jname unknown\n',
  )
})

test("a first page's snapshot: the whole chart, or a logged-out cap, or nothing while more pages follow", () => {
  const page = (items: number, hasMore: boolean | undefined, number = 1) => ({
    page: number,
    items: Array.from({ length: items }, () => ({}) as RawItem),
    pagination: { page: number, size: 20, total: undefined, hasMore },
  })
  assert.equal(snapshotLine(page(12, false), undefined), 'snapshot: complete (this page ends the chart)\n')
  assert.equal(
    snapshotLine(page(3, false), 3),
    'snapshot: partial (logged_out_cap): without a login the upstream stops at 3 rows; CC_COOKIE fetches the whole chart\n',
  )
  assert.equal(snapshotLine(page(20, true), 3), '')
  assert.equal(snapshotLine(page(3, false, 2), 3), '', 'a later page cannot say')
})
