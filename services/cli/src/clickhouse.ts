import { readEnv } from '@trends/core'
import { createClickHouse, readClickHouseSettings, readPassword, type ClickHouseClient, type ClickHouseSettings } from '@trends/clickhouse'
import { createLogger } from '@trends/logger'
import { CliError, usage } from './errors.ts'

/** The client's own log lines stay out of a person's terminal; errors reach them as one line. */
export const quiet = createLogger({ service: 'trends', level: 'silent' })

/**
 * The ClickHouse a command talks to: CLICKHOUSE_URL when set; else the embedded store — over HTTP
 * when a process already serves it (`trends run` does, on CLICKHOUSE_HTTP_PORT, 8123), since chDB
 * lets only one process open the folder, with the password the server made in the store's folder
 * (or CLICKHOUSE_USER/CLICKHOUSE_PASSWORD when set, for a server given CLICKHOUSE_HTTP_USERS); else
 * opened here.
 */
export async function resolveClickHouse(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ client: ClickHouseClient; settings: ClickHouseSettings }> {
  const read = readEnv(env)
  let settings = readClickHouseSettings(read)
  const port = read.port('CLICKHOUSE_HTTP_PORT', 8123)
  const username = read.string('CLICKHOUSE_USER', 'default')
  const givenPassword = read.optionalString('CLICKHOUSE_PASSWORD')
  try {
    read.done()
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error))
  }
  if (settings.mode === 'embedded') {
    const url = `http://127.0.0.1:${port}`
    const served = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) }).then(
      (response) => response.ok,
      () => false,
    )
    if (served) {
      let credentials = { username, password: givenPassword ?? '' }
      if (givenPassword === undefined) {
        try {
          credentials = { username: 'default', password: readPassword(settings.path) ?? '' }
        } catch (error) {
          throw new CliError(`the embedded store served on ${url}: ${(error as Error).message}`)
        }
      }
      settings = { mode: 'server', url, ...credentials, database: settings.database }
    }
  }
  return { client: createClickHouse(settings, quiet), settings }
}

/** ClickHouse's own message for a statement it refused, as one line with its error name. */
export function clickhouseMessage(error: unknown): string {
  const fields = error as { type?: unknown; code?: unknown }
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''
  return typeof fields.type === 'string' && fields.type !== '' ? `${message} (${fields.type})` : message
}
