import { setTimeout as sleep } from 'node:timers/promises'
import { fullJitter } from '@trends/core'
import { createClickHouse, describeClickHouse, migrate, type ClickHouseClient } from '@trends/clickhouse'
import {
  deadLetterValue,
  AvroCodec,
  AvroFrameError,
  ConsumerHealth,
  createKafka,
  createSchemaRegistry,
  ensureTopics,
  topicSpecs,
  Partitioners,
  registerTopicSchema,
  superviseConsumer,
  topicsFor,
  type Admin,
  type Consumer,
  type ConsumerRunConfig,
  type SupervisedConsumer,
  type DeadLetterValue,
  type KafkaMessage,
  type Producer,
} from '@trends/kafka'
import type { Logger } from '@trends/logger'
import { counter, describeFailure as readinessReason, gauge, histogram, type Registry, PIPELINE_METRICS } from '@trends/metrics'
import type { SinkConfig } from './config.ts'
import { describeFailure, errorClassLabel, failureLabels, insertSplitting, isServerError, type InsertFailure } from './insert.ts'
import { batchToken, Lane, type Batch, type Entry, type Limits } from './lane.ts'
import { loadPlan, recordBatch } from './ledger.ts'
import { routesFor, RowError, type Route } from './routes.ts'

export interface SinkDeps {
  config: SinkConfig
  logger: Logger
  metrics: Registry
  /** A client to use instead of one made from the settings (tests, or a process that already holds chDB). */
  clickhouse?: ClickHouseClient
  /** The consumer cannot be restarted: the process should stop and exit (main wires it). */
  onConsumerLost?: (name: string) => void
  now?: () => number
}

const DECODE_ERRORS: Readonly<Record<AvroFrameError['reason'], string>> = {
  'not-framed': 'NOT_CONFLUENT_AVRO',
  'unknown-schema': 'UNKNOWN_SCHEMA_ID',
  'bad-body': 'AVRO_DECODE_FAILED',
}

/** The longest a fetch waits for data, and so the longest a resumed partition waits to be read. */
const FETCH_WAIT_MS = 100

const laneKey = (topic: string, partition: number) => `${topic}:${partition}`

/**
 * The sink: one consumer group on the cleaned topic, the fetch log and the dead letters; per
 * partition it gathers records into batches (rows, bytes, age) and inserts each batch into
 * ClickHouse with a deduplication token made of its offset range. Before a batch is inserted its
 * range goes to the batch ledger (`sink_batches`); after ClickHouse acknowledges it, the offset past
 * it is committed. A crash, a rebalance or a replay makes the next reader form the same batch again
 * from the ledger, and ClickHouse drops the repeat: exactly once into ClickHouse.
 */
