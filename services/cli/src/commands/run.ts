import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { readEnv, withTimeout } from '@trends/core'
import { createClickHouse, migrate, MIGRATIONS_DIR, readClickHouseCluster, readPassword, readServeSettings } from '@trends/clickhouse'
import {
  createKafka,
  kafkaCheck,
  readKafkaSettings,
  readRegistrySettings,
  registryCheck,
  type KafkaSettings,
  type RegistrySettings,
} from '@trends/kafka'
import { quiet } from '../clickhouse.ts'
import { CliError, usage } from '../errors.ts'
import { table, visible } from '../output.ts'
import { parseMetrics, type Samples } from '../prometheus.ts'
import { firstCycleDone, progressOf, refusalReason, statusInterval, statusLine, statusText, timestamped } from '../status.ts'
import { chartHeading, chartRows, chartRowsQuery, KINDS, snapshotsQuery, type Snapshot } from '../charts.ts'
import { restartsSuffix } from '../restarts.ts'
import { Supervisor, type Supervised } from '../supervisor.ts'

export const RUN_HELP = `Usage: trends run [--simulator] [--status-every 5s]     (npm start)

Runs the whole pipeline: starts the local stack if it is not running (unless KAFKA_BROKERS or
SCHEMA_REGISTRY_URL name servers of your own, which must answer), serves the embedded ClickHouse
over HTTP (unless CLICKHOUSE_URL points at a server; password in .data/clickhouse/http-password,
made on the first start), applies the migrations, and runs the producer
(scheduler and workers), the normalizer, the sink and the signals stage, each as its own process with its logs in
.data/logs/. Prints a status line as records move, and the top trends per kind once the first cycle
is in ClickHouse. Ctrl-C or SIGTERM stops fetching, lets the in-flight batches commit, and closes
everything within 10 s (the local stack keeps running: npm run stack -- down).

  --simulator        poll the Creative Center simulator (started here, on SIM_PORT 8480) instead of
                     CC_BASE_URL — these machines reach no TikTok. Unless set, its day lasts a minute
                     (SIM_DAY_LENGTH=1m) with scripted chart moves (SIM_MOVES=scripted), charts are
                     polled every 30 s (POLL_CADENCE) at 10 requests a second (CC_RATE_PER_SECOND),
                     so the second snapshot and its signals come within two minutes
  --status-every     how often the status line is printed (default 5s)

Every service setting is read from the environment (see each service's --help and .env.example);
the metrics ports are METRICS_PORT_PRODUCER (9464), METRICS_PORT_NORMALIZER (9465),
METRICS_PORT_SINK (9466) and METRICS_PORT_SIGNALS (9467).
`

const ROOT = path.resolve(import.meta.dirname, '../../../..')

/**
 * What --simulator sets where the environment does not: the upstream's day lasts a minute and its
 * charts move in five nameable ways a day, the charts are polled every 30 s, and the producer asks
 * the local simulator at 10 requests a second rather than the 1 a second it keeps towards TikTok.
 */
const SIMULATOR_DEMO = { SIM_DAY_LENGTH: '1m', SIM_MOVES: 'scripted', POLL_CADENCE: '30s', CC_RATE_PER_SECOND: '10' } as const

/** The last status line printed, while nothing else has been printed after it. */
let lastStatus: string | undefined

function log(line: string): void {
  lastStatus = undefined
  process.stdout.write(timestamped(line, new Date()))
}

function status(line: string): void {
  process.stdout.write(statusText(lastStatus, line, process.stdout.isTTY === true, new Date()))
  lastStatus = line
}

/**
 * Runs a command to its end, each line it prints shown as it comes (the local stack says what it
 * downloads, formats and waits for, so a first start is not a silent minute); fails with its last line.
 */
