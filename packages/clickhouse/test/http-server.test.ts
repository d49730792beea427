import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
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

/**
 * What a test's refused statements could reach: a folder outside the store with a secret file in it,
 * and a loopback HTTP service counting the requests it gets (server-side request forgery).
 */
async function outsideTargets(t: Cleanup, prefix: string) {
  const folder = mkdtempSync(path.join(os.tmpdir(), prefix))
  defer(t, () => rmSync(folder, { recursive: true, force: true }))
  const secret = path.join(folder, 'secret.txt')
  writeFileSync(secret, 'not for the store\n')
  let fetched = 0
  const other = createServer((request, response) => {
    fetched++
    request.resume()
    response.end('1\n')
  })
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  defer(t, () => new Promise<void>((resolve) => other.close(() => resolve())))
  return { folder, secret, url: `http://127.0.0.1:${(other.address() as AddressInfo).port}`, fetched: () => fetched }
}

test('SQL that reaches outside the store, sent over HTTP: 403 ACCESS_DENIED, nothing read, written or fetched, the next request served', async (t) => {
  const server = await serve(t)
  const { folder, secret, url, fetched } = await outsideTargets(t, 'http-guard-')
  const otherUrl = `${url}/`
  const written = path.join(folder, 'written.tsv')
  const statements = [
    `SELECT * FROM file('${secret}', 'LineAsString')`,
    `SELECT file('${secret}')`,
    `SELECT * FROM url('${otherUrl}', 'LineAsString')`,
    `SELECT 1 INTO OUTFILE '${written}'`,
    `INSERT INTO FUNCTION file('${written}', 'TSV', 'x UInt8') SELECT 1`,
    `SELECT * FROM s3('${otherUrl}x.csv')`,
    `SELECT * FROM executable('cat', 'TSV', 'x String')`,
    `SYSTEM DROP DNS CACHE`,
    `BACKUP DATABASE default TO File('${written}')`,
    `RESTORE DATABASE default FROM File('${written}')`,
    `SELECT * FROM hdfs('hdfs://127.0.0.1:9/x', 'TSV', 'x String')`,
    `SELECT * FROM remote('127.0.0.1:9', system.one)`,
    `SELECT * FROM remoteSecure('127.0.0.1:9', system.one)`,
    `SELECT * FROM mysql('127.0.0.1:9', 'db', 't', 'u', 'p')`,
    `SELECT * FROM postgresql('127.0.0.1:9', 'db', 't', 'u', 'p')`,
    `WITH t AS (SELECT * FROM url('${otherUrl}', 'LineAsString')) SELECT * FROM t`,
    `SELECT 1 WHERE 1 IN (SELECT * FROM url('${otherUrl}', 'LineAsString'))`,
    `CREATE TABLE outside_url (a String) ENGINE = URL('${otherUrl}', 'CSV')`,
    `CREATE DICTIONARY outside_dict (a UInt64) PRIMARY KEY a SOURCE(HTTP(url '${otherUrl}' format 'CSV')) LAYOUT(FLAT()) LIFETIME(0)`,
    `CREATE DICTIONARY outside_exec (a UInt64) PRIMARY KEY a SOURCE(EXECUTABLE(command 'cat' format 'CSV')) LAYOUT(FLAT()) LIFETIME(0)`,
    `INSERT INTO outside_t FROM INFILE '${secret}' FORMAT LineAsString`,
    `ATTACH TABLE outside_at FROM '${folder}' (a String) ENGINE = Log`,
  ]
  for (const sql of statements) {
    const answer = await query(server, sql)
    assertRefused(answer, 403, 497, 'ACCESS_DENIED')
    assert.ok(!answer.text.includes('not for the store'), sql)
    await assertServes(server)
  }
  assert.equal(fetched(), 0, 'the store called no loopback service')
  assert.equal(existsSync(written), false, 'no file written')
  // input() in the embedded engine reads the serving process's standard input, not the request's body:
  // let through, it held the store (and every client behind it) until the process ended.
  const name = `http_input_${Date.now()}`
  assert.equal((await query(server, `CREATE TABLE ${name} (x UInt32) ENGINE = MergeTree ORDER BY x`)).status, 200)
  defer(t, () => query(server, `DROP TABLE IF EXISTS ${name}`))
  const insert = encodeURIComponent(`INSERT INTO ${name} SELECT x * 2 FROM input('x UInt32') FORMAT TSV`)
  assertRefused(await query(server, '1\n2\n', `/?query=${insert}`), 403, 497, 'ACCESS_DENIED')
  await assertServes(server)
  const plain = await query(server, '1\n2\n', `/?query=${encodeURIComponent(`INSERT INTO ${name} FORMAT TSV`)}`)
  assert.equal(plain.status, 200, plain.text)
  assert.equal((await query(server, `SELECT sum(x) FROM ${name}`)).text, '3\n')
})

