import type { Kafka, ITopicConfig } from 'kafkajs'
import { TrendsError } from '@trends/core'
import { retrying } from './read.ts'

/**
 * Polls the cluster until an admin client can list topics, or throws KAFKA_UNAVAILABLE once
 * `timeoutMs` has passed. This is the readiness test the local stack and the services use.
 */
export async function waitForKafka(kafka: Kafka, timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline && signal?.aborted !== true) {
    const admin = kafka.admin()
    try {
      await admin.connect()
      return await admin.listTopics()
    } catch (error) {
      lastError = error
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new TrendsError('KAFKA_UNAVAILABLE', `Kafka did not answer a topic listing within ${timeoutMs} ms`, {
    retryable: true,
    cause: lastError,
  })
}

/** Creates topics that do not exist yet; existing topics are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: ITopicConfig[]): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((topic) => !existing.has(topic.topic))
    // On a broker that has just started, kafkajs's wait for leaders can meet UNKNOWN_TOPIC_OR_PARTITION
    // (it retries only LEADER_NOT_AVAILABLE) and the service would fail its start; a second call
    // finds the topics created and waits again.
    if (missing.length > 0) await retrying(() => admin.createTopics({ topics: missing, waitForLeaders: true }))
  } finally {
    await admin.disconnect()
  }
}
