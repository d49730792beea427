import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  asOfDate,
  chartHeading,
  chartName,
  chartRows,
  chartRowsQuery,
  industryName,
  industryOf,
  movement,
  snapshotsQuery,
  sourceOf,
} from '../src/charts.ts'
import { CliError, EXIT } from '../src/errors.ts'

const isUsage = (error: unknown) => error instanceof CliError && error.exitCode === EXIT.usage

test('--industry takes an id, a name in any case or all; anything else is a usage error naming the choices', () => {
  assert.equal(industryOf(undefined), '')
  assert.equal(industryOf('all'), '')
  assert.equal(industryOf('22000000000'), '22000000000')
  assert.equal(industryOf('apparel & accessories'), '22000000000')
  assert.throws(
    () => industryOf('Knitting'),
    (error: unknown) => isUsage(error) && /Apparel & Accessories/.test((error as Error).message),
  )
  assert.throws(() => industryOf('99000000000'), isUsage)
  assert.equal(industryName('22000000000'), 'Apparel & Accessories')
  assert.equal(industryName(''), 'all industries')
  assert.equal(industryName('31000000000'), '31000000000', 'an id without a known name shows as itself')
})

test('--as-of takes a real calendar date; --source an endpoint name', () => {
  assert.equal(asOfDate('2026-12-01'), '2026-12-01')
  assert.equal(asOfDate(undefined), undefined)
  for (const bad of ['2026-02-30', '12/01/2026', 'yesterday', '2026-1-1']) assert.throws(() => asOfDate(bad), isUsage, bad)
  assert.equal(sourceOf('hashtags-creative-one'), 'hashtags-creative-one')
  assert.throws(() => sourceOf('hashtags'), isUsage)
})

test('the snapshot query takes every value as a parameter, never in the SQL text', () => {
  const request = {
    kind: "hashtag' OR 1=1 --",
    country: 'US',
    period: 7,
    industry: '22000000000',
    source: 'hashtags-legacy',
    asOf: '2026-12-01',
  }
  const { query, query_params: params } = snapshotsQuery(request)
  assert.doesNotMatch(query, /OR 1=1|'US'|22000000000|hashtags-legacy|2026-12-01/)
  assert.match(
    query,
    /kind = \{kind:String\} AND industry = \{industry:String\} AND country = \{country:String\} AND period = \{period:UInt16\} AND endpoint = \{source:String\} AND data_date <= \{asOf:Date\}/,
  )
  assert.match(query, /^ {4}WHERE kind = /m)
  assert.deepEqual(params, {
    kind: request.kind,
    industry: '22000000000',
    country: 'US',
    period: 7,
    source: 'hashtags-legacy',
    asOf: '2026-12-01',
  })
  // An exact chart id replaces the other parts; the newest snapshot of each chart, newest first.
  const exact = snapshotsQuery({ kind: 'hashtag', industry: '', chart: 'hashtags-legacy/US/7/all/sort_by=popular' })
  assert.deepEqual(exact.query_params, { chart: 'hashtags-legacy/US/7/all/sort_by=popular' })
  // Per chart its latest complete snapshot, else its latest partial one; complete charts first, newest first.
  assert.match(
    exact.query,
    /ORDER BY chart_id, complete DESC, data_date DESC, last_fetched_at DESC\n {4}LIMIT 1 BY chart_id\n\)\nORDER BY complete DESC, data_date DESC/,
  )
  const rows = chartRowsQuery({ chart_id: 'c', data_date: '2026-12-01' }, 10)
  assert.deepEqual(rows.query_params, { chart: 'c', date: '2026-12-01', limit: 10 })
  assert.match(rows.query, /LIMIT \{limit:UInt32\}$/)
})

test('how an item moved since the snapshot before, in a column people read', () => {
  assert.equal(movement('entered', null), 'new')
  assert.equal(movement('moved', '3'), '+3')
  assert.equal(movement('moved', '-12'), '-12')
  assert.equal(movement('stayed', '0'), '=')
  assert.equal(movement(null, null), '', "a chart's first snapshot has nothing to move from")
  assert.deepEqual(chartRows([{ rank: 1, name: 'fyp', change: 'moved', places: '2' }]), [{ rank: 1, name: 'fyp', move: '+2' }])
})

test("a chart's name: kind in the plural, country or every country, period in days or none, industry by name", () => {
  assert.equal(chartName({ kind: 'hashtag', country: 'US', period: 7, industry: '' }), 'hashtags · US · 7 days · all industries')
  assert.equal(chartName({ kind: 'sound', country: '', period: 0, industry: '' }), 'sounds · all countries · no period · all industries')
  assert.equal(
    chartName({ kind: 'creator', country: 'JP', period: 120, industry: '27000000000' }),
    'creators · JP · 120 days · Food & Beverage',
  )
})

test('the heading names the chart, its industry and the snapshot shown, and says so when it is partial', () => {
  const snapshot = {
    chart_id: 'hashtags-legacy/US/7/22000000000/sort_by=popular',
    data_date: '2026-12-01',
    kind: 'hashtag',
    country: 'US',
    period: 7,
    industry: '22000000000',
    endpoint: 'hashtags-legacy',
    items: '100',
    pages: '2',
    last_fetched_at: '2026-12-01 10:00:03.123',
    complete: true,
    reason: 'complete',
  }
  assert.equal(
    chartHeading(snapshot),
    'hashtags · US · 7 days · Apparel & Accessories (hashtags-legacy/US/7/22000000000/sort_by=popular) · snapshot 2026-12-01, complete, 100 items, fetched 2026-12-01 10:00 UTC',
  )
  assert.match(
    chartHeading({ ...snapshot, complete: false, reason: 'max_pages' }),
    / · snapshot 2026-12-01, partial \(max_pages\), 100 items, /,
  )
})
