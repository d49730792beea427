/** The pipeline's topic names, all under one prefix (`tiktok` by default; tests use a fresh one each). */
export interface Topics {
  tasks: string
  fetchLog: string
  deadLetters: string
  cleaned: string
  raw: (family: string) => string
  allRaw: () => string[]
}

const FAMILIES = ['keyword', 'hashtag', 'sound', 'creator', 'video'] as const

/**
 * `max.message.bytes` of each kind of topic, which a stage checks a record against before sending
 * it (a record above it fails its whole send, on every retry). Raw topics take the largest body the
 * client accepts; the cleaned topic keeps Kafka's default (1048588), which no service overrides;
 * dead letters take twice a raw record, so that any original is kept whole.
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
    raw: (family) => `${prefix}.raw.${family}s`,
    allRaw: () => FAMILIES.map((family) => `${prefix}.raw.${family}s`),
  }
}
