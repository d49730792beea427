import { createCreativeCenterClient } from '@trends/creative-center'
import { createKafka, createSchemaRegistry, topicsFor, type MemberMemory } from '@trends/kafka'
import type { Logger } from '@trends/logger'
import type { Condition, Registry } from '@trends/metrics'
import type { ProducerConfig } from './config.ts'
import { createScheduler, type Scheduler } from './scheduler.ts'
import { createWorker, type Worker } from './worker.ts'

export type Role = 'scheduler' | 'worker' | 'all'
export const ROLES: readonly Role[] = ['scheduler', 'worker', 'all']

export interface AppDeps {
  config: ProducerConfig
  role: Role
  logger: Logger
  metrics: Registry
  /** The worker's consumer cannot be restarted: the process should stop and exit (main wires it). */
  onConsumerLost?: (name: string) => void
  /** The worker's member id kept across restarts of this process (main.ts: its instance slot). */
  members?: MemberMemory
  now?: () => number
}

/** Wires the scheduler and/or a worker; `stop()` is idempotent and stops in reverse order. */
export function createApp(deps: AppDeps) {
  const { config, role, logger, metrics } = deps
  const kafka = createKafka(config.kafka, { logger })
  const topics = topicsFor(config.topicPrefix)
  const timeNow = deps.now === undefined ? {} : { now: deps.now }
  const scheduler: Scheduler | undefined =
    role === 'worker'
      ? undefined
      : createScheduler({
          kafka,
          charts: config.charts,
          topics,
          logger,
          metrics,
          tickMs: config.schedulerTickMs,
          taskPartitions: config.taskPartitions,
          ...timeNow,
        })
  const client =
    role === 'scheduler' ? undefined : createCreativeCenterClient({ settings: config.creativeCenter, logger, metrics, ...timeNow })
  const worker: Worker | undefined =
    client === undefined
      ? undefined
      : createWorker({
          kafka,
          registry: createSchemaRegistry(config.registry),
          client,
          topics,
          logger,
          metrics,
          groupId: config.workerGroupId,
          rawPartitions: config.rawPartitions,
          taskPartitions: config.taskPartitions,
          sessionTimeoutMs: config.workerSessionTimeoutMs,
          charts: config.charts,
          consumer: { settings: config.consumer, onLost: deps.onConsumerLost, members: deps.members },
          ...timeNow,
        })
  let stopping: Promise<void> | undefined
  const conditions: Record<string, Condition> = {}
  if (worker !== undefined) conditions['consumer:producer-worker'] = () => worker.health.problem()

  return {
    topics,
    scheduler,
    worker,
    /** For /readyz: the worker's tasks consumer (running, and not stalled with lag). */
    conditions,
    async start(): Promise<void> {
      // The scheduler creates the tasks topic; a worker subscribes to it.
      await scheduler?.start()
      await worker?.start()
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        await worker?.stop()
        await scheduler?.stop()
        await client?.close()
      })()
      return stopping
    },
  }
}
