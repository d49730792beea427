import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readEnv } from '@trends/core'
import { creativeCenterClient } from '@trends/testing'
import { ENDPOINTS, readCreativeCenterSettings, type FetchTarget } from '../src/index.ts'

/** The headers one page request of `endpoint` carries with these settings (a loopback server of this process answers 503). */
async function headersSent(endpoint: string, env: Record<string, string>): Promise<IncomingHttpHeaders> {
  let seen: IncomingHttpHeaders | undefined
  const server = createServer((req, res) => {
    seen = req.headers
    req.resume()
    res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>503</h1>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const client = creativeCenterClient({
      CC_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      CC_MAX_ATTEMPTS: '1',
      ...env,
    })
    const def = ENDPOINTS.find((e) => e.name === endpoint)!
    const target: FetchTarget = { endpoint: def, country: 'US', period: '7', filters: {} }
    await client.fetchPage(target, 1).catch(() => undefined)
    await client.close()
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
  assert.ok(seen !== undefined, 'the request arrived')
  return seen
}

test('legacy calls are signed unless CC_UNSIGNED_ENDPOINTS names the endpoint', async () => {
  const signed = await headersSent('hashtags-legacy', {})
  assert.match(String(signed['user-sign']), /^[0-9a-f]{16}$/)
  assert.match(String(signed['timestamp']), /^\d{10}$/)
  const unsigned = await headersSent('hashtags-legacy', { CC_UNSIGNED_ENDPOINTS: 'hashtags-legacy' })
  assert.equal(unsigned['user-sign'], undefined)
  assert.equal(unsigned['timestamp'], undefined)
  assert.equal(unsigned['lang'], 'en', 'the rest of a legacy call stays')
  const other = await headersSent('sounds-legacy', { CC_UNSIGNED_ENDPOINTS: 'hashtags-legacy' })
  assert.match(String(other['user-sign']), /^[0-9a-f]{16}$/, 'only the endpoints named')
})

test("a logged-in call carries X-CSRFToken: CC_CSRF_TOKEN, else the cookie's csrftoken; logged out, none", async () => {
  assert.equal((await headersSent('hashtags-legacy', {}))['x-csrftoken'], undefined)
  const cookie = 'sessionid_ads=s3cr3t-session-value; csrftoken=Tok3nFromCookie42'
  const fromCookie = await headersSent('hashtags-legacy', { CC_COOKIE: cookie })
  assert.equal(fromCookie['x-csrftoken'], 'Tok3nFromCookie42')
  assert.match(String(fromCookie['cookie']), /csrftoken=Tok3nFromCookie42/)
  const explicit = await headersSent('hashtags-creative-one', { CC_COOKIE: cookie, CC_CSRF_TOKEN: 'explicit-token-77' })
  assert.equal(explicit['x-csrftoken'], 'explicit-token-77')
  assert.equal(explicit['x-secsdk-csrf-token'], 'explicit-token-77')
})

test('CC_UNSIGNED_ENDPOINTS naming an endpoint that is not a legacy one is a start-up problem', () => {
  const env = readEnv({ CC_UNSIGNED_ENDPOINTS: 'hashtags-legacy,hashtags-creative-one,nope' })
  readCreativeCenterSettings(env)
  assert.throws(() => env.done(), /CC_UNSIGNED_ENDPOINTS: hashtags-creative-one, nope not a legacy endpoint \(legacy: keywords-legacy, /)
})
