import { test } from 'node:test'
import assert from 'node:assert/strict'
import { metricValue } from '@trends/metrics'
import {
  cleanedRecord,
  freshSinkDatabase,
  freshSinkTopics,
  publish,
  queryNumber,
  sinkEnv,
  startSink,
  waitForNumber,
} from '../support/sink.ts'

const ITEMS = 1000
const DAYS = 3

test('every cleaned record lands once; the views follow; a replay from earliest changes no total', { timeout: 180_000 }, async (t) => {
  const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
  const records = Array.from({ length: DAYS }, (_, day) => Array.from({ length: ITEMS }, (_, i) => cleanedRecord(i, day))).flat()
  await publish(t, topics.cleaned, cleanedSchemaId, records)
  const { client, database } = await freshSinkDatabase(t)

  const first = await startSink(t, sinkEnv(prefix, database, { SINK_BATCH_ROWS: '400' }), client)
  await waitForNumber(client, 'SELECT count() AS n FROM trend_observations', (n) => n >= records.length)
  await first.sink.stop()
  const totals = async () => ({
    rows: await queryNumber(client, 'SELECT count() AS n FROM trend_observations'),
    distinct: await queryNumber(client, 'SELECT uniqExact(natural_key, data_date) AS n FROM trend_observations'),
    points: await queryNumber(client, 'SELECT count() AS n FROM trend_curve_points FINAL'),
    latest: await queryNumber(client, 'SELECT uniqExact(natural_key) AS n FROM trend_latest'),
    batches: await queryNumber(client, 'SELECT count() AS n FROM sink_batches'),
  })
  const before = await totals()
  assert.equal(before.rows, records.length, 'each record once (no FINAL)')
  assert.equal(before.distinct, records.length)
  assert.equal(before.points, ITEMS * (DAYS + 2), 'the curves as a time series: each item, each day of its curves')
  assert.equal(before.latest, ITEMS)
  assert.ok(before.batches >= Math.ceil(records.length / 400), `${before.batches} batches of at most 400 rows`)
  assert.equal(await metricValue(first.metrics, 'trends_sink_rows_inserted_total'), records.length)
  for (const name of ['trends_sink_freshness_seconds', 'trends_sink_data_age_seconds']) {
    const text = await first.metrics.getSingleMetricAsString(name)
    assert.match(text, new RegExp(`^${name}_count\\{[^}]*\\} ${records.length}$`, 'm'), `${name}: one observation per row`)
  }

  // The chart as ClickHouse answers it: the 7-day US chart's top 10 on the latest date, with rank change.
  const top = await (
    await client.query({
      query: `SELECT natural_key, rank, rank_change FROM trend_observations
              WHERE kind = 'hashtag' AND country = 'US' AND period = 7 AND data_date = (SELECT max(data_date) FROM trend_observations)
              ORDER BY rank, natural_key LIMIT 10`,
      format: 'JSONEachRow',
    })
  ).json<{ natural_key: string; rank: number; rank_change: number }>()
  const expected = records
    .filter((r) => r.data_date === Math.max(...records.map((x) => x.data_date ?? 0)))
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0) || a.natural_key.localeCompare(b.natural_key))
    .slice(0, 10)
    .map((r) => ({ natural_key: r.natural_key, rank: r.rank, rank_change: r.rank_change }))
  assert.deepEqual(top, expected)
  // The same question answered by the rollup the materialized view keeps (latest rank per item).
  const fromView = await (
    await client.query({
      query: `SELECT natural_key, argMaxMerge(latest).2 AS rank, argMaxMerge(latest).3 AS rank_change
              FROM trend_latest WHERE kind = 'hashtag' AND country = 'US' AND period = 7
              GROUP BY natural_key HAVING maxMerge(last_date) >= (SELECT max(data_date) FROM trend_observations) - 6
              ORDER BY rank, natural_key LIMIT 10`,
      format: 'JSONEachRow',
    })
  ).json<{ natural_key: string; rank: number; rank_change: number }>()
  assert.deepEqual(fromView, expected, 'the view agrees: top 10 US hashtags over the last 7 days with rank change')

  // Replay: a new group reads the topic from earliest into the same tables; the ledger makes it form
  // the same batches, and ClickHouse drops them as repeats.
  const replay = await startSink(t, sinkEnv(prefix, database, { SINK_GROUP_ID: `${prefix}.replay`, SINK_BATCH_ROWS: '250' }), client)
  const deadline = Date.now() + 60_000
  while ((await metricValue(replay.metrics, 'trends_sink_records_in_total')) < records.length && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200))
  await replay.sink.stop()
  assert.equal(await metricValue(replay.metrics, 'trends_sink_records_in_total'), records.length, 'the replay read everything')
  assert.deepEqual(await totals(), before, 'totals unchanged by the replay')
})
