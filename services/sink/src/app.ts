import { setTimeout as sleep } from 'node:timers/promises'
import { fullJitter } from '@trends/core'
import { clusterOf, createClickHouse, describeClickHouse, migrate, MIGRATIONS_DIR, type ClickHouseClient } from '@trends/clickhouse'
import {
  AvroCodec,
  ConsumerHealth,
  createKafka,
  orderedProducer,
  createSchemaRegistry,
  ensureTopics,
  topicSpecs,
  registerTopicSchema,
  superviseConsumer,
  topicsFor,
  type Admin,
  type Consumer,
  type ConsumerRunConfig,
  type SupervisedConsumer,
  type DeadLetterValue,
  type Producer,
  type MemberMemory,
  type Topics,
} from '@trends/kafka'
import type { Logger } from '@trends/logger'
import { describeFailure as readinessReason, type Condition, type Registry } from '@trends/metrics'
import type { SinkConfig } from './config.ts'
import { entryMaker } from './entries.ts'
import { describeFailure, errorClassLabel, failureLabels, isServerError } from './insert.ts'
import type { Limits } from './lane.ts'
import { sinkMetrics } from './metrics.ts'
import { Partitions } from './partitions.ts'
import type { PartitionEvents, PartitionStore } from './ports.ts'
import { routesFor, type Route, type Row } from './routes.ts'
import { clickhouseStore } from './store.ts'

export interface SinkDeps {
  config: SinkConfig
  logger: Logger
  metrics: Registry
  /** A client to use instead of one made from the settings (tests, or a process that already holds chDB). */
  clickhouse?: ClickHouseClient
  /** The consumer cannot be restarted: the process should stop and exit (main wires it). */
  onConsumerLost?: (name: string) => void
  /** The consumer's member id kept across restarts of this process (main.ts: its instance slot). */
  members?: MemberMemory
  now?: () => number
  /**
   * A sink of a shadow replay (shadow.ts): its routes (the live topics following the live ledger,
   * and the shadow normalizer's topics), its store, the records it leaves out, and the topic its
   * refused rows go to. Unset: the live sink.
   */
  shadow?: {
    routes: Route[]
    store: (client: ClickHouseClient) => PartitionStore
    leaveOut: (route: Route, row: Row) => boolean
    deadLetterTopic: string
  }
}

export interface Sink {
  topics: Topics
  routes: Route[]
  /** For /readyz: the consumer runs, and is not stalled with records not yet in ClickHouse. */
  conditions: Record<string, Condition>
  start(): Promise<void>
  /** Stops consuming, lets open batches land (within SINK_DRAIN_TIMEOUT), commits and closes. */
  stop(): Promise<void>
  /**
   * Records of a partition still to load as this sink last saw it — not fetched yet (trailing
   * transaction markers, which no committed offset steps over, do not count), or gathered and not
   * in ClickHouse yet; undefined before it has read the partition.
   */
  lag(topic: string, partition: number): number | undefined
}

/** The longest a fetch waits for data, and so the longest a resumed partition waits to be read. */
const FETCH_WAIT_MS = 100

/**
 * The sink: one consumer group on the cleaned topic, the fetch log and the dead letters, each
 * partition's records loaded into its table in batches by the exactly-once core (`Partitions`).
 * This file is the wiring: settings, clients, metrics, dead letters and the consumer's handlers.
 */
