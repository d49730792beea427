#!/usr/bin/env node
/**
 * The local stack command: `up | down | status | logs | reset`. Its output is for people, so it
 * prints plain lines; kafkajs's diagnostics go through pino to stderr at `warn`.
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { isTrendsError } from '@trends/core'
import { createLogger } from '@trends/logger'
import { createStack } from './app.ts'
import { loadStackConfig, PROJECT_ROOT } from './config.ts'

const HELP = `Usage: npm run stack -- <command> [options]

Runs the project's local stack from packages, without Docker:
  Apache Kafka (one KRaft node)   127.0.0.1:9092, controller 127.0.0.1:9093
  Apicurio Registry (Confluent API) http://127.0.0.1:8081/apis/ccompat/v7
  ClickHouse                       embedded chDB in each service process (or CLICKHOUSE_URL)

Commands:
  up               start what is not running; returns when Kafka and the registry are ready
  down             stop the registry and Kafka (SIGTERM, then SIGKILL after 30 s)
  status           say what runs where (exit 0 when everything is ready, 3 otherwise)
  logs [name...]   print the last lines of the kafka/registry logs (-n N, -f to follow)
  reset --yes      delete the stack's data folder (only while it is stopped)

Settings (environment): STACK_KAFKA_PORT, STACK_KAFKA_CONTROLLER_PORT, STACK_REGISTRY_PORT,
STACK_REGISTRY_MANAGEMENT_PORT, STACK_DATA_DIR, STACK_CACHE_DIR, STACK_KAFKA_VERSION,
STACK_REGISTRY_VERSION, KAFKA_JAVA_HOME, REGISTRY_JAVA_HOME, MAVEN, STACK_START_TIMEOUT (2m).
`

function relative(file: string | undefined): string {
  if (file === undefined) return ''
  const rel = path.relative(PROJECT_ROOT, file)
  return rel.startsWith('..') ? file : rel
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      follow: { type: 'boolean', short: 'f' },
      lines: { type: 'string', short: 'n', default: '100' },
      yes: { type: 'boolean' },
    },
  })
  const [command, ...rest] = positionals
  if (values.help === true || command === undefined || command === 'help') {
    process.stdout.write(HELP)
    return command === undefined && values.help !== true ? 2 : 0
  }
  const config = loadStackConfig()
  const logger = createLogger({ service: 'stack', level: process.env['LOG_LEVEL'] ?? 'warn', destination: process.stderr })
  const stack = createStack({ config, logger, progress: (line) => process.stderr.write(`stack: ${line}\n`) })

  switch (command) {
    case 'up': {
      for (const result of await stack.up()) {
        process.stdout.write(
          `${result.name.padEnd(9)} ${result.outcome.padEnd(16)} pid ${String(result.pid).padEnd(8)} ${result.address}\n`,
        )
      }
      return 0
    }
    case 'down': {
      for (const result of await stack.down()) process.stdout.write(`${result.name.padEnd(9)} ${result.outcome}\n`)
      return 0
    }
    case 'status': {
      const rows = await stack.status()
      for (const row of rows) {
        const pid = row.pid === undefined ? '-' : String(row.pid)
        process.stdout.write(
          `${row.name.padEnd(11)} ${row.state.padEnd(11)} pid ${pid.padEnd(8)} ${row.address}` +
            `${row.data === undefined ? '' : `  data ${relative(row.data)}`}${row.log === undefined ? '' : `  log ${relative(row.log)}`}\n`,
        )
      }
      return rows.every((row) => row.state === 'ready' || row.state === 'embedded') ? 0 : 3
    }
    case 'logs': {
      const lines = Number(values.lines)
      await stack.logs(rest, Number.isInteger(lines) && lines > 0 ? lines : 100, values.follow === true)
      return 0
    }
    case 'reset': {
      if (values.yes !== true) {
        process.stderr.write(`stack: reset deletes ${config.dataDir}; run it again with --yes to confirm\n`)
        return 2
      }
      stack.reset()
      process.stdout.write(`deleted ${config.dataDir}\n`)
      return 0
    }
    default:
      process.stderr.write(`stack: unknown command "${command}"; try --help\n`)
      return 2
  }
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  // One clear line for the person at the terminal; the code says which kind of failure it was.
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`stack: ${isTrendsError(error) ? `${error.code}: ` : ''}${message}\n`)
  process.exitCode = 1
}