export function createSink(deps: SinkDeps) {
  const { config, logger, metrics } = deps
  const now = deps.now ?? Date.now
  const log = logger.child({ component: 'sink' })
  const kafka = createKafka(config.kafka, { logger })
  const registry = createSchemaRegistry(config.registry)
  const topics = topicsFor(config.topicPrefix)
  const routes = routesFor(topics)
  const routeOf = new Map(routes.map((route) => [route.topic, route]))
  const limits: Limits = { rows: config.batchRows, bytes: config.batchBytes, waitMs: config.batchWaitMs }
  const ownsClient = deps.clickhouse === undefined
  const clickhouse = deps.clickhouse ?? createClickHouse(config.clickhouse, logger)
  const codec = new AvroCodec(registry)

  const recordsIn = counter(metrics, PIPELINE_METRICS.sinkRecordsIn, 'Records consumed, by topic', ['topic'])
  const rowsInserted = counter(metrics, PIPELINE_METRICS.sinkRowsInserted, 'Rows ClickHouse acknowledged, by table', ['table'])
  const inserts = counter(metrics, 'trends_sink_inserts_total', 'Inserts, by table and outcome (ok, failed, split)', ['table', 'outcome'])
  const insertSeconds = histogram(
    metrics,
    'trends_sink_insert_duration_seconds',
    'Time to insert one batch, retries included',
    ['table'],
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  )
  const batchRows = histogram(
    metrics,
    'trends_sink_batch_rows',
    'Rows per inserted batch',
    ['table'],
    [1, 10, 100, 1000, 10_000, 50_000, 100_000],
  )
  const deadLettered = counter(metrics, PIPELINE_METRICS.sinkDeadLetters, 'Records the sink could not store, by table and error class', [
    'table',
    'error_class',
  ])
  const clickhouseErrors = counter(
    metrics,
    'trends_sink_clickhouse_errors_total',
    'ClickHouse failures that were retried, by error code and name (ECONNREFUSED for a refused connection)',
    ['code', 'type'],
  )
  const clickhouseUp = gauge(
    metrics,
    'trends_sink_clickhouse_up',
    '1 while ClickHouse takes inserts, 0 while inserts are being retried',
    [],
  )
  const bufferedRows = gauge(metrics, 'trends_sink_buffered_rows', 'Records gathered and not yet acknowledged by ClickHouse', [])
  const consumerLag = gauge(
    metrics,
    'trends_sink_consumer_lag',
    'Records of each partition not yet taken (transaction markers do not count: a drained partition reads 0)',
    ['topic', 'partition'],
  )
  const pausedPartitions = gauge(metrics, 'trends_sink_paused_partitions', 'Partitions paused while their previous batch is retried', [])
  const freshness = histogram(
    metrics,
    'trends_sink_freshness_seconds',
    'From fetch to acknowledged in ClickHouse, per observation',
    [],
    [1, 5, 15, 60, 300, 900, 3600, 21_600, 86_400],
  )
  const dataAge = histogram(
    metrics,
    'trends_sink_data_age_seconds',
    'From the end of the upstream data date to acknowledged in ClickHouse, per observation',
    [],
    [3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 3 * 86_400, 7 * 86_400],
  )
  clickhouseUp.set(1)

  let consumer: Consumer | undefined
  let supervised: SupervisedConsumer | undefined
  let dlqProducer: Producer | undefined
  let admin: Admin | undefined
  let deadLetterSchemaId = 0
  let stopping = false
  /** Until a stop begins, inserts are retried for as long as it takes. */
  let drainDeadline = Number.POSITIVE_INFINITY
  let stopped: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  const lanes = new Map<string, Lane>()
  // Gathered and in-flight records are behind too: they are not in ClickHouse and not committed.
  const health = new ConsumerHealth({
    stallAfterMs: config.consumer.stallAfterMs,
    now,
    // The gauge follows the health's lag, so a batch of commit markers only (which never reaches
    // eachBatch; the supervisor sees it) also brings it to 0.
    onLag: (topic, partition, records) => consumerLag.set({ topic, partition: String(partition) }, records),
    pending: () =>
      [...lanes.values()].map((lane) => ({ topic: lane.topic, partition: lane.partition, records: lane.entries.length + lane.flightRows })),
  })

  /** Why the sink makes no progress, for /readyz beside its stall (cleared by the next commit). */
  const clickhouseFailing = (error: unknown) => {
    const reason = readinessReason(error)
    health.failing(`clickhouse ${reason.unreachable ? 'unreachable' : 'failing'}: ${reason.reason}`)
  }

  const refreshGauges = () => {
    let rows = 0
    let paused = 0
    for (const lane of lanes.values()) {
      rows += lane.entries.length + lane.flightRows
      if (lane.paused) paused++
    }
    bufferedRows.set(rows)
    pausedPartitions.set(paused)
  }

  function deadLetter(
    batch: Pick<Batch, 'topic' | 'partition'>,
    entry: Pick<Entry, 'offset' | 'value'>,
    errorClass: string,
    message: string,
    context: Record<string, string>,
  ): DeadLetterValue {
    return deadLetterValue({
      stage: 'sink',
      errorClass,
      message,
      source: { topic: batch.topic, partition: batch.partition, offset: entry.offset },
      original: entry.value,
      context,
      failedAt: now(),
    })
  }

  /** Decodes and maps one record; a record that cannot become a row becomes its dead letter. */
  function entryOf(route: Route, partition: number, message: KafkaMessage): Entry {
    const bytes = message.value?.length ?? 0
    const base = { offset: message.offset, value: message.value, bytes }
    try {
      const record = codec.decode(message.value).value as Record<string, unknown>
      const fetchedAt = record['fetched_at']
      const dataDay = record['data_date']
      return {
        ...base,
        row: route.toRow(record),
        ...(typeof fetchedAt === 'number' ? { fetchedAt } : {}),
        ...(typeof dataDay === 'number' ? { dataDay } : {}),
      }
    } catch (error) {
      const errorClass =
        error instanceof AvroFrameError ? DECODE_ERRORS[error.reason] : error instanceof RowError ? error.errorClass : 'SINK_MAPPING_FAILED'
      const text = error instanceof Error ? error.message : String(error)
      return { ...base, dead: deadLetter({ topic: route.topic, partition }, base, errorClass, text, { table: route.table }) }
    }
  }

  /** Inserts until ClickHouse takes the batch; undefined when it gave up (stopping, or the lane retired). */
  async function insertRetrying(lane: Lane, batch: Batch, rows: Entry[]) {
    const token = batchToken(batch)
    let planned = batch.planned
    for (let attempt = 0; ; attempt++) {
      try {
        // The range goes to the ledger first: whatever happens next, this batch is formed this way again.
        if (!planned) {
          await recordBatch(clickhouse, batch, rows.length)
          planned = true
        }
        const rejected = await insertSplitting(clickhouse, { table: batch.route.table, token }, rows, () =>
          inserts.inc({ table: batch.route.table, outcome: 'split' }),
        )
        if (attempt > 0) log.info({ table: batch.route.table, attempts: attempt + 1 }, 'ClickHouse takes inserts again')
        clickhouseUp.set(1)
        return rejected
      } catch (error) {
        const failure = describeFailure(error)
        clickhouseErrors.inc(failureLabels(failure))
        inserts.inc({ table: batch.route.table, outcome: 'failed' })
        clickhouseUp.set(0)
        clickhouseFailing(error)
        const wait = fullJitter(attempt, config.retryBaseMs, config.retryMaxMs)
        // ClickHouse's message can quote row content; logs get its code and name only.
        log.warn(
          { table: batch.route.table, code: failure.code, type: failure.type, attempt: attempt + 1, retryInMs: wait },
          'insert failed; retrying',
        )
        if (lane.retired || now() + wait > drainDeadline) return undefined
        await sleep(wait)
        if (lane.retired || now() > drainDeadline) return undefined
      }
    }
  }

  /** Inserts one batch and commits past it; on any failure the batch is left for the next try. */
  async function flush(lane: Lane, batch: Batch): Promise<void> {
    const table = batch.route.table
    const started = performance.now()
    const rows = batch.entries.filter((entry) => entry.row !== undefined)
    const rejected = await insertRetrying(lane, batch, rows)
    if (rejected === undefined) throw new Error('the batch was not inserted')
    const letters: DeadLetterValue[] = []
    for (const entry of batch.entries) if (entry.dead !== undefined) letters.push(entry.dead)
    if (batch.route.deadLetterRejects) {
      for (const { item, failure } of rejected) letters.push(clickhouseDeadLetter(batch, item, failure))
    }
    if (letters.length > 0 && batch.route.deadLetterRejects) await sendDeadLetters(letters)
    for (const letter of letters) deadLettered.inc({ table, error_class: errorClassLabel(letter.error_class) })
    if (!batch.route.deadLetterRejects && (letters.length > 0 || rejected.length > 0)) {
      // Dead letters that cannot be stored stay in the dead-letter topic; say so, without content.
      log.error(
        { table, refused: rejected.length + letters.length, first: batch.first, last: batch.last },
        'dead letters not stored in ClickHouse',
      )
    }
    if (lane.retired && !owned(batch.topic, batch.partition)) return
    await consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(BigInt(batch.last) + 1n) }])
    health.progressed()
    const stored = rows.length - rejected.length
    rowsInserted.inc({ table }, stored)
    inserts.inc({ table, outcome: 'ok' })
    insertSeconds.observe({ table }, (performance.now() - started) / 1000)
    batchRows.observe({ table }, stored)
    if (batch.route.name === 'observations') {
      const at = now()
      for (const entry of rows) {
        if (entry.fetchedAt !== undefined) freshness.observe((at - entry.fetchedAt) / 1000)
        if (entry.dataDay !== undefined) dataAge.observe(Math.max(0, (at - (entry.dataDay + 1) * 86_400_000) / 1000))
      }
    }
  }

  function clickhouseDeadLetter(batch: Batch, entry: Entry, failure: InsertFailure): DeadLetterValue {
    return deadLetter(batch, entry, `CLICKHOUSE_${failure.type || 'INSERT_REFUSED'}`, failure.message, {
      table: batch.route.table,
      clickhouse_code: failure.code,
    })
  }

  async function sendDeadLetters(letters: DeadLetterValue[]): Promise<void> {
    const messages = await Promise.all(
      letters.map(async (letter) => ({
        key: `${letter.source_topic}:${letter.source_partition}:${letter.source_offset}`,
        value: await registry.encode(deadLetterSchemaId, letter),
        headers: { stage: 'sink', 'error-class': letter.error_class },
      })),
    )
    await dlqProducer!.send({ topic: topics.deadLetters, acks: -1, messages })
  }

  let assignment = new Set<string>()
  const owned = (topic: string, partition: number) => assignment.has(laneKey(topic, partition))

  /** Pauses the lane's partition (records not taken are fetched again on resume). */
  function hold(lane: Lane): void {
    if (lane.paused) return
    lane.paused = true
    consumer?.pause([{ topic: lane.topic, partitions: [lane.partition] }])
  }

  /** Resumes the lane's partition once nothing holds it any more. */
  function release(lane: Lane): void {
    if (!lane.paused || lane.flight !== undefined || lane.loading !== undefined || lane.retired || stopping) return
    lane.paused = false
    consumer?.resume([{ topic: lane.topic, partitions: [lane.partition] }])
  }

  /** Starts inserting the lane's open batch, unless one is already in flight. */
  function startFlush(lane: Lane): void {
    if (lane.flight !== undefined || lane.retired || lane.entries.length === 0) return
    const batch = lane.take()
    lane.flightRows = batch.entries.length
    lane.flight = flush(lane, batch)
      .catch((error: unknown) => {
        if (lane.retired) return
        // Not inserted or not committed: read the batch again from its first offset.
        log.warn(
          { err: { name: (error as Error).name, message: (error as Error).message }, topic: lane.topic, partition: lane.partition },
          'batch left for a retry',
        )
        lane.clear()
        // Read the ledger again from here: if the range reached it, the batch is formed as it was.
        lane.plan = []
        lane.planFrom = undefined
        if (!stopping) consumer?.seek({ topic: lane.topic, partition: lane.partition, offset: batch.first })
      })
      .finally(() => {
        lane.flight = undefined
        lane.flightRows = 0
        release(lane)
        refreshGauges()
        if (!stopping && lane.ready(limits, now())) startFlush(lane)
      })
  }

  /** After a (re)join: new lanes for the assignment; each loads its plan from the ledger before its first batch. */
  function assign(memberAssignment: Record<string, number[]>): void {
    for (const lane of lanes.values()) {
      lane.retired = true
      lane.clear()
    }
    lanes.clear()
    assignment = new Set(Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => laneKey(topic, p))))
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      const route = routeOf.get(topic)
      if (route === undefined) continue
      for (const partition of partitions) lanes.set(laneKey(topic, partition), new Lane(route, partition))
    }
    refreshGauges()
  }

  /**
   * Loads the ledger's ranges from the lane's read position on (retrying while ClickHouse is away);
   * the lane's partition stays paused until they are in.
   */
  function loadLanePlan(lane: Lane, from: bigint): void {
    if (lane.loading !== undefined) return
    lane.loading = (async () => {
      for (let attempt = 0; !lane.retired && !stopping; attempt++) {
        try {
          const { plan, truncated } = await loadPlan(clickhouse, lane.route.table, lane.topic, lane.partition, from)
          lane.plan = plan
          lane.planTruncated = truncated
          lane.planFrom = from
          if (plan.length > 0)
            log.info(
              { topic: lane.topic, partition: lane.partition, ranges: plan.length, from: String(from) },
              'forming batches as the ledger has them',
            )
          return
        } catch (error) {
          const failure = describeFailure(error)
          clickhouseErrors.inc(failureLabels(failure))
          clickhouseUp.set(0)
          clickhouseFailing(error)
          log.warn(
            { code: failure.code, type: failure.type, topic: lane.topic, partition: lane.partition },
            'cannot read the batch ledger; retrying',
          )
          await sleep(fullJitter(attempt, config.retryBaseMs, config.retryMaxMs))
        }
      }
    })().finally(() => {
      lane.loading = undefined
      release(lane)
    })
  }

  /**
   * Applies the migrations, waiting (with backoff) while ClickHouse cannot be reached or refuses the
   * credentials: a sink started before its ClickHouse comes up once it does. A migration that fails
   * for its own content (an edited migration, bad SQL) stops the start.
   */
  async function migrateWhenReachable(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await migrate(clickhouse)
        if (result.applied.length > 0) log.info({ applied: result.applied }, 'migrations applied')
        clickhouseUp.set(1)
        return
      } catch (error) {
        const failure = describeFailure(error)
        if (stopping || !isServerError(failure)) throw error
        clickhouseErrors.inc(failureLabels(failure))
        clickhouseUp.set(0)
        const wait = fullJitter(attempt, config.retryBaseMs, config.retryMaxMs)
        log.warn({ code: failure.code, type: failure.type, retryInMs: wait }, 'ClickHouse not reachable for the migrations; retrying')
        await sleep(wait)
      }
    }
  }

  return {
    topics,
    routes,
    /** For /readyz: the consumer runs, and is not stalled with records not yet in ClickHouse. */
    conditions: { 'consumer:sink': () => health.problem() },
    async start(): Promise<void> {
      if (config.migrate) await migrateWhenReachable()
      await ensureTopics(kafka, topicSpecs(topics, config.layout, ['cleaned', 'fetchLog', 'deadLetters']))
      deadLetterSchemaId = await registerTopicSchema(registry, topics.deadLetters, 'tiktok.dead-letter.avsc')
      admin = kafka.admin()
      await admin.connect()
      dlqProducer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      })
      await dlqProducer.connect()
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
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => assign(payload.memberAssignment))
      // Stopped by a crash (kafkajs left the group): every partition is given away, as in a rebalance.
      // Batches in flight may still land, but are not committed; the next owner forms them again from the ledger.
      consumer.on(consumer.events.STOP, () => assign({}))
      timer = setInterval(
        () => {
          for (const lane of lanes.values()) if (lane.ready(limits, now())) startFlush(lane)
        },
        Math.max(20, Math.min(250, Math.floor(config.batchWaitMs / 4))),
      )
      const handlers: ConsumerRunConfig = {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 3,
        eachBatch: async (payload) => {
          const { batch } = payload
          if (batch.messages.length === 0 || stopping || !payload.isRunning() || payload.isStale()) return
          const lane = lanes.get(laneKey(batch.topic, batch.partition))
          if (lane === undefined || lane.retired) return
          await codec.loadFor(batch.messages.map((message) => message.value))
          let taken = 0
          for (const message of batch.messages) {
            // Nothing is read before the ledger says how this partition's batches were formed.
            if (lane.needsPlan()) {
              hold(lane)
              loadLanePlan(lane, BigInt(message.offset))
              break
            }
            if (!lane.accepts(message.offset, limits)) {
              if (lane.flight !== undefined) {
                // The previous batch is still on its way (or ClickHouse is down): hold this partition
                // until it lands, so memory stays at one open batch and one in flight.
                hold(lane)
                break
              }
              startFlush(lane)
            }
            lane.add(entryOf(lane.route, batch.partition, message), now())
            payload.resolveOffset(message.offset)
            taken++
          }
          recordsIn.inc({ topic: batch.topic }, taken)
          if (taken > 0) {
            const next = BigInt(batch.messages[taken - 1]!.offset) + 1n
            // All taken: kafkajs's own lag also steps over the batch's trailing transaction markers.
            const behind = taken === batch.messages.length ? Number(batch.offsetLag()) : Number(BigInt(batch.highWatermark) - next)
            health.lag(batch.topic, batch.partition, behind)
          }
          if (lane.ready(limits, now())) startFlush(lane)
          refreshGauges()
          await payload.heartbeat()
        },
      }
      supervised = superviseConsumer({
        name: 'sink',
        consumer,
        subscriptions: [{ topics: routes.map((route) => route.topic), fromBeginning: true }],
        run: handlers,
        health,
        settings: config.consumer,
        logger,
        metrics,
        onLost: deps.onConsumerLost,
      })
      await supervised.start()
      log.info({ groupId: config.groupId, clickhouse: describeClickHouse(config.clickhouse), limits }, 'sink started')
    },
    /** Stops consuming, lets open batches land (within SINK_DRAIN_TIMEOUT), commits and closes. */
    stop(): Promise<void> {
      stopped ??= (async () => {
        stopping = true
        if (timer !== undefined) clearInterval(timer)
        drainDeadline = now() + config.drainTimeoutMs
        try {
          consumer?.pause(routes.map((route) => ({ topic: route.topic })))
        } catch {
          // Not running (it crashed and waits for a restart): there is nothing to fetch.
        }
        for (const lane of lanes.values()) {
          await lane.flight
          if (!lane.formingPlanned()) startFlush(lane)
          await lane.flight
        }
        await supervised?.stop()
        await dlqProducer?.disconnect()
        await admin?.disconnect()
        if (ownsClient) await clickhouse.close()
      })()
      return stopped
    },
  }
}

export type Sink = ReturnType<typeof createSink>
