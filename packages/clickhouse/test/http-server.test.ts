import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnv } from '@trends/core'
import { createClickHouse, migrate, readClickHouseSettings, startClickHouseHttpServer } from '@trends/clickhouse'
import { defer, EMBEDDED_TEST_PATH, freePort, testLogger, useEmbeddedClickHouse, type Cleanup } from '@trends/testing'

async function serve(t: Cleanup, users?: Record<string, string>) {
  useEmbeddedClickHouse(t) // this process's folder, removed when the process exits
  const server = await startClickHouseHttpServer({
    path: EMBEDDED_TEST_PATH,
    port: await freePort(),
    ...(users === undefined ? {} : { users }),
  })
  defer(t, () => server.close())
  return server
}

function client(t: Cleanup, url: string, user = 'default', password = '', database = 'default') {
  const env = readEnv({ CLICKHOUSE_URL: url, CLICKHOUSE_USER: user, CLICKHOUSE_PASSWORD: password, CLICKHOUSE_DATABASE: database })
  const settings = readClickHouseSettings(env)
  env.done()
  const made = createClickHouse(settings, testLogger('clickhouse'))
  defer(t, () => made.close())
  return made
}

test('@clickhouse/client over HTTP to the embedded store: DDL, insert, select with parameters, 64-bit ids exact', async (t) => {
  const server = await serve(t)
  const ch = client(t, server.url)
  assert.equal((await ch.ping()).success, true)
  const name = `http_${Date.now()}`
  await ch.command({ query: `CREATE TABLE ${name} (id String, n UInt64, at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id` })
  defer(t, () => ch.command({ query: `DROP TABLE IF EXISTS ${name}` }))
  await ch.insert({
    table: name,
    format: 'JSONEachRow',
    values: [
      { id: 'a', n: '18446744073709551615', at: '2026-11-24 10:00:00.000' },
      { id: 'b', n: 2, at: '2026-11-24 11:00:00.000' },
    ],
  })
  const rows = await (
    await ch.query({ query: `SELECT id, n FROM ${name} WHERE id = {id:String}`, query_params: { id: 'a' }, format: 'JSONEachRow' })
  ).json()
  assert.deepEqual(rows, [{ id: 'a', n: '18446744073709551615' }])
  const raw = await fetch(`${server.url}/?query=${encodeURIComponent(`SELECT id, n FROM ${name} ORDER BY id`)}`)
  assert.equal(raw.status, 200)
  assert.equal(await raw.text(), 'a\t18446744073709551615\nb\t2\n', 'TabSeparated by default, as a server answers curl')
})

test('the migrations apply over HTTP into the client database, and a deduplication token is honoured', async (t) => {
  const server = await serve(t)
  const admin = client(t, server.url)
  const database = `http_db_${Date.now()}`
  await admin.command({ query: `CREATE DATABASE ${database}` })
  defer(t, () => admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }))
  const ch = client(t, server.url, 'default', '', database)
  const result = await migrate(ch)
  assert.ok(result.applied.length >= 6)
  const tables = await (
    await ch.query({ query: `SELECT count() AS n FROM system.tables WHERE database = currentDatabase()`, format: 'JSONEachRow' })
  ).json<{ n: string }>()
  assert.ok(Number(tables[0]?.n) >= 10, `${tables[0]?.n} tables in ${database}`)
  for (let i = 0; i < 2; i++) {
    await ch.insert({
      table: 'fetch_log',
      format: 'JSONEachRow',
      values: [
        {
          fetch_id: 'f',
          task_id: 't',
          endpoint: 'e',
          family: 'hashtag',
          generation: 'legacy',
          page: 1,
          attempt: 1,
          outcome: 'ok',
          latency_ms: 1,
          items: 1,
          will_retry: false,
          request_params: {},
          requested_at: '2026-11-24 10:00:00.000',
        },
      ],
      clickhouse_settings: { insert_deduplication_token: 'same' },
    })
  }
  const count = await (await ch.query({ query: 'SELECT count() AS n FROM fetch_log', format: 'JSONEachRow' })).json<{ n: string }>()
  assert.deepEqual(count, [{ n: '1' }])
})

test('errors come back in ClickHouse form: wrong credentials, an unknown table, bad SQL', async (t) => {
  const server = await serve(t, { analyst: 's3cret' })
  const wrong = client(t, server.url, 'analyst', 'nope')
  await assert.rejects(wrong.query({ query: 'SELECT 1', format: 'JSONEachRow' }), (error: { code?: string; type?: string }) => {
    assert.equal(error.code, '516')
    assert.equal(error.type, 'AUTHENTICATION_FAILED')
    return true
  })
  const right = client(t, server.url, 'analyst', 's3cret')
  await assert.rejects(
    right.query({ query: 'SELECT * FROM no_such_table', format: 'JSONEachRow' }),
    (error: { code?: string; type?: string }) => {
      assert.equal(error.code, '60')
      assert.equal(error.type, 'UNKNOWN_TABLE')
      return true
    },
  )
  await assert.rejects(
    right.query({ query: 'SELEKT 1', format: 'JSONEachRow' }),
    (error: { type?: string }) => error.type === 'SYNTAX_ERROR',
  )
  const response = await fetch(`${server.url}/?query=SELECT%20*%20FROM%20no_such_table`, {
    headers: { authorization: `Basic ${Buffer.from('analyst:s3cret').toString('base64')}` },
  })
  assert.equal(response.status, 404)
  assert.equal(response.headers.get('x-clickhouse-exception-code'), '60')
  assert.match(await response.text(), /^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\)/)
})
