import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { TrendsError } from '@trends/core'
import { migrate, MIGRATIONS_DIR, statementsOf } from '@trends/clickhouse'
import { observation, useFreshDatabase, type Cleanup } from '@trends/testing'

const freshDatabase = async (t: Cleanup) => (await useFreshDatabase(t, 'migrate')).client

test('statements: comments dropped, split at a semicolon that ends a line', () => {
  assert.deepEqual(statementsOf("-- a table\nCREATE TABLE a (x String DEFAULT ';');\n\nCREATE VIEW b AS SELECT 1;\n"), [
    "CREATE TABLE a (x String DEFAULT ';')",
    'CREATE VIEW b AS SELECT 1',
  ])
})

test('migrations apply in order once; running again applies nothing', async (t) => {
  const client = await freshDatabase(t)
  const first = await migrate(client)
  assert.deepEqual(first.applied, [
    '001_trend_observations.sql',
    '002_trend_curve_points.sql',
    '003_fetch_log.sql',
    '004_dead_letters.sql',
    '005_rollups.sql',
    '006_sink.sql',
    '007_sink_claims.sql',
    '008_charts.sql',
    '009_snapshots.sql',
    '010_chart_views.sql',
    '011_velocity.sql',
    '012_signals.sql',
    '013_drift.sql',
    '014_normalizer_version.sql',
  ])
  const second = await migrate(client)
  assert.deepEqual(second.applied, [])
  assert.equal(second.alreadyApplied.length, 14)
  const tables = await (
    await client.query({ query: 'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name', format: 'JSONEachRow' })
  ).json<{ name: string }>()
  assert.deepEqual(
    tables.map((row) => row.name),
    [
      'chart_breakouts',
      'chart_changes',
      'chart_latest',
      'chart_ranks',
      'chart_snapshot_fill',
      'chart_snapshot_pairs',
      'chart_snapshots',
      'chart_velocity',
      'dead_letters',
      'dead_letters_intake',
      'dead_letters_intake_mv',
      'fetch_log',
      'schema_migrations',
      'sink_batches',
      'sink_claims',
      'trend_curve_points',
      'trend_curve_points_mv',
      'trend_item_stats',
      'trend_item_stats_mv',
      'trend_latest',
      'trend_latest_mv',
      'trend_observations',
      'trend_signals',
    ],
  )
})

