import { setTimeout as sleep } from 'node:timers/promises'
import { randomSuffix } from '@trends/core'
import type { Logger } from '@trends/logger'
import { DEFAULT_TOPIC_LAYOUT, ensureTopics, Partitioners, retrying, topicSpecs, type Kafka, type Producer } from '@trends/kafka'
import { counter, type Registry, PIPELINE_METRICS } from '@trends/metrics'
import type { ChartSpec } from './matrix.ts'
import { decodeTask, encodeTask, taskFor } from './tasks.ts'
import type { Topics } from '@trends/kafka'

export interface SchedulerDeps {
  kafka: Kafka
  charts: readonly ChartSpec[]
  topics: Topics
  logger: Logger
  metrics: Registry
  tickMs: number
  taskPartitions: number
  now?: () => number
}

export interface Scheduler {
  /** Publishes the tasks of the current slots not published yet; returns how many it published. */
  tick(): Promise<number>
  /** Reads back what was published for the current slots, then ticks every SCHEDULER_TICK. */
  start(): Promise<void>
  /** Ends the loop (a tick in flight finishes) and disconnects. */
  stop(): Promise<void>
}

/**
 * Turns the matrix into tasks on the tasks topic: one task per chart per time slot. The task id
 * is derived from the chart and the slot, and on start the scheduler reads back the ids it already
 * published for the current slots, so a restart does not publish (and double) the same work.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { kafka, charts, topics, logger, metrics } = deps
  const now = deps.now ?? Date.now
  const log = logger.child({ component: 'scheduler' })
  const published = new Map<string, number>()
  const scheduled = counter(metrics, PIPELINE_METRICS.scheduledTasks, 'Fetch tasks published, by endpoint', ['endpoint'])
  const longestCadence = Math.max(...charts.map((chart) => chart.cadenceMs))
  let producer: Producer | undefined
  let running = false
  let loop: Promise<void> | undefined
  const stopped = new AbortController()

  /**
   * Reads back the tasks already on the topic (up to its current end) and remembers those whose
   * slot can still be current. The topic holds one small record per chart per slot, so reading it
   * from the start is cheap and needs no offset arithmetic.
   */
  async function recoverPublished(): Promise<number> {
    const admin = kafka.admin()
    await admin.connect()
    let ends: Array<{ partition: number; high: string; low: string }>
    try {
      ends = await retrying(() => admin.fetchTopicOffsets(topics.tasks))
    } finally {
      await admin.disconnect()
    }
    const pending = new Map(ends.filter((end) => BigInt(end.high) > BigInt(end.low)).map((end) => [end.partition, BigInt(end.high)]))
    if (pending.size === 0) return 0
    const oldestCurrentSlot = now() - 2 * longestCadence
    const consumer = kafka.consumer({ groupId: `${topics.tasks}.scheduler-recovery.${randomSuffix()}` })
    let read = 0
    await consumer.connect()
    try {
      await consumer.subscribe({ topic: topics.tasks, fromBeginning: true })
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              try {
                const { task } = decodeTask(message.value)
                if (task.slotStart >= oldestCurrentSlot) published.set(task.taskId, task.slotStart)
                read++
              } catch {
                // Not a task this scheduler can read; the workers dead-letter it.
              }
              if (BigInt(message.offset) + 1n >= (pending.get(partition) ?? 0n)) pending.delete(partition)
              if (pending.size === 0) resolve()
            },
          })
          .catch(reject)
      })
    } finally {
      await consumer.disconnect()
    }
    return read
  }

  /** Publishes the tasks of the current slots that are not published yet; returns how many. */
  async function tick(): Promise<number> {
    if (producer === undefined) throw new Error('the scheduler is not started')
    const at = now()
    const messages = []
    for (const chart of charts) {
      const task = taskFor(chart, at)
      if (published.has(task.taskId)) continue
      messages.push({ key: task.taskId, value: encodeTask(task), headers: { endpoint: task.endpoint } })
      published.set(task.taskId, task.slotStart)
    }
    if (messages.length > 0) {
      await producer.send({ topic: topics.tasks, acks: -1, messages })
      for (const message of messages) scheduled.inc({ endpoint: message.headers.endpoint })
      log.info({ tasks: messages.length }, 'tasks published')
    }
    // Forget slots that can no longer come round again.
    for (const [id, slot] of published) if (slot + 2 * longestCadence < at) published.delete(id)
    return messages.length
  }

  return {
    tick,
    async start(): Promise<void> {
      await ensureTopics(kafka, topicSpecs(topics, { ...DEFAULT_TOPIC_LAYOUT, taskPartitions: deps.taskPartitions }, ['tasks']))
      const recovered = await recoverPublished()
      log.info({ recovered, charts: charts.length }, 'scheduler started')
      producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner })
      await producer.connect()
      running = true
      loop = (async () => {
        while (running) {
          try {
            await tick()
          } catch (error) {
            log.error({ err: error }, 'publishing tasks failed; retrying next tick')
          }
          await sleep(deps.tickMs, undefined, { signal: stopped.signal }).catch(() => undefined)
        }
      })()
    },
    async stop(): Promise<void> {
      running = false
      stopped.abort()
      await loop
      await producer?.disconnect()
      producer = undefined
    },
  }
}
