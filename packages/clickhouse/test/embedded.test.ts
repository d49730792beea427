import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnv } from '@trends/core'
import { readClickHouseSettings } from '@trends/clickhouse'
import { useEmbeddedClickHouse } from '@trends/testing'

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
