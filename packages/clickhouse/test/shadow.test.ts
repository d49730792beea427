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
  swapMethodFor,
  swappingName,
  swapStatement,
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

  assert.equal(await exchangeTables(live, database, shadowName, tables), 'exchange', 'both databases can exchange')
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

test('where an engine cannot exchange, the swap renames: the same trade of tables, nothing left aside', async (t) => {
  assert.equal(swapMethodFor(['Atomic', 'Ordinary']), 'rename')
  assert.equal(swapMethodFor(['Atomic', 'Atomic']), 'exchange')
  assert.equal(swapMethodFor(['Replicated', 'Atomic']), 'exchange')
  // chDB makes no Ordinary database (deprecated), so the RENAME form runs here between two that
  // could exchange: what it does to the tables is what the swap relies on.
  const { client, database } = await useFreshDatabase(t, 'rename_swap')
  const other = `${database}_other`
  await client.command({ query: `CREATE DATABASE ${other}` })
  defer(t, () => client.command({ query: `DROP DATABASE IF EXISTS ${other}` }))
  for (const [db, side] of [
    [database, 'live'],
    [other, 'shadow'],
  ] as const) {
    await client.command({ query: `CREATE TABLE ${db}.t (side String) ENGINE = MergeTree ORDER BY side` })
    await client.command({ query: `INSERT INTO ${db}.t VALUES ('${side}')` })
  }
  const sides = async () => {
    const read = async (db: string) =>
      (await (await client.query({ query: `SELECT side FROM ${db}.t`, format: 'JSONEachRow' })).json<{ side: string }>()).map((r) => r.side)
    const aside = await (
      await client.query({
        query: 'SELECT count() AS n FROM system.tables WHERE database IN ({dbs:Array(String)}) AND name = {name:String}',
        query_params: { dbs: [database, other], name: swappingName('t') },
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>()
    return { live: await read(database), shadow: await read(other), aside: Number(aside[0]?.n) }
  }
  await client.command({ query: swapStatement('rename', database, other, 't') })
  assert.deepEqual(await sides(), { live: ['shadow'], shadow: ['live'], aside: 0 })
  await client.command({ query: swapStatement('rename', database, other, 't') })
  assert.deepEqual(await sides(), { live: ['live'], shadow: ['shadow'], aside: 0 }, 'and back, as a rollback')
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
