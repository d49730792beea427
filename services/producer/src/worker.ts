import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { isTrendsError, type ErrorCode } from '@trends/core'
import {
  chartId,
  CreativeCenterError,
  failedSnapshotOutcome,
  SNAPSHOT_OUTCOMES,
  snapshotOutcome,
  type AttemptEvent,
  type CreativeCenterClient,
  type PageEnd,
  type PageResult,
  type FetchTarget,
  type SnapshotOutcome,
} from '@trends/creative-center'
import {
  chunkByBytes,
  COMPRESSION,
  ConsumerHealth,
  deadLetterValue,
  DEFAULT_CONSUMER_SETTINGS,
  DEFAULT_TOPIC_LAYOUT,
  ensureTopics,
  Partitioners,
  recordBytes,
  registerTopicSchema,
  superviseConsumer,
  TOPIC_MAX_MESSAGE_BYTES,
  topicSpecs,
  type Consumer,
  type ConsumerRunConfig,
  type ConsumerSettings,
  type SupervisedConsumer,
  type DeadLetterValue,
  type Kafka,
  type Producer,
  type SchemaRegistry,
} from '@trends/kafka'
import type { Logger } from '@trends/logger'
import { counter, gauge, histogram, type Registry, PIPELINE_METRICS } from '@trends/metrics'
import type { ChartSpec } from './matrix.ts'
import { fetchLogValue, itemDeadLetter, rawRecordValue, type FetchLogValue } from './records.ts'
import { decodeTask, type FetchTask } from './tasks.ts'
import type { MemberMemory, Topics } from '@trends/kafka'

export interface WorkerDeps {
  kafka: Kafka
  registry: SchemaRegistry
  client: CreativeCenterClient
  topics: Topics
  logger: Logger
  metrics: Registry
  groupId: string
  rawPartitions: number
  taskPartitions: number
  sessionTimeoutMs: number
  /** Sent as the `worker` header on every record, so one can tell which worker fetched what. */
  workerId?: string
  /** The polling matrix's charts: their snapshot series start at 0 (and their cadence is exported) from the start. */
  charts?: readonly ChartSpec[]
  /** Restarts of the tasks consumer and when it counts as stalled (packages/kafka superviseConsumer). */
  consumer?: { settings?: ConsumerSettings; onLost?: (name: string) => void; members?: MemberMemory }
  now?: () => number
}

interface SchemaIds {
  raw: Map<string, number>
  fetchLog: number
  deadLetter: number
}

/**
 * Kafka did not take a send (the broker down, the topic gone). Not the page's fault, so it does not
 * end the task: the original error is thrown on to kafkajs, which runs the task again.
 */
class KafkaSendFailed extends Error {
  override name = 'KafkaSendFailed'
  constructor(cause: unknown) {
    super('Kafka did not take the records', { cause })
  }
}

/**
 * The heartbeat between pages failed: the group is rebalancing, or the broker is gone. The task may
 * now belong to another worker, and in any case its offset must not be committed as done, so the
 * original error goes on to kafkajs, which rejoins and runs the task again wherever it lands.
 */
class GroupMovedOn extends Error {
  override name = 'GroupMovedOn'
  constructor(cause: unknown) {
    super('the consumer group moved on while the task ran', { cause })
  }
}

/** Raw topics accept records as large as the largest response the client accepts (8 MiB). */
const RAW_MAX_MESSAGE_BYTES = TOPIC_MAX_MESSAGE_BYTES.raw

/** A send gathers at most this many records (about 2.5 MB of raw records). */
const MAX_BATCH_MESSAGES = 2000

interface OutMessage {
  topic: string
  key: string
  value: Buffer
  headers: Record<string, string>
}

