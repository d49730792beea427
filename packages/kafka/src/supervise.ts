import { formatDuration, fullJitter, type EnvReader } from '@trends/core'
import type { Logger } from '@trends/logger'
import { counter, describeFailure, originOf, type Registry } from '@trends/metrics'
import type { Consumer, ConsumerRunConfig, ConsumerSubscribeTopics } from 'kafkajs'
import type { ConsumerHealth } from './consumer-health.ts'
import { keepMembership, type MembershipOptions } from './membership.ts'

export interface ConsumerSettings {
  /** CONSUMER_STALL_AFTER: with lag and no progress for this long, a consumer makes /readyz 503. */
  stallAfterMs: number
  /** CONSUMER_RESTART_LIMIT: restarts of a consumer kafkajs gave up on, within the window, before the process exits. */
  restartLimit: number
  /** CONSUMER_RESTART_WINDOW: restarts older than this are forgotten. */
  restartWindowMs: number
}

export const DEFAULT_CONSUMER_SETTINGS: Readonly<ConsumerSettings> = { stallAfterMs: 120_000, restartLimit: 5, restartWindowMs: 600_000 }

/**
 * The exit code of a service whose consumer could not be restarted (EX_TEMPFAIL: the fault may be
 * gone when a supervisor starts the process again).
 */
export const CONSUMER_LOST_EXIT_CODE = 75

/** CONSUMER_STALL_AFTER (2m), CONSUMER_RESTART_LIMIT (5), CONSUMER_RESTART_WINDOW (10m). */
export function readConsumerSettings(env: EnvReader): ConsumerSettings {
  return {
    stallAfterMs: env.duration('CONSUMER_STALL_AFTER', formatDuration(DEFAULT_CONSUMER_SETTINGS.stallAfterMs), { min: '100ms' }),
    restartLimit: env.int('CONSUMER_RESTART_LIMIT', DEFAULT_CONSUMER_SETTINGS.restartLimit, { min: 0, max: 100 }),
    restartWindowMs: env.duration('CONSUMER_RESTART_WINDOW', formatDuration(DEFAULT_CONSUMER_SETTINGS.restartWindowMs), { min: '1s' }),
  }
}

/** Error classes named in the restarts metric; any other is counted as `other`. */
const REASONS = new Set([
  'KafkaJSNonRetriableError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSProtocolError',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSBrokerNotFound',
  'KafkaJSTimeout',
  'TrendsError',
  'RecordError',
  'TypeError',
  'RangeError',
  'Error',
])

const NAME = /^[A-Za-z][A-Za-z0-9_$]{0,63}$/
const CODE = /^[A-Z0-9][A-Z0-9_]{0,63}$/

/** An error's class and code, and those of the error at the end of its cause chain; never its message. */
export function describeCrash(error: unknown): { errorClass: string; code?: string; causeClass?: string; causeCode?: string } {
  const part = (value: unknown) => {
    const name = value instanceof Error && NAME.test(value.name) ? value.name : 'Error'
    const raw = (value as { type?: unknown; code?: unknown } | null)?.type ?? (value as { code?: unknown } | null)?.code
    const code = typeof raw === 'string' && CODE.test(raw) ? raw : typeof raw === 'number' ? String(raw) : undefined
    return { name, code }
  }
  const root = rootError(error)
  const outer = part(error)
  const inner = part(root)
  return {
    errorClass: outer.name,
    ...(outer.code === undefined ? {} : { code: outer.code }),
    ...(root === error ? {} : { causeClass: inner.name, ...(inner.code === undefined ? {} : { causeCode: inner.code }) }),
  }
}

/**
 * What a crash shows in /readyz: `kafka unreachable: ECONNREFUSED 127.0.0.1:9092` when no broker
 * answered (describeFailure), else the root cause's class and code (`KafkaJSProtocolError
 * REBALANCE_IN_PROGRESS`).
 */
export function crashText(error: unknown): string {
  return textOf(error, describeCrash(error))
}

/** The root cause's class and code: the cause's when there is one, else the error's own. */
function rootOf(crash: ReturnType<typeof describeCrash>): { errorClass: string; code: string | undefined } {
  return { errorClass: crash.causeClass ?? crash.errorClass, code: crash.causeCode ?? crash.code }
}

