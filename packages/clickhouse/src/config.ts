import path from 'node:path'
import type { EnvReader } from '@trends/core'
import { CLUSTER_NAME } from './cluster.ts'

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
      /** The cluster the migrations are rendered for (ON CLUSTER, Replicated engines); unset: one node. */
      cluster?: string
    }

export const DEFAULT_EMBEDDED_PATH = path.resolve(import.meta.dirname, '../../../.data/clickhouse')

/**
 * CLICKHOUSE_CLUSTER: a cluster of the servers' remote_servers, or empty for one node (the default).
 * Only for a server (`server`: CLICKHOUSE_URL is set); the embedded store is one node. A bad value
 * is recorded as a problem with the others.
 */
export function readClickHouseCluster(env: EnvReader, server: boolean): string | undefined {
  const cluster = env.optionalString('CLICKHOUSE_CLUSTER')
  if (cluster === undefined) return undefined
  if (!CLUSTER_NAME.test(cluster)) {
    env.problem(
      `CLICKHOUSE_CLUSTER: a cluster name of the servers' remote_servers (letters, digits and _, not starting with a digit), or empty for one node (got ${JSON.stringify(cluster)})`,
    )
    return undefined
  }
  if (!server) {
    env.problem('CLICKHOUSE_CLUSTER: set CLICKHOUSE_URL too (the embedded store is one node), or leave CLICKHOUSE_CLUSTER empty')
    return undefined
  }
  return cluster
}

/** The cluster the settings name, if any. */
export const clusterOf = (settings: ClickHouseSettings): string | undefined => (settings.mode === 'server' ? settings.cluster : undefined)

/**
 * CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CA_CERT,
 * CLICKHOUSE_CLUSTER, CLICKHOUSE_PATH.
 */
export function readClickHouseSettings(env: EnvReader): ClickHouseSettings {
  const url = env.optionalUrl('CLICKHOUSE_URL')
  const database = env.string('CLICKHOUSE_DATABASE', 'default')
  const cluster = readClickHouseCluster(env, url !== undefined)
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
  if (cluster !== undefined) settings.cluster = cluster
  return settings
}
