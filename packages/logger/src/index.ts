import { pino, type Logger, type LoggerOptions } from 'pino'

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
}

/** JSON logs on stdout with ISO times, a service name and the redact list above. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: LoggerOptions = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  }
  return options.destination === undefined ? pino(config) : pino(config, options.destination as pino.DestinationStream)
}
export { runService, configOrExit, type Service } from './service.ts'
