import {
  AvroCodec,
  ConsumerHealth,
  createKafka,
  createSchemaRegistry,
  ensureTopics,
  topicSpecs,
  readTopic,
  registerTopicSchema,
  superviseConsumer,
  topicsFor,
  type Consumer,
  type ConsumerRunConfig,
  type MemberMemory,
  type SupervisedConsumer,
  type Topics,
} from '@trends/kafka'
import { FAMILIES } from '@trends/creative-center'
import type { Logger } from '@trends/logger'
import { counter, describeFailure, gauge, histogram, type Condition, type Registry, PIPELINE_METRICS } from '@trends/metrics'
import type { NormalizerConfig } from './config.ts'
import { DedupStore, shardId } from './dedup.ts'
import { dedupKeyOf, factsFingerprint, type CleanedRecord } from './observation.ts'
import { createGroupCommitter, transactionalProducer, type GroupCommitter } from './commit.ts'
import { DedupOwnership } from './ownership.ts'
import { processBatch, type PipelineDeps } from './pipeline.ts'

export interface NormalizerDeps {
  config: NormalizerConfig
  logger: Logger
  metrics: Registry
  /** The consumer cannot be restarted: the process should stop and exit (main wires it). */
  onConsumerLost?: (name: string) => void
  /** The consumer's member id kept across restarts of this process (main.ts: its instance slot). */
  members?: MemberMemory
  now?: () => number
}

/** kafkajs's default session timeout, which the normalizer's consumer keeps. */
const SESSION_TIMEOUT_MS = 30_000

/** Dead letters keep the original bytes whole, so their topic accepts records up to 16 MiB. */

export interface Normalizer {
  /** The topics it reads and writes: the cleaned and dead-letter topics under NORMALIZER_OUTPUT_PREFIX. */
  topics: Topics
  /** The dedup state: keys of observations already published, rebuilt from the cleaned topic on start. */
  dedup: DedupStore
  /** For /readyz: the consumer runs, and is not stalled with lag. */
  conditions: { 'consumer:normalizer': Condition }
  start(): Promise<void>
  /** Stops consuming (the batch in hand finishes its transaction), then closes the producer. Idempotent. */
  stop(): Promise<void>
}

/**
 * The normalizer: one consumer group over every raw topic; each Kafka batch goes through the RxJS
 * pipeline, and its cleaned records, its dead letters and the batch's consumed offset are written
 * in one Kafka transaction. Exactly once from raw to cleaned: a crash before the commit aborts
 * all three (the batch is read again), after it none is repeated. The dedup state learns a batch's
 * keys only after that commit, and is rebuilt from the cleaned topic on start.
 */
