import assert from 'node:assert/strict'
import { randomSuffix, readEnv } from '@trends/core'
import { createCreativeCenterClient, readCreativeCenterSettings, TokenBucket, type FetchTarget } from '@trends/creative-center'
import { readKafkaSettings, readRegistrySettings, type Kafka, type SchemaRegistry } from '@trends/kafka'
import { createRegistry } from '@trends/metrics'
import type { ChartSpec } from '@trends/producer'
import { testLogger, useKafka, useRegistry } from '@trends/testing'

export interface DecodedRecord {
  topic: string
  partition: number
  key: string
  value: Record<string, unknown>
  schemaId: number
  headers: Record<string, string>
}

/**
 * A topic's partition offsets. A topic a service has just made may have no leader yet
 * (NOT_LEADER_FOR_PARTITION, LEADER_NOT_AVAILABLE): retriable answers are asked again for up to 15 s.
 */
async function offsetsOf(admin: ReturnType<Kafka['admin']>, topic: string) {
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic)
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

/** Each partition's [low, high) offsets now, for the topics that exist. */
async function partitionEnds(kafka: Kafka, topics: readonly string[]): Promise<Map<string, { low: number; high: number }>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const ends = new Map<string, { low: number; high: number }>()
    const existing = new Set(await admin.listTopics())
    for (const topic of topics.filter((name) => existing.has(name))) {
      for (const partition of await offsetsOf(admin, topic)) {
        ends.set(`${topic}/${partition.partition}`, { low: Number(partition.low), high: Number(partition.high) })
      }
    }
    return ends
  } finally {
    await admin.disconnect()
  }
}

/** Sum of all partitions' high watermarks for the topics (what has been written so far). */
export async function countRecords(kafka: Kafka, topics: readonly string[]): Promise<number> {
  let total = 0
  for (const { low, high } of (await partitionEnds(kafka, topics)).values()) total += high - low
  return total
}

/** Waits until the topics hold at least `count` records, or fails with how many there were. */
export async function waitForRecords(kafka: Kafka, topics: readonly string[], count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let seen = 0
  while (Date.now() < deadline) {
    try {
      seen = await countRecords(kafka, topics)
    } catch (error) {
      // Topics a service has just created may not have a leader yet.
      if ((error as { retriable?: boolean }).retriable !== true) throw error
    }
    if (seen >= count) return seen
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  assert.fail(`waited ${timeoutMs} ms for ${count} records in ${topics.join(', ')}; saw ${seen}`)
}

/**
 * Reads every record now in the topics — each partition up to its end when the read began, so what
 * one read returns is all of what an earlier read returned, however fast the topics grow meanwhile —
 * decoding each value through the schema registry.
 */
export async function readAll(kafka: Kafka, registry: SchemaRegistry, topics: readonly string[]): Promise<DecodedRecord[]> {
  const ends = await partitionEnds(kafka, topics)
  const pending = new Set([...ends].filter(([, { low, high }]) => high > low).map(([key]) => key))
  const expected = [...ends.values()].reduce((sum, { low, high }) => sum + high - low, 0)
  const records: DecodedRecord[] = []
  if (pending.size === 0) return records
  const consumer = kafka.consumer({ groupId: `test.read-all.${randomSuffix()}` })
  await consumer.connect()
  try {
    for (const topic of topics)
      if ([...ends.keys()].some((key) => key.startsWith(`${topic}/`))) await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} of ${expected} records`)), 60_000)
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const key = `${topic}/${partition}`
            const end = ends.get(key)?.high ?? 0
            const offset = Number(message.offset)
            // Past the partition's end when the read began: written since, not part of this read.
            if (offset >= end) return
            assert.ok(message.value)
            const decoded = (await registry.decode(message.value)) as Record<string, unknown>
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]))
            records.push({
              topic,
              partition,
              key: message.key?.toString() ?? '',
              value: { ...decoded },
              schemaId: message.value.readUInt32BE(1),
              headers,
            })
            if (offset === end - 1) pending.delete(key)
            if (pending.size === 0) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return records
}

export function stackClients(): { kafka: Kafka; registry: SchemaRegistry } {
  return { kafka: useKafka(), registry: useRegistry() }
}

/** What the charts hold right now, fetched directly: natural key → the item's exact JSON text. */
export async function expectedItems(
  baseUrl: string,
  charts: readonly ChartSpec[],
  naturalKey: (target: FetchTarget, id: string) => string,
): Promise<Map<string, string>> {
  const read = readEnv({ CC_BASE_URL: baseUrl })
  const client = createCreativeCenterClient({
    settings: readCreativeCenterSettings(read),
    logger: testLogger(),
    metrics: createRegistry('expected'),
    bucket: new TokenBucket(1000, 1000),
  })
  const items = new Map<string, string>()
  try {
    for (const chart of charts) {
      for await (const page of client.fetchPages(chart.target, {
        maxPages: chart.maxPages,
        ...(chart.pageSize === undefined ? {} : { pageSize: chart.pageSize }),
      })) {
        for (const item of page.items) if (item.id !== undefined) items.set(naturalKey(chart.target, item.id), item.raw)
      }
    }
  } finally {
    await client.close()
  }
  return items
}

/** Environment for producer processes against the local stack, the simulator and fresh topics. */
export function producerEnv(simulatorUrl: string, matrix: unknown, extra: Record<string, string> = {}): Record<string, string> {
  const prefix = `test-${randomSuffix()}`
  const env: Record<string, string> = {
    CC_BASE_URL: simulatorUrl,
    CC_RATE_PER_SECOND: '500',
    CC_BURST: '50',
    CC_RETRY_BASE: '20ms',
    CC_RETRY_MAX: '200ms',
    TOPIC_PREFIX: prefix,
    WORKER_GROUP_ID: `${prefix}.workers`,
    POLL_MATRIX: JSON.stringify(matrix),
    SCHEDULER_TICK: '200ms',
    TASK_PARTITIONS: '6',
    RAW_PARTITIONS: '3',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    ...extra,
  }
  // Services read the same Kafka and registry settings the tests use.
  for (const key of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL']) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  const read = readEnv(env)
  readKafkaSettings(read, 'check')
  readRegistrySettings(read)
  read.done()
  return env
}
