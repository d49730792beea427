import { pino, type Bindings, type ChildLoggerOptions, type Logger, type LoggerOptions } from 'pino'
import pretty from 'pino-pretty'
import { redactFields, scrubText, serializeError } from './redact.ts'

export type { Logger } from 'pino'
export { CENSOR, isSecretKey, redact, scrubText } from './redact.ts'

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

/** Logs on stdout with ISO times, a service name and secrets redacted (./redact.ts): JSON, or pretty on a terminal. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: LoggerOptions = {
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every line's fields, the bindings (children's too, below), every error and the message pass through the
    // redactor, so a secret is caught by its key or its shape at any depth, not by a path list.
    formatters: { level: (label) => ({ level: label }), bindings: redactFields, log: redactFields },
    serializers: { err: serializeError, msg: (msg: unknown) => (typeof msg === 'string' ? scrubText(msg) : msg) },
  }
  if (options.destination !== undefined) return redactingChildren(pino(config, options.destination as pino.DestinationStream))
  if (prettyLogs(options.format ?? process.env['LOG_FORMAT'], process.stdout.isTTY)) {
    const stream = pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true })
    return redactingChildren(pino(config, stream))
  }
  return redactingChildren(pino(config))
}

/**
 * pino applies `formatters.bindings` to the root's bindings only; a child's go out as given. Every
 * child is made from this root (through the prototype chain), so redacting here covers them all.
 */
type ChildMethod = (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) => Logger

function redactingChildren(logger: Logger): Logger {
  const child = (logger as unknown as { child: ChildMethod }).child
  const redacting: ChildMethod = function (bindings, options) {
    return child.call(this, redactFields(bindings), options)
  }
  Object.defineProperty(logger, 'child', { value: redacting, writable: true, configurable: true })
  return logger
}
export { runService, configOrExit, type Service } from './service.ts'
