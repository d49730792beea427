import { createCreativeCenterClient, TokenBucket, type CreativeCenterClient } from '@trends/creative-center'
import type { ConsumerSettings, Kafka, SchemaRegistry } from '@trends/kafka'
import type { Registry } from '@trends/metrics'
import { createWorker, topicsFor, type ProducerConfig } from '@trends/producer'
import { defer, testLogger, type Cleanup } from '@trends/testing'

export interface TestWorkerOptions {
  /** Wraps the client the worker fetches with, to make page handling break on purpose. */
  client?: (client: CreativeCenterClient) => CreativeCenterClient
  /** The tasks consumer's restart settings, when the defaults are not what is under test. */
  consumer?: ConsumerSettings
}

/**
 * A worker in this process, in the config's group and on its topics (one partition each), with a
 * Creative Center client of its own that the rate limit never holds back. The worker stops after
 * the test, then the client.
 */
export function useWorker(
  t: Cleanup,
  config: ProducerConfig,
  stack: { kafka: Kafka; registry: SchemaRegistry },
  metrics: Registry,
  options: TestWorkerOptions = {},
) {
  const client = createCreativeCenterClient({
    settings: config.creativeCenter,
    logger: testLogger(),
    metrics,
    bucket: new TokenBucket(1000, 1000),
  })
  defer(t, () => client.close())
  const worker = createWorker({
    ...stack,
    client: options.client === undefined ? client : options.client(client),
    topics: topicsFor(config.topicPrefix),
    logger: testLogger('worker'),
    metrics,
    groupId: config.workerGroupId,
    rawPartitions: 1,
    taskPartitions: 1,
    sessionTimeoutMs: 10_000,
    charts: config.charts,
    ...(options.consumer === undefined ? {} : { consumer: { settings: options.consumer } }),
  })
  defer(t, () => worker.stop())
  return worker
}
