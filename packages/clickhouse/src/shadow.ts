import type { ClickHouseClient } from '@clickhouse/client'
import { identifier } from './embedded.ts'

/**
 * The database a shadow replay builds beside the live one: every table and view the migrations make,
 * filled by a consumer group of its own while the live tables keep serving. After a swap it holds
 * the previous live tables, kept for a rollback.
 */
export function shadowDatabase(live: string): string {
  return `${live}_shadow`
}

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>()
}

/** Whether `database` exists. */
export async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const found = await rows<{ n: string }>(client, 'SELECT count() AS n FROM system.databases WHERE name = {database:String}', { database })
  return Number(found[0]?.n ?? 0) > 0
}

/** The migrations applied to `database` (name → checksum); empty when it has none. */
export async function appliedMigrations(client: ClickHouseClient, database: string): Promise<Map<string, string>> {
  const exists = await rows<{ n: string }>(
    client,
    "SELECT count() AS n FROM system.tables WHERE database = {database:String} AND name = 'schema_migrations'",
    { database },
  )
  if (Number(exists[0]?.n ?? 0) === 0) return new Map()
  const applied = await rows<{ name: string; checksum: string }>(
    client,
    `SELECT name, checksum FROM ${identifier(database)}.schema_migrations ORDER BY name`,
  )
  return new Map(applied.map((row) => [row.name, row.checksum]))
}

/**
 * How the schemas of two databases differ: migrations applied to one and not the other, or applied
 * from a different text. Empty when they match (a swap exchanges like for like).
 */
export function schemaDifference(live: ReadonlyMap<string, string>, shadow: ReadonlyMap<string, string>): string[] {
  const problems: string[] = []
  for (const [name, checksum] of live) {
    const other = shadow.get(name)
    if (other === undefined) problems.push(`${name} is applied to the live tables only`)
    else if (other !== checksum) problems.push(`${name} differs between the two`)
  }
  for (const name of shadow.keys()) if (!live.has(name)) problems.push(`${name} is applied to the shadow only`)
  return problems
}

/** Where a shadow replay keeps its state, in the shadow database (never exchanged). */
export const REPLAY_STATE_TABLE = 'replay_state'

/**
 * The tables of `database` that hold rows: every MergeTree-family table but the migrations' record
 * and a replay's state.
 * A swap exchanges these; views, materialized views and Null intakes stay where they are and follow
 * the exchange, since they name their tables.
 */
export async function dataTables(client: ClickHouseClient, database: string): Promise<string[]> {
  const found = await rows<{ name: string }>(
    client,
    `SELECT name FROM system.tables
     WHERE database = {database:String} AND engine LIKE '%MergeTree' AND name NOT IN ('schema_migrations', {state:String}) AND NOT is_temporary
     ORDER BY name`,
    { database, state: REPLAY_STATE_TABLE },
  )
  return found.map((row) => row.name)
}

/**
 * How a swap trades each table between the live and the shadow database. `exchange`: one EXCHANGE
 * TABLES per pair, atomic, so a reader of any one table sees the old rows or the new, never a mix.
 * `rename`: one RENAME TABLE of three moves per pair, for databases whose engine cannot exchange
 * (Ordinary, which servers upgraded from before 20.10 may still have): no rows are lost or mixed,
 * but for the moment it takes a reader may find the table missing.
 */
export type SwapMethod = 'exchange' | 'rename'

/** Database engines that cannot exchange tables; every other engine ClickHouse has for MergeTree tables can. */
const CANNOT_EXCHANGE: ReadonlySet<string> = new Set(['Ordinary'])

/** The method for databases of these engines: RENAME as soon as one of them cannot exchange. */
export function swapMethodFor(engines: readonly string[]): SwapMethod {
  return engines.some((engine) => CANNOT_EXCHANGE.has(engine)) ? 'rename' : 'exchange'
}

/**
 * Trades each of `tables` between `live` and `shadow`, pair by pair, by the method their engines
 * allow (returned, for the caller to say). Nothing may write to either database meanwhile (the
 * caller pauses the sinks first).
 */
export async function exchangeTables(
  client: ClickHouseClient,
  live: string,
  shadow: string,
  tables: readonly string[],
  cluster?: string,
): Promise<SwapMethod> {
  const engines = await rows<{ engine: string }>(client, 'SELECT engine FROM system.databases WHERE name IN ({names:Array(String)})', {
    names: [live, shadow],
  })
  const method = swapMethodFor(engines.map((row) => row.engine))
  for (const table of tables) await client.command({ query: swapStatement(method, live, shadow, table, cluster) })
  return method
}

/** The name a table has between the first and the last move of a RENAME swap. */
export function swappingName(table: string): string {
  return `${table}__swapping`
}

/** One pair's swap; on a cluster (CLICKHOUSE_CLUSTER) on every replica. */
export function swapStatement(method: SwapMethod, live: string, shadow: string, table: string, cluster?: string): string {
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${identifier(cluster)}`
  const at = (database: string, name: string) => `${identifier(database)}.${identifier(name)}`
  if (method === 'exchange') return `EXCHANGE TABLES ${at(live, table)} AND ${at(shadow, table)}${onCluster}`
  const aside = at(live, swappingName(table))
  return `RENAME TABLE ${at(live, table)} TO ${aside}, ${at(shadow, table)} TO ${at(live, table)}, ${aside} TO ${at(shadow, table)}${onCluster}`
}

/** The statements that make and drop the shadow database; on a cluster on every replica. */
export function shadowDatabaseStatement(action: 'create' | 'drop', database: string, cluster?: string): string {
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${identifier(cluster)}`
  return action === 'create'
    ? `CREATE DATABASE IF NOT EXISTS ${identifier(database)}${onCluster}`
    : `DROP DATABASE IF EXISTS ${identifier(database)}${onCluster} SYNC`
}