export function createNormalizer(deps: NormalizerDeps): Normalizer {
  const { config, logger, metrics } = deps
  const now = deps.now ?? Date.now
  const log = logger.child({ component: 'normalizer' })
  const kafka = createKafka(config.kafka, { logger })
  const registry = createSchemaRegistry(config.registry)
  // The raw topics by TOPIC_PREFIX; the output (cleaned, dead letters) by NORMALIZER_OUTPUT_PREFIX,
  // the same unless a shadow replay runs this normalizer into topics of its own.
  const output = topicsFor(config.outputPrefix)
  const topics = { ...topicsFor(config.topicPrefix), cleaned: output.cleaned, deadLetters: output.deadLetters }
  const dedup = new DedupStore({ ttlMs: config.dedupTtlMs, maxKeysPerShard: config.dedupMaxKeysPerShard, now })

  const recordsIn = counter(metrics, PIPELINE_METRICS.normalizerRecordsIn, 'Raw records consumed, by topic', ['topic'])
  const cleanedOut = counter(metrics, PIPELINE_METRICS.normalizerRecordsOut, 'Cleaned records committed, by kind', ['kind'])
  const deadLettered = counter(
    metrics,
    PIPELINE_METRICS.normalizerDeadLetters,
    'Records sent to the dead letters, by step and error class',
    ['step', 'error_class'],
  )
  const duplicates = counter(metrics, PIPELINE_METRICS.normalizerDedupHits, 'Records dropped as duplicates, by kind', ['kind'])
  // Each kind from 0: a panel reads 0 repeats dropped, not no data, until the first one.
  for (const kind of FAMILIES) {
    duplicates.inc({ kind }, 0)
    cleanedOut.inc({ kind }, 0)
  }
  const batchSize = histogram(metrics, 'trends_normalizer_batch_size', 'Records per consumed batch', [], [1, 10, 50, 100, 500, 1000, 5000])
  const dedupKeys = gauge(metrics, 'trends_normalizer_dedup_keys', 'Keys held in the dedup state', [])
  const consumerLag = gauge(
    metrics,
    'trends_normalizer_consumer_lag',
    'Records of each raw partition not yet committed (transaction markers do not count: a drained partition reads 0)',
    ['topic', 'partition'],
  )

  const transactionRetries = counter(
    metrics,
    'trends_normalizer_transaction_retries_total',
    'Transactions begun again because the coordinator was still completing the one before, by answer',
    ['reason'],
  )

  let consumer: Consumer | undefined
  let supervised: SupervisedConsumer | undefined
  // The lag gauge follows the health's lag: /readyz and the metric never disagree.
  const health = new ConsumerHealth({
    stallAfterMs: config.consumer.stallAfterMs,
    now,
    onLag: (topic, partition, records) => consumerLag.set({ topic, partition: String(partition) }, records),
  })
  let committer: GroupCommitter | undefined
  let pipeline: PipelineDeps | undefined
  let stopping: Promise<void> | undefined

  /** Seeds the dedup state with what the cleaned topic already holds within the TTL. */
  async function rebuildDedup(only?: ReadonlySet<string>): Promise<number> {
    return readTopic(
      kafka,
      topics.cleaned,
      async ({ message }) => {
        if (message.value === null) return
        const record = (await registry.decode(message.value)) as CleanedRecord
        const shard = shardId(record.source_topic, record.source_partition)
        if (only !== undefined && !only.has(shard)) return
        dedup.remember(shard, dedupKeyOf(record), factsFingerprint(record), Number(message.timestamp))
      },
      {
        sinceMs: now() - config.dedupTtlMs,
        readCommitted: true,
        // No deadline for the whole read: a large cleaned topic takes what its size needs, with a line every 10 s.
        onProgress: ({ read, remaining, total }) =>
          log.info({ read, remaining: Number(remaining), total: Number(total), only: only?.size }, 'rebuilding the dedup state'),
      },
    )
  }

  return {
    topics,
    dedup,
    conditions: { 'consumer:normalizer': () => health.problem() },
    async start(): Promise<void> {
      health.starting('creating topics')
      await ensureTopics(kafka, topicSpecs(topics, config.layout, ['raw', 'cleaned', 'deadLetters']))
      health.starting('registering schemas')
      const codec = new AvroCodec(registry)
      const cleanedSchemaId = await registerTopicSchema(registry, topics.cleaned, 'tiktok.trends.cleaned.avsc')
      await codec.load([cleanedSchemaId])
      pipeline = { codec, cleanedSchemaId, dedup, now }
      const deadLetterSchemaId = await registerTopicSchema(registry, topics.deadLetters, 'tiktok.dead-letter.avsc')
      if (config.dedupEnabled) {
        health.starting('rebuilding the dedup state')
        const rebuilt = await rebuildDedup()
        dedupKeys.set(dedup.size())
        log.info({ rebuilt, keys: dedup.size() }, 'dedup state rebuilt from the cleaned topic')
      } else {
        log.warn(
          'deduplication against the cleaned topic is off (NORMALIZER_DEDUP=false): observations already published are published again',
        )
      }

      committer = createGroupCommitter(
        () => transactionalProducer(kafka, config.transactionalId),
        topics.cleaned,
        topics.deadLetters,
        config.groupId,
        {
          onRetry: (reason) => transactionRetries.inc({ reason }),
        },
      )
      health.starting('connecting the transactional producer')
      await committer.connect()
      consumer = kafka.consumer({
        groupId: config.groupId,
        readUncommitted: false,
        maxBytesPerPartition: config.maxBytesPerPartition,
        sessionTimeout: SESSION_TIMEOUT_MS,
      })
      const ownership = new DedupOwnership({
        enabled: config.dedupEnabled,
        retain: (shards) => dedup.retain(shards),
        rebuild: (shards) => rebuildDedup(shards),
        log,
      })
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const now = new Set<string>()
        for (const [topic, partitions] of Object.entries(payload.memberAssignment))
          for (const partition of partitions) now.add(shardId(topic, partition))
        ownership.assigned(now)
        dedupKeys.set(dedup.size())
      })
      consumer.on(consumer.events.STOP, () => ownership.stopped())
      const run = pipeline
      const commits = committer
      const handlers: ConsumerRunConfig = {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConcurrently,
        eachBatch: async (payload) => {
          const { batch } = payload
          if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return
          await ownership.ready()
          recordsIn.inc({ topic: batch.topic }, batch.messages.length)
          batchSize.observe(batch.messages.length)
          const result = await processBatch(run, batch.topic, batch.partition, batch.messages)
          const deadMessages = await Promise.all(
            result.dead.map(async (letter) => ({
              key: `${letter.source_topic}:${letter.source_partition}:${letter.source_offset}`,
              value: await registry.encode(deadLetterSchemaId, letter),
              headers: { stage: 'normalizer', 'error-class': letter.error_class },
            })),
          )
          const lastOffset = batch.messages.at(-1)?.offset ?? batch.lastOffset()
          // Batches of other partitions are processed (CPU) while a transaction waits on the
          // broker, and are committed together in the next one.
          try {
            await commits.commit({
              cleaned: result.cleaned.map(({ key, value, headers }) => ({ key, value, headers })),
              dead: deadMessages,
              topic: batch.topic,
              partition: batch.partition,
              nextOffset: String(BigInt(lastOffset) + 1n),
            })
          } catch (error) {
            // The batch is read again; until a transaction commits, /readyz says why none does.
            health.failing(`transaction failing: ${describeFailure(error).reason}`)
            throw error
          }
          // Committed: only now are these keys seen.
          if (config.dedupEnabled) for (const record of result.cleaned) dedup.remember(record.shard, record.dedupKey, record.fingerprint)
          payload.resolveOffset(lastOffset)
          // From the batch's last offset, transaction markers included: a drained partition reads 0.
          health.lag(batch.topic, batch.partition, Number(batch.offsetLag()))
          health.progressed()
          for (const record of result.cleaned) cleanedOut.inc({ kind: record.headers['kind'] ?? 'unknown' })
          for (const kind of result.duplicateKinds) duplicates.inc({ kind })
          for (const letter of result.dead) deadLettered.inc({ step: letter.context['step'] ?? '', error_class: letter.error_class })
          dedupKeys.set(dedup.size())
          await payload.heartbeat()
        },
      }
      supervised = superviseConsumer({
        name: 'normalizer',
        consumer,
        subscriptions: [{ topics: topics.allRaw(), fromBeginning: true }],
        run: handlers,
        health,
        settings: config.consumer,
        logger,
        metrics,
        onLost: deps.onConsumerLost,
        membership: { kafka, groupId: config.groupId, memory: deps.members, sessionTimeoutMs: SESSION_TIMEOUT_MS },
      })
      await supervised.start()
      log.info({ groupId: config.groupId, transactionalId: config.transactionalId }, 'normalizer started')
    },
    stop(): Promise<void> {
      // Stop consuming first (kafkajs lets the batch in hand finish its transaction), then close the producer.
      stopping ??= (async () => {
        await supervised?.stop()
        await committer?.close()
      })()
      return stopping
    },
  }
}
