import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isSecretKey, redact, scrubText } from '@trends/logger'

const CENSOR_TEXT = '[redacted]'

test('secret keys by name, whatever the case and separators', () => {
  const secret = [
    'password',
    'Cookie',
    'set-cookie',
    'KAFKA_SASL_PASSWORD',
    'X-ClickHouse-Key',
    'x_clickhouse_key',
    'Proxy-Authorization',
    'api_key',
    'apiKey',
    'tt_csrf_token',
    'accessToken',
    'clientSecret',
    'sasl',
    'passwd',
    'pwd',
    'sessionid',
    'sessionid_ss',
    'sid_tt',
    'sid_guard',
    'uid_tt',
    'ttwid',
  ]
  for (const key of secret) assert.equal(isSecretKey(key), true, key)
  for (const key of ['endpoint', 'author', 'topic', 'rows', 'keyword', 'requestId', 'key', 'passage', 'params', 'sessionTimeout', 'side']) {
    assert.equal(isSecretKey(key), false, key)
  }
})

test('text: URL credentials and secret assignments go, everything else stays byte for byte', () => {
  assert.equal(scrubText('https://user:p@ss@host.example/a?b=1'), 'https://[redacted]@host.example/a?b=1')
  assert.equal(
    scrubText('kafka://token@broker:9092 and postgres://u:v@db/x'),
    'kafka://[redacted]@broker:9092 and postgres://[redacted]@db/x',
  )
  assert.equal(
    scrubText('http://127.0.0.1:8123/?user=default&password=pw&query=SELECT'),
    'http://127.0.0.1:8123/?user=default&password=[redacted]&query=SELECT',
  )
  assert.equal(scrubText('Cookie: sessionid=a; csrftoken=b\nnext line'), 'Cookie: [redacted]\nnext line')
  assert.equal(scrubText('{"authorization":"Bearer abc","rows":3}'), '{"authorization":"[redacted]","rows":3}')
  assert.equal(scrubText('X-ClickHouse-Key: k1 sent'), 'X-ClickHouse-Key: [redacted] sent')
  // Cookies as upstream errors echo them: after a bare word, as session cookie names, in JSON inside a string.
  assert.equal(scrubText('upstream rejected cookie sessionid=S1; lang=en'), 'upstream rejected cookie [redacted]')
  assert.equal(scrubText('got sessionid=S2 and sid_tt=S3, uid_tt=S4'), 'got sessionid=[redacted] and sid_tt=[redacted], uid_tt=[redacted]')
  assert.equal(
    scrubText(JSON.stringify(JSON.stringify({ headers: { cookie: 'sessionid=S5', authorization: 'Bearer S6' }, password: 'S7' }))),
    JSON.stringify(JSON.stringify({ headers: { cookie: CENSOR_TEXT, authorization: CENSOR_TEXT }, password: CENSOR_TEXT })),
  )
  assert.equal(scrubText('{"url":"https:\\/\\/user:S8@host\\/x"}'), '{"url":"https:\\/\\/[redacted]@host\\/x"}')
  assert.equal(scrubText('fetch //user:S9@host/x'), 'fetch //[redacted]@host/x')
  assert.equal(scrubText('http://h/?user=u&pwd=S10'), 'http://h/?user=u&pwd=[redacted]')
  assert.equal(scrubText('X-ClickHouse-Key S11'), 'X-ClickHouse-Key [redacted]')
  assert.equal(scrubText('sent Bearer eyJhbGciOi.J9x-y_z to the server'), 'sent Bearer [redacted] to the server')
  for (const plain of [
    'https://host.example/@handle/video',
    'mail me@example.com',
    'page=2&limit=20 country_code: US',
    'creators-legacy page 2: code 40000 invalid param',
    'a token bucket of 5',
    'basic statistics for the bearer of news',
    'session timeout 30000 ms, sessionTimeout=30000',
    '',
  ]) {
    assert.equal(scrubText(plain), plain)
  }
})

test('text: a megabyte without separators is scanned in one pass', () => {
  for (const text of [
    'a'.repeat(1_000_000),
    'token'.repeat(200_000),
    `${'x'.repeat(500_000)}://${'y'.repeat(500_000)}`,
    'password: '.repeat(100_000),
  ]) {
    const started = performance.now()
    const out = scrubText(text)
    const ms = performance.now() - started
    assert.ok(ms < 1000, `${text.slice(0, 12)}…: ${ms.toFixed(0)} ms`)
    assert.ok(out.length > 0)
  }
})

test('objects: copied, never written to; special values kept as JSON would print them', () => {
  const buffer = Buffer.from('bytes')
  const map = new Map([['password', 'x']])
  const source: Record<string, unknown> = {
    at: new Date(0),
    link: new URL('https://u:pw@host.example/x'),
    buffer,
    map,
    count: 3n,
    list: Array.from({ length: 500 }, (_, i) => i),
  }
  Object.defineProperty(source, '__proto__', { value: { password: 'pw' }, enumerable: true })
  Object.defineProperty(source, 'broken', {
    enumerable: true,
    get: () => {
      throw new Error('no')
    },
  })
  const out = redact(source) as Record<string, unknown>
  assert.equal(out['at'], '1970-01-01T00:00:00.000Z')
  assert.equal(out['link'], 'https://[redacted]@host.example/x')
  assert.equal(out['buffer'], buffer)
  assert.equal(out['map'], map)
  assert.equal(out['count'], 3n)
  assert.equal((out['list'] as unknown[]).length, 200)
  assert.equal(out['broken'], '[unreadable]')
  assert.equal(Object.getPrototypeOf(out), Object.prototype)
  assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { password: '[redacted]' })
  assert.equal((source['link'] as URL).password, 'pw')
  assert.equal((source['list'] as unknown[]).length, 500)
})
