import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { randomSuffix } from '@trends/core'
import { assertRefused, assertServes, basic, peakRssGrowth, query, rawConnection, serve, type Answer } from './http-helpers.ts'

const MiB = 1024 ** 2
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('a slow statement is stopped by max_execution_time (TIMEOUT_EXCEEDED), and a second client is answered right after it', async (t) => {
  const server = await serve(t, { limits: { maxExecutionTimeSeconds: 2 } })
  const started = Date.now()
  const timed = (answer: Promise<Answer>) => answer.then((result) => ({ result, at: Date.now() }))
  const slow = timed(query(server, 'SELECT count() FROM numbers(100000000000)'))
  await sleep(300)
  const quick = timed(query(server, 'SELECT 1'))
  const [stopped, next] = await Promise.all([slow, quick])
  assertRefused(stopped.result, 408, 159, 'TIMEOUT_EXCEEDED')
  const took = stopped.at - started
  assert.ok(took >= 1900 && took < 8000, `stopped after ${took} ms`)
  assert.deepEqual([next.result.status, next.result.text], [200, '1\n'])
  // One engine runs one statement at a time: the second waited for the first, and not much longer.
  assert.ok(next.at >= stopped.at - 50 && next.at - stopped.at < 1500, `answered ${next.at - stopped.at} ms after the slow one ended`)
  await assertServes(server)
})

test('every statement runs under the limits (60 s, a 256 MiB result and 1 GiB of memory by default); a client may lower them', async (t) => {
  const server = await serve(t)
  const settings = await query(
    server,
    "SELECT getSetting('max_execution_time'), getSetting('max_result_bytes'), getSetting('result_overflow_mode'), getSetting('max_memory_usage')",
  )
  assert.equal(settings.text, `60\t${256 * MiB}\tthrow\t${1024 * MiB}\n`)
  const lowered = await query(server, "SELECT getSetting('max_execution_time')", '/?max_execution_time=5')
  assert.deepEqual([lowered.status, lowered.text], [200, '5\n'])
  await assertServes(server)
})

test('a result over the cap: refused by the engine (per block) and by the server (whole answer), both TOO_MANY_ROWS_OR_BYTES', async (t) => {
  const server = await serve(t, { limits: { maxResultBytes: MiB } })
  // Rows of 1000 bytes, 10 MB in all: the engine counts each block and stops.
  const engine = await query(server, "SELECT repeat('x', 1000 + number % 2) FROM numbers(10000)")
  assertRefused(engine, 500, 396, 'TOO_MANY_ROWS_OR_BYTES')
  assert.doesNotMatch(engine.text, /CLICKHOUSE_HTTP_MAX_RESULT/)
  await assertServes(server)
  // One constant column the engine counts once, written out three times: the server's own cap.
  const whole = await query(server, "SELECT repeat('x', 1000000) FROM numbers(3)")
  assertRefused(whole, 500, 396, 'TOO_MANY_ROWS_OR_BYTES')
  assert.match(whole.text, /Limit for result exceeded, max bytes: 1 MiB \(CLICKHOUSE_HTTP_MAX_RESULT\)/)
  await assertServes(server)
  const fits = await query(server, "SELECT length(repeat('x', 1000))")
  assert.equal(fits.text, '1000\n')
})

test('a statement past the memory cap: MEMORY_LIMIT_EXCEEDED from the engine before the result is built, the next request served', async (t) => {
  const server = await serve(t, { limits: { maxResultBytes: MiB, maxMemoryBytes: 64 * MiB } })
  // 300 one-megabyte constants: the engine counts a constant column once per block, so the result
  // cap does not stop it; built whole, it took 1.5 GiB and 35 s before the server's own cap refused it.
  const { result: big, growth } = await peakRssGrowth(() => query(server, "SELECT repeat('x', 1000000) FROM numbers(300)"))
  assertRefused(big, 500, 241, 'MEMORY_LIMIT_EXCEEDED')
  assert.match(big.text, /^Code: 241\. DB::Exception: (?!Code: )/, "the engine's prefix once")
  assert.ok(growth < 256 * MiB, `the process grew ${Math.round(growth / MiB)} MiB`)
  await assertServes(server)
  const lowered = await query(server, "SELECT getSetting('max_memory_usage')", `/?max_memory_usage=${32 * MiB}`)
  assert.deepEqual([lowered.status, lowered.text], [200, `${32 * MiB}\n`])
  assertRefused(await query(server, 'SELECT 1', `/?max_memory_usage=${128 * MiB}`), 400, 452, 'SETTING_CONSTRAINT_VIOLATION')
  assertRefused(await query(server, `SELECT 1 SETTINGS max_memory_usage = ${128 * MiB}`), 400, 452, 'SETTING_CONSTRAINT_VIOLATION')
  assertRefused(await query(server, 'SELECT 1 SETTINGS max_memory_usage = 0'), 400, 452, 'SETTING_CONSTRAINT_VIOLATION')
  await assertServes(server)
})

