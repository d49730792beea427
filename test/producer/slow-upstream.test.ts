import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { naturalKey } from '@trends/creative-center'
import { createRegistry } from '@trends/metrics'
import { createApp, loadProducerConfig, topicsFor } from '@trends/producer'
import { defer, testLogger } from '@trends/testing'
import { startServiceProcess } from '../support/processes.ts'
import { useSimulator } from '../support/simulator.ts'
import { expectedItems, producerEnv, readAll, stackClients } from '../support/raw-topics.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/producer/src/main.ts')
const HASHTAGS = '/creative_radar_api/v1/popular_trend/hashtag/list'
const SESSION_MS = 6000

// A page slower than the worker's consumer session — a body dripped in over twice the session, a
// Retry-After of twice the session — costs the group nothing: the worker heartbeats through it,
// keeps its tasks, and each task is fetched once, by one worker, its records published once.
test(
  'a slow upstream never costs the group: a dripping body and a long Retry-After, each task fetched once',
  { timeout: 240_000 },
  async (t) => {
    const simulator = await useSimulator(t)
    const matrix = { charts: [{ endpoint: 'hashtags-legacy', countries: ['US', 'GB'], periods: ['7'], maxPages: 2, pageSize: 50 }] }
    const env = producerEnv(simulator.url, matrix, {
      WORKER_SESSION_TIMEOUT: `${SESSION_MS}ms`,
      CC_ATTEMPT_TIMEOUT: '60000ms',
      CC_RATE_PER_SECOND: '50',
    })
    const config = loadProducerConfig(env)
    const topics = topicsFor(config.topicPrefix)
    const expected = await expectedItems(simulator.url, config.charts, naturalKey)
    assert.equal(expected.size, 200)
    const { kafka, registry } = stackClients()

    // Two workers, both in the group before any task exists: a rebalance would hand a slow task to the other.
    const workers = [0, 1].map(() => startServiceProcess(t, MAIN, ['worker'], env))
    const admin = kafka.admin()
    await admin.connect()
    defer(t, () => admin.disconnect())
    const joinedBy = Date.now() + 60_000
    for (;;) {
      const { groups } = await admin.describeGroups([config.workerGroupId])
      if (groups[0]?.state === 'Stable' && groups[0].members.length === 2) break
      if (Date.now() > joinedBy) assert.fail(`the workers did not both join within 60 s: ${JSON.stringify(groups[0]?.state)}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    await simulator.resetStats()
    await simulator.fault({ fault: 'drip-body', path: HASHTAGS, count: 1, delayMs: 2 * SESSION_MS })
    await simulator.fault({ fault: 'rate-limit', path: HASHTAGS, count: 1, retryAfterSeconds: (2 * SESSION_MS) / 1000 })

    const scheduler = createApp({ config, role: 'scheduler', logger: testLogger('scheduler'), metrics: createRegistry('scheduler') })
    defer(t, () => scheduler.stop())
    const started = Date.now()
    await scheduler.start()

    let records: Awaited<ReturnType<typeof readAll>> = []
    const deadline = Date.now() + 120_000
    for (;;) {
      records = await readAll(kafka, registry, topics.allRaw())
      if (new Set(records.map((record) => record.key)).size >= expected.size) break
      if (Date.now() > deadline) assert.fail(`${records.length} of ${expected.size} records within 120 s`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const took = Date.now() - started
    // Whatever a rebalance would redo would come after: give it a session's time.
    await new Promise((resolve) => setTimeout(resolve, SESSION_MS))
    records = await readAll(kafka, registry, topics.allRaw())
    const stats = await simulator.stats()
    t.diagnostic(
      `all ${expected.size} records in ${took} ms; requests ${JSON.stringify(stats.requests)}; faults ${JSON.stringify(stats.faults)}`,
    )

    assert.deepEqual(stats.faults, { 'drip-body': 1, 'rate-limit': 1 }, 'both slow answers were given')
    assert.ok(took >= 2 * SESSION_MS, `the slow answers took their time (${took} ms)`)
    // Four pages, and one more attempt for the page answered 429: nothing fetched twice.
    assert.equal(stats.requests[HASHTAGS], 5)
    assert.equal(records.length, expected.size, 'each record once')
    for (const record of records) assert.equal(record.value['item_json'], expected.get(record.key))
    const workersOf = new Map<string, Set<string>>()
    for (const record of records) {
      const task = String(record.value['task_id'])
      workersOf.set(task, (workersOf.get(task) ?? new Set()).add(String(record.headers['worker'])))
    }
    assert.equal(workersOf.size, 2)
    for (const [task, by] of workersOf) assert.equal(by.size, 1, `task ${task} run by ${[...by].join(', ')}`)
    for (const worker of workers) assert.equal(worker.exitCode, null)
  },
)
