import { rmSync, existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { TrendsError } from '@trends/core'
import type { Logger } from '@trends/logger'
import { createClickHouse, describeClickHouse } from '@trends/clickhouse'
import { kafkaBootstrap, registryUrl, type StackConfig } from './config.ts'
import { KAFKA, kafkaPaths, kafkaReady, runningKafka, startKafka, preflightKafka, failureLine } from './kafka.ts'
import { isAlive, readRecord, stopProcess, tailLines, type ProcessRecord } from './processes.ts'
import { REGISTRY, registryReady, runningRegistry, startRegistry, preflightRegistry } from './registry.ts'

export interface StackDeps {
  config: StackConfig
  logger: Logger
  /** Human-readable progress lines for the CLI. */
  progress: (line: string) => void
}

export interface ComponentStatus {
  name: string
  state: 'ready' | 'starting' | 'stopped' | 'embedded' | 'unreachable'
  pid?: number
  address: string
  data?: string
  log?: string
}

interface Component {
  name: string
  title: string
  address: (config: StackConfig) => string
  data: (config: StackConfig) => string
  running: (config: StackConfig) => ProcessRecord | undefined
  ready: (deps: StackDeps) => Promise<boolean>
  start: (deps: StackDeps) => Promise<ProcessRecord>
  /** Checks that must pass before anything at all is started. */
  preflight: (config: StackConfig) => Promise<unknown>
}

const COMPONENTS: readonly Component[] = [
  {
    name: KAFKA,
    title: 'Apache Kafka',
    address: (config) => `${kafkaBootstrap(config)} (controller ${config.kafka.host}:${config.kafka.controllerPort})`,
    data: (config) => kafkaPaths(config).logDirs,
    running: runningKafka,
    ready: ({ config, logger }) => kafkaReady(config, logger, 1500),
    start: ({ config, progress }) => startKafka(config, progress),
    preflight: preflightKafka,
  },
  {
    name: REGISTRY,
    title: 'Apicurio Registry (Confluent API)',
    address: registryUrl,
    data: (config) => `${config.dataDir}/registry`,
    running: runningRegistry,
    ready: ({ config }) => registryReady(config),
    start: ({ config, progress }) => startRegistry(config, progress),
    preflight: preflightRegistry,
  },
]

/** How often a start still waited for is said to be. */
const WAITING_EVERY_MS = 10_000

async function waitReady(deps: StackDeps, component: Component, record: ProcessRecord): Promise<void> {
  const timeoutMs = component.name === KAFKA ? deps.config.kafka.startTimeoutMs : deps.config.registry.startTimeoutMs
  const began = Date.now()
  const deadline = began + timeoutMs
  let saidAt = began
  while (Date.now() < deadline) {
    if (!isAlive(record)) {
      throw new TrendsError(
        'STACK_START_FAILED',
        `${component.title} exited during start-up: ${failureLine(record.logFile)} (full log: ${record.logFile})`,
      )
    }
    const seconds = () => Math.round((Date.now() - began) / 1000)
    if (await component.ready(deps)) {
      deps.progress(`${component.title} is ready (${seconds()} s)`)
      return
    }
    // A start that takes a while says so, so a first run is not a silent wait.
    if (Date.now() - saidAt >= WAITING_EVERY_MS) {
      saidAt = Date.now()
      deps.progress(`still waiting for ${component.title} (${seconds()} s of at most ${Math.round(timeoutMs / 1000)} s)`)
    }
    await sleep(500)
  }
  await stopProcess(deps.config.dataDir, record, 10_000)
  throw new TrendsError(
    'STACK_START_FAILED',
    `${component.title} did not become ready within ${timeoutMs / 1000}s and was stopped; see ${record.logFile} (STACK_START_TIMEOUT raises the limit)`,
  )
}

export interface UpResult {
  name: string
  outcome: 'started' | 'already running'
  pid: number
  address: string
}

export interface Stack {
  /** Starts what is not running and returns once every component answers as a client would use it. */
  up(): Promise<UpResult[]>
  /** Stops the registry, then Kafka: SIGTERM, a grace period for a clean shutdown, then SIGKILL. */
  down(): Promise<Array<{ name: string; outcome: string }>>
  /** Each component: running or not, its pid, address, data folder and log. */
  status(): Promise<ComponentStatus[]>
  /** Prints the last `lines` of the named components' logs (all when none is named); follows them with `follow`. */
  logs(names: string[], lines: number, follow: boolean): Promise<void>
  /** Deletes the data folder, and only while nothing of the stack runs. */
  reset(): void
}

export function createStack(deps: StackDeps): Stack {
  const { config, progress } = deps

  /** Starts what is not running and returns once every component answers as a client would use it. */
  async function up(): Promise<UpResult[]> {
    const toStart = COMPONENTS.filter((component) => component.running(config) === undefined)
    // Every check first, so a missing Java or a taken port fails before anything has been started.
    for (const component of toStart) await component.preflight(config)
    const started: Array<{ component: Component; record: ProcessRecord }> = []
    try {
      for (const component of toStart) {
        const record = await component.start(deps)
        progress(`started ${component.title} (pid ${record.pid}), waiting until it is ready`)
        started.push({ component, record })
      }
      for (const { component, record } of started) await waitReady(deps, component, record)
    } catch (error) {
      // A half-started stack is worse than none: stop only what this call started.
      for (const { record } of started.reverse()) await stopProcess(config.dataDir, record, 15_000)
      throw error
    }
    const results: UpResult[] = []
    for (const component of COMPONENTS) {
      const record = component.running(config)
      if (record === undefined) throw new TrendsError('STACK_START_FAILED', `${component.title} is not running`)
      const wasStarted = started.some((entry) => entry.component === component)
      if (!wasStarted) await waitReady(deps, component, record)
      results.push({
        name: component.name,
        outcome: wasStarted ? 'started' : 'already running',
        pid: record.pid,
        address: component.address(config),
      })
    }
    return results
  }

  /** Stops the registry, then Kafka: SIGTERM, a grace period for a clean shutdown, then SIGKILL. */
  async function down(): Promise<Array<{ name: string; outcome: string }>> {
    const results: Array<{ name: string; outcome: string }> = []
    for (const component of [...COMPONENTS].reverse()) {
      const record = readRecord(config.dataDir, component.name)
      if (record === undefined) {
        results.push({ name: component.name, outcome: 'not running' })
        continue
      }
      progress(`stopping ${component.title} (pid ${record.pid})`)
      const outcome = await stopProcess(config.dataDir, record, 30_000)
      results.push({ name: component.name, outcome: outcome === 'not-running' ? 'not running' : outcome })
    }
    return results
  }

  async function status(): Promise<ComponentStatus[]> {
    const rows: ComponentStatus[] = []
    for (const component of COMPONENTS) {
      const record = component.running(config)
      const row: ComponentStatus = {
        name: component.name,
        state: record === undefined ? 'stopped' : (await component.ready(deps)) ? 'ready' : 'starting',
        address: component.address(config),
        data: component.data(config),
        log: `${config.dataDir}/logs/${component.name}.log`,
      }
      if (record !== undefined) row.pid = record.pid
      rows.push(row)
    }
    rows.push(await clickhouseStatus(config))
    return rows
  }

  function logs(names: string[], lines: number, follow: boolean): Promise<void> {
    const files = COMPONENTS.filter((c) => names.length === 0 || names.includes(c.name)).map((c) => `${config.dataDir}/logs/${c.name}.log`)
    if (follow) {
      return new Promise((resolve) => {
        const tail = spawn('tail', ['-n', String(lines), '-F', ...files], { stdio: 'inherit' })
        tail.once('exit', () => resolve())
      })
    }
    for (const file of files) {
      process.stdout.write(`==> ${file} <==\n`)
      for (const line of tailLines(file, lines)) process.stdout.write(`${line}\n`)
    }
    return Promise.resolve()
  }

  /** Deletes the data folder, and only while nothing of the stack runs. */
  function reset(): void {
    const running = COMPONENTS.filter((component) => component.running(config) !== undefined)
    if (running.length > 0) {
      throw new TrendsError(
        'STACK_START_FAILED',
        `stop the stack first (running: ${running.map((c) => c.name).join(', ')}): npm run stack -- down`,
      )
    }
    if (existsSync(config.dataDir)) rmSync(config.dataDir, { recursive: true, force: true })
  }

  return { up, down, status, logs, reset }
}

async function clickhouseStatus(config: StackConfig): Promise<ComponentStatus> {
  const settings = config.clickhouse
  if (settings.mode === 'embedded') {
    return { name: 'clickhouse', state: 'embedded', address: `in-process chDB (${describeClickHouse(settings)})`, data: settings.path }
  }
  const client = createClickHouse(settings)
  try {
    const ping = await client.ping()
    return { name: 'clickhouse', state: ping.success ? 'ready' : 'unreachable', address: describeClickHouse(settings) }
  } finally {
    await client.close()
  }
}
