import { test } from 'node:test'
import assert from 'node:assert/strict'
import { assertRefused, assertServes, basic, query, rawConnection, send, serve } from './http-helpers.ts'

const GRAFANA = 'http://localhost:3000'

test('a Host that is not this server (DNS rebinding), or none: ACCESS_DENIED before anything else, /ping included', async (t) => {
  const server = await serve(t)
  for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1:1', `127.0.0.2:${server.port}`]) {
    assertRefused(await query(server, 'SELECT 1', '/', { host }), 403, 497, 'ACCESS_DENIED')
    assertRefused(await send(server.url, { method: 'GET', path: '/ping', headers: { host } }), 403, 497, 'ACCESS_DENIED')
    await assertServes(server)
  }
  // HTTP/1.0 lets a client leave Host out; this server answers no such request.
  const raw = rawConnection(server.port)
  raw.socket.write(`GET /ping HTTP/1.0\r\nAuthorization: ${basic('default', server.password).authorization}\r\n\r\n`)
  const text = await raw.received
  assert.match(text, /^HTTP\/1\.1 403 [\s\S]*\r\nx-clickhouse-exception-code: 497\r\n[\s\S]*\(ACCESS_DENIED\)\n$/i)
  for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST:${server.port}`]) {
    const answer = await query(server, 'SELECT 1', '/', { host })
    assert.deepEqual([answer.status, answer.text], [200, '1\n'], host)
  }
})

test('a web page of another origin: refused (credentials or not), also when the browser marks a request cross-site without an Origin', async (t) => {
  const server = await serve(t)
  const cases: Array<Record<string, string>> = [
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { origin: GRAFANA },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
  ]
  for (const headers of cases) {
    const answer = await query(server, 'SELECT 1', '/', headers)
    assertRefused(answer, 403, 497, 'ACCESS_DENIED')
    assert.equal(answer.headers['access-control-allow-origin'], undefined)
    // A cross-site form post carries no credentials; it is refused for its origin all the same.
    assertRefused(
      await send(server.url, { headers: { ...headers, 'content-type': 'text/plain' }, body: 'SELECT 1' }),
      403,
      497,
      'ACCESS_DENIED',
    )
    await assertServes(server)
  }
  const typed = await query(server, 'SELECT 1', '/', { 'sec-fetch-site': 'none' })
  assert.deepEqual([typed.status, typed.text], [200, '1\n'], 'an address typed into the browser itself')
})

test('an allowed origin (CLICKHOUSE_HTTP_ALLOWED_ORIGINS): CORS answers, preflight included; credentials are still required', async (t) => {
  const server = await serve(t, { allowedOrigins: [GRAFANA] })
  const preflight = await send(server.url, {
    method: 'OPTIONS',
    headers: { origin: GRAFANA, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  })
  assert.equal(preflight.status, 204)
  assert.equal(preflight.headers['access-control-allow-origin'], GRAFANA)
  assert.equal(preflight.headers['access-control-allow-methods'], 'GET, POST, OPTIONS')
  assert.match(String(preflight.headers['access-control-allow-headers']), /\bAuthorization\b.*\bX-ClickHouse-Key\b/)
  assert.equal(preflight.headers['access-control-allow-credentials'], undefined, 'no cookies or remembered logins')
  assert.equal(preflight.headers.vary, 'Origin')

  const answer = await query(server, 'SELECT 1', '/', { origin: GRAFANA })
  assert.deepEqual([answer.status, answer.text], [200, '1\n'])
  assert.equal(answer.headers['access-control-allow-origin'], GRAFANA)
  assert.match(String(answer.headers['access-control-expose-headers']), /X-ClickHouse-Exception-Code/)
  const anonymous = await send(server.url, { headers: { origin: GRAFANA }, body: 'SELECT 1' })
  assertRefused(anonymous, 401, 516, 'AUTHENTICATION_FAILED')
  assert.equal(anonymous.headers['access-control-allow-origin'], GRAFANA, 'the page can read why it was refused')

  const other = await send(server.url, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  })
  assertRefused(other, 403, 497, 'ACCESS_DENIED')
  assertRefused(await query(server, 'SELECT 1', '/', { origin: 'http://localhost:3001' }), 403, 497, 'ACCESS_DENIED')
  await assertServes(server)
})
