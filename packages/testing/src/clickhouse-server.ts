import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { defer, type Cleanup } from './context.ts'
import { freePort } from './ports.ts'

export interface ClickHouseServerHandle {
  url: string
  /** A user with a password, for credential tests. */
  user: { username: string; password: string }
  start(): Promise<void>
  stop(): Promise<void>
}

const CANDIDATES = [process.env['CLICKHOUSE_SERVER_BIN'], '/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server']

function serverBinary(): string {
  const bin = CANDIDATES.find((candidate) => candidate !== undefined && existsSync(candidate))
  if (bin === undefined) {
    throw new Error(
      'clickhouse-server is not installed: `apt-get install clickhouse-server` (the .ci/run script installs it) or set CLICKHOUSE_SERVER_BIN',
    )
  }
  return bin
}

/**
 * Starts a real ClickHouse server for transport-level tests: Debian's package (18.16 on Debian 12)
 * in a temporary folder on free loopback ports. It is old, so tests use only plain MergeTree tables
 * and simple SQL with it; the pipeline's own DDL is verified on chDB.
 */
export async function startClickHouseServer(t: Cleanup): Promise<ClickHouseServerHandle> {
  const bin = serverBinary()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-clickhouse-server-'))
  const httpPort = await freePort()
  const tcpPort = await freePort()
  const user = { username: 'pipeline', password: `pw-${process.pid}` }
  writeFileSync(
    path.join(dir, 'config.xml'),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <shutdown_wait_unfinished>0</shutdown_wait_unfinished>
  <keep_alive_timeout>1</keep_alive_timeout>
</yandex>
`,
  )
  writeFileSync(
    path.join(dir, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <${user.username}><password>${user.password}</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></${user.username}>
  </users>
  <quotas><default></default></quotas>
</yandex>
`,
  )
  const url = `http://127.0.0.1:${httpPort}`
  let child: ChildProcess | undefined

  const handle: ClickHouseServerHandle = {
    url,
    user,
    async start() {
      if (child !== undefined) return
      const started = spawn(bin, [`--config-file=${dir}/config.xml`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      started.stderr?.on('data', (chunk: Buffer) => {
        stderr = `${stderr}${chunk.toString()}`.slice(-4000)
      })
      child = started
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline) {
        if (started.exitCode !== null) throw new Error(`clickhouse-server exited at start: ${stderr.trim().split('\n').at(-1) ?? ''}`)
        try {
          const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })
          if ((await response.text()).trim() === 'Ok.') return
        } catch {
          // not listening yet
        }
        await sleep(100)
      }
      throw new Error(`clickhouse-server did not answer /ping within 30 s: ${stderr.trim().split('\n').at(-1) ?? ''}`)
    },
    async stop() {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGTERM')
      const timer = setTimeout(() => running.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    },
  }
  defer(t, async () => {
    await handle.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  await handle.start()
  return handle
}
