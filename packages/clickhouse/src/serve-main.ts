#!/usr/bin/env node
/**
 * `npm run clickhouse:serve`: the embedded store (CLICKHOUSE_PATH) behind ClickHouse's HTTP
 * interface, for other processes, curl and Grafana. This process then owns the data folder.
 */
import { readEnv } from '@trends/core'
import { configOrExit, createLogger, runService } from '@trends/logger'
import { DEFAULT_EMBEDDED_PATH } from './config.ts'
import { startClickHouseHttpServer, type ClickHouseHttpServer } from './http-server.ts'

const HELP = `Usage: npm run clickhouse:serve

Serves the embedded ClickHouse store over ClickHouse's HTTP interface.

Environment:
  CLICKHOUSE_PATH (.data/clickhouse), CLICKHOUSE_HTTP_HOST (127.0.0.1), CLICKHOUSE_HTTP_PORT (8123),
  CLICKHOUSE_HTTP_USERS (user:password,...; default "default:" — the user default without a password),
  LOG_LEVEL (info)
`

const config = configOrExit('clickhouse-serve', HELP, () => {
  const env = readEnv()
  const users: Record<string, string> = {}
  for (const entry of env.list('CLICKHOUSE_HTTP_USERS', ['default:'])) {
    const colon = entry.indexOf(':')
    if (colon <= 0) env.problem(`CLICKHOUSE_HTTP_USERS: user:password pairs separated by commas (got an entry without a user name)`)
    else users[entry.slice(0, colon)] = entry.slice(colon + 1)
  }
  const read = {
    path: env.string('CLICKHOUSE_PATH', DEFAULT_EMBEDDED_PATH),
    host: env.string('CLICKHOUSE_HTTP_HOST', '127.0.0.1'),
    port: env.port('CLICKHOUSE_HTTP_PORT', 8123),
    users,
    logLevel: env.string('LOG_LEVEL', 'info'),
  }
  env.done()
  return read
})

const logger = createLogger({ service: 'clickhouse-serve', level: config.logLevel })
let server: ClickHouseHttpServer | undefined
await runService(
  {
    async start() {
      server = await startClickHouseHttpServer({ path: config.path, host: config.host, port: config.port, users: config.users, logger })
      logger.info({ url: server.url, path: config.path }, 'serving the embedded store over HTTP')
    },
    async stop() {
      await server?.close()
    },
  },
  logger,
)
