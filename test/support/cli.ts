import path from 'node:path'
import { startClickHouseHttpServer } from '@trends/clickhouse'
import { defer, EMBEDDED_TEST_PATH, freePort, useEmbeddedClickHouse, type Cleanup } from '@trends/testing'
import { runCommand } from './processes.ts'

const CLI = path.resolve(import.meta.dirname, '../../services/cli/src/main.ts')

/** Runs `trends <args>` as a person would, to its end. */
export const trends = (args: string[], env: Record<string, string> = {}) => runCommand(CLI, args, env)

/**
 * This process's embedded store, served over HTTP as `trends run` serves it, on a port of its own;
 * a command finds its generated password through CLICKHOUSE_PATH (the folder).
 */
export async function served(t: Cleanup): Promise<{ port: string; path: string }> {
  const port = await freePort()
  // The server opens the engine first (it takes its configuration from the first session), then
  // this process's own client, which also removes the folder when the process exits.
  const server = await startClickHouseHttpServer({ path: EMBEDDED_TEST_PATH, port })
  defer(t, () => server.close())
  useEmbeddedClickHouse(t)
  return { port: String(port), path: EMBEDDED_TEST_PATH }
}
