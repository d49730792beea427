import { hostname } from 'node:os'
import { readEnv } from '@trends/core'
import { readKafkaSettings, readRegistrySettings, type KafkaSettings, type RegistrySettings } from '@trends/kafka'
import { readConsumerSettings, readTopicLayout, type ConsumerSettings, type TopicLayout } from '@trends/kafka'
import { readHealthSettings } from '@trends/metrics'

export interface NormalizerConfig {
  kafka: KafkaSettings
  registry: RegistrySettings
  topicPrefix: string
  /**
   * Prefix of the topics it writes, the cleaned topic and the dead letters (NORMALIZER_OUTPUT_PREFIX,
   * TOPIC_PREFIX unless set): a shadow replay (trends replay --shadow) runs a normalizer of a new
   * version into topics of its own beside the live ones.
   */
  outputPrefix: string
  groupId: string
  /**
   * Stable per instance: a restarted instance with the same id fences its dead predecessor and
   * aborts the transaction it left open at once, instead of after the transaction timeout.
   */
  transactionalId: string
  /** Partitions of the topics it makes (the raw topics, the cleaned topic), as every service reads them. */
  layout: TopicLayout
  /**
   * Off for reprocessing after a fix: observations already in the cleaned topic are published again
   * (repeats inside one batch are still dropped). The sink's tables then keep the newest per key.
   */
  dedupEnabled: boolean
  dedupTtlMs: number
  dedupMaxKeysPerShard: number
  /** Upper bound of one fetch per partition, so of one batch and one transaction. */
  maxBytesPerPartition: number
  /** Batches of different partitions processed at once (their transactions still one at a time). */
  partitionsConcurrently: number
  /** The consumer's restarts and stall time (CONSUMER_STALL_AFTER, CONSUMER_RESTART_LIMIT, CONSUMER_RESTART_WINDOW). */
  consumer: ConsumerSettings
  /** Where /metrics, /healthz and /readyz answer (METRICS_HOST, METRICS_PORT). */
  health: { host: string; port: number }
  logLevel: string
}

/**
 * `instanceId` names this instance when NORMALIZER_TRANSACTIONAL_ID is unset; main.ts gives one that
 * stays distinct among the instances on this host (claimInstanceSlot), so two never fence each other.
 */
export function loadNormalizerConfig(
  env: NodeJS.ProcessEnv = process.env,
  instanceId: (groupId: string) => string = (groupId) => `${groupId}.${hostname()}`,
): NormalizerConfig {
  const read = readEnv(env)
  const groupId = read.string('NORMALIZER_GROUP_ID', 'tiktok-normalizer')
  const topicPrefix = read.string('TOPIC_PREFIX', 'tiktok')
  const config: NormalizerConfig = {
    kafka: readKafkaSettings(read, 'trends-normalizer'),
    registry: readRegistrySettings(read),
    topicPrefix,
    outputPrefix: read.string('NORMALIZER_OUTPUT_PREFIX', topicPrefix),
    groupId,
    transactionalId: read.optionalString('NORMALIZER_TRANSACTIONAL_ID') ?? instanceId(groupId),
    layout: readTopicLayout(read),
    dedupEnabled: read.boolean('NORMALIZER_DEDUP', true),
    dedupTtlMs: read.duration('DEDUP_TTL', '3d'),
    dedupMaxKeysPerShard: read.int('DEDUP_MAX_KEYS_PER_SHARD', 500_000, { min: 1 }),
    maxBytesPerPartition: read.size('NORMALIZER_MAX_BYTES_PER_PARTITION', '1MiB', { min: '1KiB' }),
    partitionsConcurrently: read.int('NORMALIZER_PARTITIONS_CONCURRENTLY', 3, { min: 1, max: 64 }),
    consumer: readConsumerSettings(read),
    health: readHealthSettings(read, 9465),
    logLevel: read.string('LOG_LEVEL', 'info'),
  }
  read.done()
  return config
}