test('settings that name a file, URL or disk, in the URL or a SETTINGS clause: 403 ACCESS_DENIED, nothing read, written, made or fetched', async (t) => {
  const server = await serve(t)
  const { folder, secret, url: otherUrl, fetched } = await outsideTargets(t, 'http-settings-')
  const kept = path.join(folder, 'kept.txt')
  writeFileSync(kept, 'ORIGINAL\n')
  const name = `http_settings_${Date.now()}`
  assert.equal((await query(server, `CREATE TABLE ${name} (a String) ENGINE = MergeTree ORDER BY a`)).status, 200)
  defer(t, () => query(server, `DROP TABLE IF EXISTS ${name}`))
  const q = (value: string) => encodeURIComponent(value)
  const cases: Array<[string, string, string?]> = [
    ['a Template row file, read', `SELECT 1 AS x FORMAT Template SETTINGS format_template_row = '${secret}'`],
    ['a Template result-set file, in the URL', 'SELECT 1 AS x FORMAT Template', `/?format_template_resultset=${q(secret)}`],
    ['the format() function with a Template file', `SELECT * FROM format(Template, 'x') SETTINGS format_template_row = '${secret}'`],
    ['a Protobuf schema file, read', 'SELECT 1 AS x FORMAT Protobuf', `/?format_schema=${q(`${secret}:M`)}`],
    ['a generated schema, written over a file', `SELECT 1 AS x FORMAT Protobuf SETTINGS output_format_schema = '${kept}'`],
    [
      'a generated schema, written, in the URL',
      'SELECT 1 AS x FORMAT CapnProto',
      `/?output_format_schema=${q(path.join(folder, 'new.capnp'))}`,
    ],
    [
      'a schema registry to call',
      `SELECT * FROM format(AvroConfluent, 'a String', 'x') SETTINGS format_avro_schema_registry_url = '${otherUrl}/r'`,
    ],
    ['a base for relative URLs', 'SELECT 1', `/?url_base=${q(otherUrl)}`],
    [
      'a disk on a loopback S3',
      `CREATE TABLE ${name}_s3 (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS disk = disk(type = s3, endpoint = '${otherUrl}/b/', access_key_id = 'a', secret_access_key = 'b')`,
    ],
    [
      'a disk of files outside the store',
      `CREATE TABLE ${name}_blob (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS disk = disk(type = object_storage, object_storage_type = local_blob_storage, metadata_type = local, path = '${folder}/blob/')`,
    ],
    ['a disk named', `CREATE TABLE ${name}_named (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS disk = 'default'`],
    ['a storage policy', `CREATE TABLE ${name}_policy (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS storage_policy = 's3_main'`],
    ['a table moved to a disk', `ALTER TABLE ${name} MODIFY SETTING disk = disk(type = web, endpoint = '${otherUrl}/w/')`],
  ]
  for (const [label, sql, where] of cases) {
    const answer = await query(server, sql, where)
    assert.equal(answer.status, 403, `${label}: ${answer.text}`)
    assertRefused(answer, 403, 497, 'ACCESS_DENIED')
    assert.ok(!answer.text.includes('not for the store'), label)
    await assertServes(server)
  }
  assert.equal(fetched(), 0, 'the store called no loopback service')
  assert.equal(readFileSync(kept, 'utf8'), 'ORIGINAL\n', 'no file written over')
  assert.deepEqual(readdirSync(folder).sort(), ['kept.txt', 'secret.txt'], 'nothing made beside them')
  // The table the refused ALTER named is as it was, and takes rows.
  assert.equal((await query(server, `INSERT INTO ${name} VALUES ('a')`)).status, 200)
  assert.equal((await query(server, `SELECT count() FROM ${name}`)).text, '1\n')
})

test('a GET request only reads, as on a ClickHouse server: a write sent with GET is 403 READONLY and changes nothing', async (t) => {
  const server = await serve(t)
  const name = `http_get_${Date.now()}`
  const get = (sql: string) =>
    send(server.url, { method: 'GET', path: `/?query=${encodeURIComponent(sql)}`, headers: basic('default', server.password) })
  for (const sql of [
    `CREATE TABLE ${name} (x UInt8) ENGINE = Memory`,
    'DROP TABLE IF EXISTS trend_observations',
    `INSERT INTO FUNCTION null('x UInt8') SELECT 1`,
  ]) {
    const answer = await get(sql)
    assert.equal(answer.status, 403, `${sql}: ${answer.text}`)
    assert.match(
      answer.text,
      /^Code: 164\. DB::Exception: Cannot execute query in readonly mode: a GET request only reads \(send this with POST\)\. \(READONLY\)\n$/,
    )
  }
  const exists = await get(`EXISTS TABLE ${name}`)
  assert.deepEqual([exists.status, exists.text], [200, '0\n'], 'EXISTS reads: allowed on GET, and the table was not made')
  assert.deepEqual([(await get('SELECT 1 + 1')).text], ['2\n'])
  const posted = await query(server, `CREATE TABLE ${name} (x UInt8) ENGINE = Memory`)
  assert.equal(posted.status, 200, 'the same statement POSTed runs')
  defer(t, () => query(server, `DROP TABLE IF EXISTS ${name}`))
})

test('a user with an empty password in CLICKHOUSE_HTTP_USERS is the one way to let requests without credentials in', async (t) => {
  const open = await serve(t, { users: { default: '' } })
  const anonymous = await send(open.url, { body: 'SELECT 1' })
  assert.deepEqual([anonymous.status, anonymous.text], [200, '1\n'])
  await open.close()
  const closed = await serve(t, { users: { default: 'x' } })
  assertRefused(await send(closed.url, { body: 'SELECT 1' }), 401, 516, 'AUTHENTICATION_FAILED')
})