export function createSink(deps: SinkDeps): Sink {
  const { config, logger } = deps
  const now = deps.now ?? Date.now
  const log = logger.child({ component: 'sink' })
  const kafka = createKafka(config.kafka, { logger })
  const registry = createSchemaRegistry(config.registry)
  const topics = topicsFor(config.topicPrefix)
  const routes = deps.shadow?.routes ?? routesFor(topics)
  const deadLetterTopic = deps.shadow?.deadLetterTopic ?? topics.deadLetters
  const limits: Limits = { rows: config.batchRows, bytes: config.batchBytes, waitMs: config.batchWaitMs }
  const ownsClient = deps.clickhouse === undefined
  const clickhouse = deps.clickhouse ?? createClickHouse(config.clickhouse, logger)
  const codec = new AvroCodec(registry)
  const entries = entryMaker(codec, now)
  const m = sinkMetrics(deps.metrics)
  m.clickhouseUp.set(1)

  let consumer: Consumer | undefined
  let supervised: SupervisedConsumer | undefined
  let dlqProducer: Producer | undefined
  let admin: Admin | undefined
  let deadLetterSchemaId = 0
  let stopping = false
  let stopped: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined

  async function sendDeadLetters(letters: DeadLetterValue[]): Promise<void> {
    const messages = await Promise.all(
      letters.map(async (letter) => ({
        key: `${letter.source_topic}:${letter.source_partition}:${letter.source_offset}`,
        value: await registry.encode(deadLetterSchemaId, letter),
        headers: { stage: 'sink', 'error-class': letter.error_class },
      })),
    )
    await dlqProducer!.send({ topic: deadLetterTopic, acks: -1, messages })
  }

  const events: PartitionEvents = {
    storeFailed(error, failure) {
      const described = describeFailure(error)
      m.clickhouseErrors.inc(failureLabels(described))
      if (failure.what === 'insert') m.inserts.inc({ table: failure.table, outcome: 'failed' })
      m.clickhouseUp.set(0)
      // Why the sink makes no progress, for /readyz beside its stall (cleared by the next commit).
      const reason = readinessReason(error)
      health.failing(`clickhouse ${reason.unreachable ? 'unreachable' : 'failing'}: ${reason.reason}`)
      // ClickHouse's message can quote row content; logs get its code and name only.
      const { what, ...where } = failure
      log.warn(
        { ...where, code: described.code, type: described.type },
        what === 'insert' ? 'insert failed; retrying' : 'cannot read the batch ledger; retrying',
      )
    },
    storeBack(table, attempts) {
      log.info({ table, attempts }, 'ClickHouse takes inserts again')
      m.clickhouseUp.set(1)
    },
    async inserted(batch, _rows, rejected) {
      const table = batch.route.table
      m.clickhouseUp.set(1)
      const letters: DeadLetterValue[] = []
      for (const entry of batch.entries) if (entry.dead !== undefined) letters.push(entry.dead)
      if (batch.route.deadLetterRejects) for (const { item, failure } of rejected) letters.push(entries.refused(batch, item, failure))
      if (letters.length > 0 && batch.route.deadLetterRejects) await sendDeadLetters(letters)
      for (const letter of letters) m.deadLettered.inc({ table, error_class: errorClassLabel(letter.error_class) })
      if (!batch.route.deadLetterRejects && (letters.length > 0 || rejected.length > 0)) {
        // Dead letters that cannot be stored stay in the dead-letter topic; say so, without content.
        log.error(
          { table, refused: rejected.length + letters.length, first: batch.first, last: batch.last },
          'dead letters not stored in ClickHouse',
        )
      }
    },
    committed(batch, rows, rejected, startedAt) {
      const table = batch.route.table
      health.progressed()
      const stored = rows.length - rejected.length
      m.rowsInserted.inc({ table }, stored)
      m.inserts.inc({ table, outcome: 'ok' })
      m.insertSeconds.observe({ table }, (performance.now() - startedAt) / 1000)
      m.batchRows.observe({ table }, stored)
      if (batch.route.name !== 'observations') return
      const at = now()
      for (const entry of rows) {
        if (entry.fetchedAt !== undefined) m.freshness.observe((at - entry.fetchedAt) / 1000)
        if (entry.dataDay !== undefined) m.dataAge.observe(Math.max(0, (at - (entry.dataDay + 1) * 86_400_000) / 1000))
      }
    },
    leftForRetry(batch, error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error))
      log.warn({ err: { name, message }, topic: batch.topic, partition: batch.partition }, 'batch left for a retry')
    },
    fenced(batch, by) {
      log.warn(
        { topic: batch.topic, partition: batch.partition, first: batch.first, last: batch.last, claimedBy: by ?? 'nobody' },
        'partition claimed by a later owner; batch abandoned before its insert',
      )
    },
    parked(key) {
      health.failing('paused for a table swap (trends replay --swap)')
      log.info({ topic: key.topic, partition: key.partition }, 'tables being swapped; partition paused')
    },
    unparked(key, from) {
      log.info({ topic: key.topic, partition: key.partition, from }, 'tables swapped; reading on')
    },
    planned(key, ranges, from) {
      log.info({ topic: key.topic, partition: key.partition, ranges, from: String(from) }, 'forming batches as the ledger has them')
    },
    changed() {
      const { rows, paused } = partitions.buffered()
      m.bufferedRows.set(rows)
      m.pausedPartitions.set(paused)
    },
  }

  /**
   * kafkajs throws on pause, resume and seek while its consumer is stopped (a crash, before the
   * supervisor's restart; the STOP handler retires every lane then); a restarted consumer starts
   * with nothing paused and reads from the committed offsets, so there is nothing to do.
   */
  const whileRunning = (act: () => void) => {
    try {
      act()
    } catch (error) {
      log.debug({ err: { name: (error as Error).name, message: (error as Error).message } }, 'consumer not running; skipped')
    }
  }

  const partitions = new Partitions({
    routes,
    limits,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    store: deps.shadow?.store(clickhouse) ?? clickhouseStore(clickhouse, (table) => m.inserts.inc({ table, outcome: 'split' })),
    events,
    toEntry: (route, partition, message) => {
      const entry = entries.toEntry(route, partition, message)
      // A shadow replay leaves out what another of its topics brings in its place: consumed, not stored.
      if (entry.row !== undefined && deps.shadow?.leaveOut(route, entry.row) === true) return { ...entry, row: undefined }
      return entry
    },
    now,
    consumer: {
      pause: (topic, partition) => whileRunning(() => consumer?.pause([{ topic, partitions: [partition] }])),
      resume: (topic, partition) => whileRunning(() => consumer?.resume([{ topic, partitions: [partition] }])),
      seek: (topic, partition, offset) => whileRunning(() => consumer?.seek({ topic, partition, offset })),
      commit: async (topic, partition, offset) => {
        await consumer!.commitOffsets([{ topic, partition, offset }])
      },
    },
  })

  const lags = new Map<string, number>()
  // Gathered and in-flight records are behind too: they are not in ClickHouse and not committed.
  const health = new ConsumerHealth({
    stallAfterMs: config.consumer.stallAfterMs,
    now,
    // The gauge follows the health's lag, so a batch of commit markers only (which never reaches
    // eachBatch; the supervisor sees it) also brings it to 0.
    onLag: (topic, partition, records) => {
      lags.set(`${topic}:${partition}`, records)
      m.consumerLag.set({ topic, partition: String(partition) }, records)
    },
    pending: () => partitions.pending(),
  })

  /**
   * Applies the migrations, waiting (with backoff) while ClickHouse cannot be reached or refuses the
   * credentials: a sink started before its ClickHouse comes up once it does. A migration that fails
   * for its own content (an edited migration, bad SQL) stops the start.
   */
  async function migrateWhenReachable(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await migrate(clickhouse, MIGRATIONS_DIR, { cluster: clusterOf(config.clickhouse) })
        if (result.applied.length > 0) log.info({ applied: result.applied }, 'migrations applied')
        m.clickhouseUp.set(1)
        return
      } catch (error) {
        const failure = describeFailure(error)
        if (stopping || !isServerError(failure)) throw error
        m.clickhouseErrors.inc(failureLabels(failure))
        m.clickhouseUp.set(0)
        const wait = fullJitter(attempt, config.retryBaseMs, config.retryMaxMs)
        log.warn({ code: failure.code, type: failure.type, retryInMs: wait }, 'ClickHouse not reachable for the migrations; retrying')
        await sleep(wait)
      }
    }
  }

  const handlers: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async (payload) => {
      const { batch } = payload
      if (batch.messages.length === 0 || stopping || !payload.isRunning() || payload.isStale()) return
      if (!partitions.holds(batch.topic, batch.partition)) return
      await codec.loadFor(batch.messages.map((message) => message.value))
      const taken = partitions.take(batch.topic, batch.partition, batch.messages)
      for (const message of batch.messages.slice(0, taken)) payload.resolveOffset(message.offset)
      m.recordsIn.inc({ topic: batch.topic }, taken)
      if (taken > 0) {
        const next = BigInt(batch.messages[taken - 1]!.offset) + 1n
        // All taken: kafkajs's own lag also steps over the batch's trailing transaction markers.
        const behind = taken === batch.messages.length ? Number(batch.offsetLag()) : Number(BigInt(batch.highWatermark) - next)
        health.lag(batch.topic, batch.partition, behind)
      }
      await payload.heartbeat()
    },
  }

  return {
    topics,
    routes,
    conditions: { 'consumer:sink': () => health.problem() },
    lag: (topic, partition) => {
      const behind = lags.get(`${topic}:${partition}`)
      if (behind === undefined) return undefined
      // Taken but not in ClickHouse yet is still to do.
      return behind + partitions.pending().reduce((sum, p) => sum + (p.topic === topic && p.partition === partition ? p.records : 0), 0)
    },
    async start(): Promise<void> {
      if (config.migrate) {
        health.starting('migrating ClickHouse')
        await migrateWhenReachable()
      }
      health.starting('creating topics')
      await ensureTopics(kafka, topicSpecs(topics, config.layout, ['cleaned', 'fetchLog', 'deadLetters', 'signals']))
      health.starting('registering schemas')
      deadLetterSchemaId = await registerTopicSchema(registry, deadLetterTopic, 'tiktok.dead-letter.avsc')
      health.starting('connecting to Kafka')
      admin = kafka.admin()
      await admin.connect()
      dlqProducer = await orderedProducer(kafka)
      // A short fetch wait: kafkajs sleeps this long when every partition is paused (while inserts
      // land), and a paused partition is only fetched again after that.
      consumer = kafka.consumer({
        groupId: config.groupId,
        readUncommitted: false,
        maxWaitTimeInMs: FETCH_WAIT_MS,
        // Larger fetches than kafkajs's 1 MiB: fewer round trips per batch (measured: in-process
        // throughput 0.74–0.76 of the ceiling with 1 MiB, 0.87–0.91 with 4 MiB).
        maxBytesPerPartition: config.fetchBytesPerPartition,
        maxBytes: Math.max(32 * 1024 * 1024, config.fetchBytesPerPartition),
        sessionTimeout: config.sessionTimeoutMs,
        heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeoutMs / 10)),
      })
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => partitions.assign(payload.memberAssignment))
      // Stopped by a crash (kafkajs left the group): every partition is given away, as in a rebalance.
      // Batches in flight may still land, but are not committed; the next owner forms them again from the ledger.
      consumer.on(consumer.events.STOP, () => partitions.assign({}))
      timer = setInterval(() => partitions.due(), Math.max(20, Math.min(250, Math.floor(config.batchWaitMs / 4))))
      supervised = superviseConsumer({
        name: 'sink',
        consumer,
        subscriptions: [{ topics: routes.map((route) => route.topic), fromBeginning: true }],
        run: handlers,
        health,
        settings: config.consumer,
        logger,
        metrics: deps.metrics,
        onLost: deps.onConsumerLost,
        membership: { kafka, groupId: config.groupId, memory: deps.members, sessionTimeoutMs: config.sessionTimeoutMs },
      })
      await supervised.start()
      log.info({ groupId: config.groupId, clickhouse: describeClickHouse(config.clickhouse), limits }, 'sink started')
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        stopping = true
        if (timer !== undefined) clearInterval(timer)
        try {
          consumer?.pause(routes.map((route) => ({ topic: route.topic })))
        } catch {
          // Not running (it crashed and waits for a restart): there is nothing to fetch.
        }
        await partitions.drain(config.drainTimeoutMs)
        await supervised?.stop()
        await dlqProducer?.disconnect()
        await admin?.disconnect()
        if (ownsClient) await clickhouse.close()
      })()
      return stopped
    },
  }
}
