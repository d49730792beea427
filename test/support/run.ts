/**
 * `trends run --simulator` in a test: on ports, topics and a store folder of its own, its output
 * collected, stopped after the test; on a wait's timeout, what each service logged and says now.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import { defer, freePort, type Cleanup } from '@trends/testing'

export const CLI = path.resolve(import.meta.dirname, '../../services/cli/src/main.ts')

export interface Run {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
  /** What the services wrote to their logs since this run started, and what they say now (for a failure's message). */
  diagnose: () => Promise<string>
}

/** The folder trends run writes the services' logs to (appended to by every run). */
export const LOG_DIR = path.resolve(import.meta.dirname, '../../', process.env['STACK_DATA_DIR'] ?? '.data', 'logs')

const SERVICE_LOGS = new Set(['producer.log', 'normalizer.log', 'sink.log', 'signals.log', 'simulator.log', 'clickhouse.log'])

function logSizes(): Map<string, number> {
  const sizes = new Map<string, number>()
  try {
    for (const name of readdirSync(LOG_DIR)) sizes.set(name, statSync(path.join(LOG_DIR, name)).size)
  } catch {
    // No log folder yet.
  }
  return sizes
}

/** The last lines each service log got since `since`. */
function logsSince(since: Map<string, number>): string {
  let text = ''
  for (const [name, size] of logSizes()) {
    const from = since.get(name) ?? 0
    // The services' own logs: the stack's (registry, kafka) are shared by every test and noisy.
    if (size <= from || !SERVICE_LOGS.has(name)) continue
    const lines = readFileSync(path.join(LOG_DIR, name)).subarray(from).toString().trimEnd().split('\n')
    text += `--- ${name} (last ${Math.min(lines.length, 40)} of ${lines.length} new lines)\n${lines.slice(-40).join('\n')}\n`
  }
  return text
}

/** `trends run --simulator` as npm start runs it, on ports and topics of its own. */
export function startRun(t: Cleanup, env: Record<string, string>): Run {
  const sizes = logSizes()
  const child = spawn(process.execPath, [CLI, 'run', '--simulator', '--status-every', '1s'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  })
  const diagnose = async () => {
    let text = logsSince(sizes)
    for (const service of ['producer', 'normalizer', 'sink', 'signals']) {
      const port = env[`METRICS_PORT_${service.toUpperCase()}`]
      const get = (what: string) =>
        fetch(`http://127.0.0.1:${port}/${what}`, { signal: AbortSignal.timeout(2000) }).then(
          async (response) => `${response.status} ${await response.text()}`,
          (error: unknown) => String(error),
        )
      const metrics = (await get('metrics'))
        .split('\n')
        .filter((line) =>
          /^trends_(?!nodejs)\w*(records|rows|lag|errors|restarts|clickhouse_up|paused|buffered)\w*(?<!_bucket)[{ ]/.test(line),
        )
      text += `--- ${service} /readyz: ${await get('readyz')}\n${metrics.join('\n')}\n`
    }
    return text
  }
  return { child, output: () => output, exited, diagnose }
}

export async function until(what: string, run: Run, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (run.child.exitCode !== null) throw new Error(`trends run exited ${run.child.exitCode} before ${what}:\n${run.output()}`)
    if (Date.now() > deadline) {
      const last = run.output().trimEnd().split('\n').slice(-40).join('\n')
      throw new Error(`timed out waiting for ${what}; the run's last lines:\n${last}\n${await run.diagnose()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function runEnv(t: Cleanup, matrix: unknown): Promise<Record<string, string>> {
  const prefix = `test-run-${randomSuffix()}`
  const folder = mkdtempSync(path.join(os.tmpdir(), 'trends-run-'))
  defer(t, () => rmSync(folder, { recursive: true, force: true }))
  return {
    TOPIC_PREFIX: prefix,
    CLICKHOUSE_PATH: folder,
    CLICKHOUSE_HTTP_PORT: String(await freePort()),
    SIM_PORT: String(await freePort()),
    METRICS_PORT_PRODUCER: String(await freePort()),
    METRICS_PORT_NORMALIZER: String(await freePort()),
    METRICS_PORT_SINK: String(await freePort()),
    METRICS_PORT_SIGNALS: String(await freePort()),
    WORKER_GROUP_ID: `${prefix}.workers`,
    NORMALIZER_GROUP_ID: `${prefix}.normalizer`,
    NORMALIZER_TRANSACTIONAL_ID: `${prefix}.normalizer.1`,
    SINK_GROUP_ID: `${prefix}.sink`,
    SINK_BATCH_WAIT: '200ms',
    SCHEDULER_TICK: '500ms',
    CC_RATE_PER_SECOND: '20',
    CC_BURST: '5',
    // One data day and one poll for the whole test, unless a test says otherwise (--simulator's demo
    // defaults move the calendar on every minute).
    SIM_DAY_LENGTH: '1d',
    POLL_CADENCE: '1h',
    SIGNALS_POLL: '1s',
    POLL_MATRIX: JSON.stringify(matrix),
  }
}
