import type { ClickHouseClient } from '@trends/clickhouse'
import {
  COMPRESSION,
  createKafka,
  orderedProducer,
  createSchemaRegistry,
  ensureTopics,
  Partitioners,
  readTopic,
  registerTopicSchema,
  topicSpecs,
  topicsFor,
  type Producer,
  type Topics,
} from '@trends/kafka'
import type { Logger } from '@trends/logger'
import { counter, describeFailure, gauge, histogram, PIPELINE_METRICS, type Condition, type Registry } from '@trends/metrics'
import type { SignalsConfig } from './config.ts'
import { eventId, pairEventsQuery, pairKey, readyPairsQuery, SIGNAL_TYPES, type ReadyPair } from './derive.ts'
import { createWebhook } from './webhook.ts'

export interface SignalsDeps {
  config: SignalsConfig
  logger: Logger
  metrics: Registry
  clickhouse: ClickHouseClient
  /** Another instance took over (its transactional id fenced this one): the process should stop. */
  onFenced?: () => void
  /** The webhook's consumer cannot be restarted: the process should stop and exit non-zero. */
  onConsumerLost?: (name: string) => void
  now?: () => number
}

/** An event as the signals topic carries it (tiktok.trends.signals.avsc). */
export interface SignalRecord {
  event_id: string
  type: string
  chart_id: string
  kind: string
  country: string | null
  period: number | null
  industry: string | null
  endpoint: string
  previous_date: number
  data_date: number
  natural_key: string
  item_id: string
  display_name: string
  previous_rank: number | null
  rank: number | null
  measure: string
  value: number
  threshold: number | null
  detected_at: number
}

/** A row of the pair's events query: the event's own fields, before the pair's are added. */
type EventRow = Pick<
  SignalRecord,
  'type' | 'natural_key' | 'display_name' | 'previous_rank' | 'rank' | 'measure' | 'value' | 'threshold'
> & {
  item_id: string | null
}

const DAY_MS = 86_400_000
const dayNumber = (date: string) => Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS)
const dayText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10)
const clickhouseTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

export interface Signals {
  topics: Topics
  /** For /readyz: the last round reached ClickHouse and Kafka (and the webhook consumer runs, when there is one). */
  conditions: Record<string, Condition>
  /** When the last round finished without failing (for tests and the status line); undefined before one has. */
  lastRoundAt(): number | undefined
  start(): Promise<void>
  /** No more rounds; a round in flight finishes its transaction first, then the webhook and the producers stop. */
  stop(): Promise<void>
}

/**
 * The signals stage. Every SIGNALS_POLL it asks ClickHouse for pairs of consecutive complete,
 * filled snapshots it has not compared, derives each pair's events, and publishes them to the
 * signals topic in Kafka transactions of whole pairs.
 *
 * Exactly once: which pairs were compared is what the signals topic holds, read committed. On start
 * the stage first takes over its transactional id (the broker aborts whatever a dead predecessor left
 * open), then reads the topic back over the look-back window, and only then compares — so a pair is
 * published by a committed transaction at most once, and a crash before a commit leaves nothing of
 * that pair behind to repeat. A pair with no events is remembered in memory only; comparing it again
 * after a restart publishes nothing unless its snapshots changed.
 */
