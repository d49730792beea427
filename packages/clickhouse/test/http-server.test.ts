import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { Writable } from 'node:stream'
import { readEnv } from '@trends/core'
import { createClickHouse, describeClickHouse, migrate, passwordFile, readClickHouseSettings } from '@trends/clickhouse'
import { createLogger } from '@trends/logger'
import { defer, EMBEDDED_TEST_PATH, testLogger, type Cleanup } from '@trends/testing'
import { assertRefused, assertServes, basic, query, send, serve } from './http-helpers.ts'

function client(t: Cleanup, url: string, user: string, password: string, database = 'default') {
  const env = readEnv({ CLICKHOUSE_URL: url, CLICKHOUSE_USER: user, CLICKHOUSE_PASSWORD: password, CLICKHOUSE_DATABASE: database })
  const settings = readClickHouseSettings(env)
  env.done()
  const made = createClickHouse(settings, testLogger('clickhouse'))
  defer(t, () => made.close())
  return made
}

test('@clickhouse/client over HTTP to the embedded store: DDL, insert, select with parameters, 64-bit ids exact', async (t) => {
  const server = await serve(t)
  const ch = client(t, server.url, 'default', server.password)
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
  const raw = await fetch(`${server.url}/?query=${encodeURIComponent(`SELECT id, n FROM ${name} ORDER BY id`)}`, {
    headers: basic('default', server.password),
  })
  assert.equal(raw.status, 200)
  assert.equal(await raw.text(), 'a\t18446744073709551615\nb\t2\n', 'TabSeparated by default, as a server answers curl')
})

test('the migrations apply over HTTP into the client database, and a deduplication token is honoured', async (t) => {
  const server = await serve(t)
  const admin = client(t, server.url, 'default', server.password)
  const database = `http_db_${Date.now()}`
  await admin.command({ query: `CREATE DATABASE ${database}` })
  defer(t, () => admin.command({ query: `DROP DATABASE IF EXISTS ${database}` }))
  const ch = client(t, server.url, 'default', server.password, database)
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
  const server = await serve(t, { users: { analyst: 's3cret' } })
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

test('authenticated by default: a password made on first start (mode 0600) and reused on the next', async (t) => {
  const file = passwordFile(EMBEDDED_TEST_PATH)
  const first = await serve(t)
  const stats = statSync(file)
  assert.equal(stats.mode & 0o777, 0o600)
  const password = readFileSync(file, 'utf8').trim()
  assert.match(password, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url')
  assert.equal(first.password, password)
  await first.close()
  const second = await serve(t)
  assert.equal(readFileSync(file, 'utf8').trim(), password, 'the same password after a restart')
  assert.equal(statSync(file).ino, stats.ino, 'the same file, not written again')
  await assertServes(second)
})

test('no credentials, an unknown user and a wrong password: the same 401 in ClickHouse form; right ones in every form ClickHouse reads', async (t) => {
  const server = await serve(t)
  const answers = [
    await send(server.url, { body: 'SELECT 1' }),
    await send(server.url, { path: '/?query=SELECT%201', method: 'GET' }),
    await send(server.url, { headers: basic('nobody', server.password), body: 'SELECT 1' }),
    await send(server.url, { headers: basic('default', `${server.password}x`), body: 'SELECT 1' }),
    await send(server.url, { headers: basic('default', server.password.slice(0, -1)), body: 'SELECT 1' }),
    await send(server.url, { headers: { 'x-clickhouse-user': 'default', 'x-clickhouse-key': 'wrong' }, body: 'SELECT 1' }),
    await send(server.url, { path: '/?user=default&password=wrong', body: 'SELECT 1' }),
  ]
  for (const answer of answers) {
    assertRefused(answer, 401, 516, 'AUTHENTICATION_FAILED')
    assert.equal(answer.text, answers[0]?.text, 'one answer for every failure, naming no user')
    await assertServes(server)
  }
  for (const headers of [basic('default', server.password), { 'x-clickhouse-user': 'default', 'x-clickhouse-key': server.password }]) {
    const answer = await send(server.url, { headers, body: 'SELECT 2' })
    assert.deepEqual([answer.status, answer.text], [200, '2\n'])
  }
  const inUrl = await send(server.url, { path: `/?user=default&password=${encodeURIComponent(server.password)}`, body: 'SELECT 3' })
  assert.deepEqual([inUrl.status, inUrl.text], [200, '3\n'])
  // /ping answers without credentials, as ClickHouse's does (it says nothing but "Ok.").
  const ping = await send(server.url, { method: 'GET', path: '/ping' })
  assert.deepEqual([ping.status, ping.text], [200, 'Ok.\n'])
})

test('the password reaches no log line, no error and no description', async (t) => {
  let logged = ''
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logged += chunk.toString()
      callback()
    },
  })
  const server = await serve(t, { logger: createLogger({ service: 'test', level: 'trace', format: 'json', destination }) })
  const wrong = await query({ url: server.url, password: `${server.password}!` }, 'SELECT 1')
  assertRefused(wrong, 401, 516, 'AUTHENTICATION_FAILED')
  const bad = await query(server, 'SELEKT 1')
  assertRefused(bad, 400, 62, 'SYNTAX_ERROR')
  const ch = client(t, server.url, 'default', server.password)
  await assert.rejects(ch.query({ query: `SELECT * FROM no_such_table_${Date.now()}` }), (error: Error) => {
    assert.ok(!JSON.stringify(error).includes(server.password) && !error.message.includes(server.password))
    return true
  })
  const described = describeClickHouse({
    mode: 'server',
    url: server.url,
    username: 'default',
    password: server.password,
    database: 'default',
  })
  assert.ok(!described.includes(server.password), described)
  assert.match(logged, /request refused/, 'the refusals were logged')
  assert.ok(!logged.includes(server.password), 'no password in the log')
  assert.ok(!wrong.text.includes(server.password) && !bad.text.includes(server.password))
})
