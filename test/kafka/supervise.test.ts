import { test } from 'node:test'
import assert from 'node:assert/strict'
import kafkajs, { type EachMessagePayload } from 'kafkajs'
import { createRegistry, metricValue } from '@trends/metrics'
import { defer, freshGroupId, freshTopic, testLogger, useKafka, useProducer, type Cleanup } from '@trends/testing'
import { ConsumerHealth, superviseConsumer, type ConsumerSettings } from '@trends/kafka'

const { KafkaJSNonRetriableError } = kafkajs

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function publish(t: Cleanup, topic: string, from: number, count: number): Promise<void> {
  const producer = await useProducer(t)
  await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `record-${from + i}` })) })
}

/** A supervised consumer of `topic` whose handler is `handle`; stopped after the test. */
function supervised(
  t: Cleanup,
  topic: string,
  handle: (payload: EachMessagePayload) => Promise<void>,
  settings: Partial<ConsumerSettings> = {},
  consumerRetry?: { retries: number; initialRetryTime: number },
) {
  const metrics = createRegistry('supervise-test')
  const consumer = useKafka().consumer({
    groupId: freshGroupId('supervise'),
    ...(consumerRetry === undefined ? {} : { retry: consumerRetry }),
  })
  const health = new ConsumerHealth({ stallAfterMs: 60_000 })
  const lost: string[] = []
  const crashes: Array<string | undefined> = []
  const supervisor = superviseConsumer({
    name: 'test',
    consumer,
    subscriptions: [{ topics: [topic], fromBeginning: true }],
    run: { eachMessage: handle },
    health,
    settings: { stallAfterMs: 60_000, restartLimit: 3, restartWindowMs: 60_000, ...settings },
    logger: testLogger('supervise'),
    metrics,
    backoff: { baseMs: 100, maxMs: 200 },
    progressFromBatches: true,
    onLost: (name) => lost.push(name),
  })
  // Registered after the supervisor's own listener: sees the state it left.
  consumer.on(consumer.events.CRASH, () => crashes.push(health.problem()))
  defer(t, () => supervisor.stop())
  const restarts = (by: string, reason?: string) =>
    metricValue(metrics, 'trends_consumer_restarts_total', { consumer: 'test', by, ...(reason === undefined ? {} : { reason }) })
  return { supervisor, health, lost, crashes, restarts }
}

test(
  'a handler error kafkajs does not retry: the supervisor restarts the consumer, which then reads on',
  { timeout: 90_000 },
  async (t) => {
    const topic = await freshTopic(t, 'supervise')
    await publish(t, topic, 0, 10)
    const deliveries: string[] = []
    let poisoned = false
    const run = supervised(t, topic, async ({ message }) => {
      const value = message.value?.toString() ?? ''
      deliveries.push(value)
      if (value === 'record-5' && !poisoned) {
        poisoned = true
        throw new KafkaJSNonRetriableError('refused for the test')
      }
    })
    await run.supervisor.start()
    await until('the first ten are read, the poisoned one again after the restart', () => new Set(deliveries).size === 10)
    assert.deepEqual(run.crashes, ['consumer crashed: KafkaJSNonRetriableError, restart 1 of 3'])
    assert.equal(await run.restarts('supervisor', 'KafkaJSNonRetriableError'), 1)
    assert.equal(await run.restarts('kafkajs'), 0)

    // Running again: the next records are read too, each once after the restart.
    await publish(t, topic, 10, 15)
    await until('the next fifteen are read', () => new Set(deliveries).size === 25)
    const expected = Array.from({ length: 25 }, (_, i) => `record-${i}`)
    assert.deepEqual([...new Set(deliveries)], expected)
    assert.equal(deliveries.filter((value) => value === 'record-5').length, 2, 'the record being handled at the crash is read again')
    assert.equal(deliveries.length, 26)
    await until('the consumer reports it runs with no lag', () => run.health.problem() === undefined && run.health.totalLag() === 0)
    assert.deepEqual(run.lost, [])
  },
)

test('a retriable handler error: kafkajs restarts the consumer itself, counted as such', { timeout: 90_000 }, async (t) => {
  const topic = await freshTopic(t, 'supervise-retriable')
  await publish(t, topic, 0, 5)
  const deliveries: string[] = []
  let failed = false
  const run = supervised(
    t,
    topic,
    async ({ message }) => {
      const value = message.value?.toString() ?? ''
      deliveries.push(value)
      if (value === 'record-2' && !failed) {
        failed = true
        throw new Error('retriable for kafkajs')
      }
    },
    {},
    { retries: 0, initialRetryTime: 50 },
  )
  await run.supervisor.start()
  await until('all five are read', () => new Set(deliveries).size === 5)
  assert.equal(await run.restarts('kafkajs', 'Error'), 1)
  assert.equal(await run.restarts('supervisor'), 0)
  assert.deepEqual(run.crashes, ['consumer crashed: Error, kafkajs restarts it'])
  await until('running again', () => run.health.problem() === undefined)
})

test('restarts exhausted within the window: the supervisor gives up once and says so', { timeout: 90_000 }, async (t) => {
  const topic = await freshTopic(t, 'supervise-lost')
  await publish(t, topic, 0, 3)
  let deliveries = 0
  const run = supervised(
    t,
    topic,
    async () => {
      deliveries++
      throw new KafkaJSNonRetriableError('always refused')
    },
    { restartLimit: 2 },
  )
  await run.supervisor.start()
  await until('the supervisor gives up', () => run.lost.length > 0)
  assert.deepEqual(run.lost, ['test'])
  assert.equal(await run.restarts('supervisor', 'KafkaJSNonRetriableError'), 2)
  assert.equal(deliveries, 3, 'the first record, read on the first run and on each of two restarts')
  assert.equal(run.health.problem(), 'consumer crashed: KafkaJSNonRetriableError, restarts exhausted')
  assert.deepEqual(run.crashes.at(-1), 'consumer crashed: KafkaJSNonRetriableError, restarts exhausted')
})