export interface Worker {
  /**
   * The publishing path for pages already fetched (exposed for the benchmark): publishes each page's
   * records (and what `extra` adds), every send finished or failed when it returns; the records published.
   */
  publishPages(
    pages: AsyncIterable<PageResult>,
    task: FetchTask,
    fetchIdFor: (page: number) => string,
    extra?: () => Promise<OutMessage[]>,
    afterPage?: () => Promise<void>,
    onPage?: (page: PageResult) => void,
  ): Promise<number>
  /** Topics, schemas and the producer: what publishing needs, without taking tasks yet. */
  prepare(): Promise<void>
  /** Runs one task outside the consumer group (after prepare); returns 'ok' or the error code that ended it. */
  runTask(task: FetchTask, target: FetchTarget, heartbeat?: () => Promise<void>): Promise<string>
  /** The tasks consumer's readiness (running, lag, progress). */
  health: ConsumerHealth
  /** Prepares, then joins the workers' group and takes tasks. */
  start(): Promise<void>
  /** Aborts the HTTP in flight (the unfinished task stays uncommitted, for another worker), stops the consumer, disconnects. */
  stop(): Promise<void>
}

/**
 * A producer worker: one member of a consumer group on the tasks topic. For each task it fetches
 * the chart page by page and publishes one raw record per list item (Avro, keyed by the natural
 * key), a fetch-log record per HTTP attempt, and a dead letter for an item it cannot key. The
 * task's offset is committed only after everything of the task is acknowledged by all in-sync
 * replicas, so a worker that dies mid-task leaves the task to another (at-least-once: a redone task
 * can repeat records; the normalizer's dedup absorbs that).
 */
