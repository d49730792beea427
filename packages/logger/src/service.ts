import type { Logger } from 'pino'
import { scrubText } from './redact.ts'

export interface Service {
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * Runs a service from a main file: starts it, and on the first SIGINT/SIGTERM stops it gracefully
 * (the service's own stop order: stop intake, drain, disconnect); a second signal, or
 * `forceAfterMs`, exits at once. A failed start is logged (on stderr too when the log level hides
 * errors) and exits 1 after a stop.
 */
export async function runService(service: Service, logger: Logger, forceAfterMs = 15_000): Promise<void> {
  let signalled = false
  const shutdown = (signal: string) => {
    if (signalled) process.exit(130)
    signalled = true
    logger.info({ signal }, 'stopping')
    setTimeout(() => process.exit(1), forceAfterMs).unref()
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  try {
    await service.start()
  } catch (error) {
    logger.error({ err: error, code: (error as { code?: unknown }).code }, 'start failed')
    // Also on stderr, whatever LOG_LEVEL says: a process that exits at start must say why.
    if (!logger.isLevelEnabled('error')) {
      const code = (error as { code?: unknown }).code
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      process.stderr.write(`start failed${typeof code === 'string' ? ` (${code})` : ''}: ${scrubText(reason).split('\n')[0]}\n`)
    }
    await service.stop().catch(() => undefined)
    process.exit(1)
  }
}

/**
 * The start of a service's main: prints `help` for --help / -h and exits 0; loads the configuration
 * and, when it is wrong, prints every problem on one line prefixed with the service's name and
 * exits 2 (no stack trace: a setting is for a person to fix).
 */
export function configOrExit<C>(name: string, help: string, load: () => C): C {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(help)
    process.exit(0)
  }
  try {
    return load()
  } catch (error) {
    // A value echoed in a settings problem can be a URL with credentials in it.
    process.stderr.write(`${name}: ${scrubText(error instanceof Error ? error.message : String(error))}\n`)
    process.exit(2)
  }
}