export function createSignals(deps: SignalsDeps): Signals {
  const { config, logger, metrics, clickhouse } = deps
  const now = deps.now ?? Date.now
  const log = logger.child({ component: 'signals' })
  const kafka = createKafka(config.kafka, { logger })
  const registry = createSchemaRegistry(config.registry)
  const topics = topicsFor(config.topicPrefix)

  const events = counter(metrics, PIPELINE_METRICS.signalsEvents, 'Events committed to the signals topic, by type', ['type'])
  const pairsCompared = counter(metrics, 'trends_signals_pairs_total', 'Snapshot pairs compared, by whether they had events', ['outcome'])
  const failures = counter(metrics, 'trends_signals_failures_total', 'Rounds that failed, by the part that failed', ['part'])
  const pending = gauge(metrics, 'trends_signals_pairs_pending', 'Pairs ready but not yet compared at the end of the last round', [])
  const rememberedPairs = gauge(metrics, 'trends_signals_pairs_remembered', 'Pairs known to be compared (from the topic and this run)', [])
  const roundSeconds = histogram(metrics, 'trends_signals_round_seconds', 'Time of one round', [], [0.05, 0.1, 0.5, 1, 5, 30, 120])
  // Known label values start at 0: a panel reads 0 signals of a type, or 0 failed rounds, not no data.
  for (const type of SIGNAL_TYPES) events.inc({ type }, 0)
  for (const part of ['clickhouse', 'kafka']) failures.inc({ part }, 0)

  /** Pairs already published (from the topic) or compared without events (this run). */
  const compared = new Set<string>()
  let producer: Producer | undefined
  let schemaId = 0
  // Webhook delivery (SIGNALS_WEBHOOK_URL): its own consumer of the topic, and an idempotent producer for its dead letters.
  let dlqProducer: Producer | undefined
  let deadLetterSchemaId = 0
  const webhook =
    config.webhook === undefined
      ? undefined
      : createWebhook({
          settings: config.webhook,
          kafka,
          registry,
          topics,
          deadLetters: () => dlqProducer!,
          deadLetterSchemaId: () => deadLetterSchemaId,
          logger,
          metrics,
          consumer: config.consumer,
          ...(deps.onConsumerLost === undefined ? {} : { onConsumerLost: deps.onConsumerLost }),
          now,
        })
  let timer: NodeJS.Timeout | undefined
  let round: Promise<void> | undefined
  let stopped = false
  let problem: string | undefined
  let lastRoundAt: number | undefined

  async function takeOver(): Promise<void> {
    producer = kafka.producer({
      transactionalId: config.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 20 },
    })
    await producer.connect()
    // The first transaction gets the producer id: that fences a predecessor with the same
    // transactional id and makes the broker abort its open transaction. Nothing is sent in it.
    await (await producer.transaction()).abort()
  }

  async function readBack(): Promise<number> {
    const since = now() - config.lookbackMs - 2 * DAY_MS
    return readTopic(
      kafka,
      topics.signals,
      async ({ message }) => {
        if (message.value === null) return
        const record = (await registry.decode(message.value)) as SignalRecord
        compared.add(
          pairKey({ chart_id: record.chart_id, previous_date: dayText(record.previous_date), data_date: dayText(record.data_date) }),
        )
      },
      { readCommitted: true, sinceMs: since },
    )
  }

  function toRecord(pair: ReadyPair, row: EventRow, detectedAt: number): SignalRecord {
    return {
      event_id: eventId(pair, row.type, row.natural_key),
      type: row.type,
      chart_id: pair.chart_id,
      kind: pair.kind,
      country: pair.country === '' ? null : pair.country,
      period: pair.period === 0 ? null : pair.period,
      industry: pair.industry === '' ? null : pair.industry,
      endpoint: pair.endpoint,
      previous_date: dayNumber(pair.previous_date),
      data_date: dayNumber(pair.data_date),
      natural_key: row.natural_key,
      item_id: row.item_id ?? row.natural_key.split(':').at(-1) ?? '',
      display_name: row.display_name,
      previous_rank: row.previous_rank === null ? null : Number(row.previous_rank),
      rank: row.rank === null ? null : Number(row.rank),
      measure: row.measure,
      value: Number(row.value),
      threshold: row.threshold === null ? null : Number(row.threshold),
      detected_at: detectedAt,
    }
  }

  /** One round: every ready pair not compared yet, `pairsPerTransaction` pairs to a transaction. */
  async function compare(): Promise<void> {
    const started = now()
    const since = dayText(Math.floor((started - config.lookbackMs) / DAY_MS))
    let ready: ReadyPair[]
    let part: 'clickhouse' | 'kafka' = 'clickhouse'
    try {
      ready = await (
        await clickhouse.query({ ...readyPairsQuery(since, clickhouseTime(started - config.settleMs)), format: 'JSONEachRow' })
      ).json<ReadyPair>()
      const fresh = ready.filter((pair) => !compared.has(pairKey(pair)))
      pending.set(fresh.length)
      for (let at = 0; at < fresh.length && !stopped; at += config.pairsPerTransaction) {
        part = 'clickhouse'
        const chunk = fresh.slice(at, at + config.pairsPerTransaction)
        const detectedAt = now()
        const derived: Array<{ pair: ReadyPair; records: SignalRecord[] }> = []
        for (const pair of chunk) {
          const rows = await (
            await clickhouse.query({ ...pairEventsQuery(pair, config.thresholds), format: 'JSONEachRow' })
          ).json<EventRow>()
          derived.push({ pair, records: rows.map((row) => toRecord(pair, row, detectedAt)) })
        }
        part = 'kafka'
        const records = derived.flatMap((entry) => entry.records)
        if (records.length > 0) await publish(records)
        for (const { pair, records: pairRecords } of derived) {
          compared.add(pairKey(pair))
          pairsCompared.inc({ outcome: pairRecords.length > 0 ? 'events' : 'no_events' })
        }
        for (const record of records) events.inc({ type: record.type })
        pending.set(Math.max(0, fresh.length - at - chunk.length))
        if (records.length > 0) log.info({ pairs: chunk.length, events: records.length }, 'signals published')
      }
      rememberedPairs.set(compared.size)
      problem = undefined
      lastRoundAt = now()
    } catch (error) {
      if (isFenced(error)) throw error
      failures.inc({ part })
      const failure = describeFailure(error)
      problem = `${part === 'clickhouse' ? 'ClickHouse' : 'Kafka'}: ${failure.reason}`
      log.warn({ part, reason: failure.reason }, 'signals round failed; trying again next round')
    } finally {
      roundSeconds.observe((now() - started) / 1000)
    }
  }

  async function publish(records: SignalRecord[]): Promise<void> {
    const messages = await Promise.all(
      records.map(async (record) => ({
        key: record.chart_id,
        value: await registry.encode(schemaId, record),
        headers: { 'event-id': record.event_id, type: record.type },
      })),
    )
    const transaction = await producer!.transaction()
    try {
      await transaction.send({ topic: topics.signals, messages, compression: COMPRESSION })
      await transaction.commit()
    } catch (error) {
      await transaction.abort().catch(() => undefined)
      throw error
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return
    timer = setTimeout(() => {
      round = compare()
        .catch((error: unknown) => {
          // Only a fenced producer gets here: another instance holds the transactional id now.
          log.error(
            { transactionalId: config.transactionalId, reason: describeFailure(error).reason },
            'another signals instance took over; stopping',
          )
          stopped = true
          deps.onFenced?.()
        })
        .finally(() => {
          round = undefined
          schedule(config.pollMs)
        })
    }, delayMs)
  }

  return {
    topics,
    conditions: {
      'signals:rounds': () => problem,
      ...(webhook === undefined ? {} : { 'consumer:signals-webhook': webhook.condition }),
    },
    lastRoundAt: () => lastRoundAt,
    async start(): Promise<void> {
      await ensureTopics(kafka, topicSpecs(topics, config.layout, webhook === undefined ? ['signals'] : ['signals', 'deadLetters']))
      schemaId = await registerTopicSchema(registry, topics.signals, 'tiktok.trends.signals.avsc')
      if (webhook !== undefined) {
        deadLetterSchemaId = await registerTopicSchema(registry, topics.deadLetters, 'tiktok.dead-letter.avsc')
        dlqProducer = await orderedProducer(kafka)
        // Placed before the first round publishes, so a new delivery group misses none of this run's events.
        await webhook.start()
      }
      await takeOver()
      const read = await readBack()
      rememberedPairs.set(compared.size)
      log.info(
        { transactionalId: config.transactionalId, records: read, pairs: compared.size },
        'signals started; compared pairs read back from the topic',
      )
      schedule(0)
    },
    async stop(): Promise<void> {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      // A round in flight finishes its transaction (or fails it) before the producer goes.
      await round
      await webhook?.stop()
      await Promise.all([producer?.disconnect(), dlqProducer?.disconnect()])
    },
  }
}

function isFenced(error: unknown): boolean {
  const type = (error as { type?: unknown; cause?: { type?: unknown } } | undefined)?.type
  return type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED' || type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
}
