import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import { TrendsError } from '@trends/core'
import { renderForCluster } from './cluster.ts'

/** The repository's ClickHouse migrations: `schemas/clickhouse/NNN_name.sql`, applied in order. */
export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../../schemas/clickhouse')

export interface MigrateOptions {
  /**
   * A cluster of the servers' remote_servers (CLICKHOUSE_CLUSTER): every statement is rendered for
   * it (cluster.ts), schema_migrations included. Unset or empty: one node, the files as written.
   */
  cluster?: string | undefined
}

export interface MigrationResult {
  applied: string[]
  alreadyApplied: string[]
}

/** Statements of a migration file: `--` comments dropped, split at a `;` that ends a line. */
export function statementsOf(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '')
}

/**
 * Applies the migrations not applied yet, in file-name order, and records each in
 * `schema_migrations` with a checksum. Safe to run twice. An applied migration whose file changed
 * since is refused (MIGRATION_CHANGED): add a new migration instead of editing an applied one.
 * With a cluster, a migration with a statement that cannot be rendered for it is refused
 * (CLUSTER_UNSUPPORTED_STATEMENT) before any of its statements runs.
 */
export async function migrate(client: ClickHouseClient, dir = MIGRATIONS_DIR, options: MigrateOptions = {}): Promise<MigrationResult> {
  const { cluster } = options
  for (const query of renderForCluster(
    `CREATE TABLE IF NOT EXISTS schema_migrations (name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = MergeTree ORDER BY name`,
    cluster,
  ))
    await client.command({ query })
  const rows = await (
    await client.query({ query: 'SELECT name, checksum FROM schema_migrations', format: 'JSONEachRow' })
  ).json<{ name: string; checksum: string }>()
  const applied = new Map(rows.map((row) => [row.name, row.checksum]))
  const files = readdirSync(dir)
    .filter((name) => /^\d{3}_[\w-]+\.sql$/.test(name))
    .sort()
  const result: MigrationResult = { applied: [], alreadyApplied: [] }
  for (const file of files) {
    const sql = readFileSync(path.join(dir, file), 'utf8')
    const checksum = createHash('sha256').update(sql).digest('hex')
    const recorded = applied.get(file)
    if (recorded !== undefined) {
      if (recorded !== checksum) {
        throw new TrendsError(
          'MIGRATION_CHANGED',
          `migration ${file} was applied and has changed since; add a new migration instead of editing it`,
        )
      }
      result.alreadyApplied.push(file)
      continue
    }
    let statements: string[]
    try {
      statements = statementsOf(sql).flatMap((statement) => renderForCluster(statement, cluster))
    } catch (cause) {
      if (!(cause instanceof TrendsError)) throw cause
      throw new TrendsError(cause.code, `migration ${file}: ${cause.message}`, { cause })
    }
    for (const statement of statements) {
      try {
        await client.command({ query: statement })
      } catch (cause) {
        throw new TrendsError(
          'MIGRATION_FAILED',
          `migration ${file} failed: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
          { cause },
        )
      }
    }
    await client.insert({ table: 'schema_migrations', values: [{ name: file, checksum }], format: 'JSONEachRow' })
    result.applied.push(file)
  }
  return result
}
