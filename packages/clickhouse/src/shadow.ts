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
 * Exchanges each of `tables` between `live` and `shadow`: one EXCHANGE TABLES per pair, each atomic,
 * so a reader of any one table sees the old rows or the new, never a mix. Nothing may write to
 * either database meanwhile (the caller pauses the sinks first).
 */
export async function exchangeTables(
  client: ClickHouseClient,
  live: string,
  shadow: string,
  tables: readonly string[],
  cluster?: string,
): Promise<void> {
  for (const table of tables) await client.command({ query: exchangeStatement(live, shadow, table, cluster) })
}

/** One pair's exchange; on a cluster (CLICKHOUSE_CLUSTER) on every replica. */
export function exchangeStatement(live: string, shadow: string, table: string, cluster?: string): string {
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${identifier(cluster)}`
  return `EXCHANGE TABLES ${identifier(live)}.${identifier(table)} AND ${identifier(shadow)}.${identifier(table)}${onCluster}`
}

/** The statements that make and drop the shadow database; on a cluster on every replica. */
export function shadowDatabaseStatement(action: 'create' | 'drop', database: string, cluster?: string): string {
  const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${identifier(cluster)}`
  return action === 'create'
    ? `CREATE DATABASE IF NOT EXISTS ${identifier(database)}${onCluster}`
    : `DROP DATABASE IF EXISTS ${identifier(database)}${onCluster} SYNC`
}
