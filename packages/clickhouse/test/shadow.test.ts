import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  appliedMigrations,
  createClickHouse,
  dataTables,
  databaseExists,
  exchangeTables,
  migrate,
  schemaDifference,
  shadowDatabase,
} from '@trends/clickhouse'
import { defer, EMBEDDED_TEST_PATH, observation, testLogger, useFreshDatabase } from '@trends/testing'

test('a shadow beside the live database: the same schema, its data tables, exchanged pair by pair; views and materialized views follow', async (t) => {
  const { client: live, database } = await useFreshDatabase(t, 'shadow')
  const shadowName = shadowDatabase(database)
  assert.equal(shadowName, `${database}_shadow`)
  assert.equal(await databaseExists(live, shadowName), false)
  await live.command({ query: `CREATE DATABASE ${shadowName}` })
  defer(t, () => live.command({ query: `DROP DATABASE IF EXISTS ${shadowName}` }))
  const shadow = createClickHouse({ mode: 'embedded', path: EMBEDDED_TEST_PATH, database: shadowName }, testLogger('shadow'))
  defer(t, () => shadow.close())
  await migrate(live)
  assert.deepEqual(schemaDifference(await appliedMigrations(live, database), await appliedMigrations(live, shadowName)).length, 14)
  await migrate(shadow)
  assert.deepEqual(schemaDifference(await appliedMigrations(live, database), await appliedMigrations(live, shadowName)), [])

  const tables = await dataTables(live, database)
  assert.deepEqual(tables, [
    'dead_letters',
    'fetch_log',
    'sink_batches',
    'sink_claims',
    'trend_curve_points',
    'trend_item_stats',
    'trend_latest',
    'trend_observations',
    'trend_signals',
  ])
  assert.deepEqual(await dataTables(live, shadowName), tables)

  const key = 'hashtag:US:7:all:all:1'
  const row = (name: string, version: number) => ({
    ...observation(key, name, '2026-11-20', 5, null, '2026-11-20 08:00:00.000', [['2026-11-20 00:00:00.000', 60]]),
    normalizer_version: version,
  })
  await live.insert({ table: 'trend_observations', values: [row('old', 1)], format: 'JSONEachRow' })
  await shadow.insert({ table: 'trend_observations', values: [row('new', 2)], format: 'JSONEachRow' })
  const read = async (sql: string) => (await (await live.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>())[0]

  await exchangeTables(live, database, shadowName, tables)
  // The live database's views read the exchanged tables by name.
  assert.deepEqual(await read(`SELECT display_name FROM ${database}.trend_observations`), { display_name: 'new' })
  assert.deepEqual(await read(`SELECT display_name FROM ${shadowName}.trend_observations`), { display_name: 'old' })
  const latest = `SELECT argMaxMerge(latest).1 AS name FROM ${database}.trend_latest WHERE natural_key = '${key}'`
  assert.deepEqual(await read(latest), { name: 'new' }, "the shadow's rollup came along with its table")
  // The live database's materialized views feed the tables now under its names.
  await live.insert({ table: 'trend_observations', values: [row('after', 2)], format: 'JSONEachRow' })
  assert.deepEqual(await read(`SELECT count() AS n FROM ${database}.trend_curve_points`), { n: '2' })
  assert.deepEqual(await read(`SELECT count() AS n FROM ${shadowName}.trend_curve_points`), { n: '1' })

  // And back: a rollback is the same exchange again.
  await exchangeTables(live, database, shadowName, tables)
  assert.deepEqual(await read(`SELECT groupArray(display_name) AS names FROM ${database}.trend_observations`), { names: ['old'] })
})

test('schema differences are named, migration by migration', () => {
  const live = new Map([
    ['001_a.sql', 'x'],
    ['002_b.sql', 'y'],
  ])
  assert.deepEqual(schemaDifference(live, new Map([['001_a.sql', 'x']])), ['002_b.sql is applied to the live tables only'])
  assert.deepEqual(
    schemaDifference(
      live,
      new Map([
        ['001_a.sql', 'z'],
        ['002_b.sql', 'y'],
        ['003_c.sql', 'w'],
      ]),
    ),
    ['001_a.sql differs between the two', '003_c.sql is applied to the shadow only'],
  )
})