function textOf(error: unknown, crash: ReturnType<typeof describeCrash>): string {
  const failure = describeFailure(error)
  if (failure.unreachable) return `kafka unreachable: ${failure.reason}`
  const { errorClass, code } = rootOf(crash)
  if (code !== undefined) return `${errorClass} ${code}`
  // No code to name it: where the project's code threw it says where to look.
  const where = originOf(rootError(error)) ?? originOf(error)
  return where === undefined ? errorClass : `${errorClass} at ${where}`
}

function rootError(error: unknown): unknown {
  let root = error
  for (let depth = 0; depth < 10 && root instanceof Error && root.cause !== undefined; depth++) root = root.cause
  return root
}

/** What a crash shows: its text for /readyz, and a bounded reason (the root class) for the metric. */
function summarise(error: unknown): { crash: ReturnType<typeof describeCrash>; text: string; reason: string } {
  const crash = describeCrash(error)
  const { errorClass } = rootOf(crash)
  return { crash, text: textOf(error, crash), reason: REASONS.has(errorClass) ? errorClass : 'other' }
}

export interface SuperviseOptions {
  /** The consumer's name in logs, metrics and /readyz (`consumer:<name>`). */
  name: string
  consumer: Consumer
  subscriptions: readonly ConsumerSubscribeTopics[]
  run: ConsumerRunConfig
  health: ConsumerHealth
  settings: ConsumerSettings
  logger: Logger
  metrics: Registry
  /** Every batch kafkajs finishes counts as progress (for a consumer whose handler commits through kafkajs). */
  progressFromBatches?: boolean
  /** Called once when the consumer cannot be restarted: stop the service and exit, so a supervisor starts it again. */
  onLost?: (name: string) => void
  /** Backoff between restarts: full jitter from `baseMs` doubling up to `maxMs` (1s to 30s). */
  backoff?: { baseMs: number; maxMs: number }
  /** Remove the dead member this consumer replaces instead of waiting out its session (see keepMembership). */
  membership?: Omit<MembershipOptions, 'onEvicted'>
}

export interface SupervisedConsumer {
  /** Connects, subscribes and runs the consumer. */
  start(): Promise<void>
  /** No more restarts; disconnects the consumer (kafkajs lets the batch in hand finish). Idempotent. */
  stop(): Promise<void>
}

/**
 * Keeps a kafkajs consumer running. On `CRASH`, kafkajs has already stopped the consumer and left
 * the group (so its partitions go to the group as in a rebalance); when it restarts the consumer
 * itself (`restart: true`, a retriable error) the restart is counted and left to it. Otherwise this
 * restarts it — connect, subscribe, run again — after a full-jitter wait, at most `restartLimit`
 * times within `restartWindowMs`; past that, or when a restart cannot even connect that often, it
 * calls `onLost`. The consumer object stays the same, so the service's event listeners and its
 * references to it stay valid.
 */
