/**
 * Webhook delivery of the signals topic: each event POSTed as JSON to SIGNALS_WEBHOOK_URL, for people
 * who want a chat message rather than a topic. Its own consumer group reads the topic (read
 * committed), so a slow or failing endpoint never holds up the signals stage, the topic or the sink.
 *
 * At least once: an event's offset is committed after its delivery (or its dead letter), so a crash
 * sends it again — with the same `Idempotency-Key` (the event id), for the receiver to drop repeats.
 * A failed attempt (no answer in SIGNALS_WEBHOOK_TIMEOUT, a refused connection, any status but 2xx)
 * is tried again after a full-jitter backoff (Retry-After honoured up to the backoff's ceiling), at
 * most SIGNALS_WEBHOOK_ATTEMPTS times; then the event goes to the dead letters (with no source
 * topic, so `trends dlq redrive` leaves it: moving the group back sends events again) and delivery
 * moves on. The URL is a secret (a chat webhook's path is its key): only its host is ever logged.
 */
import { createHmac } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { fullJitter } from '@trends/core'
import {
  AvroCodec,
  AvroFrameError,
  ConsumerHealth,
  deadLetterValue,
  superviseConsumer,
  type ConsumerSettings,
  type DeadLetterValue,
  type Kafka,
  type Producer,
  type SchemaRegistry,
  type SupervisedConsumer,
  type Topics,
} from '@trends/kafka'
import type { Logger } from '@trends/logger'
import { counter, type Registry } from '@trends/metrics'
import type { SignalRecord } from './app.ts'
import { describeSignal } from './derive.ts'

export interface WebhookSettings {
  url: string
  /** Signs each body (X-Trends-Signature: sha256=HMAC of `<timestamp>.<body>`), when set. */
  secret: string | undefined
  timeoutMs: number
  attempts: number
  retryBaseMs: number
  retryMaxMs: number
  groupId: string
}

const dayText = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10)

/** The JSON an endpoint receives: the event with readable dates, and `text` for a chat message. */
export function webhookPayload(record: SignalRecord): Record<string, unknown> {
  return {
    ...record,
    previous_date: dayText(record.previous_date),
    data_date: dayText(record.data_date),
    detected_at: new Date(record.detected_at).toISOString(),
    text: `${record.chart_id} · ${record.display_name}: ${record.type} — ${describeSignal(record)}`,
  }
}

/** What one attempt came to, as a bounded metric label. */
export type AttemptResult = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'network'

export interface Attempt {
  result: AttemptResult
  /** Seconds the endpoint asked to wait (Retry-After), if it said. */
  retryAfterSeconds?: number
}

/** One POST of one event. Never throws: a failure is a result. The answer's body is read up to 64 KiB and dropped. */
export async function postEvent(settings: WebhookSettings, body: string, eventId: string, now = Date.now): Promise<Attempt> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'idempotency-key': eventId,
    'user-agent': 'tiktok-trends-signals',
  }
  if (settings.secret !== undefined) {
    const timestamp = String(Math.floor(now() / 1000))
    headers['x-trends-timestamp'] = timestamp
    headers['x-trends-signature'] = `sha256=${createHmac('sha256', settings.secret).update(`${timestamp}.${body}`).digest('hex')}`
  }
  try {
    const response = await request(settings.url, {
      method: 'POST',
      body,
      headers,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      signal: AbortSignal.timeout(settings.timeoutMs),
    })
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined)
    const status = response.statusCode
    const retryAfter = Number(response.headers['retry-after'])
    const result: AttemptResult = status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : '2xx'
    return Number.isFinite(retryAfter) && retryAfter >= 0 ? { result, retryAfterSeconds: retryAfter } : { result }
  } catch (error) {
    // undici's own timeouts have codes (UND_ERR_HEADERS_TIMEOUT), the abort signal's a name (TimeoutError).
    const { name, code } = error as { name?: unknown; code?: unknown }
    return { result: /timeout|abort/i.test(`${String(name)} ${String(code)}`) ? 'timeout' : 'network' }
  }
}

export interface WebhookDeps {
  settings: WebhookSettings
  kafka: Kafka
  registry: SchemaRegistry
  topics: Topics
  /** Writes the dead letters (the signals stage's idempotent producer). */
  deadLetters: () => Producer
  deadLetterSchemaId: () => number
  logger: Logger
  metrics: Registry
  /** Supervision of the delivery consumer (CONSUMER_*): restarts with backoff, a stall on /readyz. */
  consumer: ConsumerSettings
  /** Called once when the consumer cannot be restarted, so the process exits and is started again. */
  onConsumerLost?: (name: string) => void
  now?: () => number
}

