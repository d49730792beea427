import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { createRegistry } from '@trends/metrics'
import { createApp, loadProducerConfig, topicsFor } from '@trends/producer'
import { defer, testLogger } from '@trends/testing'
import { startServiceProcess } from '../support/processes.ts'
import { useSimulator } from '../support/simulator.ts'
import { producerEnv, readAll, stackClients } from '../support/raw-topics.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/producer/src/main.ts')
// Twice the work the measurements need, so that a fourth worker joining after the first 25 s or so
// still finds tasks left on the partitions it is given. With 12 countries one run failed after 124 s,
// the length of a normal run plus the 90 s wait for the fourth worker's first records.
const COUNTRIES = [
  'US',
  'GB',
  'DE',
  'FR',
  'IT',
  'ES',
  'JP',
  'BR',
  'CA',
  'AU',
  'MX',
  'ID',
  'KR',
  'TW',
  'TH',
  'TR',
  'NL',
  'SE',
  'PL',
  'PT',
  'AR',
  'CO',
  'PH',
  'SG',
]
const RATE = 4
const BURST = 4
const WINDOW_MS = 5000

/** The most requests the upstream saw in any window of WINDOW_MS from `from` on. */
function busiestWindow(arrivals: readonly number[], from: number): number {
  const times = arrivals.filter((time) => time >= from)
  let most = 0
  for (let start = 0, end = 0; start < times.length; start++) {
    while (end < times.length && times[end]! < times[start]! + WINDOW_MS) end++
    most = Math.max(most, end - start)
  }
  return most
}

// CC_RATE_PER_SECOND and CC_BURST are the budget of the whole deployment: each worker keeps to its
// part of the tasks topic's partitions, so three workers poll no faster than one would be allowed
// to, and a fourth does not raise the rate.
test('three workers keep to one request budget together, and a fourth does not raise the rate', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  // 24 countries × 3 periods × 5 pages: 360 requests, 90 s of work at 4 a second.
  const matrix = { charts: [{ endpoint: 'hashtags-legacy', countries: COUNTRIES, periods: ['7', '30', '120'], maxPages: 5, pageSize: 20 }] }
  const env = producerEnv(simulator.url, matrix, {
    CC_RATE_PER_SECOND: String(RATE),
    CC_BURST: String(BURST),
    WORKER_SESSION_TIMEOUT: '10000ms',
  })
  const config = loadProducerConfig(env)
  const topics = topicsFor(config.topicPrefix)
  const { kafka, registry } = stackClients()

  const workers = [0, 1, 2].map(() => startServiceProcess(t, MAIN, ['worker'], env))
  const scheduler = createApp({ config, role: 'scheduler', logger: testLogger('scheduler'), metrics: createRegistry('scheduler') })
  defer(t, () => scheduler.stop())
  await scheduler.start()

  /** Waits until records from `count` different workers are in the raw topics: all of them in the group, at work. */
  const waitForWorkers = async (count: number) => {
    const deadline = Date.now() + 90_000
    for (;;) {
      const records = await readAll(kafka, registry, topics.allRaw())
      const seen = new Set(records.map((record) => record.headers['worker']))
      if (seen.size >= count) return
      if (Date.now() > deadline) assert.fail(`records from ${seen.size} workers within 90 s, not ${count}`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  /** The requests the upstream gets over the next `ms`: the busiest window of them, and how many in all. */
  const measure = async (ms: number) => {
    const from = Date.now()
    await new Promise((resolve) => setTimeout(resolve, ms))
    const arrivals = (await simulator.stats()).arrivals
    return [busiestWindow(arrivals, from), arrivals.filter((time) => time >= from).length] as const
  }
  await waitForWorkers(3)
  const [three, threeTotal] = await measure(15_000)
  workers.push(startServiceProcess(t, MAIN, ['worker'], env))
  await waitForWorkers(4)
  const [four, fourTotal] = await measure(10_000)
  for (const worker of workers) assert.equal(worker.exitCode, null, 'every worker still runs')

  // Within the budget over any 5 s: the rate's requests plus the burst saved up before.
  const allowed = RATE * (WINDOW_MS / 1000) + BURST
  t.diagnostic(
    `busiest ${WINDOW_MS} ms: ${three} requests with three workers (${threeTotal} in 15 s), ${four} with four (${fourTotal} in 10 s); allowed ${allowed}`,
  )
  assert.ok(threeTotal >= 30, `the three workers were busy (${threeTotal} requests in 15 s)`)
  assert.ok(three <= allowed, `three workers: ${three} requests in ${WINDOW_MS} ms, the budget allows ${allowed}`)
  assert.ok(fourTotal >= 20, `the four workers were busy (${fourTotal} requests in 10 s)`)
  assert.ok(four <= allowed, `four workers: ${four} requests in ${WINDOW_MS} ms, the budget allows ${allowed}`)
})
