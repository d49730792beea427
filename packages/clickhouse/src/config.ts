import path from 'node:path'
import type { EnvReader } from '@trends/core'

/**
 * Two modes behind one `@clickhouse/client` API: `embedded` runs chDB in this process with its data
 * in a folder; `server` talks HTTP to a ClickHouse server. CLICKHOUSE_URL switches to server mode.
 */
export type ClickHouseSettings =
  | { mode: 'embedded'; path: string; database: string }
  | {
      mode: 'server'
      url: string
      username: string
      password: string
      database: string
      /** PEM CA certificate for https URLs signed by a private CA. */
      caCertPath?: string
    }

export const DEFAULT_EMBEDDED_PATH = path.resolve(import.meta.dirname, '../../../.data/clickhouse')

/** CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CA_CERT, CLICKHOUSE_PATH. */
export function readClickHouseSettings(env: EnvReader): ClickHouseSettings {
  const url = env.optionalUrl('CLICKHOUSE_URL')
  const database = env.string('CLICKHOUSE_DATABASE', 'default')
  if (url === undefined) {
    return { mode: 'embedded', path: path.resolve(env.string('CLICKHOUSE_PATH', DEFAULT_EMBEDDED_PATH)), database }
  }
  const settings: ClickHouseSettings = {
    mode: 'server',
    url,
    username: env.string('CLICKHOUSE_USER', 'default'),
    password: env.string('CLICKHOUSE_PASSWORD', ''),
    database,
  }
  const caCertPath = env.optionalString('CLICKHOUSE_CA_CERT')
  if (caCertPath !== undefined) settings.caCertPath = caCertPath
  return settings
}