test('URL settings that would lift a limit or change the rules: SETTING_CONSTRAINT_VIOLATION, nothing run', async (t) => {
  const server = await serve(t)
  const refused: Array<[string, string]> = [
    ['readonly', '1'],
    ['readonly', '0'],
    ['profile', 'default'],
    ['max_execution_time', '0'],
    ['max_execution_time', '61'],
    ['max_execution_time', '1e9'],
    ['timeout_overflow_mode', 'break'],
    ['max_result_bytes', '0'],
    ['max_result_bytes', String(256 * MiB + 1)],
    ['max_result_bytes', '1G'],
    ['max_result_rows', '0'],
    ['result_overflow_mode', 'break'],
    ['allow_introspection_functions', '1'],
    ['max_query_size', '100000000'],
    ['max_parser_depth', '100000'],
    ['max_ast_elements', '10000000'],
  ]
  for (const [name, value] of refused) {
    const answer = await query(server, 'SELECT 1', `/?${name}=${encodeURIComponent(value)}`)
    assertRefused(answer, 400, 452, 'SETTING_CONSTRAINT_VIOLATION')
    assert.match(answer.text, new RegExp(`Setting ${name} `))
    await assertServes(server)
  }
})

test('an unknown database is an error (UNKNOWN_DATABASE), never made; one made by CREATE DATABASE is served, and refused again once dropped', async (t) => {
  const server = await serve(t)
  const name = `http_unknown_${randomSuffix()}`
  assertRefused(await query(server, 'SELECT 1', `/?database=${name}`), 404, 81, 'UNKNOWN_DATABASE')
  assertRefused(await query(server, 'SELECT 1', '/', { 'x-clickhouse-database': name }), 404, 81, 'UNKNOWN_DATABASE')
  const exists = `SELECT count() FROM system.databases WHERE name = '${name}'`
  assert.equal((await query(server, exists)).text, '0\n', 'nothing was made for the name')
  await assertServes(server)

  assert.equal((await query(server, `CREATE DATABASE ${name}`)).status, 200)
  const inside = await query(server, 'SELECT currentDatabase()', `/?database=${name}`)
  assert.deepEqual([inside.status, inside.text], [200, `${name}\n`])
  assert.equal((await query(server, `DROP DATABASE ${name}`)).status, 200)
  assertRefused(await query(server, 'SELECT 1', `/?database=${name}`), 404, 81, 'UNKNOWN_DATABASE')
  assert.equal((await query(server, exists)).text, '0\n')
  await assertServes(server)
})

test('databases named at start are made, so the migrations find theirs', async (t) => {
  const name = `http_start_${randomSuffix()}`
  const server = await serve(t, { databases: [name] })
  const inside = await query(server, 'SELECT currentDatabase()', `/?database=${name}`)
  assert.deepEqual([inside.status, inside.text], [200, `${name}\n`])
  await query(server, `DROP DATABASE ${name}`)
})

test('connections past the cap are closed as they arrive; the server serves again once others leave', async (t) => {
  const server = await serve(t, { limits: { maxConnections: 2 } })
  const held = [rawConnection(server.port), rawConnection(server.port)]
  await Promise.all(held.map(({ socket }) => once(socket, 'connect')))
  await sleep(100)
  const extra = rawConnection(server.port)
  extra.socket.write(`GET /ping HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`)
  assert.equal(await extra.received, '', 'closed with no answer')
  for (const { socket } of held) socket.destroy()
  await Promise.all(held.map(({ closedAt }) => closedAt))
  await sleep(100)
  await assertServes(server)
})

test('headers, a whole request and an idle kept-alive connection each get seconds, not minutes', async (t) => {
  const server = await serve(t, { limits: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 1000 } })
  const authorization = basic('default', server.password).authorization
  const cases = [
    { what: 'headers never finished', send: `POST / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`, least: 900, most: 3500 },
    {
      what: 'a body never finished',
      send: `POST / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: ${authorization}\r\nContent-Length: 100\r\n\r\nSELECT`,
      least: 1900,
      most: 4500,
    },
  ]
  for (const { what, send, least, most } of cases) {
    const raw = rawConnection(server.port)
    const started = Date.now()
    raw.socket.write(send)
    const text = await raw.received
    const took = (await raw.closedAt) - started
    assert.match(text, /^HTTP\/1\.1 408 /, `${what}: ${text}`)
    assert.ok(took >= least && took <= most, `${what}: closed after ${took} ms`)
    await assertServes(server)
  }
  const idle = rawConnection(server.port)
  idle.socket.write(`GET /ping HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`)
  await once(idle.socket, 'data')
  const answeredAt = Date.now()
  const idleFor = (await idle.closedAt) - answeredAt
  assert.match(await idle.received, /^HTTP\/1\.1 200 [\s\S]*\r\nOk\.\n\r\n/)
  assert.ok(idleFor >= 800 && idleFor <= 3000, `an idle connection closed after ${idleFor} ms`)
})
