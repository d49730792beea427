import { rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import { createClickHouse, type ClickHouseClient, type ClickHouseSettings } from '@trends/clickhouse'
import { defer, testLogger, type Cleanup } from './context.ts'

/**
 * chDB binds one data folder per process, and node --test runs each test file in its own process,
 * so every file gets one folder under the OS temp dir; tests inside it use fresh tables.
 */
export const EMBEDDED_TEST_PATH = path.join(os.tmpdir(), `trends-chdb-test-${process.pid}`)

export interface TestClickHouse {
  client: ClickHouseClient
  /** A table name no other test uses; dropped after the test, before the client closes. */
  table: (label: string) => string
}

export function useClickHouse(t: Cleanup, settings: ClickHouseSettings): TestClickHouse {
  const client = createClickHouse(settings, testLogger('clickhouse'))
  const tables: string[] = []
  defer(t, async () => {
    try {
      for (const table of tables) await client.command({ query: `DROP TABLE IF EXISTS ${table}` })
    } finally {
      await client.close()
    }
  })
  return {
    client,
    table: (label) => {
      const table = `test_${label}_${randomSuffix()}`
      tables.push(table)
      return table
    },
  }
}

let removeOnExit = false

export function useEmbeddedClickHouse(t: Cleanup): TestClickHouse {
  if (!removeOnExit) {
    removeOnExit = true
    process.once('exit', () => rmSync(EMBEDDED_TEST_PATH, { recursive: true, force: true }))
  }
  return useClickHouse(t, { mode: 'embedded', path: EMBEDDED_TEST_PATH, database: 'default' })
}

/** A fresh database in this process's embedded store (dropped after the test), and a client bound to it. */
export async function useFreshDatabase(t: Cleanup, label: string): Promise<{ client: ClickHouseClient; database: string }> {
  const admin = useEmbeddedClickHouse(t)
  const database = `test_${label}_${randomSuffix()}`
  await admin.client.command({ query: `CREATE DATABASE ${database}` })
  defer(t, () => admin.client.command({ query: `DROP DATABASE IF EXISTS ${database}` }))
  return { client: useClickHouse(t, { mode: 'embedded', path: EMBEDDED_TEST_PATH, database }).client, database }
}