export function superviseConsumer(options: SuperviseOptions): SupervisedConsumer {
  const { name, consumer, health, settings } = options
  const log = options.logger.child({ component: 'consumer-supervisor', consumer: name })
  const backoff = options.backoff ?? { baseMs: 1000, maxMs: 30_000 }
  const restarts = counter(
    options.metrics,
    'trends_consumer_restarts_total',
    'Consumer restarts after a crash, by consumer, error class and who restarted it (kafkajs or supervisor)',
    ['consumer', 'reason', 'by'],
  )
  const recent: number[] = []
  let halted = false
  let lost = false
  let timer: NodeJS.Timeout | undefined
  let restarting: Promise<void> | undefined
  /** A crash was seen and the consumer has not joined its group since. */
  let down = false
  const membership =
    options.membership === undefined
      ? undefined
      : keepMembership(consumer, {
          ...options.membership,
          onEvicted: (memberId, why) => log.info({ memberId, why }, 'dead member removed from the group'),
        })

  const { CRASH, GROUP_JOIN, STOP, START_BATCH_PROCESS, END_BATCH_PROCESS } = consumer.events
  consumer.on(GROUP_JOIN, ({ payload }) => {
    if (down) log.info({ restarts: recent.length }, 'consumer running again')
    down = false
    health.running()
    health.assigned(payload.memberAssignment)
  })
  consumer.on(STOP, () => health.stopped())
  consumer.on(START_BATCH_PROCESS, ({ payload }) => {
    // Until the handler says otherwise, this batch and all after it are still to do.
    if (payload.batchSize > 0) health.lag(payload.topic, payload.partition, Number(payload.offsetLagLow) + 1)
  })
  consumer.on(END_BATCH_PROCESS, ({ payload }) => {
    // A batch of transaction markers only: the position is past them and nothing was to be done.
    if (payload.batchSize === 0) health.lag(payload.topic, payload.partition, Number(payload.offsetLag))
    else if (options.progressFromBatches === true) {
      health.progressed()
      health.lag(payload.topic, payload.partition, Number(payload.offsetLag))
    }
  })
  consumer.on(CRASH, ({ payload }) => {
    if (halted) return
    down = true
    const summary = summarise(payload.error)
    if (payload.restart) {
      restarts.inc({ consumer: name, reason: summary.reason, by: 'kafkajs' })
      health.crashed(summary.text, 'kafkajs restarts it')
      log.warn(summary.crash, 'consumer crashed; kafkajs restarts it')
      return
    }
    log.error(summary.crash, 'consumer crashed; kafkajs will not restart it')
    schedule(summary)
  })

  function schedule({ text, reason }: { text: string; reason: string }): void {
    const at = Date.now()
    while (recent.length > 0 && at - recent[0]! > settings.restartWindowMs) recent.shift()
    if (recent.length >= settings.restartLimit) {
      health.crashed(text, 'restarts exhausted')
      if (!lost) {
        lost = true
        log.error({ restarts: recent.length, windowMs: settings.restartWindowMs }, 'consumer cannot be restarted; giving up')
        options.onLost?.(name)
      }
      return
    }
    const wait = fullJitter(recent.length, backoff.baseMs, backoff.maxMs)
    health.crashed(text, `restart ${recent.length + 1} of ${settings.restartLimit}`)
    recent.push(at + wait)
    timer = setTimeout(() => {
      timer = undefined
      restarts.inc({ consumer: name, reason, by: 'supervisor' })
      restarting = restart().finally(() => {
        restarting = undefined
      })
    }, wait)
  }

  async function run(): Promise<void> {
    health.starting('connecting the consumer')
    await consumer.connect()
    health.starting('subscribing')
    for (const subscription of options.subscriptions) await consumer.subscribe(subscription)
    health.starting('joining the group')
    // A failed join does not throw here: kafkajs reports it as another CRASH.
    await consumer.run(options.run)
  }

  async function restart(): Promise<void> {
    if (halted) return
    try {
      // kafkajs disconnected it before the crash event; this also drops a half-open connection.
      await consumer.disconnect().catch(() => undefined)
      if (halted) return
      await run()
    } catch (error) {
      if (halted) return
      const summary = summarise(error)
      log.error(summary.crash, 'consumer restart failed')
      schedule(summary)
    }
  }

  let stopped: Promise<void> | undefined
  return {
    start: run,
    stop() {
      stopped ??= (async () => {
        halted = true
        membership?.stop()
        if (timer !== undefined) clearTimeout(timer)
        await restarting
        await consumer.disconnect()
        health.stopped()
      })()
      return stopped
    },
  }
}

/**
 * For a service's main, as `onLost`: stops the service the way SIGTERM does (stop intake, drain,
 * disconnect), then exits with CONSUMER_LOST_EXIT_CODE so that a supervisor starts the process
 * again; `forceAfterMs` bounds a stop that hangs. Later calls do nothing.
 */
export function exitWhenConsumerLost(stop: () => Promise<void>, logger: Logger, forceAfterMs = 15_000): (name: string) => void {
  let exiting = false
  return (name) => {
    if (exiting) return
    exiting = true
    logger.error({ consumer: name, exitCode: CONSUMER_LOST_EXIT_CODE }, 'a consumer cannot be restarted; stopping the service')
    setTimeout(() => process.exit(CONSUMER_LOST_EXIT_CODE), forceAfterMs).unref()
    stop().then(
      () => process.exit(CONSUMER_LOST_EXIT_CODE),
      (error: unknown) => {
        logger.error({ err: describeCrash(error) }, 'stop failed')
        process.exit(CONSUMER_LOST_EXIT_CODE)
      },
    )
  }
}
