export { readClickHouseSettings, DEFAULT_EMBEDDED_PATH } from './config.ts'
export type { ClickHouseSettings } from './config.ts'
export { createClickHouse, describeClickHouse } from './client.ts'
export type { ClickHouseClient } from './client.ts'
