import { test } from 'node:test'
import assert from 'node:assert/strict'
import { topicsFor } from '@trends/kafka'
import { dateText, routesFor, RowError, timeText } from '../src/routes.ts'

const DAY = 86_400_000

test('dates and times in ClickHouse text form; values it would clamp are refused', () => {
  assert.equal(dateText('d', 0), '1970-01-01')
  assert.equal(dateText('d', 20_412), '2025-11-20')
  assert.equal(dateText('d', 65_535), '2149-06-06')
  assert.throws(
    () => dateText('data_date', Math.floor(Date.UTC(2200, 0, 1) / DAY)),
    (e: unknown) => e instanceof RowError && e.errorClass === 'SINK_VALUE_OUT_OF_RANGE',
  )
  assert.throws(() => dateText('data_date', -1), RowError)
  assert.equal(timeText('t', 0), '1970-01-01 00:00:00.000')
  assert.equal(timeText('t', Date.UTC(2200, 0, 1, 1, 2, 3, 4)), '2200-01-01 01:02:03.004')
  assert.throws(
    () => timeText('t', Date.UTC(2300, 0, 1)),
    (e: unknown) => e instanceof RowError && e.errorClass === 'SINK_VALUE_OUT_OF_RANGE',
  )
  assert.throws(
    () => timeText('t', 'soon'),
    (e: unknown) => e instanceof RowError && e.errorClass === 'SINK_INVALID_VALUE',
  )
})

test('an observation row: nullable chart fields get their defaults, times become text, unknown fields pass through', () => {
  const [observations] = routesFor(topicsFor('tiktok'))
  assert.equal(observations?.table, 'trend_observations')
  const row = observations.toRow({
    kind: 'sound',
    country: null,
    period: null,
    industry: null,
    curve: [{ at: Date.UTC(2026, 10, 19), value: 42.5 }],
    data_date: null,
    fetched_at: Date.UTC(2026, 10, 20, 8),
    observed_at: Date.UTC(2026, 10, 20, 8, 0, 1),
    added_by_a_newer_schema: 'kept',
  })
  assert.deepEqual(row, {
    kind: 'sound',
    country: '',
    period: 0,
    industry: '',
    curve: [{ at: '2026-11-19 00:00:00.000', value: 42.5 }],
    data_date: '2026-11-20',
    fetched_at: '2026-11-20 08:00:00.000',
    observed_at: '2026-11-20 08:00:01.000',
    added_by_a_newer_schema: 'kept',
  })
})

test('a dead letter row carries the original bytes as base64 for the intake table', () => {
  const deadLetters = routesFor(topicsFor('tiktok')).find((route) => route.name === 'dead-letters')
  assert.equal(deadLetters?.table, 'dead_letters_intake')
  assert.equal(deadLetters.deadLetterRejects, false)
  const row = deadLetters.toRow({ stage: 'normalizer', original: Buffer.from([0, 255, 10]), failed_at: 0, context: {} })
  assert.equal(row['original_base64'], 'AP8K')
  assert.equal('original' in row, false)
})

test('a fetch log row: how a chart fetch ended is text, empty on attempts that did not end one', () => {
  const fetchLog = routesFor(topicsFor('tiktok')).find((route) => route.name === 'fetch-log')!
  const attempt = {
    fetch_id: 'f',
    task_id: 't',
    page: 2,
    chart_id: 'creators-legacy/US/all/all/sort_by=follower',
    requested_at: Date.UTC(2026, 11, 2),
  }
  assert.deepEqual(fetchLog.toRow({ ...attempt, snapshot: null }), { ...attempt, snapshot: '', requested_at: '2026-12-02 00:00:00.000' })
  assert.equal(fetchLog.toRow({ ...attempt, snapshot: 'max_pages' })['snapshot'], 'max_pages')
  // Written before the field existed: no snapshot at all reads as the column's default.
  const older: Record<string, unknown> = { ...attempt }
  delete older['chart_id']
  assert.equal(fetchLog.toRow(older)['snapshot'], '')
})

test('a signal row: dates as text, a chart without country, period or industry gets the columns defaults', () => {
  const signals = routesFor(topicsFor('tiktok')).find((route) => route.name === 'signals')!
  assert.equal(signals.table, 'trend_signals')
  assert.equal(signals.topic, 'tiktok.trends.signals')
  const event = { event_id: 'e', type: 'entered', chart_id: 'creators-legacy/US/all/all/sort_by=follower', previous_rank: null, rank: 4 }
  const row = signals.toRow({
    ...event,
    country: null,
    period: null,
    industry: null,
    previous_date: 20_788,
    data_date: 20_789,
    detected_at: Date.UTC(2026, 11, 2, 8),
  })
  assert.deepEqual(row, {
    ...event,
    country: '',
    period: 0,
    industry: '',
    previous_date: '2026-12-01',
    data_date: '2026-12-02',
    detected_at: '2026-12-02 08:00:00.000',
  })
  assert.throws(() => signals.toRow({ ...event, previous_date: 70_000, data_date: 20_789, detected_at: 0 }), /previous_date 70000/)
})
