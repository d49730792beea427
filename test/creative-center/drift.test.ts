import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnv } from '@trends/core'
import {
  createCreativeCenterClient,
  ENDPOINTS,
  findEndpoint,
  readCreativeCenterSettings,
  TokenBucket,
  type FetchTarget,
} from '@trends/creative-center'
import { createRegistry, metricValue, type Registry } from '@trends/metrics'
import { testLogger, type Cleanup } from '@trends/testing'
import { trends } from '../support/cli.ts'
import { useSimulator, type SimulatorHandle } from '../support/simulator.ts'

// Drift against the simulator: the client finds it per page, counts it once per page, and `trends
// fetch` says it; pages that keep their contracts count nothing.

const HASHTAGS = '/creative_radar_api/v1/popular_trend/hashtag/list'

function target(name: string): FetchTarget {
  const endpoint = findEndpoint(name)
  assert.ok(endpoint, name)
  return {
    endpoint,
    ...(endpoint.country === null ? {} : { country: 'US' }),
    ...(endpoint.period === null ? {} : { period: '7' }),
  }
}

async function harness(
  t: Cleanup,
): Promise<{ simulator: SimulatorHandle; metrics: Registry; client: ReturnType<typeof createCreativeCenterClient> }> {
  const simulator = await useSimulator(t)
  // A logged-in session: the CreativeOne lists answer whole.
  const read = readEnv({ CC_BASE_URL: simulator.url, CC_COOKIE: 'sessionid_ads=drift-test' })
  const settings = readCreativeCenterSettings(read)
  read.done()
  const metrics = createRegistry('drift-test')
  const client = createCreativeCenterClient({ settings, logger: testLogger(), metrics, bucket: new TokenBucket(1000, 1000) })
  t.after(() => client.close())
  return { simulator, metrics, client }
}

const driftCount = (metrics: Registry, labels: Record<string, string>) => metricValue(metrics, 'trends_cc_drift_total', labels)

test('a normal run: every endpoint, two pages each, keeps its contract; the drift counter stays at 0', { timeout: 60_000 }, async (t) => {
  const { metrics, client } = await harness(t)
  for (const endpoint of ENDPOINTS) {
    for (const page of [1, 2]) {
      const result = await client.fetchPage(target(endpoint.name), page)
      assert.ok(result.items.length > 0, `${endpoint.name} page ${page} has items`)
      assert.deepEqual(result.drift, [], `${endpoint.name} page ${page}`)
    }
  }
  assert.equal(await driftCount(metrics, {}), 0)
})

test('a renamed required field: the old name missing and the new one unknown, counted once per page', { timeout: 60_000 }, async (t) => {
  const { simulator, metrics, client } = await harness(t)
  await simulator.fault({ fault: 'rename-item-field', path: HASHTAGS, field: 'hashtag_name', to: 'tag_name' })
  const first = await client.fetchPage(target('hashtags-legacy'), 1)
  assert.deepEqual(first.drift, [
    { field: 'hashtag_name', kind: 'missing', items: first.items.length },
    { field: 'tag_name', kind: 'unknown', items: first.items.length },
  ])
  assert.equal(await driftCount(metrics, { endpoint: 'hashtags-legacy', field: 'hashtag_name', kind: 'missing' }), 1)
  assert.equal(await driftCount(metrics, { endpoint: 'hashtags-legacy', field: 'other', kind: 'unknown' }), 1)
  await client.fetchPage(target('hashtags-legacy'), 2)
  assert.equal(
    await driftCount(metrics, { endpoint: 'hashtags-legacy', field: 'hashtag_name', kind: 'missing' }),
    2,
    'once per page, not per item',
  )
  assert.equal(await driftCount(metrics, { endpoint: 'hashtags-legacy', field: 'other', kind: 'unknown' }), 2)

  // trends fetch says it, naming both fields.
  const fetched = await trends(['fetch', 'hashtags-legacy', '--country', 'US', '--period', '7'], { CC_BASE_URL: simulator.url })
  assert.equal(fetched.code, 0, fetched.stderr)
  assert.match(fetched.stderr, /^drift: hashtag_name missing, tag_name unknown$/m)
})

test('a renamed optional field, a retyped field, an extra field: each is drift', { timeout: 60_000 }, async (t) => {
  const { simulator, client } = await harness(t)
  await simulator.fault({ fault: 'rename-item-field', path: HASHTAGS, field: 'video_views', to: 'videoViews', count: 1 })
  assert.deepEqual(
    (await client.fetchPage(target('hashtags-legacy'), 1)).drift.map((entry) => `${entry.field} ${entry.kind}`),
    ['videoViews unknown'],
    'its value would otherwise become null unseen',
  )
  await simulator.fault({ fault: 'retype-item-field', path: HASHTAGS, field: 'rank', count: 1 })
  assert.deepEqual(
    (await client.fetchPage(target('hashtags-legacy'), 1)).drift.map((entry) => `${entry.field} ${entry.kind}`),
    ['rank retyped'],
  )
  await simulator.fault({ fault: 'extra-item-field', path: HASHTAGS, field: 'ai_summary', count: 1 })
  assert.deepEqual(
    (await client.fetchPage(target('hashtags-legacy'), 1)).drift.map((entry) => `${entry.field} ${entry.kind}`),
    ['ai_summary unknown'],
  )
  assert.deepEqual((await client.fetchPage(target('hashtags-legacy'), 1)).drift, [], 'the rules used up: no drift')
})
