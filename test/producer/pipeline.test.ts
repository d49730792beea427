import { test } from 'node:test'
import assert from 'node:assert/strict'
import { naturalKey } from '@trends/creative-center'
import { createRegistry, metricValue } from '@trends/metrics'
import { createApp, loadProducerConfig, topicsFor, type Role } from '@trends/producer'
import { defer, testLogger, type Cleanup } from '@trends/testing'
import { useSimulator } from '../support/simulator.ts'
import { countRecords, expectedItems, producerEnv, readAll, stackClients, waitForRecords } from '../support/raw-topics.ts'

// Every family, both generations where they exist, two countries, two periods.
const MATRIX = {
  charts: [
    { endpoint: 'hashtags-legacy', countries: ['US', 'GB'], periods: ['7', '30'], maxPages: 2 },
    { endpoint: 'hashtags-creative-one', countries: ['US'], periods: ['7'], maxPages: 1 },
    { endpoint: 'sounds-legacy', countries: ['US', 'GB'], periods: ['7'], maxPages: 2 },
    { endpoint: 'creators-legacy', countries: ['US'], maxPages: 2 },
    { endpoint: 'videos-legacy', countries: ['US'], periods: ['7', '30'], maxPages: 2 },
    { endpoint: 'videos-creative-one', countries: ['US'], periods: ['7'], maxPages: 2 },
    { endpoint: 'keywords-legacy', countries: ['US'], periods: ['7'], maxPages: 2 },
  ],
}

async function startRole(t: Cleanup, env: Record<string, string>, role: Role) {
  const metrics = createRegistry(`producer-${role}`)
  const app = createApp({ config: loadProducerConfig(env), role, logger: testLogger(role), metrics })
  defer(t, () => app.stop())
  await app.start()
  return { app, metrics }
}

test(
  'a scheduler and two workers fill every raw topic; records decode and carry the item JSON byte for byte',
  { timeout: 240_000 },
  async (t) => {
    const simulator = await useSimulator(t)
    const env = producerEnv(simulator.url, MATRIX)
    const config = loadProducerConfig(env)
    const topics = topicsFor(config.topicPrefix)
    const expected = await expectedItems(simulator.url, config.charts, naturalKey)
    const { kafka, registry } = stackClients()

    const workerA = await startRole(t, env, 'worker')
    const workerB = await startRole(t, env, 'worker')
    const scheduler = await startRole(t, env, 'scheduler')

    await waitForRecords(kafka, topics.allRaw(), expected.size, 120_000)
    const records = await readAll(kafka, registry, topics.allRaw())

    // Nothing lost, nothing malformed: every expected item is there with its exact text.
    const byKey = new Map<string, string>()
    for (const record of records) {
      assert.equal(record.key, record.value['natural_key'])
      assert.equal(record.topic, topics.raw(record.value['family'] as never))
      byKey.set(record.key, record.value['item_json'] as string)
    }
    assert.equal(byKey.size, expected.size)
    for (const [key, text] of expected) assert.equal(byKey.get(key), text, `item ${key} is byte for byte the item TikTok sent`)
    // Only raw records of charts in the matrix, each with its fetch metadata.
    for (const record of records) {
      const value = record.value
      assert.match(String(value['task_id']), /^[0-9a-f]{32}$/)
      assert.match(String(value['fetch_id']), /^[0-9a-f-]{36}$/)
      assert.equal(value['http_status'], 200)
      assert.ok(Number(value['page']) >= 1)
      assert.equal(typeof value['fetched_at'], 'number')
      if (value['generation'] === 'legacy') assert.match(String(value['request_id']), /^\d{14}[0-9A-F]{20}$/)
    }
    for (const family of ['keyword', 'hashtag', 'sound', 'creator', 'video'] as const) {
      assert.ok(
        records.some((record) => record.topic === topics.raw(family)),
        `${topics.raw(family)} has records`,
      )
    }

    // Both workers took part (the group spread six task partitions over two members).
    const tasksA = await metricValue(workerA.metrics, 'trends_worker_tasks_total', { outcome: 'ok' })
    const tasksB = await metricValue(workerB.metrics, 'trends_worker_tasks_total', { outcome: 'ok' })
    assert.equal(tasksA + tasksB, config.charts.length)
    assert.ok(tasksA > 0 && tasksB > 0, `tasks split ${tasksA}/${tasksB}`)
    assert.equal(await metricValue(scheduler.metrics, 'trends_scheduler_tasks_total'), config.charts.length)

    // A fetch-log entry per HTTP attempt, all successful here.
    const log = await readAll(kafka, registry, [topics.fetchLog])
    assert.ok(log.length >= config.charts.length)
    assert.ok(log.every((entry) => entry.value['outcome'] === 'ok' && entry.value['error_class'] === null))
  },
)

test('a restarted scheduler does not publish the same slot twice', { timeout: 120_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const env = producerEnv(simulator.url, { charts: [{ endpoint: 'creators-legacy', countries: ['US', 'GB', 'DE'], maxPages: 1 }] })
  const topics = topicsFor(loadProducerConfig(env).topicPrefix)
  const { kafka } = stackClients()
  const first = await startRole(t, env, 'scheduler')
  await waitForRecords(kafka, [topics.tasks], 3, 30_000)
  await first.app.stop()
  const second = await startRole(t, env, 'scheduler')
  assert.equal(await second.app.scheduler?.tick(), 0, 'the restarted scheduler finds all three tasks already published')
  assert.equal(await metricValue(second.metrics, 'trends_scheduler_tasks_total'), 0)
  assert.equal(await countRecords(kafka, [topics.tasks]), 3)
})
