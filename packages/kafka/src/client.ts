import { Kafka, logLevel, type KafkaConfig, type logCreator, type SASLOptions } from 'kafkajs'
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

/** Bridges kafkajs's own log lines into pino, one child per kafkajs namespace. */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log
      const method = LEVELS[level] ?? 'info'
      logger[method]({ kafkajs: namespace, ...extra }, message)
    }
}

export interface CreateKafkaOptions {
  logger: Logger
  /** Overrides for tests or tools: connection timeout, retries. */
  overrides?: Partial<KafkaConfig>
}

export function createKafka(settings: KafkaSettings, options: CreateKafkaOptions): Kafka {
  silenceKafkajsTimerWarning()
  registerZstdCodec()
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(options.logger.child({ component: 'kafkajs' })),
    ...options.overrides,
  }
  if (settings.sasl !== undefined) {
    // Our three mechanisms are exactly kafkajs's username/password ones.
    config.sasl = { ...settings.sasl } as SASLOptions
  }
  return new Kafka(config)
}
