import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { readEnv } from '@trends/core'
import {
  CreativeCenterError,
  createCreativeCenterClient,
  findEndpoint,
  readCreativeCenterSettings,
  TokenBucket,
  type AttemptEvent,
  type FetchTarget,
} from '@trends/creative-center'
import { createLogger } from '@trends/logger'
import { createRegistry, metricValue, type Registry } from '@trends/metrics'
import { testLogger, type Cleanup } from '@trends/testing'
import { useSimulator, type FaultRule, type SimulatorHandle } from '../support/simulator.ts'

// Every fault the simulator can raise, against the real client over HTTP: the named error, the
// retry or give-up decision, and the metric. (That no malformed record reaches a raw topic is
// shown with the worker in test/producer.)

const HASHTAGS = '/creative_radar_api/v1/popular_trend/hashtag/list'
const NEW_HASHTAGS = '/CreativeOne/KnowledgeAPI/GetHashtagList'

function target(name: string, extra: Partial<FetchTarget> = {}): FetchTarget {
  const endpoint = findEndpoint(name)
  assert.ok(endpoint, name)
  return { endpoint, country: 'US', period: '7', ...extra }
}

interface Harness {
  simulator: SimulatorHandle
  metrics: Registry
  attempts: AttemptEvent[]
  client: ReturnType<typeof createCreativeCenterClient>
}

async function harness(t: Cleanup, env: Record<string, string> = {}): Promise<Harness> {
  const simulator = await useSimulator(t)
  const read = readEnv({ CC_BASE_URL: simulator.url, CC_RETRY_BASE: '10ms', CC_RETRY_MAX: '40ms', CC_MAX_ATTEMPTS: '4', ...env })
  const settings = readCreativeCenterSettings(read)
  read.done()
  const metrics = createRegistry('test')
  const attempts: AttemptEvent[] = []
  const client = createCreativeCenterClient({
    settings,
    logger: testLogger(),
    metrics,
    bucket: new TokenBucket(1000, 1000),
    onAttempt: (event) => attempts.push(event),
  })
  t.after(() => client.close())
  return { simulator, metrics, attempts, client }
}

