import type { EnvReader } from '@trends/core'
import type { ITopicConfig } from 'kafkajs'

/** The pipeline's topic names, all under one prefix (`tiktok` by default; tests use a fresh one each). */
export interface Topics {
  tasks: string
  fetchLog: string
  deadLetters: string
  cleaned: string
  /** Chart changes between consecutive complete snapshots (the signals stage's output). */
  signals: string
  raw: (family: string) => string
  allRaw: () => string[]
}

const FAMILIES = ['keyword', 'hashtag', 'sound', 'creator', 'video'] as const

/**
 * `max.message.bytes` of each kind of topic, which a stage checks a record against before sending
 * it (a record above it fails its whole send, on every retry). Raw topics take the largest body the
 * client accepts; the cleaned topic Kafka's default (1048588), set on it all the same; dead
 * letters take twice a raw record, so that any original is kept whole.
 */
export const TOPIC_MAX_MESSAGE_BYTES = {
  raw: 8 * 1024 * 1024,
  cleaned: 1_048_588,
  deadLetters: 16 * 1024 * 1024,
} as const

export function topicsFor(prefix: string): Topics {
  return {
    tasks: `${prefix}.tasks`,
    fetchLog: `${prefix}.fetch-log`,
    deadLetters: `${prefix}.dead-letters`,
    cleaned: `${prefix}.trends.cleaned`,
    signals: `${prefix}.trends.signals`,
    raw: (family) => `${prefix}.raw.${family}s`,
    allRaw: () => FAMILIES.map((family) => `${prefix}.raw.${family}s`),
  }
}

/** Partitions of each kind of topic: TASK_PARTITIONS, RAW_PARTITIONS (also the fetch log's), CLEANED_PARTITIONS. */
export interface TopicLayout {
  taskPartitions: number
  rawPartitions: number
  cleanedPartitions: number
}

export const DEFAULT_TOPIC_LAYOUT: Readonly<TopicLayout> = { taskPartitions: 6, rawPartitions: 3, cleanedPartitions: 6 }

/** The partition settings, read the same way by every service (any of them may create a topic first). */
export function readTopicLayout(env: EnvReader): TopicLayout {
  const partitions = { min: 1, max: 1000 }
  return {
    taskPartitions: env.int('TASK_PARTITIONS', DEFAULT_TOPIC_LAYOUT.taskPartitions, partitions),
    rawPartitions: env.int('RAW_PARTITIONS', DEFAULT_TOPIC_LAYOUT.rawPartitions, partitions),
    cleanedPartitions: env.int('CLEANED_PARTITIONS', DEFAULT_TOPIC_LAYOUT.cleanedPartitions, partitions),
  }
}

export type TopicKind = 'tasks' | 'raw' | 'fetchLog' | 'cleaned' | 'deadLetters' | 'signals'

/**
 * How long the signals topic keeps events: 30 days, longer than the signals stage looks back
 * (SIGNALS_LOOKBACK, at most 14 days), since it learns from the topic which pairs it has compared.
 */
export const SIGNALS_RETENTION_MS = 30 * 86_400_000

const sizeLimit = (bytes: number) => [{ name: 'max.message.bytes', value: String(bytes) }]

/**
 * How each topic of the pipeline is made: the one definition every service creates its topics
 * from, so that whichever starts first makes them as the others would have. Each topic carries the
 * size limit the stages check records against (TOPIC_MAX_MESSAGE_BYTES), the cleaned topic too, so
 * a broker with another default still takes what the normalizer lets through.
 */
export function topicSpecs(topics: Topics, layout: TopicLayout, kinds: readonly TopicKind[]): ITopicConfig[] {
  const specs: Record<TopicKind, () => ITopicConfig[]> = {
    tasks: () => [{ topic: topics.tasks, numPartitions: layout.taskPartitions }],
    raw: () =>
      topics
        .allRaw()
        .map((topic) => ({ topic, numPartitions: layout.rawPartitions, configEntries: sizeLimit(TOPIC_MAX_MESSAGE_BYTES.raw) })),
    fetchLog: () => [{ topic: topics.fetchLog, numPartitions: layout.rawPartitions }],
    cleaned: () => [
      { topic: topics.cleaned, numPartitions: layout.cleanedPartitions, configEntries: sizeLimit(TOPIC_MAX_MESSAGE_BYTES.cleaned) },
    ],
    deadLetters: () => [{ topic: topics.deadLetters, numPartitions: 1, configEntries: sizeLimit(TOPIC_MAX_MESSAGE_BYTES.deadLetters) }],
    // One partition: few events, in the order they were derived, for every subscriber alike.
    signals: () => [
      { topic: topics.signals, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(SIGNALS_RETENTION_MS) }] },
    ],
  }
  return kinds.flatMap((kind) => specs[kind]())
}