test('014 on a store with rows: every row kept (version 0), the views follow the new table, the higher version replaces the lower', async (t) => {
  const client = await freshDatabase(t)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-migrations-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(MIGRATIONS_DIR, dir, { recursive: true, filter: (source) => !/014_normalizer_version\.sql$/.test(source) })
  await migrate(client, dir)
  const key = 'hashtag:US:7:all:all:1'
  const before = [
    observation(key, 'Spring', '2026-11-20', 5, null, '2026-11-20 08:00:00.000', [['2026-11-20 00:00:00.000', 60]]),
    observation('hashtag:US:7:all:all:2', 'Cozy', '2026-11-20', 9, null, '2026-11-20 08:00:00.000'),
  ]
  await client.insert({ table: 'trend_observations', values: before, format: 'JSONEachRow' })
  const count = async (sql: string) =>
    Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n)

  assert.deepEqual((await migrate(client)).applied, ['014_normalizer_version.sql'])
  assert.equal(await count('SELECT count() AS n FROM trend_observations WHERE normalizer_version = 0'), 2, 'every row kept, as version 0')
  assert.equal(
    await count("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name LIKE 'trend_observations_%'"),
    0,
  )
  const curvePoints = 'SELECT count() AS n FROM trend_curve_points'
  assert.equal(await count(curvePoints), 1, 'the copy triggered no view')

  // The same observation made again by a newer normalization, with the same fetch time, inserted
  // first, and an older one inserted after it: the higher version stays, whatever the order.
  const again = (version: number, name: string) => ({
    ...observation(key, name, '2026-11-20', 5, null, '2026-11-20 08:00:00.000'),
    normalizer_version: version,
  })
  await client.insert({ table: 'trend_observations', values: [again(2, 'Spring v2')], format: 'JSONEachRow' })
  await client.insert({ table: 'trend_observations', values: [again(1, 'Spring v1')], format: 'JSONEachRow' })
  assert.equal(await count(curvePoints), 1, 'the views follow the new table (its rows have no curve)')
  await client.command({ query: 'OPTIMIZE TABLE trend_observations FINAL' })
  const kept = await (
    await client.query({
      query: `SELECT display_name, normalizer_version FROM trend_observations WHERE natural_key = '${key}'`,
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(kept, [{ display_name: 'Spring v2', normalizer_version: 2 }])
  const latest = await count(`SELECT countMerge(c) AS n FROM (SELECT countState() AS c FROM trend_latest WHERE natural_key = '${key}')`)
  assert.ok(latest >= 1, 'trend_latest took the inserts made after the exchange')

  // A batch inserted again with its deduplication token adds nothing, as before.
  const token = { insert_deduplication_token: 'sink:cleaned:0:1-1', deduplicate_blocks_in_dependent_materialized_views: 1 } as const
  const row = observation('hashtag:US:7:all:all:3', 'New', '2026-11-21', 1, null, '2026-11-21 08:00:00.000')
  for (let i = 0; i < 2; i++)
    await client.insert({ table: 'trend_observations', values: [row], format: 'JSONEachRow', clickhouse_settings: token })
  assert.equal(await count("SELECT count() AS n FROM trend_observations WHERE natural_key = 'hashtag:US:7:all:all:3'"), 1)
})

test('an applied migration that was edited afterwards is refused', async (t) => {
  const client = await freshDatabase(t)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-migrations-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(MIGRATIONS_DIR, dir, { recursive: true })
  await migrate(client, dir)
  writeFileSync(path.join(dir, '003_fetch_log.sql'), '-- edited\nSELECT 1;\n')
  await assert.rejects(
    migrate(client, dir),
    (error: unknown) => error instanceof TrendsError && error.code === 'MIGRATION_CHANGED' && /003_fetch_log\.sql/.test(error.message),
  )
})

test('the materialized views agree with direct queries on the observations', async (t) => {
  const client = await freshDatabase(t)
  await migrate(client)
  const rows = [
    observation('hashtag:US:7:all:all:1', 'SpringOutfits', '2026-11-20', 5, null, '2026-11-20 08:00:00.000', [
      ['2026-11-19 00:00:00.000', 40],
      ['2026-11-20 00:00:00.000', 60],
    ]),
    observation('hashtag:US:7:all:all:1', 'SpringOutfits', '2026-11-21', 3, 2, '2026-11-21 08:00:00.000'),
    observation('hashtag:US:7:all:all:1', 'SpringOutfits', '2026-11-22', 1, 2, '2026-11-22 08:00:00.000'),
    observation('hashtag:US:7:all:all:2', 'Tariffs', '2026-11-21', 2, null, '2026-11-21 08:00:00.000'),
    observation('hashtag:US:7:all:all:2', 'Tariffs', '2026-11-22', 4, 2, '2026-11-22 08:00:00.000'),
    // The same snapshot polled again later: a replacement, not a new day.
    observation('hashtag:US:7:all:all:2', 'Tariffs', '2026-11-22', 4, 2, '2026-11-22 09:00:00.000'),
    observation('hashtag:US:7:all:all:3', 'Cozy', '2026-11-10', 9, null, '2026-11-10 08:00:00.000'),
  ]
  await client.insert({ table: 'trend_observations', values: rows, format: 'JSONEachRow' })

  const latestFromView = await (
    await client.query({
      query: `SELECT natural_key, maxMerge(last_date) AS last_date, argMaxMerge(latest).2 AS rank, argMaxMerge(latest).3 AS rank_change
              FROM trend_latest GROUP BY natural_key ORDER BY natural_key`,
      format: 'JSONEachRow',
    })
  ).json()
  const latestDirect = await (
    await client.query({
      query: `SELECT natural_key, max(data_date) AS last_date, argMax(rank, (data_date, fetched_at)) AS rank, argMax(rank_change, (data_date, fetched_at)) AS rank_change
              FROM trend_observations GROUP BY natural_key ORDER BY natural_key`,
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(latestFromView, latestDirect)
  assert.deepEqual(latestDirect, [
    { natural_key: 'hashtag:US:7:all:all:1', last_date: '2026-11-22', rank: 1, rank_change: 2 },
    { natural_key: 'hashtag:US:7:all:all:2', last_date: '2026-11-22', rank: 4, rank_change: 2 },
    { natural_key: 'hashtag:US:7:all:all:3', last_date: '2026-11-10', rank: 9, rank_change: null },
  ])

  const statsFromView = await (
    await client.query({
      query: `SELECT natural_key, minMerge(first_seen) AS first_seen, minMerge(peak_rank) AS peak_rank, uniqExactMerge(days_on_chart) AS days
              FROM trend_item_stats GROUP BY natural_key ORDER BY natural_key`,
      format: 'JSONEachRow',
    })
  ).json()
  const statsDirect = await (
    await client.query({
      query: `SELECT natural_key, min(data_date) AS first_seen, min(rank) AS peak_rank, uniqExact(data_date) AS days
              FROM trend_observations GROUP BY natural_key ORDER BY natural_key`,
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(statsFromView, statsDirect)
  assert.deepEqual(statsDirect[0], { natural_key: 'hashtag:US:7:all:all:1', first_seen: '2026-11-20', peak_rank: 1, days: '3' })

  // The question the rollups exist for: top hashtags in the US over the last 7 days, with rank change.
  const top = await (
    await client.query({
      query: `SELECT natural_key, argMaxMerge(latest).1 AS name, argMaxMerge(latest).2 AS rank, argMaxMerge(latest).3 AS rank_change
              FROM trend_latest WHERE kind = 'hashtag' AND country = 'US' AND period = 7
              GROUP BY natural_key HAVING maxMerge(last_date) >= toDate('2026-11-22') - 6
              ORDER BY rank LIMIT 10`,
      format: 'JSONEachRow',
    })
  ).json()
  assert.deepEqual(top, [
    { natural_key: 'hashtag:US:7:all:all:1', name: 'SpringOutfits', rank: 1, rank_change: 2 },
    { natural_key: 'hashtag:US:7:all:all:2', name: 'Tariffs', rank: 4, rank_change: 2 },
  ])

  const points = await (
    await client.query({ query: 'SELECT count() AS n, max(value) AS top FROM trend_curve_points', format: 'JSONEachRow' })
  ).json()
  assert.deepEqual(points, [{ n: '2', top: 60 }])
  const exact = await (await client.query({ query: 'SELECT count() AS n FROM trend_observations FINAL', format: 'JSONEachRow' })).json()
  assert.deepEqual(exact, [{ n: '6' }], 'FINAL collapses the re-polled snapshot')
})