async function expectFailure(promise: Promise<unknown>, code: string): Promise<CreativeCenterError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof CreativeCenterError, `a CreativeCenterError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    return error
  }
  assert.fail(`expected ${code}, but the page was fetched`)
}

const transient: Array<[string, FaultRule, string]> = [
  ['HTTP 429 with Retry-After', { fault: 'rate-limit', path: HASHTAGS, count: 2, retryAfterSeconds: 1 }, 'CC_RATE_LIMITED'],
  ['HTTP 500', { fault: 'server-error', path: HASHTAGS, count: 2 }, 'CC_SERVER_ERROR'],
  ['HTTP 503', { fault: 'unavailable', path: HASHTAGS, count: 1 }, 'CC_SERVER_ERROR'],
  ['slow headers past the timeout', { fault: 'slow-headers', path: HASHTAGS, count: 1, delayMs: 2000 }, 'CC_TIMEOUT'],
  // Never idle for the body timeout (30 s), but slower than the whole attempt may take (1.5 s).
  ['a body dripped past the attempt deadline', { fault: 'drip-body', path: HASHTAGS, count: 1, delayMs: 4000 }, 'CC_TIMEOUT'],
  ['a body cut short', { fault: 'truncated-body', path: HASHTAGS, count: 1 }, 'CC_TRUNCATED'],
  ['a connection reset', { fault: 'connection-reset', path: HASHTAGS, count: 1 }, 'CC_CONNECTION'],
]

for (const [name, rule, code] of transient) {
  test(`${name} is retried and the page then arrives`, async (t) => {
    const { simulator, metrics, attempts, client } = await harness(t, { CC_HEADERS_TIMEOUT: '500ms', CC_ATTEMPT_TIMEOUT: '1500ms' })
    await simulator.fault(rule)
    const started = performance.now()
    const page = await client.fetchPage(target('hashtags-legacy'), 1)
    assert.equal(page.items.length, 50)
    const failed = rule.count ?? 0
    assert.equal(page.attempts, failed + 1)
    assert.deepEqual(
      attempts.map((a) => [a.outcome, a.willRetry]),
      [...Array.from({ length: failed }, () => [code, true]), ['ok', false]],
    )
    assert.equal(await metricValue(metrics, 'trends_cc_retries_total', { endpoint: 'hashtags-legacy', code }), failed)
    assert.equal(await metricValue(metrics, 'trends_cc_requests_total', { endpoint: 'hashtags-legacy', outcome: 'ok' }), 1)
    if (rule.retryAfterSeconds !== undefined) {
      // Retry-After is a floor on each wait.
      assert.ok(performance.now() - started >= failed * rule.retryAfterSeconds * 1000 - 50)
    }
  })
}

test('a fault that does not go away: the client gives up after its attempts and says so', async (t) => {
  const { simulator, metrics, client } = await harness(t, { CC_MAX_ATTEMPTS: '3' })
  await simulator.fault({ fault: 'unavailable', path: HASHTAGS })
  const error = await expectFailure(client.fetchPage(target('hashtags-legacy'), 1), 'CC_SERVER_ERROR')
  assert.equal(error.attempts, 3)
  assert.equal(error.retryable, true, 'a code the client retries: a later try may succeed')
  assert.match(error.message, /gave up after 3 attempts/)
  assert.equal(error.endpoint, 'hashtags-legacy')
  assert.equal(error.params['country_code'], 'US')
  assert.equal(await metricValue(metrics, 'trends_cc_failures_total', { endpoint: 'hashtags-legacy', code: 'CC_SERVER_ERROR' }), 1)
})

test('a Retry-After longer than the retry budget gives up at once instead of hammering', async (t) => {
  const { simulator, client } = await harness(t, { CC_RETRY_BUDGET: '2000ms' })
  await simulator.fault({ fault: 'rate-limit', path: HASHTAGS, retryAfterSeconds: 60 })
  const started = performance.now()
  const error = await expectFailure(client.fetchPage(target('hashtags-legacy'), 1), 'CC_RATE_LIMITED')
  assert.equal(error.attempts, 1)
  assert.equal(error.retryable, true)
  assert.ok(performance.now() - started < 2000, 'no 60 s wait')
})

const definite: Array<[string, FaultRule, string, string]> = [
  ['invalid JSON', { fault: 'invalid-json', path: HASHTAGS }, 'CC_INVALID_JSON', 'hashtags-legacy'],
  ['an HTML captcha page', { fault: 'captcha', path: HASHTAGS }, 'CC_CAPTCHA', 'hashtags-legacy'],
  ['40101 no permission', { fault: 'no-permission', path: HASHTAGS }, 'CC_NO_PERMISSION', 'hashtags-legacy'],
  ['deprecated', { fault: 'deprecated', path: HASHTAGS }, 'CC_DEPRECATED', 'hashtags-legacy'],
  ['InvalidLogin', { fault: 'invalid-login', path: NEW_HASHTAGS }, 'CC_LOGIN_REQUIRED', 'hashtags-creative-one'],
  ['a renamed id field', { fault: 'renamed-field', path: HASHTAGS }, 'CC_SCHEMA_DRIFT', 'hashtags-legacy'],
  ['a missing list', { fault: 'missing-list', path: HASHTAGS }, 'CC_MISSING_LIST', 'hashtags-legacy'],
]

for (const [name, rule, code, endpoint] of definite) {
  test(`${name} is a named error, not retried, with the body excerpt kept out of logs`, async (t) => {
    const { simulator, metrics, attempts, client } = await harness(t)
    await simulator.fault(rule)
    const error = await expectFailure(client.fetchPage(target(endpoint), 1), code)
    assert.equal(error.attempts, 1)
    assert.equal(error.retryable, false, 'trying again would get the same answer')
    assert.deepEqual(
      attempts.map((a) => [a.outcome, a.willRetry]),
      [[code, false]],
    )
    assert.equal(await metricValue(metrics, 'trends_cc_failures_total', { endpoint, code }), 1)
    assert.equal(await metricValue(metrics, 'trends_cc_retries_total', { endpoint }), 0)
    const detail = (error as unknown as { detail?: string }).detail
    assert.ok(typeof detail === 'string' && detail.length > 0, 'an excerpt of the body is kept')
    assert.ok(!Object.keys(error).includes('detail'), 'but not as an enumerable property')
    assert.ok(!JSON.stringify(error).includes(detail.slice(0, 20)), 'and not in the serialised error')
  })
}

test('one item missing its id: the page arrives, that item has no id (the worker dead-letters it)', async (t) => {
  const { simulator, client } = await harness(t)
  await simulator.fault({ fault: 'missing-field', path: HASHTAGS, count: 1 })
  const page = await client.fetchPage(target('hashtags-legacy'), 1)
  assert.equal(page.items.filter((item) => item.id === undefined).length, 1)
  assert.equal(page.items.filter((item) => item.id !== undefined).length, page.items.length - 1)
})

test('aborting stops a request in flight with CC_ABORTED', async (t) => {
  const { simulator, client } = await harness(t)
  await simulator.fault({ fault: 'slow-headers', path: HASHTAGS, delayMs: 5000 })
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 100)
  const error = await expectFailure(client.fetchPage(target('hashtags-legacy'), 1, {}, controller.signal), 'CC_ABORTED')
  assert.equal(error.attempts, 1)
})

test('the session cookie never reaches a log line, an error or an attempt event', async (t) => {
  const simulator = await useSimulator(t)
  const secret = 'sessionid_ads=super-secret-session-7f3a'
  const lines: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  const read = readEnv({ CC_BASE_URL: simulator.url, CC_COOKIE: secret, CC_RETRY_BASE: '5ms', CC_MAX_ATTEMPTS: '2' })
  const settings = readCreativeCenterSettings(read)
  read.done()
  const events: AttemptEvent[] = []
  const client = createCreativeCenterClient({
    settings,
    logger: createLogger({ service: 'test', level: 'trace', destination }),
    metrics: createRegistry('test'),
    bucket: new TokenBucket(1000, 1000),
    onAttempt: (event) => events.push(event),
  })
  t.after(() => client.close())
  await client.fetchPage(target('hashtags-creative-one'), 1)
  await simulator.fault({ fault: 'unavailable', path: NEW_HASHTAGS })
  const error = await expectFailure(client.fetchPage(target('hashtags-creative-one'), 1), 'CC_SERVER_ERROR')
  assert.ok(lines.length > 0, 'the client logged something')
  for (const text of [...lines, JSON.stringify(error), String(error), error.stack ?? '', JSON.stringify(events)]) {
    assert.ok(!text.includes('super-secret-session-7f3a'), 'no secret in any output')
  }
})
