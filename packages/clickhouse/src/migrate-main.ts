#!/usr/bin/env node
/**
 * `npm run migrate`: applies the ClickHouse migrations (schemas/clickhouse) to the configured
 * ClickHouse — embedded by default, a server when CLICKHOUSE_URL is set. Safe to run twice.
 */
import { readEnv } from '@trends/core'
import { configOrExit } from '@trends/logger'
import { createClickHouse, describeClickHouse } from './client.ts'
import { clusterOf, readClickHouseSettings } from './config.ts'
import { migrate, MIGRATIONS_DIR } from './migrate.ts'

const HELP = `Usage: npm run migrate

Applies schemas/clickhouse/NNN_*.sql in order and records each in schema_migrations; an applied
migration that was edited since is refused.

Environment: CLICKHOUSE_URL (unset: embedded chDB), CLICKHOUSE_PATH, CLICKHOUSE_USER,
CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CA_CERT, CLICKHOUSE_CLUSTER (a cluster of the
servers' remote_servers: the statements are rendered ON CLUSTER with Replicated engines)
`

const settings = configOrExit('migrate', HELP, () => {
  const env = readEnv()
  const read = readClickHouseSettings(env)
  env.done()
  return read
})
const client = createClickHouse(settings)
try {
  const result = await migrate(client, MIGRATIONS_DIR, { cluster: clusterOf(settings) })
  for (const name of result.applied) process.stdout.write(`applied  ${name}\n`)
  process.stdout.write(
    `${describeClickHouse(settings)}: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied\n`,
  )
} catch (error) {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown }).code
  process.stderr.write(`migrate: ${message}${typeof code === 'string' || typeof code === 'number' ? ` (${code})` : ''}\n`)
  process.exitCode = 1
} finally {
  await client.close()
}