export function createWorker(deps: WorkerDeps): Worker {
  const { kafka, registry, client, topics, logger, metrics } = deps
  const now = deps.now ?? Date.now
  const workerId = deps.workerId ?? `${hostname()}/${process.pid}`
  const log = logger.child({ component: 'worker', workerId })
  const stopping = new AbortController()
  const tasksDone = counter(metrics, PIPELINE_METRICS.workerTasks, 'Tasks finished, by endpoint and outcome', ['endpoint', 'outcome'])
  const recordsOut = counter(metrics, PIPELINE_METRICS.workerRecords, 'Raw records published, by topic', ['topic'])
  const deadLettered = counter(metrics, PIPELINE_METRICS.workerDeadLetters, 'Items or tasks dead-lettered, by error class', ['error_class'])
  const taskSeconds = histogram(metrics, 'trends_worker_task_seconds', 'Time to run one task', ['endpoint'], [0.1, 0.5, 1, 5, 15, 60, 300])
  const snapshots = counter(
    metrics,
    'trends_worker_snapshots_total',
    'Chart fetches ended, by endpoint and how the snapshot ended (complete, or why partial)',
    ['endpoint', 'snapshot'],
  )
  const lastComplete = gauge(
    metrics,
    'trends_worker_chart_complete_timestamp_seconds',
    "When this worker last ended a complete snapshot of the chart (its start time until then); max over workers is the chart's latest",
    ['chart'],
  )
  const cadence = gauge(metrics, 'trends_worker_chart_cadence_seconds', "The chart's polling cadence, from the polling matrix", ['chart'])
  // Well inside the session: three heartbeats may be late before the group gives the member up.
  const heartbeatEveryMs = Math.max(500, Math.floor(deps.sessionTimeoutMs / 4))
  const budgetRate = gauge(
    metrics,
    'trends_worker_request_budget_per_second',
    "This worker's share of the Creative Center request budget (0 while it owns no tasks partition)",
    [],
  )
  // The matrix's charts and endpoints are known at start: their series exist from the start, so a
  // rule on increase() sees the first partial snapshot, and a chart no worker completes goes stale.
  for (const chart of deps.charts ?? []) {
    const id = chartId(chart.target)
    lastComplete.set({ chart: id }, now() / 1000)
    cadence.set({ chart: id }, chart.cadenceMs / 1000)
    for (const snapshot of SNAPSHOT_OUTCOMES) snapshots.inc({ endpoint: chart.target.endpoint.name, snapshot }, 0)
  }
  let producer: Producer | undefined
  let consumer: Consumer | undefined
  let supervised: SupervisedConsumer | undefined
  const consumerSettings = deps.consumer?.settings ?? DEFAULT_CONSUMER_SETTINGS
  const health = new ConsumerHealth({ stallAfterMs: consumerSettings.stallAfterMs, now })
  let schemaIds: SchemaIds | undefined

  async function deadLetter(value: DeadLetterValue, key: string): Promise<OutMessage> {
    if (schemaIds === undefined) throw new Error('the worker is not started')
    deadLettered.inc({ error_class: value.error_class })
    return {
      topic: topics.deadLetters,
      key,
      value: await registry.encode(schemaIds.deadLetter, value),
      headers: { stage: 'producer', 'error-class': value.error_class },
    }
  }

  /** The messages one page turns into; pure apart from encoding. */
  async function pageMessages(page: PageResult, task: FetchTask, fetchId: string): Promise<OutMessage[]> {
    if (schemaIds === undefined) throw new Error('the worker is not started')
    const topic = topics.raw(page.target.endpoint.family)
    const schemaId = schemaIds.raw.get(topic)
    if (schemaId === undefined) throw new Error(`no schema registered for ${topic}`)
    const messages: OutMessage[] = []
    for (const item of page.items) {
      const letterKey = `${task.taskId}:${page.page}:${item.position}`
      // Refused by the classifier (nested too deep, a key twice) or without an id: kept whole, not published.
      if (item.refused !== undefined || item.id === undefined) {
        messages.push(await deadLetter(itemDeadLetter(page, item, task, fetchId, now(), item.refused), letterKey))
        continue
      }
      const value = rawRecordValue(page, { ...item, id: item.id }, task, fetchId)
      const message = {
        topic,
        key: value.natural_key,
        value: await registry.encode(schemaId, value),
        headers: { 'fetch-id': fetchId, 'task-id': task.taskId, endpoint: value.endpoint, worker: workerId },
      }
      // One huge item would fail every send of its task, on every retry: it goes to the dead letters instead.
      const bytes = recordBytes(message)
      if (bytes > RAW_MAX_MESSAGE_BYTES) {
        const why = {
          code: 'RECORD_TOO_LARGE' as const,
          message: `the raw record takes ${bytes} bytes, above ${topic}'s ${RAW_MAX_MESSAGE_BYTES}`,
        }
        messages.push(await deadLetter(itemDeadLetter(page, item, task, fetchId, now(), why), letterKey))
        continue
      }
      messages.push(message)
    }
    return messages
  }

  async function send(messages: OutMessage[]): Promise<void> {
    if (producer === undefined) throw new Error('the worker is not started')
    if (messages.length === 0) return
    const byTopic = new Map<string, OutMessage[]>()
    for (const message of messages) {
      const list = byTopic.get(message.topic)
      if (list === undefined) byTopic.set(message.topic, [message])
      else list.push(message)
    }
    // Split so that no request builds a batch above what the topics accept, even uncompressed.
    for (const chunk of chunkByBytes(messages, RAW_MAX_MESSAGE_BYTES / 2)) {
      const topicsOfChunk = new Map<string, OutMessage[]>()
      for (const message of chunk) {
        const list = topicsOfChunk.get(message.topic)
        if (list === undefined) topicsOfChunk.set(message.topic, [message])
        else list.push(message)
      }
      await producer
        .sendBatch({
          acks: -1,
          compression: COMPRESSION,
          topicMessages: [...topicsOfChunk].map(([topic, list]) => ({
            topic,
            messages: list.map(({ key, value, headers }) => ({ key, value, headers })),
          })),
        })
        .catch((cause: unknown) => {
          throw new KafkaSendFailed(cause)
        })
    }
    for (const [topic, list] of byTopic) recordsOut.inc({ topic }, list.length)
  }

  /**
   * Encodes and sends page after page with one send in flight at a time. Pages that arrive while a
   * send is in flight are gathered into the next send (up to MAX_BATCH_MESSAGES, then the loop
   * waits), so slow fetching sends each page at once and fast pages travel in large batches, with
   * memory bounded either way. Every send has finished (or failed) when this returns.
   */
  async function publishPages(
    pages: AsyncIterable<PageResult>,
    task: FetchTask,
    fetchIdFor: (page: number) => string,
    extra: () => Promise<OutMessage[]> = () => Promise.resolve([]),
    afterPage: () => Promise<void> = () => Promise.resolve(),
    onPage: (page: PageResult) => void = () => undefined,
  ): Promise<number> {
    let inFlight: Promise<void> | undefined
    let busy = false
    let pending: OutMessage[] = []
    let published = 0
    const launch = () => {
      const batch = pending
      pending = []
      busy = true
      inFlight = send(batch).finally(() => {
        busy = false
      })
      // Handled here so that a failure while the next page is encoded is not an unhandled
      // rejection; it is still thrown where inFlight is awaited.
      inFlight.catch(() => undefined)
    }
    try {
      for await (const page of pages) {
        onPage(page)
        const messages = [...(await pageMessages(page, task, fetchIdFor(page.page))), ...(await extra())]
        pending.push(...messages)
        published += messages.length
        if (busy && pending.length >= MAX_BATCH_MESSAGES) await inFlight
        if (!busy) launch()
        await afterPage()
      }
      await inFlight
      if (pending.length > 0) launch()
    } finally {
      await inFlight
    }
    return published
  }

  /** Runs one task to the end; a failed page ends the task with what was published so far. Returns the outcome. */
  async function runTask(task: FetchTask, target: FetchTarget, heartbeat: () => Promise<void> = () => Promise.resolve()): Promise<string> {
    if (schemaIds === undefined) throw new Error('the worker is not started')
    const fetchIds = new Map<number, string>()
    const fetchIdFor = (page: number): string => {
      let id = fetchIds.get(page)
      if (id === undefined) {
        id = randomUUID()
        fetchIds.set(page, id)
      }
      return id
    }
    const attempts: FetchLogValue[] = []
    let lastAttempt: AttemptEvent | undefined
    const onAttempt = (event: AttemptEvent) => {
      lastAttempt = event
      attempts.push(fetchLogValue(event, target, task, fetchIdFor(event.page), now()))
    }
    const fetchLogId = schemaIds.fetchLog
    // The fetch's last attempt carries how the fetch ended, known only once the pages stop: each
    // flush between pages holds the newest attempt back, the last flush sends it with the outcome.
    let ended: SnapshotOutcome | null = null
    const flushAttempts = async (last = false): Promise<OutMessage[]> => {
      const pending = attempts.splice(0, last ? attempts.length : Math.max(0, attempts.length - 1))
      const final = pending.at(-1)
      if (last && final !== undefined) final.snapshot = ended
      return Promise.all(
        pending.map(async (value) => ({
          topic: topics.fetchLog,
          key: value.fetch_id,
          value: await registry.encode(fetchLogId, value),
          headers: { 'task-id': task.taskId },
        })),
      )
    }
    const started = performance.now()
    let outcome: 'ok' | ErrorCode = 'ok'
    const ends: PageEnd[] = []
    // The worker keeps its group membership however long a page takes — a body dripping in, a long
    // Retry-After, retries — by heartbeating through the whole task, not only between pages. When
    // a heartbeat says the group moved on, the page in flight is abandoned at once: the task is
    // another worker's now, and this one must not commit it.
    const groupMoved = new AbortController()
    const beat = setInterval(() => {
      heartbeat().catch((cause: unknown) => {
        if (!groupMoved.signal.aborted) groupMoved.abort(new GroupMovedOn(cause))
      })
    }, heartbeatEveryMs)
    const signal = AbortSignal.any([stopping.signal, groupMoved.signal])
    try {
      const pages = client.fetchPages(
        target,
        { maxPages: task.maxPages, ...(task.pageSize === undefined ? {} : { pageSize: task.pageSize }), onAttempt },
        signal,
      )
      await publishPages(
        pages,
        task,
        fetchIdFor,
        () => flushAttempts(),
        () =>
          heartbeat().catch((cause: unknown) => {
            throw new GroupMovedOn(cause)
          }),
        (page) => ends.push({ items: page.items.length, ...page.pagination }),
      )
      ended = snapshotOutcome(ends, client.loggedIn ? undefined : target.endpoint.loggedOutCap)
    } catch (error) {
      // Whatever a page does, it ends that page and the task here; a throw would make kafkajs
      // restart the consumer on this same task, forever. Only a shutdown, Kafka not taking the
      // records and the group moving on (a failed heartbeat) leave the task to redo: what it
      // fetches is then published at least once.
      if (groupMoved.signal.aborted && !stopping.signal.aborted) throw (groupMoved.signal.reason as GroupMovedOn).cause
      if (isTrendsError(error) && error.code === 'CC_ABORTED') throw error
      if (error instanceof KafkaSendFailed) {
        await replaceProducer()
        throw error.cause
      }
      if (error instanceof GroupMovedOn) throw error.cause
      outcome = isTrendsError(error) ? error.code : 'CC_UNEXPECTED'
      ended = failedSnapshotOutcome(outcome)
      if (isTrendsError(error)) log.warn({ taskId: task.taskId, endpoint: task.endpoint, code: outcome }, 'task ended early')
      else {
        const errorClass = error instanceof Error ? error.name : typeof error
        log.error({ taskId: task.taskId, endpoint: task.endpoint, code: outcome, errorClass, err: error }, 'task failed unexpectedly')
      }
      // The client logged its own failures attempt by attempt; any other one is logged against the page in hand.
      if (!(error instanceof CreativeCenterError)) {
        const page = lastAttempt?.page ?? 1
        attempts.push(
          fetchLogValue(
            {
              endpoint: task.endpoint,
              page,
              attempt: lastAttempt?.attempt ?? 0,
              status: undefined,
              latencyMs: 0,
              outcome,
              items: 0,
              requestId: lastAttempt?.requestId,
              willRetry: false,
              params: lastAttempt?.params ?? {},
              drift: [],
            },
            target,
            task,
            fetchIdFor(page),
            now(),
          ),
        )
      }
    } finally {
      clearInterval(beat)
      await send(await flushAttempts(true)).catch((error: unknown) =>
        log.error({ err: error, taskId: task.taskId }, 'fetch log not written'),
      )
    }
    tasksDone.inc({ endpoint: task.endpoint, outcome })
    if (ended !== null) {
      snapshots.inc({ endpoint: task.endpoint, snapshot: ended })
      if (ended === 'complete') lastComplete.set({ chart: chartId(target) }, now() / 1000)
    }
    taskSeconds.observe({ endpoint: task.endpoint }, (performance.now() - started) / 1000)
    return outcome
  }

  /** How many partitions a topic has now (the tasks topic may have been made with more than this worker's setting). */
  async function countPartitions(topic: string): Promise<number> {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
      return Math.max(1, metadata.topics[0]?.partitions.length ?? deps.taskPartitions)
    } finally {
      await admin.disconnect()
    }
  }

  /** Topics, schemas and the producer; what publishing needs, without taking tasks yet. */
  async function prepare(): Promise<void> {
    if (producer !== undefined) return
    const layout = { ...DEFAULT_TOPIC_LAYOUT, taskPartitions: deps.taskPartitions, rawPartitions: deps.rawPartitions }
    await ensureTopics(kafka, topicSpecs(topics, layout, ['tasks', 'raw', 'fetchLog', 'deadLetters']))
    const raw = new Map<string, number>()
    for (const topic of topics.allRaw()) raw.set(topic, await registerTopicSchema(registry, topic, 'tiktok.raw.record.avsc'))
    schemaIds = {
      raw,
      fetchLog: await registerTopicSchema(registry, topics.fetchLog, 'tiktok.fetch-log.avsc'),
      deadLetter: await registerTopicSchema(registry, topics.deadLetters, 'tiktok.dead-letter.avsc'),
    }
    producer = await connectProducer()
  }

  async function connectProducer(): Promise<Producer> {
    const made = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    await made.connect()
    return made
  }

  /**
   * After a failed send, kafkajs's idempotent producer rolls back its sequence numbers for every
   * partition of the request, including those the broker had already written. The redone task's
   * next batch of the same size would then carry a sequence the broker has seen, and be dropped
   * as a duplicate without a word. A new producer gets a new producer id, so nothing is mistaken.
   */
  async function replaceProducer(): Promise<void> {
    const old = producer
    producer = await connectProducer()
    await old?.disconnect().catch((error: unknown) => log.warn({ err: error }, 'old producer did not disconnect'))
  }

  return {
    publishPages,
    prepare,
    runTask,
    health,
    async start(): Promise<void> {
      health.starting('creating topics and registering schemas')
      await prepare()
      consumer = kafka.consumer({
        groupId: deps.groupId,
        sessionTimeout: deps.sessionTimeoutMs,
        heartbeatInterval: Math.floor(deps.sessionTimeoutMs / 10),
      })
      const run: ConsumerRunConfig = {
        // A task's offset is committed as soon as the task is done (kafkajs's default is at the end
        // of a batch of tasks): a worker killed mid-batch then redoes only the task in flight, not
        // tasks it had finished, each of which costs the upstream its requests again.
        autoCommitThreshold: 1,
        eachMessage: async (payload) => {
          const { message, partition } = payload
          let decoded
          try {
            decoded = decodeTask(message.value)
          } catch (error) {
            const value = deadLetterValue({
              stage: 'producer',
              errorClass: 'TASK_UNREADABLE',
              message: error instanceof Error ? error.message : String(error),
              source: { topic: topics.tasks, partition, offset: message.offset },
              // Tasks are JSON, not framed Avro.
              schemaId: null,
              original: message.value,
              failedAt: now(),
            })
            await send([await deadLetter(value, `${topics.tasks}:${partition}:${message.offset}`)])
            return
          }
          await runTask(decoded.task, decoded.target, () => payload.heartbeat())
          health.progressed()
        },
      }
      // One request budget for the deployment: each worker keeps to its part of CC_RATE_PER_SECOND
      // and CC_BURST, its part of the tasks topic's partitions, taken anew at every rebalance.
      // Every partition has one owner, so the parts add up to the budget however many workers
      // there are; a worker with no partition has no tasks and fetches nothing.
      const partitionCount = await countPartitions(topics.tasks)
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const mine = payload.memberAssignment[topics.tasks]?.length ?? 0
        client.shareBudget(Math.min(1, Math.max(1, mine) / partitionCount))
        const { ratePerSecond, burst } = client.budget()
        budgetRate.set(mine === 0 ? 0 : ratePerSecond)
        log.info({ partitions: mine, of: partitionCount, ratePerSecond, burst }, 'request budget share')
      })
      supervised = superviseConsumer({
        name: 'producer-worker',
        consumer,
        subscriptions: [{ topics: [topics.tasks], fromBeginning: true }],
        run,
        health,
        settings: consumerSettings,
        logger,
        metrics,
        progressFromBatches: true,
        onLost: deps.consumer?.onLost,
        membership: { kafka, groupId: deps.groupId, memory: deps.consumer?.members, sessionTimeoutMs: deps.sessionTimeoutMs },
      })
      await supervised.start()
      log.info({ groupId: deps.groupId }, 'worker started')
    },
    async stop(): Promise<void> {
      // Abort the HTTP in flight first: the unfinished task's offset stays uncommitted and the
      // group hands it to another worker.
      stopping.abort()
      await supervised?.stop()
      await producer?.disconnect()
      consumer = undefined
      producer = undefined
    },
  }
}
