import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClickHouse, readPassword } from '@trends/clickhouse'
import { defer, freePort, type Cleanup } from '@trends/testing'

const SERVE = path.resolve(import.meta.dirname, '../../packages/clickhouse/src/serve-main.ts')

/** The run's store served over HTTP by a process of its own, the way `trends run` serves it. */
export interface ServedStore {
  url: string
  /** CLICKHOUSE_URL, CLICKHOUSE_USER and CLICKHOUSE_PASSWORD, as `trends run` hands them to its services. */
  env: Record<string, string>
  /** Rows of one statement, through the served store with the services' credentials. */
  query: <T = Record<string, string>>(sql: string) => Promise<T[]>
  /** Runs a statement that returns nothing (an ALTER), the same way. */
  command: (sql: string) => Promise<void>
  /** Signals the serving process and waits for its exit; the port and the folder stay the run's. */
  stop: (signal: NodeJS.Signals) => Promise<void>
  /** Serves the same folder on the same port again; returns once it answers /ping. */
  start: () => Promise<void>
  /** The serving process's pid while it runs. */
  pid: () => number | undefined
}

async function answers(url: string): Promise<boolean> {
  return fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) }).then(
    (response) => response.ok,
    () => false,
  )
}

/**
 * Serves `folder` with the serve code `trends run` uses (packages/clickhouse/src/serve-main.ts) on a
 * free loopback port, with the password it generates in the folder; each start's log goes to
 * `logDir`. A serving process that exits while not stopped on purpose calls `onExit`. Stopped after
 * the test.
 */
export async function serveStore(t: Cleanup, folder: string, logDir: string, onExit: (error: Error) => void): Promise<ServedStore> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  let starts = 0
  const stopping = new Set<ChildProcess>()
  const start = async () => {
    if (await answers(url)) throw new Error(`port ${port} already answers before the store is served again`)
    const log = openSync(path.join(logDir, `clickhouse-${++starts}.log`), 'w')
    const served = spawn(process.execPath, [SERVE], {
      env: { ...process.env, CLICKHOUSE_PATH: folder, CLICKHOUSE_HTTP_PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', log, log],
    })
    closeSync(log)
    child = served
    served.once('exit', (code, signal) => {
      if (!stopping.has(served))
        onExit(new Error(`the served ClickHouse exited (${code ?? signal}) during the run; its log is in ${logDir}`))
    })
    const deadline = Date.now() + 60_000
    while (!(await answers(url))) {
      if (served.exitCode !== null || served.signalCode !== null) throw new Error(`the served ClickHouse exited at start; see ${logDir}`)
      if (Date.now() > deadline) throw new Error(`the served ClickHouse did not answer ${url}/ping within 60 s`)
      await sleep(100)
    }
  }
  const stop = async (signal: NodeJS.Signals) => {
    const served = child
    if (served === undefined || served.exitCode !== null || served.signalCode !== null) return
    stopping.add(served)
    const exited = new Promise((resolve) => served.once('exit', resolve))
    served.kill(signal)
    await exited
  }
  // Registered before the first start, so a store that starts half-way is still stopped.
  defer(t, () => stop('SIGTERM'))
  await start()
  // Read as `trends run` reads it: the serving process made it in the folder on its first start.
  const password = readPassword(folder)
  if (password === undefined) throw new Error(`the served ClickHouse made no password file in ${folder}`)
  const env = { CLICKHOUSE_URL: url, CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: password }
  const client = () =>
    createClickHouse({ mode: 'server', url, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: 'default' })
  return {
    url,
    env,
    start,
    stop,
    pid: () => (child === undefined || child.exitCode !== null || child.signalCode !== null ? undefined : child.pid),
    query: async <T>(sql: string) => {
      const store = client()
      try {
        return await (await store.query({ query: sql, format: 'JSONEachRow' })).json<T>()
      } finally {
        await store.close()
      }
    },
    command: async (sql) => {
      const store = client()
      try {
        await store.command({ query: sql })
      } finally {
        await store.close()
      }
    },
  }
}
