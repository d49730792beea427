import { readEnv } from '@trends/core'
import { readClickHouseSettings, type ClickHouseSettings } from '@trends/clickhouse'
import { readKafkaSettings, readRegistrySettings, type KafkaSettings, type RegistrySettings } from '@trends/kafka'
import { readConsumerSettings, readTopicLayout, type ConsumerSettings, type TopicLayout } from '@trends/kafka'
import { readHealthSettings } from '@trends/metrics'

export interface SinkConfig {
  kafka: KafkaSettings
  registry: RegistrySettings
  clickhouse: ClickHouseSettings
  topicPrefix: string
  /** Partitions of the topics it makes when it starts first (the cleaned topic, the fetch log), as every service reads them. */
  layout: TopicLayout
  groupId: string
  /** A batch is inserted when it has this many rows… */
  batchRows: number
  /** …or this many bytes of Kafka values… */
  batchBytes: number
  /** …or when its first record has waited this long. */
  batchWaitMs: number
  /** The most one fetch takes from a partition (records beyond wait for the next fetch). */
  fetchBytesPerPartition: number
  /** Retries of an insert ClickHouse did not take: full-jitter backoff between these bounds. */
  retryBaseMs: number
  retryMaxMs: number
  /** On a graceful stop, how long open batches may take to land before they are left to the next run. */
  drainTimeoutMs: number
  /** How long the group waits for a silent member before its partitions move (Kafka allows 6s–5m by default). */
  sessionTimeoutMs: number
  /** The consumer's restarts and stall time (CONSUMER_STALL_AFTER, CONSUMER_RESTART_LIMIT, CONSUMER_RESTART_WINDOW). */
  consumer: ConsumerSettings
  /** Apply the migrations on start (the default); off when a migration job runs them. */
  migrate: boolean
  /** Where /metrics, /healthz and /readyz answer (METRICS_HOST, METRICS_PORT). */
  health: { host: string; port: number }
  logLevel: string
}

export function loadSinkConfig(env: NodeJS.ProcessEnv = process.env): SinkConfig {
  const read = readEnv(env)
  const config: SinkConfig = {
    kafka: readKafkaSettings(read, 'trends-sink'),
    registry: readRegistrySettings(read),
    clickhouse: readClickHouseSettings(read),
    topicPrefix: read.string('TOPIC_PREFIX', 'tiktok'),
    layout: readTopicLayout(read),
    groupId: read.string('SINK_GROUP_ID', 'tiktok-sink'),
    batchRows: read.int('SINK_BATCH_ROWS', 50_000, { min: 1, max: 1_000_000 }),
    batchBytes: read.size('SINK_BATCH_BYTES', '32MiB', { min: '1KiB' }),
    batchWaitMs: read.duration('SINK_BATCH_WAIT', '1s'),
    fetchBytesPerPartition: read.size('SINK_FETCH_BYTES_PER_PARTITION', '4MiB', { min: '64KiB' }),
    retryBaseMs: read.duration('SINK_RETRY_BASE', '200ms'),
    retryMaxMs: read.duration('SINK_RETRY_MAX', '30s'),
    drainTimeoutMs: read.duration('SINK_DRAIN_TIMEOUT', '8s'),
    sessionTimeoutMs: read.duration('SINK_SESSION_TIMEOUT', '30s'),
    consumer: readConsumerSettings(read),
    migrate: read.boolean('SINK_MIGRATE', true),
    health: readHealthSettings(read, 9466),
    logLevel: read.string('LOG_LEVEL', 'info'),
  }
  read.done()
  return config
}
