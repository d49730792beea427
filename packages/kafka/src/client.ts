import { Kafka, logLevel, Partitioners, type KafkaConfig, type logCreator, type Producer, type SASLOptions } from 'kafkajs'
import type { Logger } from '@trends/logger'
import type { KafkaSettings } from './config.ts'
import { silenceKafkajsTimerWarning } from './warnings.ts'
import { registerZstdCodec } from './codecs.ts'

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

// Broker answers that kafkajs retries by itself; it logs each one as an error, which would make
// every busy transaction look like a failure (CONCURRENT_TRANSACTIONS follows most commits).
const RETRIED_BY_KAFKAJS =
  /concurrent operation on the same transaction|not the leader|coordinator is (loading|not available)|not the correct coordinator|rebalanc|leader not available/i

/**
 * Bridges kafkajs's own log lines into pino. Errors that kafkajs will retry are logged one level
 * lower (a broker answer it retries: debug; a send it retries: warn); what it gives up on stays an
 * error.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log
      if (namespace === 'Consumer' || namespace === 'Runner') {
        const quiet = handlerFailure(message, extra)
        if (quiet !== undefined) {
          logger[quiet.method]({ kafkajs: namespace, ...quiet.fields }, quiet.message)
          return
        }
      }
      let method = LEVELS[level] ?? 'info'
      if (method === 'error') {
        const error = (extra as { error?: unknown }).error
        const text = `${message} ${typeof error === 'string' ? error : ''}`
        if (namespace === 'Connection' && RETRIED_BY_KAFKAJS.test(text)) method = 'debug'
        else if ('retryCount' in extra && RETRIED_BY_KAFKAJS.test(text)) method = 'warn'
      }
      logger[method]({ kafkajs: namespace, ...extra }, message)
    }
}

/**
 * kafkajs's lines about a crash or a failed handler carry the error's message and stack, which can
 * quote a record; they keep the class and position only. The supervisor logs each crash itself
 * (supervise.ts), so kafkajs's own line about it goes to debug.
 */
function handlerFailure(
  message: string,
  extra: Record<string, unknown>,
): { method: 'debug' | 'warn' | 'error'; message: string; fields: Record<string, unknown> } | undefined {
  const pick = (...names: string[]) =>
    Object.fromEntries(names.filter((name) => extra[name] !== undefined).map((name) => [name, extra[name]]))
  if (message.startsWith('Crash: ')) return { method: 'debug', message: 'consumer crash', fields: pick('groupId', 'retryCount') }
  if (message.startsWith('Restarting the consumer in'))
    return { method: 'warn', message: 'kafkajs restarts the consumer', fields: pick('groupId', 'retryCount', 'retryTime') }
  if (message === 'Error when calling eachBatch' || message === 'Error when calling eachMessage') {
    const error = extra['error']
    return {
      method: 'error',
      message,
      fields: { ...pick('topic', 'partition', 'offset'), errorClass: error instanceof Error ? error.name : typeof error },
    }
  }
  return undefined
}

export interface CreateKafkaOptions {
  logger: Logger
  /** Overrides for tests or tools: connection timeout, retries. */
  overrides?: Partial<KafkaConfig>
}

/**
 * kafkajs's backoff between attempts (connections, requests, a crashed consumer's restart), capped at
 * 3 s instead of its 30 s: after a broker comes back, a client that had been backing off tries again
 * within 3 s (with the default, a consumer five attempts into an outage waited 10.8 s more and missed
 * the 10 s the fault suite allows). Ten attempts keep the whole budget at about 20 s, as before.
 */
export const KAFKA_RETRY = { initialRetryTime: 300, maxRetryTime: 3000, retries: 10 } as const

export function createKafka(settings: KafkaSettings, options: CreateKafkaOptions): Kafka {
  silenceKafkajsTimerWarning()
  registerZstdCodec()
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(options.logger.child({ component: 'kafkajs' })),
    retry: KAFKA_RETRY,
    ...options.overrides,
  }
  if (settings.sasl !== undefined) {
    // Our three mechanisms are exactly kafkajs's username/password ones.
    config.sasl = { ...settings.sasl } as SASLOptions
  }
  return new Kafka(config)
}

/**
 * A connected idempotent producer that sends in order (one request in flight) and makes no topics:
 * what the stages write their dead letters with, outside any transaction.
 */
export async function orderedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  return producer
}
