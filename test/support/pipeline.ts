import { randomSuffix } from '@trends/core'
import { createCreativeCenterClient, TokenBucket } from '@trends/creative-center'
import { readTopic, topicsFor, type Kafka, type SchemaRegistry } from '@trends/kafka'
import { createRegistry } from '@trends/metrics'
import { createNormalizer, loadNormalizerConfig, type CleanedRecord } from '@trends/normalizer'
import { createWorker, decodeTask, encodeTask, loadProducerConfig, taskFor } from '@trends/producer'
import { defer, testLogger, type Cleanup } from '@trends/testing'
import { producerEnv, stackClients } from './raw-topics.ts'

/**
 * Fills the raw topics under a fresh prefix by running each chart of `matrix` once through a real
 * worker against the simulator. Returns the environment (prefix included) for the next stages.
 */
export async function fillRawTopics(t: Cleanup, simulatorUrl: string, matrix: unknown, extra: Record<string, string> = {}) {
  const env = producerEnv(simulatorUrl, matrix, extra)
  const config = loadProducerConfig(env)
  const { kafka, registry } = stackClients()
  const metrics = createRegistry('fill')
  const client = createCreativeCenterClient({
    settings: config.creativeCenter,
    logger: testLogger(),
    metrics,
    bucket: new TokenBucket(5000, 5000),
  })
  const worker = createWorker({
    kafka,
    registry,
    client,
    topics: topicsFor(config.topicPrefix),
    logger: testLogger('fill'),
    metrics,
    groupId: `${config.topicPrefix}.fill`,
    rawPartitions: 3,
    taskPartitions: 1,
    sessionTimeoutMs: 10_000,
  })
  defer(t, () => client.close())
  defer(t, () => worker.stop())
  await worker.prepare()
  const runAll = async () => {
    for (const chart of config.charts) {
      const task = taskFor(chart, Date.now())
      const outcome = await worker.runTask(task, decodeTask(encodeTask(task)).target)
      if (outcome !== 'ok') throw new Error(`filling ${chart.target.endpoint.name}: ${outcome}`)
    }
  }
  await runAll()
  return { env, config, topics: topicsFor(config.topicPrefix), kafka, registry, runAll }
}

/** A normalizer in this process on the given prefix; its own group and transactional id unless given. */
export async function startNormalizer(t: Cleanup, env: Record<string, string>, overrides: Record<string, string> = {}) {
  const suffix = randomSuffix(4)
  const config = loadNormalizerConfig({
    ...env,
    NORMALIZER_GROUP_ID: `${env['TOPIC_PREFIX']}.normalizer`,
    NORMALIZER_TRANSACTIONAL_ID: `${env['TOPIC_PREFIX']}.normalizer.${suffix}`,
    ...overrides,
  })
  const metrics = createRegistry(`normalizer-${suffix}`)
  const normalizer = createNormalizer({ config, logger: testLogger('normalizer'), metrics })
  defer(t, () => normalizer.stop())
  await normalizer.start()
  return { normalizer, metrics, config }
}

/** Every committed record of a topic, decoded (read_committed: aborted transactions are skipped). */
export async function readCommitted(
  kafka: Kafka,
  registry: SchemaRegistry,
  topic: string,
): Promise<Array<{ key: string; value: CleanedRecord & Record<string, unknown> }>> {
  const records: Array<{ key: string; value: CleanedRecord & Record<string, unknown> }> = []
  await readTopic(
    kafka,
    topic,
    async ({ message }) => {
      if (message.value === null) return
      records.push({
        key: message.key?.toString() ?? '',
        value: { ...((await registry.decode(message.value)) as CleanedRecord & Record<string, unknown>) },
      })
    },
    { readCommitted: true },
  )
  return records
}

/** Polls until `check` holds for the committed records of a topic, or fails with the last count. */
export async function waitForCommitted(
  kafka: Kafka,
  registry: SchemaRegistry,
  topic: string,
  check: (records: Awaited<ReturnType<typeof readCommitted>>) => boolean,
  timeoutMs: number,
): Promise<Awaited<ReturnType<typeof readCommitted>>> {
  const deadline = Date.now() + timeoutMs
  let records: Awaited<ReturnType<typeof readCommitted>> = []
  while (Date.now() < deadline) {
    try {
      records = await readCommitted(kafka, registry, topic)
      if (check(records)) return records
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true) throw error
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`waited ${timeoutMs} ms on ${topic}; ${records.length} committed records`)
}
