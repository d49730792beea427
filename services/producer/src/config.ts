import { readFileSync } from 'node:fs'
import path from 'node:path'
import { readEnv } from '@trends/core'
import { readCreativeCenterSettings, type CreativeCenterSettings } from '@trends/creative-center'
import { readKafkaSettings, readRegistrySettings, readTopicLayout, type KafkaSettings, type RegistrySettings } from '@trends/kafka'
import { readConsumerSettings, type ConsumerSettings } from '@trends/kafka'
import { parseMatrix, type ChartSpec } from './matrix.ts'
import { readHealthSettings } from '@trends/metrics'

export const DEFAULT_MATRIX_FILE = path.resolve(import.meta.dirname, '../poll.json')

export interface ProducerConfig {
  kafka: KafkaSettings
  registry: RegistrySettings
  creativeCenter: CreativeCenterSettings
  topicPrefix: string
  charts: ChartSpec[]
  schedulerTickMs: number
  taskPartitions: number
  rawPartitions: number
  workerGroupId: string
  /** How long the group waits for a silent worker before handing its tasks to another. */
  workerSessionTimeoutMs: number
  /** The tasks consumer's restarts and stall time (CONSUMER_STALL_AFTER, CONSUMER_RESTART_LIMIT, CONSUMER_RESTART_WINDOW). */
  consumer: ConsumerSettings
  /** Where /metrics, /healthz and /readyz answer (METRICS_HOST, METRICS_PORT). */
  health: { host: string; port: number }
  logLevel: string
}

/**
 * Every setting from the environment, every problem reported at once (including each chart of the
 * poll matrix that names an unknown endpoint, country, period or filter, with the valid values).
 */
export function loadProducerConfig(env: NodeJS.ProcessEnv = process.env): ProducerConfig {
  const read = readEnv(env)
  const kafka = readKafkaSettings(read, 'trends-producer')
  const registry = readRegistrySettings(read)
  const creativeCenter = readCreativeCenterSettings(read)
  const inline = read.optionalString('POLL_MATRIX')
  const file = read.string('POLL_MATRIX_FILE', DEFAULT_MATRIX_FILE)
  let json: unknown
  try {
    json = JSON.parse(inline ?? readFileSync(file, 'utf8'))
  } catch (error) {
    read.problem(
      `${inline === undefined ? `POLL_MATRIX_FILE: cannot read JSON from ${file}` : 'POLL_MATRIX: not valid JSON'} (${error instanceof Error ? error.message : String(error)})`,
    )
  }
  const defaults = {
    cadence: read.string('POLL_DEFAULT_CADENCE', '1h'),
    maxPages: read.int('POLL_DEFAULT_MAX_PAGES', 5, { min: 1, max: 100 }),
  }
  const parsed = json === undefined ? { charts: [], problems: [] } : parseMatrix(json, defaults)
  const { problems } = parsed
  // One cadence for every chart, over the matrix's own (trends run --simulator's quick demo, tests).
  const every = read.optionalString('POLL_CADENCE') === undefined ? undefined : read.duration('POLL_CADENCE', '1h')
  if (every !== undefined && every < 1000) read.problem('POLL_CADENCE: at least 1s')
  const charts = every === undefined ? parsed.charts : parsed.charts.map((chart) => ({ ...chart, cadenceMs: every }))
  for (const problem of problems) read.problem(`${inline === undefined ? 'POLL_MATRIX_FILE' : 'POLL_MATRIX'}: ${problem}`)
  const layout = readTopicLayout(read)
  const config: ProducerConfig = {
    kafka,
    registry,
    creativeCenter,
    topicPrefix: read.string('TOPIC_PREFIX', 'tiktok'),
    charts,
    schedulerTickMs: read.duration('SCHEDULER_TICK', '5s', { min: '10ms', formerly: 'SCHEDULER_TICK_MS' }),
    // Read as every service reads it (the cleaned topic's count included), whichever makes a topic first.
    taskPartitions: layout.taskPartitions,
    rawPartitions: layout.rawPartitions,
    workerGroupId: read.string('WORKER_GROUP_ID', 'tiktok-producer-workers'),
    workerSessionTimeoutMs: read.duration('WORKER_SESSION_TIMEOUT', '30s', { min: '6s', max: '5m', formerly: 'WORKER_SESSION_TIMEOUT_MS' }),
    consumer: readConsumerSettings(read),
    health: readHealthSettings(read, 9464),
    logLevel: read.string('LOG_LEVEL', 'info'),
  }
  read.done()
  return config
}
