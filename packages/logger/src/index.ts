import { pino, type Logger, type LoggerOptions } from 'pino'
import pretty from 'pino-pretty'

export type { Logger } from 'pino'

/** Paths pino blanks out wherever they appear, so secrets never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'cookie',
  '*.cookie',
  'cookies',
  '*.cookies',
  'authorization',
  '*.authorization',
  'headers.cookie',
  'headers.authorization',
  '*.headers.cookie',
  '*.headers.authorization',
  'sasl',
  '*.sasl',
] as const

export interface CreateLoggerOptions {
  service: string
  level?: string
  /** Where lines go; stdout unless a test passes its own stream. */
  destination?: NodeJS.WritableStream
  /**
   * `json` (one JSON object per line), `pretty` (pino-pretty, for people), or `auto` (the default,
   * from LOG_FORMAT): pretty only when stdout is a terminal, JSON whenever it is piped or collected.
   */
  format?: 'json' | 'pretty' | 'auto'
}

/** Whether lines go out pretty: asked for, or `auto` and stdout is a terminal. */
export function prettyLogs(format: string | undefined, isTty: boolean | undefined): boolean {
  return format === 'pretty' || ((format === undefined || format === 'auto') && isTty === true)
}

/** Logs on stdout with ISO times, a service name and the redact list above: JSON, or pretty on a terminal. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: LoggerOptions = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  }
  if (options.destination !== undefined) return pino(config, options.destination as pino.DestinationStream)
  if (prettyLogs(options.format ?? process.env['LOG_FORMAT'], process.stdout.isTTY)) {
    return pino(config, pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }))
  }
  return pino(config)
}
export { runService, configOrExit, type Service } from './service.ts'
