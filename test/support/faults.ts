import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomSuffix } from '@trends/core'
import { naturalKey } from '@trends/creative-center'
import { topicsFor, type Topics } from '@trends/kafka'
import { loadProducerConfig } from '@trends/producer'
import { defer, freePort, type Cleanup } from '@trends/testing'
import { countFault, type FaultCount } from './faults-count.ts'
import { drained, recovery, STAGES, untilSample, watchProgress, type Groups, type Progress, type Stage } from './faults-progress.ts'
import type { PrivateStack } from './faults-stack.ts'
import { serveStore, type ServedStore } from './faults-store.ts'
import { expectedItems } from './raw-topics.ts'
import { metricTotal, until } from './readiness.ts'
import { queryFolder } from './sink.ts'
import { useSimulator } from './simulator.ts'

const SERVICES = path.resolve(import.meta.dirname, '../../services')
const MAINS = {
  scheduler: [path.join(SERVICES, 'producer/src/main.ts'), 'scheduler'],
  worker: [path.join(SERVICES, 'producer/src/main.ts'), 'worker'],
  normalizer: [path.join(SERVICES, 'normalizer/src/main.ts')],
  sink: [path.join(SERVICES, 'sink/src/main.ts')],
} as const
export type Service = keyof typeof MAINS

const DAY_MS = 86_400_000
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IT', 'ES', 'JP', 'BR']

export interface FaultPipeline {
  topics: Topics
  groups: Groups
  progress: Progress
  /** Environment every service of the run gets (private stack, prefix, groups, the sink's store). */
  env: Record<string, string>
  /** The store served in a process of its own (with `servedStore`), which a fault may stop and start. */
  store: ServedStore | undefined
  /** Where the services' logs (`<service>-<n>.log`) and the store are kept. */
  runDir: string
  /** Starts one more service process of the run; `extra` overrides its environment. */
  start: (service: Service, extra?: Record<string, string>) => ChildProcess
  /** Signals a service of the run on purpose and waits for its exit. */
  kill: (child: ChildProcess, signal: NodeJS.Signals) => Promise<void>
  /** The service processes of the run, in the order they were started. */
  children: () => Array<[ChildProcess, Service]>
  /** Stops a service of the run on purpose (SIGTERM), so its exit is not counted as a failure. */
  stop: (child: ChildProcess) => Promise<void>
  /** Waits until `groupId` is stable with exactly `count` members. */
  untilMembers: (groupId: string, count: number) => Promise<unknown>
  /** Waits until the producer has written `records` raw records. */
  untilRaw: (records: number, timeoutMs?: number) => Promise<void>
  /** Seconds from `faultEnd` until each stage moved again (or `idle`); printed with the count. */
  recovered: (faultEnd: number) => Promise<Record<Stage, number | 'idle'>>
  /**
   * Lets the pipeline drain, stops every service (SIGTERM) and counts; prints the fault's line and
   * asserts it, and with `boundSeconds` that every stage moved again within that many seconds.
   */
  finish: (recovered: Record<Stage, number | 'idle'>, boundSeconds?: number) => Promise<FaultCount>
  /**
   * A scale-out and back: once `after` raw records are written, one more `service` joins `groupId`,
   * works for `during` more records and leaves with SIGTERM (`beforeLeaving` runs just before); then
   * the run drains and is counted. Returns how many raw records there were when it joined.
   */
  joinAndLeave: (
    service: Service,
    groupId: string,
    records: { after: number; during: number },
    extra?: Record<string, string>,
    beforeLeaving?: () => Promise<void>,
  ) => Promise<number>
}

/**
 * The fault suite's run: the Creative Center simulator in this process, and the real services as
 * processes against a private stack (scheduler, one producer worker, a normalizer, a sink with its
 * embedded ClickHouse in a folder of its own, or with `servedStore` that folder served over HTTP by
 * a process of its own, as `trends run` serves it, which a fault can stop). Eight creator charts of ten pages are fetched at
 * `ratePerSecond` pages a second, about fifty seconds of steady load at the default rate, so a
 * fault injected after the first thousand records lands mid-stream.
 */
