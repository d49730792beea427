import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnv } from '@trends/core'
import { readClickHouseSettings } from '@trends/clickhouse'
import { useEmbeddedClickHouse, useFreshDatabase } from '@trends/testing'
import { withInlineSettings } from '../src/embedded.ts'

test('without CLICKHOUSE_URL the settings choose embedded chDB', () => {
  const env = readEnv({ CLICKHOUSE_PATH: '/tmp/x' })
  const settings = readClickHouseSettings(env)
  env.done()
  assert.deepEqual(settings, { mode: 'embedded', path: '/tmp/x', database: 'default' })
})

test('embedded chDB runs current ClickHouse SQL: insert and select through @clickhouse/client', async (t) => {
  const { client, table } = useEmbeddedClickHouse(t)
  const name = table('embedded')
  const version = await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>()
  assert.ok(Number(version[0]?.v.split('.')[0]) >= 24, `chDB engine version ${version[0]?.v}`)

  await client.command({
    query: `CREATE TABLE ${name} (
      kind LowCardinality(String), id String, rank UInt32, observed_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree ORDER BY (kind, id)`,
  })
  await client.insert({
    table: name,
    format: 'JSONEachRow',
    values: [
      { kind: 'hashtag', id: '7234567890123456789', rank: 1, observed_at: '2026-11-24 10:00:00.000' },
      { kind: 'hashtag', id: '7234567890123456790', rank: 2, observed_at: '2026-11-24 10:00:00.000' },
      { kind: 'sound', id: '1', rank: 1, observed_at: '2026-11-24 10:00:00.000' },
    ],
  })
  const rows = await (
    await client.query({
      query: `SELECT id, rank FROM ${name} WHERE kind = {kind:String} ORDER BY rank`,
      query_params: { kind: 'hashtag' },
      format: 'JSONEachRow',
    })
  ).json<{ id: string; rank: number }>()
  assert.deepEqual(rows, [
    { id: '7234567890123456789', rank: 1 },
    { id: '7234567890123456790', rank: 2 },
  ])
})

test('a second client in the same process shares the embedded data folder', async (t) => {
  const first = useEmbeddedClickHouse(t)
  const second = useEmbeddedClickHouse(t)
  const name = first.table('shared')
  await first.client.command({ query: `CREATE TABLE ${name} (n UInt8) ENGINE = MergeTree ORDER BY n` })
  await first.client.insert({ table: name, format: 'JSONEachRow', values: [{ n: 1 }, { n: 2 }] })
  const count = await (
    await second.client.query({ query: `SELECT count() AS c FROM ${name}`, format: 'JSONEachRow' })
  ).json<{ c: string }>()
  assert.equal(count[0]?.c, '2')
})

test('64-bit integers come back as exact strings, as a ClickHouse server returns them', async (t) => {
  const { client } = useEmbeddedClickHouse(t)
  const rows = await (
    await client.query({ query: 'SELECT toUInt64(7234567890123456789) AS big, toUInt32(7) AS small', format: 'JSONEachRow' })
  ).json<{ big: string; small: number }>()
  assert.deepEqual(rows, [{ big: '7234567890123456789', small: 7 }])
})

test('each client works in its own database, also when two run at once', async (t) => {
  const one = await useFreshDatabase(t, 'db_one')
  const two = await useFreshDatabase(t, 'db_two')
  for (const { client } of [one, two]) await client.command({ query: 'CREATE TABLE facts (n UInt32) ENGINE = MergeTree ORDER BY n' })
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? one : two).client.insert({ table: 'facts', format: 'JSONEachRow', values: [{ n: i }] }),
    ),
  )
  const sums = await Promise.all(
    [one, two].map(
      async ({ client }) =>
        (await (await client.query({ query: 'SELECT sum(n) AS s FROM facts', format: 'JSONEachRow' })).json<{ s: string }>())[0]?.s,
    ),
  )
  assert.deepEqual(sums, ['90', '100'])
})

test('settings hold for one statement: a deduplication token does not reach the next insert', async (t) => {
  const { client } = await useFreshDatabase(t, 'settings')
  await client.command({
    query: 'CREATE TABLE facts (n UInt32) ENGINE = MergeTree ORDER BY n SETTINGS non_replicated_deduplication_window = 100',
  })
  const insert = (n: number, token?: string) =>
    client.insert({
      table: 'facts',
      format: 'JSONEachRow',
      values: [{ n }],
      ...(token === undefined ? {} : { clickhouse_settings: { insert_deduplication_token: token } }),
    })
  await insert(1, 'a')
  await insert(2, 'a') // the same token: dropped as a repeat
  await insert(3) // no token: kept
  await insert(4) // no token, different data: kept
  const rows = await (await client.query({ query: 'SELECT n FROM facts ORDER BY n', format: 'JSONEachRow' })).json<{ n: number }>()
  assert.deepEqual(
    rows.map((row) => row.n),
    [1, 3, 4],
  )
  const token = await (
    await client.query({ query: "SELECT getSetting('insert_deduplication_token') AS t", format: 'JSONEachRow' })
  ).json<{ t: string }>()
  assert.deepEqual(token, [{ t: '' }])
})

test('settings go into the statement, before its FORMAT', () => {
  assert.equal(
    withInlineSettings('SELECT 1\nFORMAT JSONEachRow', { max_threads: 1 }),
    'SELECT 1 SETTINGS max_threads = 1\nFORMAT JSONEachRow',
  )
  assert.equal(
    withInlineSettings('INSERT INTO t (a) FORMAT JSONEachRow', { insert_deduplication_token: "x'y" }),
    "INSERT INTO t (a) SETTINGS insert_deduplication_token = 'x\\'y' FORMAT JSONEachRow",
  )
  assert.equal(withInlineSettings('SELECT 1 SETTINGS a = 1 FORMAT CSV', { b: true }), 'SELECT 1 SETTINGS a = 1, b = 1 FORMAT CSV')
  assert.equal(withInlineSettings('SELECT 1', {}), 'SELECT 1')
})
