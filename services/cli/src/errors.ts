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
