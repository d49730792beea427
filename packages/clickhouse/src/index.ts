export { readClickHouseSettings, readClickHouseCluster, clusterOf, DEFAULT_EMBEDDED_PATH } from './config.ts'
export type { ClickHouseSettings } from './config.ts'
export { createClickHouse, describeClickHouse, clickhouseCheck } from './client.ts'
export type { ClickHouseClient } from './client.ts'
export { migrate, statementsOf, MIGRATIONS_DIR } from './migrate.ts'
export type { MigrationResult, MigrateOptions } from './migrate.ts'
export { renderForCluster, DISTRIBUTED_TABLES, distributedName } from './cluster.ts'
export { startClickHouseHttpServer, type ClickHouseHttpServer, type ClickHouseHttpOptions } from './http-server.ts'
export { readServeSettings, DEFAULT_HTTP_LIMITS, type ClickHouseServeSettings, type HttpLimits } from './http-config.ts'
export { checkSettings, settingViolation, enforcedSettings, PROTECTED_SETTINGS, type StatementLimits } from './limits.ts'
export { ClickHouseRefusal } from './refusal.ts'
export { ensurePassword, readPassword, passwordFile, PasswordFileError, PASSWORD_FILE_NAME } from './password.ts'
export { openSandbox, sandboxDir, SandboxNotActiveError } from './sandbox.ts'
export {
  shadowDatabase,
  databaseExists,
  appliedMigrations,
  schemaDifference,
  dataTables,
  exchangeTables,
  swapStatement,
  swapMethodFor,
  swappingName,
  type SwapMethod,
  shadowDatabaseStatement,
  REPLAY_STATE_TABLE,
} from './shadow.ts'
export { identifier } from './embedded.ts'
