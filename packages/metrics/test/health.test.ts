import { test } from 'node:test'
import assert from 'node:assert/strict'
import { counter, createRegistry, startHealthServer } from '@trends/metrics'

test('/metrics, /healthz and /readyz: ready only when every check passes, failures named by their reason without their text', async (t) => {
  const registry = createRegistry('health-test')
  counter(registry, 'trends_test_things_total', 'Things', []).inc(3)
  let registryUp = false
  let consumerProblem: string | undefined = 'stalled: lag 1200, no progress for 90s'
  const server = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    checks: {
      kafka: async () => undefined,
      registry: async () => {
        if (!registryUp) throw new TypeError('fetch failed: http://user:secret@host')
      },
      clickhouse: async () => {
        if (!registryUp) throw Object.assign(new Error('refused: secret'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 8123 })
      },
      slow: () => new Promise((resolve) => setTimeout(resolve, registryUp ? 0 : 5000)),
    },
    conditions: { 'consumer:normalizer': () => consumerProblem },
    checkTimeoutMs: 200,
  })
  t.after(() => server.close())

  const metrics = await fetch(`${server.url}/metrics`)
  assert.equal(metrics.status, 200)
  assert.match(await metrics.text(), /^trends_test_things_total\{service="health-test"\} 3$/m)
  const alive = await fetch(`${server.url}/healthz`)
  assert.equal(alive.status, 200)

  const notReady = await fetch(`${server.url}/readyz`)
  assert.equal(notReady.status, 503)
  const body = (await notReady.json()) as { checks: Record<string, string> }
  assert.deepEqual(body.checks, {
    kafka: 'ok',
    registry: 'registry failing: TypeError',
    clickhouse: 'clickhouse unreachable: ECONNREFUSED 127.0.0.1:8123',
    slow: 'slow not answering within 200ms',
    'consumer:normalizer': 'stalled: lag 1200, no progress for 90s',
  })
  assert.doesNotMatch(JSON.stringify(body), /secret/)

  registryUp = true
  const stalled = await fetch(`${server.url}/readyz`)
  assert.equal(stalled.status, 503, 'a condition not met is enough')
  assert.deepEqual(((await stalled.json()) as { checks: unknown }).checks, {
    kafka: 'ok',
    registry: 'ok',
    clickhouse: 'ok',
    slow: 'ok',
    'consumer:normalizer': 'stalled: lag 1200, no progress for 90s',
  })
  consumerProblem = undefined
  const ready = await fetch(`${server.url}/readyz`)
  assert.equal(ready.status, 200)
  assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, {
    kafka: 'ok',
    registry: 'ok',
    clickhouse: 'ok',
    slow: 'ok',
    'consumer:normalizer': 'ok',
  })
  assert.equal((await fetch(`${server.url}/elsewhere`)).status, 404)
})
