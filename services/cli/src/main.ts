#!/usr/bin/env node
/**
 * `trends`: the pipeline's command line (npm start runs `trends run`). Errors are one line and a
 * meaningful exit code (0 done, 1 failed, 2 wrong use); --verbose adds the stack trace.
 */
import { scrubText } from '@trends/logger'
import { DELEGATES, delegate } from './commands/delegate.ts'
import { DLQ_HELP, dlq } from './commands/dlq.ts'
import { FETCH_HELP, fetchCommand } from './commands/fetch.ts'
import { INDUSTRIES_HELP, industries } from './commands/industries.ts'
import { REPORT_HELP, report } from './commands/report.ts'
import { QUERY_HELP, TOP_HELP, query, top } from './commands/query.ts'
import { RUN_HELP, run } from './commands/run.ts'
import { SIGNALS_HELP, signals } from './commands/signals.ts'
import { CliError, EXIT, failureOf } from './errors.ts'

const HELP = `Usage: trends <command> [options]      (npx trends …, or npm start for trends run)

Commands:
  run       the whole pipeline: stack, ClickHouse, producer, normalizer, sink, signals; status and top trends
  top       the top items of a chart, with rank change
  query     SQL against the configured ClickHouse, as a table, JSON or CSV
  fetch     one page of one Creative Center endpoint, once, as the producer's client sees it
  industries  the Creative Center's industry list, beside the ids and names this release knows
  dlq       the dead letters: list them, or redrive them to where they came from
  report    an HTML trend report (and a PNG of it): trajectories, new entries, movers, coverage
  signals   chart changes between snapshots (entries, exits, jumps, new number 1s, breakouts)
${Object.entries(DELEGATES)
  .map(([name, { help }]) => `  ${name.padEnd(9)} ${help}`)
  .join('\n')}

trends <command> --help shows a command's options. Settings come from the environment (.env.example).
Options for every command: --verbose (stack traces on errors).
`

const COMMANDS: Readonly<Record<string, { help: string; run: (args: string[]) => Promise<void> }>> = {
  run: { help: RUN_HELP, run },
  top: { help: TOP_HELP, run: top },
  query: { help: QUERY_HELP, run: query },
  fetch: { help: FETCH_HELP, run: fetchCommand },
  industries: { help: INDUSTRIES_HELP, run: industries },
  dlq: { help: DLQ_HELP, run: dlq },
  report: { help: REPORT_HELP, run: report },
  signals: { help: SIGNALS_HELP, run: (args) => signals(args) },
}

const argv = process.argv.slice(2)
const verbose = argv.includes('--verbose')
const [name, ...args] = argv.filter((arg) => arg !== '--verbose')

function fail(error: unknown): never {
  const { message, exitCode } = failureOf(error)
  // Settings and server errors can carry a URL with credentials in it; the terminal gets it without them.
  process.stderr.write(`trends${name === undefined ? '' : ` ${name}`}: ${scrubText(message)}\n`)
  if (verbose && error instanceof Error && error.stack !== undefined) process.stderr.write(`${scrubText(error.stack)}\n`)
  process.exit(exitCode)
}

if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(HELP)
  process.exit(name === undefined ? EXIT.usage : EXIT.ok)
}
if (DELEGATES[name] !== undefined) {
  process.exit(await delegate(name, args))
}
const command = COMMANDS[name]
if (command === undefined) fail(new CliError(`no command "${name}"; see trends --help`, EXIT.usage))
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(command.help)
  process.exit(EXIT.ok)
}
try {
  await command.run(args)
  process.exit(EXIT.ok)
} catch (error) {
  fail(error)
}
