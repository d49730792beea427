import { readFileSync, mkdirSync } from 'node:fs'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { ClickHouseSettings } from './config.ts'

export type { ClickHouseClient } from '@clickhouse/client'

type NodeConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * One client type for both modes. chDB holds a single engine per process, bound to one data folder;
 * a second embedded client in the same process must use the same path.
 */
export function createClickHouse(settings: ClickHouseSettings): ClickHouseClient {
  if (settings.mode === 'embedded') {
    mkdirSync(settings.path, { recursive: true })
    // chdb types its connection against @clickhouse/client-common, while @clickhouse/client 1.23
    // ships its own copy of those types; they agree at runtime but differ in ClickHouseSettings.
    const connection = createChdbConnection({ path: settings.path }) as unknown as NodeConnection
    return createClient({
      connection,
      database: settings.database,
    })
  }
  return createClient({
    url: settings.url,
    username: settings.username,
    password: settings.password,
    database: settings.database,
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
