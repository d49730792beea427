#!/usr/bin/env node
/**
 * `npm run clickhouse:serve`: the embedded store (CLICKHOUSE_PATH) behind ClickHouse's HTTP
 * interface, for other processes, curl and Grafana. This process then owns the data folder.
 */
import { readEnv } from '@trends/core'
import { configOrExit, createLogger, runService } from '@trends/logger'
import { readServeSettings } from './http-config.ts'
import { startClickHouseHttpServer, type ClickHouseHttpServer } from './http-server.ts'
import { ensurePassword, passwordFile } from './password.ts'

const HELP = `Usage: npm run clickhouse:serve

Serves the embedded ClickHouse store over ClickHouse's HTTP interface, on 127.0.0.1 only by default.
Every request needs a password: with no CLICKHOUSE_HTTP_USERS, the user default and the password
made on the first start in <CLICKHOUSE_PATH>/http-password (mode 0600; trends run and the trends
commands read it themselves).

Environment:
  CLICKHOUSE_PATH (.data/clickhouse), CLICKHOUSE_DATABASE (default; made at start),
  CLICKHOUSE_HTTP_HOST (127.0.0.1), CLICKHOUSE_HTTP_PORT (8123),
  CLICKHOUSE_HTTP_USERS (user:password,...; instead of the generated password; an empty password
    lets requests without credentials in),
  CLICKHOUSE_HTTP_ALLOWED_ORIGINS (exact origins of browser pages allowed to call it; none),
  CLICKHOUSE_HTTP_MAX_BODY (64MiB), CLICKHOUSE_HTTP_MAX_INFLATE_RATIO (100),
  CLICKHOUSE_HTTP_MAX_EXECUTION_TIME (60s), CLICKHOUSE_HTTP_MAX_RESULT (256MiB),
  CLICKHOUSE_HTTP_MAX_CONNECTIONS (64), CLICKHOUSE_HTTP_HEADERS_TIMEOUT (10s),
  CLICKHOUSE_HTTP_REQUEST_TIMEOUT (30s), CLICKHOUSE_HTTP_KEEP_ALIVE_TIMEOUT (10s),
  LOG_LEVEL (info)
`

const config = configOrExit('clickhouse-serve', HELP, () => {
  const env = readEnv()
  const settings = readServeSettings(env)
  const logLevel = env.string('LOG_LEVEL', 'info')
  env.done()
  // Read (or made) before anything starts, so an unsafe password file stops the start with one line.
  const users = settings.users ?? { default: ensurePassword(settings.path) }
  return { ...settings, users, generated: settings.users === undefined, logLevel }
})

const logger = createLogger({ service: 'clickhouse-serve', level: config.logLevel })
let server: ClickHouseHttpServer | undefined
await runService(
  {
    async start() {
      server = await startClickHouseHttpServer({
        path: config.path,
        host: config.host,
        port: config.port,
        users: config.users,
        allowedOrigins: config.allowedOrigins,
        limits: config.limits,
        databases: [config.database],
        logger,
      })
      logger.info(
        {
          url: server.url,
          path: config.path,
          users: Object.keys(config.users),
          ...(config.generated ? { credentialsFile: passwordFile(config.path) } : {}),
        },
        'serving the embedded store over HTTP',
      )
      // An empty password is how a user turns authentication off on purpose; say so on every start.
      const open = Object.keys(config.users).filter((user) => config.users[user] === '')
      if (open.length > 0) logger.warn({ users: open }, 'users without a password: requests without credentials are let in')
    },
    async stop() {
      await server?.close()
    },
  },
  logger,
)