export async function startFaultPipeline(
  t: Cleanup,
  stack: PrivateStack,
  name: string,
  options: { ratePerSecond?: number; env?: Record<string, string>; servedStore?: boolean } = {},
): Promise<FaultPipeline> {
  const began = Date.now()
  // The simulator's clock never leaves the day the run began in, so a chart fetched twice returns
  // the same observations (one data date each); it keeps real time otherwise, as request signatures
  // are checked against it.
  const dayEnd = (Math.floor(began / DAY_MS) + 1) * DAY_MS - 1
  const simulator = await useSimulator(t, { now: () => Math.min(Date.now(), dayEnd) })
  const prefix = `fault-${randomSuffix()}`
  const topics = topicsFor(prefix)
  const groups: Groups = { workers: `${prefix}.workers`, normalizer: `${prefix}.normalizer`, sink: `${prefix}.sink` }
  // The services' logs (at info) and the sink's store; kept for a look when the fault fails.
  const runDir = mkdtempSync(path.join(os.tmpdir(), `trends-fault-${name}-`))
  const folder = path.join(runDir, 'store')
  let passed = false
  defer(t, () => {
    if (passed && process.env['FAULT_KEEP_TMP'] === undefined) rmSync(runDir, { recursive: true, force: true })
    else process.stderr.write(`fault ${name}: service logs and store kept in ${runDir}\n`)
  })
  // A service (or the served store) that exits on its own ends the wait at once, naming it, instead of a timeout later.
  let exitedOnItsOwn: (error: Error) => void = () => undefined
  const failure = new Promise<never>((_, reject) => (exitedOnItsOwn = reject))
  failure.catch(() => undefined)
  const orFailure = <T>(work: Promise<T>) => Promise.race([work, failure])
  const store = options.servedStore === true ? await serveStore(t, folder, runDir, (error) => exitedOnItsOwn(error)) : undefined
  const env: Record<string, string> = {
    ...stack.env,
    CC_BASE_URL: simulator.url,
    CC_RATE_PER_SECOND: String(options.ratePerSecond ?? 1.6),
    CC_BURST: '1',
    CC_RETRY_BASE: '50ms',
    CC_RETRY_MAX: '500ms',
    TOPIC_PREFIX: prefix,
    POLL_MATRIX: JSON.stringify({ charts: [{ endpoint: 'creators-legacy', countries: COUNTRIES, maxPages: 10 }] }),
    SCHEDULER_TICK: '500ms',
    WORKER_GROUP_ID: groups.workers,
    NORMALIZER_GROUP_ID: groups.normalizer,
    NORMALIZER_TRANSACTIONAL_ID: `${prefix}.normalizer.1`,
    SINK_GROUP_ID: groups.sink,
    SINK_BATCH_WAIT: '200ms',
    ...(store === undefined ? { CLICKHOUSE_PATH: folder } : store.env),
    ...options.env,
  }
  const children = new Map<ChildProcess, Service>()
  const stopped = new Set<ChildProcess>()
  const kill = async (child: ChildProcess, signal: NodeJS.Signals) => {
    stopped.add(child)
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(signal)
    await exited
  }
  const stop = (child: ChildProcess) => kill(child, 'SIGTERM')
  const start = (service: Service, extra: Record<string, string> = {}) => {
    const [main, ...args] = MAINS[service]
    const log = openSync(path.join(runDir, `${service}-${children.size + 1}.log`), 'w')
    const child = spawn(process.execPath, [main, ...args], {
      env: { ...process.env, LOG_LEVEL: 'info', METRICS_PORT: '0', ...env, ...extra },
      stdio: ['ignore', log, log],
    })
    closeSync(log)
    children.set(child, service)
    child.once('exit', (code, signal) => {
      if (!stopped.has(child)) exitedOnItsOwn(new Error(`${service} exited (${code ?? signal}) during the run; its log is in ${runDir}`))
    })
    defer(t, () => stop(child))
    return child
  }
  const kafka = stack.kafka()
  const progress = watchProgress(kafka, topics, groups)
  defer(t, () => progress.stop())
  // One at a time, consumers first, so the load meets a running pipeline; and at once on a fresh
  // broker, two services creating the same topic race (one sees it listed before it has a leader).
  const admin = kafka.admin()
  await admin.connect()
  defer(t, () => admin.disconnect())
  const untilMembers = (groupId: string, count: number) =>
    until(
      `${count} members in ${groupId}`,
      async () => (await admin.describeGroups([groupId])).groups[0],
      (group) => group?.state === 'Stable' && group.members.length === count,
      120_000,
    )
  const joined = (groupId: string) => untilMembers(groupId, 1)
  for (const [service, group] of [
    ['sink', groups.sink],
    ['normalizer', groups.normalizer],
    ['worker', groups.workers],
  ] as const) {
    start(service)
    await joined(group)
  }
  start('scheduler')

  const untilRaw = async (records: number, timeoutMs = 180_000) => {
    await orFailure(untilSample(progress, `${records} raw records`, (s) => s.done.producer >= records, timeoutMs))
  }
  const finish = async (recovered: Record<Stage, number | 'idle'>, boundSeconds?: number) => {
    await orFailure(drained(progress, 300_000))
    const running = [...children.keys()].filter((child) => child.exitCode === null && child.signalCode === null)
    const exitedEarly = [...children]
      .filter(([child]) => !running.includes(child) && !stopped.has(child))
      .map(([child, service]) => `${service} (exit ${child.exitCode ?? child.signalCode})`)
    await Promise.all(running.map(stop))
    const source = await expectedItems(simulator.url, loadProducerConfig(env).charts, naturalKey)
    const read = store === undefined ? (sql: string) => queryFolder<Record<string, string>>(folder, 'default', sql) : store.query
    const count = await countFault(kafka, stack.registry(), topics, read, new Set(source.keys()))
    const { fetchLog, deadLetters } = count.detail
    const stages = STAGES.map((stage) => {
      const value = recovered[stage]
      return `${stage} ${typeof value === 'number' ? `${value.toFixed(1)}s` : value}`
    })
    const slowest = Math.max(0, ...STAGES.map((stage) => recovered[stage]).filter((v) => typeof v === 'number'))
    const line =
      `fault ${name}: observations ${count.observations}, missing ${count.missing}, duplicated ${count.duplicated}; ` +
      `fetch log ${fetchLog.rows}/${fetchLog.distinct}; dead letters ${deadLetters.rows}/${deadLetters.topic}; ` +
      `recovered in ${slowest.toFixed(1)}s (${stages.join(', ')})${boundSeconds === undefined ? '' : `, bound ${boundSeconds}s`}; ` +
      `took ${Math.round((Date.now() - began) / 1000)}s`
    process.stdout.write(`${line}\n`)
    if (count.missing !== 0 || count.duplicated !== 0) process.stdout.write(`fault ${name}: ${JSON.stringify(count.detail)}\n`)
    assert.deepEqual(exitedEarly, [], 'no service exited during the run')
    assert.ok(count.observations >= 3000, `${count.observations} observations`)
    assert.deepEqual({ missing: count.missing, duplicated: count.duplicated }, { missing: 0, duplicated: 0 }, line)
    assert.equal(count.detail.cleaned.missingFromRaw, 0, 'nothing in the cleaned topic that the raw topics do not hold')
    assert.equal(deadLetters.withoutReason, 0, 'every dead letter has a reason')
    assert.ok(fetchLog.rows >= 80, `${fetchLog.rows} fetch attempts in ClickHouse`)
    if (boundSeconds !== undefined) assert.ok(slowest <= boundSeconds, `every stage moving again within ${boundSeconds}s: ${line}`)
    passed = true
    return count
  }
  async function joinAndLeave(
    service: Service,
    groupId: string,
    records: { after: number; during: number },
    extra?: Record<string, string>,
    beforeLeaving?: () => Promise<void>,
  ) {
    await untilRaw(records.after)
    const second = start(service, extra)
    await orFailure(untilMembers(groupId, 2))
    const joined = progress.latest()!.done.producer
    await untilRaw(joined + records.during)
    await beforeLeaving?.()
    await stop(second)
    await orFailure(untilMembers(groupId, 1))
    await finish(await orFailure(recovery(progress, Date.now())))
    return joined
  }
  return {
    topics,
    groups,
    progress,
    env,
    store,
    runDir,
    start,
    stop,
    kill,
    joinAndLeave,
    children: () => [...children],
    untilMembers: (groupId, count) => orFailure(untilMembers(groupId, count)),
    untilRaw,
    recovered: (faultEnd) => orFailure(recovery(progress, faultEnd)),
    finish,
  }
}

/**
 * A second `service` joins `groupId` and leaves (joinAndLeave) with a metrics port of its own; what
 * its counter `metric` read just before it left says whether it did any work while in the group.
 */
export async function secondInstanceWork(
  run: FaultPipeline,
  service: Service,
  groupId: string,
  metric: string,
  records: { after: number; during: number },
): Promise<{ joined: number; work: number }> {
  const metricsPort = await freePort()
  let work = 0
  const joined = await run.joinAndLeave(service, groupId, records, { METRICS_PORT: String(metricsPort) }, async () => {
    work = await metricTotal(String(metricsPort), metric)
  })
  return { joined, work }
}
