import { test } from 'node:test'
import assert from 'node:assert/strict'
import { metricSum, parseMetrics } from '../src/prometheus.ts'

test('samples with their labels; comments, blank lines and lines of no sample skipped', () => {
  const text = [
    '# HELP trends_sink_rows_inserted_total Rows ClickHouse acknowledged, by table',
    '# TYPE trends_sink_rows_inserted_total counter',
    'trends_sink_rows_inserted_total{table="trend_observations"} 280',
    '',
    'trends_sink_rows_inserted_total{table="fetch_log"} 6 1764623045000',
    'process_cpu_seconds_total 1.25',
    'not a sample',
    '   ',
  ].join('\n')
  assert.deepEqual(parseMetrics(text), [
    { name: 'trends_sink_rows_inserted_total', labels: { table: 'trend_observations' }, value: 280 },
    { name: 'trends_sink_rows_inserted_total', labels: { table: 'fetch_log' }, value: 6 },
    { name: 'process_cpu_seconds_total', labels: {}, value: 1.25 },
  ])
})

test('label values keep commas, braces and escaped quotes and backslashes', () => {
  const [sample] = parseMetrics('m{a="x,y",b="say \\"hi\\"",c="a\\\\b",d="{}"} 3')
  assert.deepEqual(sample, { name: 'm', labels: { a: 'x,y', b: 'say "hi"', c: 'a\\b', d: '{}' }, value: 3 })
})

test('values that are no finite number (NaN, +Inf, text) are left out rather than summed', () => {
  assert.deepEqual(
    parseMetrics('a NaN\nb +Inf\nc -Inf\nd x\ne 1e3\nf -2').map((sample) => [sample.name, sample.value]),
    [
      ['e', 1000],
      ['f', -2],
    ],
  )
})

test('metricSum: every sample of the name whose labels include the ones asked for; 0 for none', () => {
  const samples = parseMetrics(
    [
      'trends_worker_tasks_total{endpoint="hashtags",outcome="ok"} 5',
      'trends_worker_tasks_total{endpoint="sounds",outcome="ok"} 2',
      'trends_worker_tasks_total{endpoint="sounds",outcome="failed"} 1',
      'trends_worker_tasks_total_other 100',
    ].join('\n'),
  )
  assert.equal(metricSum(samples, 'trends_worker_tasks_total'), 8)
  assert.equal(metricSum(samples, 'trends_worker_tasks_total', { outcome: 'ok' }), 7)
  assert.equal(metricSum(samples, 'trends_worker_tasks_total', { endpoint: 'sounds', outcome: 'failed' }), 1)
  assert.equal(metricSum(samples, 'trends_worker_tasks_total', { endpoint: 'creators' }), 0)
  assert.equal(metricSum(samples, 'trends_sink_records_in_total'), 0)
  assert.equal(metricSum([], 'anything'), 0)
})
