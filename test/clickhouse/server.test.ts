import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnv } from '@trends/core'
import { readClickHouseSettings, type ClickHouseSettings } from '@trends/clickhouse'
import { startClickHouseServer, useClickHouse } from '@trends/testing'

// Server mode against a real ClickHouse server process. Debian's package is 18.16, so these tests
// stay at the transport level (connect, credentials, insert/select on plain MergeTree, restarts).

function serverSettings(url: string, username = 'default', password = ''): ClickHouseSettings {
  const env = readEnv({ CLICKHOUSE_URL: url, CLICKHOUSE_USER: username, CLICKHOUSE_PASSWORD: password })
  const settings = readClickHouseSettings(env)
  env.done()
  return settings
}

test('CLICKHOUSE_URL switches to server mode; insert and select over HTTP', async (t) => {
  const server = await startClickHouseServer(t)
  const settings = serverSettings(server.url, server.user.username, server.user.password)
  assert.equal(settings.mode, 'server')
  const { client, table } = useClickHouse(t, settings)
  const name = table('server')
  await client.command({ query: `CREATE TABLE ${name} (id String, rank UInt32) ENGINE = MergeTree ORDER BY id` })
  await client.insert({
    table: name,
    format: 'JSONEachRow',
    values: [
      { id: '7234567890123456789', rank: 1 },
      { id: '42', rank: 2 },
    ],
  })
  const rows = await (await client.query({ query: `SELECT id, rank FROM ${name} ORDER BY rank`, format: 'JSONEachRow' })).json()
  assert.deepEqual(rows, [
    { id: '7234567890123456789', rank: 1 },
    { id: '42', rank: 2 },
  ])
})

test('wrong credentials fail with an error, and the same client settings with the right ones work', async (t) => {
  const server = await startClickHouseServer(t)
  const wrong = useClickHouse(t, serverSettings(server.url, server.user.username, 'not-the-password'))
  await assert.rejects(wrong.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }), /password/i)
  const right = useClickHouse(t, serverSettings(server.url, server.user.username, server.user.password))
  const rows = await (await right.client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json()
  assert.deepEqual(rows, [{ one: 1 }])
})

test('a stopped server refuses; after a restart the same client inserts again and nothing was lost', async (t) => {
  const server = await startClickHouseServer(t)
  const { client, table } = useClickHouse(t, serverSettings(server.url))
  const name = table('restart')
  await client.command({ query: `CREATE TABLE ${name} (n UInt32) ENGINE = MergeTree ORDER BY n` })
  await client.insert({ table: name, format: 'JSONEachRow', values: [{ n: 1 }, { n: 2 }] })

  await server.stop()
  await assert.rejects(client.insert({ table: name, format: 'JSONEachRow', values: [{ n: 3 }] }), /ECONNREFUSED|socket|connect/i)
  assert.equal((await client.ping()).success, false)

  await server.start()
  await client.insert({ table: name, format: 'JSONEachRow', values: [{ n: 3 }] })
  const rows = await (await client.query({ query: `SELECT n FROM ${name} ORDER BY n`, format: 'JSONEachRow' })).json()
  assert.deepEqual(rows, [{ n: 1 }, { n: 2 }, { n: 3 }])
})
