import { readEnv } from '@trends/core'
import { readClickHouseSettings, type ClickHouseSettings } from '@trends/clickhouse'
import {
  readConsumerSettings,
  readKafkaSettings,
  readRegistrySettings,
  readTopicLayout,
  type ConsumerSettings,
  type KafkaSettings,
  type RegistrySettings,
  type TopicLayout,
} from '@trends/kafka'
import { readHealthSettings } from '@trends/metrics'
import { DEFAULT_THRESHOLDS, type Thresholds } from './derive.ts'
import type { WebhookSettings } from './webhook.ts'

export interface SignalsConfig {
  kafka: KafkaSettings
  registry: RegistrySettings
  clickhouse: ClickHouseSettings
  topicPrefix: string
  layout: TopicLayout
  /**
   * One per deployment, not per instance: a second instance with the same id fences the first, whose
   * next commit then fails and which stops. So one stage derives, and a restarted one aborts what its
   * dead predecessor left open before it reads what was committed.
   */
  transactionalId: string
  /** How often ClickHouse is asked for pairs ready to compare. */
  pollMs: number
  /** Pairs whose later snapshot is older than this are not compared (nor remembered from the topic). */
  lookbackMs: number
  /** A complete snapshot that never fills (a dead-lettered item) is compared this long after its fetch ended. */
  settleMs: number
  /** Pairs compared per transaction: all the events of a pair are committed together. */
  pairsPerTransaction: number
  thresholds: Thresholds
  /** Where each event is POSTed too (SIGNALS_WEBHOOK_URL); no delivery when unset. */
  webhook: WebhookSettings | undefined
  /** How the webhook's consumer is supervised (CONSUMER_*), as every consumer of the pipeline. */
  consumer: ConsumerSettings
  health: { host: string; port: number }
  logLevel: string
}

export function loadSignalsConfig(env: NodeJS.ProcessEnv = process.env): SignalsConfig {
  const read = readEnv(env)
  const topicPrefix = read.string('TOPIC_PREFIX', 'tiktok')
  const lookbackMs = read.duration('SIGNALS_LOOKBACK', '7d')
  // The topic keeps 30 days; what the stage looks back over must still be in it, with a margin.
  if (lookbackMs > 14 * 86_400_000 || lookbackMs < 86_400_000) read.problem('SIGNALS_LOOKBACK: between 1d and 14d')
  // The URL is a secret (a chat webhook's path is its key): a problem with it never repeats it.
  const url = read.optionalString('SIGNALS_WEBHOOK_URL')
  if (url !== undefined && !isHttpUrl(url)) read.problem('SIGNALS_WEBHOOK_URL: an http(s) URL (the value is not shown: it may hold a key)')
  const webhook: WebhookSettings | undefined =
    url === undefined
      ? undefined
      : {
          url,
          secret: read.optionalString('SIGNALS_WEBHOOK_SECRET'),
          timeoutMs: read.duration('SIGNALS_WEBHOOK_TIMEOUT', '5s'),
          attempts: read.int('SIGNALS_WEBHOOK_ATTEMPTS', 6, { min: 1, max: 100 }),
          retryBaseMs: read.duration('SIGNALS_WEBHOOK_RETRY_BASE', '1s'),
          retryMaxMs: read.duration('SIGNALS_WEBHOOK_RETRY_MAX', '1m'),
          groupId: read.string('SIGNALS_WEBHOOK_GROUP_ID', `${topicPrefix}.signals-webhook`),
        }
  const config: SignalsConfig = {
    kafka: readKafkaSettings(read, 'trends-signals'),
    registry: readRegistrySettings(read),
    clickhouse: readClickHouseSettings(read),
    topicPrefix,
    layout: readTopicLayout(read),
    transactionalId: read.string('SIGNALS_TRANSACTIONAL_ID', `${topicPrefix}.signals`),
    pollMs: read.duration('SIGNALS_POLL', '10s'),
    lookbackMs,
    settleMs: read.duration('SIGNALS_SETTLE_TIMEOUT', '30m'),
    pairsPerTransaction: read.int('SIGNALS_PAIRS_PER_TRANSACTION', 20, { min: 1, max: 1000 }),
    thresholds: { ...DEFAULT_THRESHOLDS, rankJump: read.int('SIGNALS_RANK_JUMP', DEFAULT_THRESHOLDS.rankJump, { min: 1, max: 1000 }) },
    webhook,
    consumer: readConsumerSettings(read),
    health: readHealthSettings(read, 9467),
    logLevel: read.string('LOG_LEVEL', 'info'),
  }
  read.done()
  return config
}

function isHttpUrl(value: string): boolean {
  try {
    const parsed = new URL(value)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:'
  } catch {
    return false
  }
}
