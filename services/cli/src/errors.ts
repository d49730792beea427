import { isTrendsError } from '@trends/core'

/** Exit codes: 0 done, 1 the work failed, 2 the command was used wrongly (flags, settings). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** A failure to show as one line (no stack trace unless --verbose), with its exit code. */
export class CliError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode: number = EXIT.failed) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

export const usage = (message: string) => new CliError(message, EXIT.usage)

/**
 * The one line and the exit code a failed command ends with: a CliError as it says; a settings
 * error is wrong use (2) and other project errors fail (1), both with their code; node's own
 * argument-parsing errors are wrong use; anything else fails with its message.
 */
export function failureOf(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode }
  if (isTrendsError(error))
    return { message: `${error.message} (${error.code})`, exitCode: error.code === 'CONFIG_INVALID' ? EXIT.usage : EXIT.failed }
  const code = (error as { code?: unknown } | null)?.code
  const parseError = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
  return { message: error instanceof Error ? error.message : String(error), exitCode: parseError ? EXIT.usage : EXIT.failed }
}
