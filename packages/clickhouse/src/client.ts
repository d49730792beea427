import { readFileSync, mkdirSync } from 'node:fs'
import { createClient, type ClickHouseClient, type Logger as ClientLogger, type LogParams, type ErrorLogParams } from '@clickhouse/client'
import type { Logger } from '@trends/logger'
import { createEmbeddedConnection } from './embedded.ts'
import type { ClickHouseSettings } from './config.ts'

export type { ClickHouseClient } from '@clickhouse/client'

type NodeConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * One client type for both modes. chDB holds a single engine per process, bound to one data folder;
 * a second embedded client in the same process must use the same path.
 */
export function createClickHouse(settings: ClickHouseSettings, logger?: Logger): ClickHouseClient {
  const log = logger === undefined ? {} : { log: { LoggerClass: pinoBridge(logger.child({ component: 'clickhouse-client' })) } }
  if (settings.mode === 'embedded') {
    mkdirSync(settings.path, { recursive: true })
    // chdb types its connection against @clickhouse/client-common, while @clickhouse/client
    // ships its own copy of those types; they agree at runtime but differ in ClickHouseSettings.
    const connection = createEmbeddedConnection(settings.path, settings.database) as unknown as NodeConnection
    return createClient({
      connection,
      database: settings.database,
      // A server quotes 64-bit integers in JSON output by default and chDB does not; quoting them in
      // both modes keeps result types the same (and keeps ids above 2^53 exact).
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
      ...log,
    })
  }
  return createClient({
    url: settings.url,
    username: settings.username,
    password: settings.password,
    database: settings.database,
    ...log,
    ...(settings.caCertPath === undefined ? {} : { tls: { ca_cert: readFileSync(settings.caCertPath) } }),
  })
}

/** A description for status lines and logs; never includes the password. */
export function describeClickHouse(settings: ClickHouseSettings): string {
  if (settings.mode === 'embedded') return `embedded chDB at ${settings.path}`
  const url = new URL(settings.url)
  url.password = ''
  url.username = ''
  return `ClickHouse server at ${url.toString()} as ${settings.username}`
}

/**
 * Routes the client's own log lines into pino. The error's message is left out on purpose: ClickHouse
 * quotes the offending input in its error text, and records must not reach logs.
 */
function pinoBridge(logger: Logger): new () => ClientLogger {
  const fields = ({ module, args }: LogParams) => ({ module, ...args })
  const errorFields = (err: Error | undefined) =>
    err === undefined ? {} : { err: { name: err.name, code: (err as { code?: unknown }).code, type: (err as { type?: unknown }).type } }
  return class PinoBridge implements ClientLogger {
    trace(params: LogParams) {
      logger.trace(fields(params), params.message)
    }
    debug(params: LogParams) {
      logger.debug(fields(params), params.message)
    }
    info(params: LogParams) {
      logger.info(fields(params), params.message)
    }
    warn(params: LogParams & { err?: Error }) {
      logger.warn({ ...fields(params), ...errorFields(params.err) }, params.message)
    }
    error(params: ErrorLogParams) {
      logger.error({ ...fields(params), ...errorFields(params.err) }, params.message)
    }
  }
}

/** Readiness: ClickHouse answers a ping (embedded: the engine runs a query). */
export async function clickhouseCheck(client: ClickHouseClient): Promise<void> {
  const result = await client.ping()
  if (!result.success) throw result.error
}