/** The delivery consumer; `start` returns once the group's position is set, before any event is sent. */
export function createWebhook(deps: WebhookDeps) {
  const { settings, kafka, registry, topics, logger, metrics } = deps
  const now = deps.now ?? Date.now
  const host = new URL(settings.url).host
  const log = logger.child({ component: 'signals-webhook', host })
  const attempts = counter(metrics, 'trends_signals_webhook_attempts_total', 'Webhook POSTs, by what each came to', ['result'])
  const deliveries = counter(
    metrics,
    'trends_signals_webhook_events_total',
    'Events the webhook finished with: delivered, or dead-lettered after the last attempt',
    ['outcome'],
  )
  const consumer = kafka.consumer({ groupId: settings.groupId, readUncommitted: false })
  let stopping = false

  /** A new group starts at the topic's end (no flood of old events); an existing one where it was. */
  async function position(): Promise<void> {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const [committed] = await admin.fetchOffsets({ groupId: settings.groupId, topics: [topics.signals] })
      if ((committed?.partitions ?? []).some((partition) => Number(partition.offset) >= 0)) return
      const ends = await admin.fetchTopicOffsets(topics.signals)
      await admin
        .setOffsets({
          groupId: settings.groupId,
          topic: topics.signals,
          partitions: ends.map((end) => ({ partition: end.partition, offset: end.high })),
        })
        .catch((error: unknown) => {
          // A member of a group that never committed is still there: it starts where the group says.
          log.warn({ reason: (error as { type?: string }).type ?? 'unknown' }, 'webhook group position not set; it starts at the end')
        })
    } finally {
      await admin.disconnect()
    }
  }

  async function deliver(record: SignalRecord, heartbeat: () => Promise<void>): Promise<AttemptResult> {
    const body = JSON.stringify(webhookPayload(record))
    let last: AttemptResult = 'network'
    for (let attempt = 0; attempt < settings.attempts && !stopping; attempt++) {
      const outcome = await postEvent(settings, body, record.event_id, now)
      attempts.inc({ result: outcome.result })
      last = outcome.result
      if (outcome.result === '2xx') return last
      if (attempt + 1 >= settings.attempts) break
      const asked = outcome.retryAfterSeconds === undefined ? 0 : outcome.retryAfterSeconds * 1000
      const wait = Math.min(settings.retryMaxMs, Math.max(asked, fullJitter(attempt, settings.retryBaseMs, settings.retryMaxMs)))
      log.warn(
        { eventId: record.event_id, attempt: attempt + 1, result: outcome.result, retryInMs: wait },
        'webhook attempt failed; trying again',
      )
      // Waits in slices with a heartbeat between, so a long backoff does not cost the group its member.
      for (let waited = 0; waited < wait && !stopping; waited += 1000) {
        await sleep(Math.min(1000, wait - waited))
        await heartbeat()
      }
    }
    return last
  }

  /** The dead letter of an event the webhook did not take, or of a record that is not an event. */
  async function deadLetter(letter: DeadLetterValue, key: string | null): Promise<void> {
    await deps.deadLetters().send({
      topic: topics.deadLetters,
      messages: [
        {
          key,
          value: await registry.encode(deps.deadLetterSchemaId(), letter),
          headers: { stage: 'signals', 'error-class': letter.error_class },
        },
      ],
    })
  }

  const codec = new AvroCodec(registry)
  const health = new ConsumerHealth({ stallAfterMs: deps.consumer.stallAfterMs, now })
  let supervised: SupervisedConsumer | undefined

  return {
    /** For /readyz: the delivery consumer runs, and is not stalled with events waiting. */
    condition: () => health.problem(),
    async start(): Promise<void> {
      await position()
      supervised = superviseConsumer({
        name: 'signals-webhook',
        consumer,
        subscriptions: [{ topics: [topics.signals], fromBeginning: false }],
        health,
        settings: deps.consumer,
        logger,
        metrics,
        // Offsets are committed by kafkajs after each message: every batch it finishes is progress.
        progressFromBatches: true,
        ...(deps.onConsumerLost === undefined ? {} : { onLost: deps.onConsumerLost }),
        run: {
          eachMessage: async (payload) => {
            const { topic, partition, message } = payload
            if (message.value === null) return
            const context = { topic, partition: String(partition), offset: message.offset }
            // The registry unreachable is thrown (tried again); a record that is no event is a dead letter, once.
            await codec.loadFor([message.value])
            let record: SignalRecord
            try {
              record = codec.decode(message.value).value as SignalRecord
            } catch (error) {
              if (!(error instanceof AvroFrameError)) throw error
              await deadLetter(
                deadLetterValue({
                  stage: 'signals',
                  errorClass: error.errorClass,
                  message: error.message,
                  original: message.value,
                  context,
                  failedAt: now(),
                }),
                message.key?.toString('latin1') ?? null,
              )
              deliveries.inc({ outcome: 'dead_lettered' })
              log.error(
                { ...context, errorClass: error.errorClass },
                'a record of the signals topic is not an event; it is in the dead letters',
              )
              return
            }
            const result = await deliver(record, () => payload.heartbeat())
            if (stopping && result !== '2xx') throw new Error('stopping before the event was delivered') // sent again after the restart
            if (result === '2xx') {
              deliveries.inc({ outcome: 'delivered' })
              return
            }
            const letter = deadLetterValue({
              stage: 'signals',
              errorClass: result === 'timeout' || result === 'network' ? 'WEBHOOK_UNREACHABLE' : 'WEBHOOK_REFUSED',
              message: `the webhook at ${host} did not take the event in ${settings.attempts} attempts (last: ${result})`,
              original: message.value,
              context: { event_id: record.event_id, ...context },
              failedAt: now(),
            })
            await deadLetter(letter, record.event_id)
            deliveries.inc({ outcome: 'dead_lettered' })
            log.error(
              { eventId: record.event_id, errorClass: letter.error_class },
              'webhook gave up on an event; it is in the dead letters',
            )
          },
        },
      })
      await supervised.start()
      log.info({ groupId: settings.groupId }, 'webhook delivery started')
    },
    async stop(): Promise<void> {
      stopping = true
      await (supervised?.stop() ?? consumer.disconnect())
    },
  }
}
