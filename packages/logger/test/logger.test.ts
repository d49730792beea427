import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { createLogger, prettyLogs, type Logger } from '@trends/logger'

/** Every secret in these tests carries this marker, so one search of the output bytes finds any leak. */
const MARK = 'S3CR3T'

/** A logger writing into a string, and a way to read what it wrote once pino has flushed. */
function capture(): { logger: Logger; text: () => Promise<string>; lines: () => Promise<Array<Record<string, unknown>>> } {
  const out = new PassThrough()
  let written = ''
  out.on('data', (chunk: Buffer) => (written += chunk.toString()))
  const logger = createLogger({ service: 'unit', level: 'debug', destination: out })
  const text = async () => {
    await new Promise((resolve) => setImmediate(resolve))
    return written
  }
  return {
    logger,
    text,
    lines: async () =>
      (await text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

test('JSON lines with the service name, ISO time and level; secrets redacted', async () => {
  const out = new PassThrough()
  let text = ''
  out.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const logger = createLogger({ service: 'unit', destination: out })
  logger.info({ fetchId: 'f1', headers: { cookie: 'sessionid=abc', authorization: 'Basic xyz' }, password: 'p' }, 'fetched')
  await new Promise((resolve) => setImmediate(resolve))
  const line = JSON.parse(text.trim()) as Record<string, unknown>
  assert.equal(line['service'], 'unit')
  assert.equal(line['level'], 'info')
  assert.match(String(line['time']), /^\d{4}-\d{2}-\d{2}T/)
  assert.equal(line['fetchId'], 'f1')
  assert.deepEqual(line['headers'], { cookie: '[redacted]', authorization: '[redacted]' })
  assert.equal(line['password'], '[redacted]')
  assert.doesNotMatch(text, /sessionid|xyz/)
})

test('pretty only when asked, or on a terminal; JSON when piped', () => {
  assert.equal(prettyLogs(undefined, true), true)
  assert.equal(prettyLogs('auto', true), true)
  assert.equal(prettyLogs(undefined, false), false)
  assert.equal(prettyLogs(undefined, undefined), false)
  assert.equal(prettyLogs('json', true), false)
  assert.equal(prettyLogs('pretty', false), true)
})

test('secrets at any depth and in any case are censored; ordinary fields survive', async () => {
  const { logger, text, lines } = capture()
  const fields = {
    fetchId: 'f1',
    a: { b: { password: `pw-${MARK}`, page: 2 } },
    headers: { Cookie: `sessionid=${MARK}1`, Accept: 'application/json' },
    env: {
      KAFKA_SASL_PASSWORD: `sasl-${MARK}`,
      CC_COOKIE: `sessionid_ads=${MARK}2`,
      CLICKHOUSE_URL: `http://default:${MARK}3@127.0.0.1:8123/`,
      KAFKA_BROKERS: '127.0.0.1:9092',
    },
    url: `https://user:${MARK}4@host.example/path?page=1`,
    requests: [
      { headers: { Authorization: `Bearer ${MARK}5`, 'X-ClickHouse-Key': `${MARK}6`, 'user-agent': 'Mozilla/5.0' } },
      { headers: { 'set-cookie': [`tt_csrf_token=${MARK}7; Path=/`] }, status: 200 },
    ],
    kafka: { sasl: { mechanism: 'plain', username: 'u', password: `${MARK}8` }, clientId: 'trends' },
    api_key: `${MARK}9`,
    csrfToken: `${MARK}10`,
    // Headers as name, value lists: Node's rawHeaders, and pairs.
    rawHeaders: ['Content-Type', 'application/json', 'Cookie', `sessionid=${MARK}11`],
    pairs: [
      ['Authorization', `Basic ${MARK}12`],
      ['Accept', 'text/html'],
    ],
  }
  logger.info(fields, 'fetched')
  const [line] = await lines()
  assert.ok(line)
  assert.doesNotMatch(await text(), new RegExp(MARK))
  assert.equal(line['fetchId'], 'f1')
  assert.deepEqual(line['a'], { b: { password: '[redacted]', page: 2 } })
  assert.deepEqual(line['headers'], { Cookie: '[redacted]', Accept: 'application/json' })
  assert.deepEqual(line['env'], {
    KAFKA_SASL_PASSWORD: '[redacted]',
    CC_COOKIE: '[redacted]',
    CLICKHOUSE_URL: 'http://[redacted]@127.0.0.1:8123/',
    KAFKA_BROKERS: '127.0.0.1:9092',
  })
  assert.equal(line['url'], 'https://[redacted]@host.example/path?page=1')
  assert.deepEqual(line['requests'], [
    { headers: { Authorization: '[redacted]', 'X-ClickHouse-Key': '[redacted]', 'user-agent': 'Mozilla/5.0' } },
    { headers: { 'set-cookie': '[redacted]' }, status: 200 },
  ])
  assert.deepEqual(line['kafka'], { sasl: '[redacted]', clientId: 'trends' })
  assert.deepEqual(line['rawHeaders'], ['Content-Type', 'application/json', 'Cookie', '[redacted]'])
  assert.deepEqual(line['pairs'], [
    ['Authorization', '[redacted]'],
    ['Accept', 'text/html'],
  ])
})

test('credentials in messages, format arguments and child bindings are censored', async () => {
  const { logger, text, lines } = capture()
  logger.info(`connecting to https://bob:${MARK}@broker.example:9092`)
  logger.info('sent %s with %j', `http://x:${MARK}@h/`, { cookie: `sessionid=${MARK}`, page: 1 })
  logger.info(`GET /q?user=default&password=${MARK}&query=1 Authorization: Basic ${MARK}`)
  logger.child({ component: 'c', url: `https://k:${MARK}@h/`, token: MARK }).info({ rows: 3 }, 'inserted')
  const all = await lines()
  assert.doesNotMatch(await text(), new RegExp(MARK))
  assert.equal(all[0]?.['msg'], 'connecting to https://[redacted]@broker.example:9092')
  assert.equal(all[1]?.['msg'], 'sent http://[redacted]@h/ with {"cookie":"[redacted]","page":1}')
  assert.equal(all[2]?.['msg'], 'GET /q?user=default&password=[redacted]&query=1 Authorization: [redacted]')
  assert.deepEqual(
    { component: all[3]?.['component'], url: all[3]?.['url'], token: all[3]?.['token'], rows: all[3]?.['rows'] },
    { component: 'c', url: 'https://[redacted]@h/', token: '[redacted]', rows: 3 },
  )
})

test('errors: message, cause, stack and own fields are censored wherever the error sits', async () => {
  const { logger, text, lines } = capture()
  const cause = Object.assign(new Error(`connect https://u:${MARK}@db.example failed`), { code: 'ECONNREFUSED' })
  const error = Object.assign(new Error(`fetch https://u:${MARK}@cc.example/list failed`, { cause }), {
    code: 'CC_CONNECTION',
    headers: { cookie: `sessionid=${MARK}` },
  })
  logger.error(error)
  logger.error({ err: error, taskId: 't1' }, 'task failed')
  logger.warn({ detail: { attempts: [{ error }] } }, 'nested error')
  const all = await lines()
  assert.equal(all.length, 3)
  assert.doesNotMatch(await text(), new RegExp(MARK))
  const err = all[1]?.['err'] as Record<string, unknown>
  assert.equal(err['type'], 'Error')
  assert.equal(err['code'], 'CC_CONNECTION')
  assert.equal(err['message'], 'fetch https://[redacted]@cc.example/list failed: connect https://[redacted]@db.example failed')
  assert.match(String(err['stack']), /caused by: Error: connect https:\/\/\[redacted\]@db\.example failed/)
  assert.deepEqual(err['headers'], { cookie: '[redacted]' })
  assert.equal(all[0]?.['msg'], 'fetch https://[redacted]@cc.example/list failed')
  assert.equal(all[1]?.['taskId'], 't1')
  const nested = ((all[2]?.['detail'] as { attempts: Array<{ error: Record<string, unknown> }> }).attempts[0] ?? { error: {} }).error
  assert.equal(nested['code'], 'CC_CONNECTION')
  assert.match(String(nested['message']), /^fetch https:\/\/\[redacted\]@cc\.example\/list failed/)
})

test("the caller's objects are left as they were; cycles and deep nesting do not break a line", async () => {
  const { logger, lines } = capture()
  const fields: Record<string, unknown> = { headers: { cookie: 'sessionid=1' }, url: 'https://u:p@h/' }
  fields['self'] = fields
  let deep: Record<string, unknown> = { password: 'p' }
  for (let i = 0; i < 100_000; i++) deep = { next: deep }
  const before = structuredClone({ headers: fields['headers'], url: fields['url'] })
  logger.info(fields, 'cyclic')
  logger.info({ deep, kept: 'yes' }, 'deep')
  const all = await lines()
  assert.equal(all.length, 2)
  assert.deepEqual({ headers: fields['headers'], url: fields['url'] }, before)
  assert.equal(fields['self'], fields)
  assert.equal(all[0]?.['self'], '[circular]')
  assert.deepEqual(all[0]?.['headers'], { cookie: '[redacted]' })
  assert.equal(all[1]?.['kept'], 'yes')
  assert.equal(all[1]?.['msg'], 'deep')
})