async function runToEnd(main: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [path.join(ROOT, main), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let pending = ''
  const take = (chunk: Buffer) => {
    output += chunk.toString()
    pending += chunk.toString()
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') log(line.trimEnd())
  }
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (pending.trim() !== '') log(pending.trimEnd())
  if (code !== 0) throw new CliError(output.trim().split('\n').at(-1) ?? `${main} exited ${code}`)
}

async function waitForHttp(url: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return
    if (child.exitCode !== null) throw new CliError(`${what} exited ${child.exitCode} at start (see its log in .data/logs/)`)
    if (Date.now() > deadline) throw new CliError(`${what} did not answer ${url} within ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Kafka and the registry answer before any service starts; else one line says which does not. */
async function preflight(kafkaSettings: KafkaSettings, registrySettings: RegistrySettings): Promise<void> {
  const kafka = kafkaCheck(createKafka(kafkaSettings, { logger: quiet }))
  try {
    await withTimeout(kafka.check(), 10_000)
  } catch {
    throw new CliError(`Kafka at ${kafkaSettings.brokers.join(', ')} does not answer (KAFKA_UNAVAILABLE): start it, or set KAFKA_BROKERS`)
  } finally {
    await kafka.close()
  }
  try {
    await withTimeout(registryCheck(registrySettings)(), 10_000)
  } catch {
    throw new CliError(
      `the schema registry at ${registrySettings.url} does not answer (SCHEMA_REGISTRY_UNAVAILABLE): start it, or set SCHEMA_REGISTRY_URL`,
    )
  }
}

async function scrape(children: readonly Supervised[]): Promise<Samples> {
  const all: Samples = []
  for (const child of children) {
    if (child.metricsUrl === undefined) continue
    const text = await fetch(child.metricsUrl, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.text(),
      () => '',
    )
    all.push(...parseMetrics(text))
  }
  return all
}

/** Per family, the chart with the most recent complete snapshot, as that snapshot (as `trends top` shows it). */
async function printTop(clickhouseUrl: string, database: string, user: string, password: string): Promise<void> {
  const client = createClickHouse({ mode: 'server', url: clickhouseUrl, username: user, password, database }, quiet)
  try {
    for (const kind of KINDS) {
      const [snapshot] = await (await client.query({ ...snapshotsQuery({ kind, industry: '' }), format: 'JSONEachRow' })).json<Snapshot>()
      if (snapshot === undefined) continue
      const rows = await (await client.query({ ...chartRowsQuery(snapshot, 5), format: 'JSONEachRow' })).json<Record<string, unknown>>()
      process.stdout.write(`\ntop ${visible(chartHeading(snapshot))}\n`)
      process.stdout.write(table(chartRows(rows)))
    }
    process.stdout.write('\n')
  } finally {
    await client.close()
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { simulator: { type: 'boolean' }, 'status-every': { type: 'string', default: '5s' } },
    strict: true,
  })
  const statusMs = statusInterval(values['status-every'])
  const read = readEnv(process.env)
  const dataDir = path.resolve(ROOT, read.string('STACK_DATA_DIR', '.data'))
  const externalClickHouse = read.optionalUrl('CLICKHOUSE_URL')
  // Read here too, so a bad CLICKHOUSE_HTTP_* setting stops the run before anything starts.
  const serve = readServeSettings(read)
  const httpPort = serve.port
  const simPort = read.port('SIM_PORT', 8480)
  const ports = {
    producer: read.port('METRICS_PORT_PRODUCER', 9464),
    normalizer: read.port('METRICS_PORT_NORMALIZER', 9465),
    sink: read.port('METRICS_PORT_SINK', 9466),
    signals: read.port('METRICS_PORT_SIGNALS', 9467),
  }
  const database = read.string('CLICKHOUSE_DATABASE', 'default')
  // A cluster needs a server of one's own: the embedded store is one node.
  const cluster = readClickHouseCluster(read, externalClickHouse !== undefined)
  // Servers of one's own: then the local stack stays out of it, and they must answer.
  const ownServers = process.env['KAFKA_BROKERS'] !== undefined || process.env['SCHEMA_REGISTRY_URL'] !== undefined
  const kafkaSettings = readKafkaSettings(read, 'trends-run')
  const registrySettings = readRegistrySettings(read)
  try {
    read.done()
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error))
  }
  const logDir = path.join(dataDir, 'logs')
  const supervisor = new Supervisor(log)
  const node = (name: string, main: string, args: string[], env: NodeJS.ProcessEnv) => Supervisor.node(ROOT, logDir, name, main, args, env)
  let stopping: Promise<void> | undefined
  // Stop order: intake first (no new fetches), then the stages downstream in turn, each draining
  // and committing what it holds; the store last, after the sink has let go of it.
  const stopAll = () =>
    (stopping ??= (async () => {
      if (supervisor.children.length > 0) log('stopping: producer, normalizer, signals, sink, then ClickHouse')
      await supervisor.stop(8000)
    })())

  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })

  try {
    if (ownServers) {
      log('Kafka and the schema registry: KAFKA_BROKERS / SCHEMA_REGISTRY_URL (the local stack is not started)')
    } else {
      log('local stack: starting what is not running')
      await runToEnd('services/stack/src/main.ts', ['up'], process.env)
    }
    await preflight(kafkaSettings, registrySettings)

    const env: NodeJS.ProcessEnv = { ...process.env }
    let clickhouseUrl = externalClickHouse
    if (clickhouseUrl === undefined) {
      clickhouseUrl = `http://127.0.0.1:${httpPort}`
      const served = await fetch(`${clickhouseUrl}/ping`, { signal: AbortSignal.timeout(500) }).then(
        () => true,
        () => false,
      )
      if (served)
        throw new CliError(
          `port ${httpPort} already answers: another trends run is serving the embedded store (or set CLICKHOUSE_HTTP_PORT)`,
        )
      const password = () => {
        try {
          return readPassword(serve.path)
        } catch (error) {
          throw new CliError(`the embedded ClickHouse: ${(error as Error).message}`)
        }
      }
      // An unsafe password file is named here in one line, before the store is started.
      if (serve.users === undefined) password()
      const store = supervisor.add(
        'clickhouse',
        node('clickhouse', 'packages/clickhouse/src/serve-main.ts', [], { ...env, CLICKHOUSE_HTTP_PORT: String(httpPort) }),
      )
      await waitForHttp(`${clickhouseUrl}/ping`, store.process, 'the embedded ClickHouse')
      // The services get the credentials in their environment, never on a command line (which
      // every user of the machine can list): the generated password, or the first of CLICKHOUSE_HTTP_USERS.
      const [user, given] = Object.entries(serve.users ?? {})[0] ?? ['default', password()]
      if (given === undefined) throw new CliError(`the embedded ClickHouse made no password file in ${serve.path}`)
      env['CLICKHOUSE_URL'] = clickhouseUrl
      env['CLICKHOUSE_USER'] = user
      env['CLICKHOUSE_PASSWORD'] = given
      log(`ClickHouse: the embedded store, served on ${clickhouseUrl}`)
    } else {
      log(`ClickHouse: ${new URL(clickhouseUrl).host}`)
    }
    const admin = createClickHouse(
      {
        mode: 'server',
        url: clickhouseUrl,
        username: env['CLICKHOUSE_USER'] ?? 'default',
        password: env['CLICKHOUSE_PASSWORD'] ?? '',
        database,
      },
      quiet,
    )
    try {
      const result = await migrate(admin, MIGRATIONS_DIR, { cluster }).catch((error: unknown) => {
        throw new CliError(
          `ClickHouse at ${new URL(clickhouseUrl).host} refused the migrations (${refusalReason(error)}): check CLICKHOUSE_URL and its credentials`,
        )
      })
      log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already there`)
    } finally {
      await admin.close()
    }

    if (values.simulator === true) {
      // A demo that shows change within minutes: the simulator's calendar runs a day a minute with
      // scripted moves, and the charts are polled often enough to catch each day (each only if unset).
      for (const [name, value] of Object.entries(SIMULATOR_DEMO)) env[name] ??= value
      log(
        `simulator: a data day every ${env['SIM_DAY_LENGTH']}, ${env['SIM_MOVES']} chart moves, charts polled every ${env['POLL_CADENCE']} (SIM_DAY_LENGTH, SIM_MOVES, POLL_CADENCE)`,
      )
      const simulator = supervisor.add(
        'simulator',
        node('simulator', 'services/simulator/src/main.ts', [], { ...env, SIM_PORT: String(simPort) }),
      )
      env['CC_BASE_URL'] = `http://127.0.0.1:${simPort}`
      await waitForHttp(`${env['CC_BASE_URL']}/__simulator/faults`, simulator.process, 'the simulator')
      log(`Creative Center: the simulator on ${env['CC_BASE_URL']}`)
    } else {
      log(`Creative Center: ${env['CC_BASE_URL'] ?? 'https://ads.tiktok.com'}`)
    }

    const services = [
      { name: 'sink', main: 'services/sink/src/main.ts', args: [], port: ports.sink },
      { name: 'signals', main: 'services/signals/src/main.ts', args: [], port: ports.signals },
      { name: 'normalizer', main: 'services/normalizer/src/main.ts', args: [], port: ports.normalizer },
      { name: 'producer', main: 'services/producer/src/main.ts', args: ['all'], port: ports.producer },
    ]
    for (const service of services) {
      const child = supervisor.add(
        service.name,
        node(service.name, service.main, service.args, { ...env, METRICS_PORT: String(service.port) }),
        `http://127.0.0.1:${service.port}/metrics`,
      )
      await waitForHttp(`http://127.0.0.1:${service.port}/healthz`, child.process, `the ${service.name}`)
    }
    log(
      `running: producer, normalizer, sink, signals (logs in ${path.relative(process.cwd(), logDir) || logDir}/, metrics on ports ${ports.producer}, ${ports.normalizer}, ${ports.sink}, ${ports.signals})`,
    )

    // From here a service that exits is started again; one that keeps failing ends the run.
    supervisor.watch()
    let printedTop = false
    let printedSignals = false
    const watch = (async () => {
      for (;;) {
        const winner = await Promise.race([
          signalled,
          supervisor.failed,
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), statusMs)),
        ])
        if (winner instanceof CliError) throw winner
        if (winner !== undefined) return winner
        const samples = await scrape(supervisor.children)
        const progress = progressOf(samples)
        status(`${statusLine(progress)}${restartsSuffix(supervisor.restarts())}`)
        if (!printedSignals && progress.signals > 0) {
          printedSignals = true
          log(`first signals: ${progress.signals} chart changes between snapshots (trends signals lists them)`)
        }
        if (!printedTop && firstCycleDone(progress)) {
          printedTop = true
          log('first cycle in ClickHouse; top trends:')
          await printTop(clickhouseUrl, database, env['CLICKHOUSE_USER'] ?? 'default', env['CLICKHOUSE_PASSWORD'] ?? '')
        }
      }
    })()
    const signal = await watch
    log(`${signal}: stopping`)
  } finally {
    const started = Date.now()
    await stopAll()
    if (supervisor.children.length > 0)
      log(`stopped in ${((Date.now() - started) / 1000).toFixed(1)} s; the local stack keeps running (npm run stack -- down)`)
  }
}
