import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readTopic } from '@trends/kafka'
import { defer, type Cleanup } from '@trends/testing'
import { readCommitted } from '../support/pipeline.ts'
import { stackClients } from '../support/raw-topics.ts'
import { metricTotal, SIGNALS_MAIN, signalsSetup } from '../support/signals.ts'

interface Received {
  key: string
  body: Record<string, unknown>
  raw: string
  signature: string
  timestamp: string
  path: string
}

/** A loopback webhook: `answer` decides each request's fate from how often its event was sent before. */
async function webhook(t: Cleanup, answer: (tries: number, res: ServerResponse) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const tries = new Map<string, number>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = ''
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()))
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'])
      received.push({
        key,
        body: JSON.parse(raw) as Record<string, unknown>,
        raw,
        signature: String(req.headers['x-trends-signature'] ?? ''),
        timestamp: String(req.headers['x-trends-timestamp'] ?? ''),
        path: req.url ?? '',
      })
      const before = tries.get(key) ?? 0
      tries.set(key, before + 1)
      answer(before, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  defer(t, () => new Promise<void>((resolve) => server.close(() => resolve())))
  defer(t, () => server.closeAllConnections())
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T0001/B0002/secret-path-key`, received }
}

/** The signals stage as its own process, its output kept (to check that no secret reaches it). */
function startStage(t: Cleanup, env: Record<string, string>) {
  const child = spawn(process.execPath, [SIGNALS_MAIN], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  })
  return { child, output: () => output }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Every dead letter the topic holds, decoded. */
async function deadLetters(topic: string): Promise<Array<Record<string, unknown>>> {
  const { kafka, registry } = stackClients()
  const letters: Array<Record<string, unknown>> = []
  await readTopic(kafka, topic, async ({ message }) => {
    if (message.value !== null) letters.push((await registry.decode(message.value)) as Record<string, unknown>)
  })
  return letters
}

const SECRET = 'webhook-signing-secret'

test(
  'webhook: a 503, then a timeout, then 200 — each event delivered after its third attempt, with one idempotency key, signed; counted by result',
  { timeout: 180_000 },
  async (t) => {
    const hook = await webhook(t, (tries, res) => {
      if (tries === 0) {
        res.writeHead(503, { 'retry-after': '0' }).end('busy')
      } else if (tries === 1) {
        setTimeout(() => res.writeHead(200).end(), 2000) // past the 500 ms timeout
      } else {
        res.writeHead(200).end('ok')
      }
    })
    const { expected, metricsPort, env } = await signalsSetup(t, 2)
    const stage = startStage(t, {
      ...env,
      SIGNALS_WEBHOOK_URL: hook.url,
      SIGNALS_WEBHOOK_SECRET: SECRET,
      SIGNALS_WEBHOOK_TIMEOUT: '500ms',
      SIGNALS_WEBHOOK_ATTEMPTS: '4',
      SIGNALS_WEBHOOK_RETRY_BASE: '100ms',
      SIGNALS_WEBHOOK_RETRY_MAX: '300ms',
    })
    await until(
      'every event delivered',
      async () => (await metricTotal(metricsPort, 'trends_signals_webhook_events_total', 'delivered')) >= expected.size,
      120_000,
    )

    const keys = new Set(hook.received.map((request) => request.key))
    assert.deepEqual(keys, expected, 'every event, under its event id')
    for (const key of keys) {
      const attempts = hook.received.filter((request) => request.key === key)
      assert.equal(attempts.length, 3, `${key}: 503, timeout, 200`)
      assert.equal(new Set(attempts.map((request) => request.raw)).size, 1, 'the same body each time')
    }
    for (const request of hook.received) {
      const expectedSignature = `sha256=${createHmac('sha256', SECRET).update(`${request.timestamp}.${request.raw}`).digest('hex')}`
      assert.equal(request.signature, expectedSignature)
      assert.equal(request.body['event_id'], request.key)
      assert.match(String(request.body['data_date']), /^\d{4}-\d{2}-\d{2}$/)
      assert.match(String(request.body['text']), /^hashtags-legacy\/C0\d\/7\/all\/sort_by=popular · \S+: \w+ — .+/)
    }
    const entered = hook.received.find((request) => request.body['type'] === 'entered')
    assert.match(String(entered?.body['text']), /· n01: entered — new at #5$/)
    assert.equal(await metricTotal(metricsPort, 'trends_signals_webhook_attempts_total', 'result="5xx"'), expected.size)
    assert.equal(await metricTotal(metricsPort, 'trends_signals_webhook_attempts_total', 'result="timeout"'), expected.size)
    assert.equal(await metricTotal(metricsPort, 'trends_signals_webhook_attempts_total', 'result="2xx"'), expected.size)
    assert.equal(await metricTotal(metricsPort, 'trends_signals_webhook_events_total', 'dead_lettered'), 0)
    // The URL's path is its key, and the signing secret is one: neither is in the stage's output.
    assert.ok(!stage.output().includes('secret-path-key') && !stage.output().includes(SECRET), stage.output())
    assert.match(stage.output(), /webhook delivery started/)
  },
)

test(
  'webhook: an endpoint that refuses everything holds up nothing — the topic has every event at once; each event is dead-lettered after its attempts',
  { timeout: 180_000 },
  async (t) => {
    const hook = await webhook(t, (_tries, res) => res.writeHead(500).end('no'))
    const { expected, metricsPort, env, topics } = await signalsSetup(t, 2)
    const stage = startStage(t, {
      ...env,
      SIGNALS_WEBHOOK_URL: hook.url,
      SIGNALS_WEBHOOK_ATTEMPTS: '3',
      SIGNALS_WEBHOOK_RETRY_BASE: '2s',
      SIGNALS_WEBHOOK_RETRY_MAX: '2s',
    })
    const { kafka, registry } = stackClients()
    // Published while the webhook is still failing its first event.
    await until(
      'every event in the topic',
      async () => (await readCommitted(kafka, registry, topics.signals)).length >= expected.size,
      60_000,
    )
    assert.ok((await metricTotal(metricsPort, 'trends_signals_webhook_events_total')) < expected.size, 'the webhook was still behind')

    await until(
      'every event dead-lettered',
      async () => (await metricTotal(metricsPort, 'trends_signals_webhook_events_total', 'dead_lettered')) >= expected.size,
      120_000,
    )
    assert.equal(await metricTotal(metricsPort, 'trends_signals_webhook_attempts_total', 'result="5xx"'), expected.size * 3)
    const letters = await deadLetters(topics.deadLetters)
    assert.equal(letters.length, expected.size)
    for (const letter of letters) {
      assert.equal(letter['stage'], 'signals')
      assert.equal(letter['error_class'], 'WEBHOOK_REFUSED')
      // No source topic: `trends dlq redrive` leaves it (it would publish the event to the signals topic again).
      assert.equal(letter['source_topic'], null)
      assert.ok(expected.has(String((letter['context'] as Record<string, string>)['event_id'])))
      assert.match(String(letter['message']), /^the webhook at 127\.0\.0\.1:\d+ did not take the event in 3 attempts \(last: 5xx\)$/)
    }
    assert.equal(new Set(hook.received.map((request) => request.path)).size, 1)
    assert.ok(!stage.output().includes('secret-path-key'), stage.output())
  },
)

test(
  'webhook: a record of the signals topic that is no event is dead-lettered with its exact bytes, once; the events around it are delivered',
  { timeout: 180_000 },
  async (t) => {
    const hook = await webhook(t, (_tries, res) => res.writeHead(200).end('ok'))
    const { expected, metricsPort, env, topics } = await signalsSetup(t, 2)
    const stage = startStage(t, { ...env, SIGNALS_WEBHOOK_URL: hook.url })
    await until('the delivery consumer has its position', () => stage.output().includes('webhook delivery started'), 60_000)
    const { kafka } = stackClients()
    const producer = kafka.producer()
    await producer.connect()
    defer(t, () => producer.disconnect())
    // Not Confluent-framed at all, and framed with a schema id the registry does not know.
    const poison = [
      { key: 'plain', value: Buffer.from('{"event_id":"not avro"}'), errorClass: 'NOT_CONFLUENT_AVRO' },
      { key: 'unknown-id', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 4, 6]), errorClass: 'UNKNOWN_SCHEMA_ID' },
    ]
    await producer.send({ topic: topics.signals, acks: -1, messages: poison.map(({ key, value }) => ({ key, value })) })

    await until(
      'every event delivered and both records dead-lettered',
      async () =>
        (await metricTotal(metricsPort, 'trends_signals_webhook_events_total', 'delivered')) >= expected.size &&
        (await metricTotal(metricsPort, 'trends_signals_webhook_events_total', 'dead_lettered')) >= poison.length,
      120_000,
    )
    assert.deepEqual(new Set(hook.received.map((request) => request.key)), expected)
    const letters = await deadLetters(topics.deadLetters)
    assert.equal(letters.length, poison.length, 'each once')
    for (const { value, errorClass } of poison) {
      const letter = letters.find((candidate) => candidate['error_class'] === errorClass)
      assert.ok(letter, errorClass)
      assert.equal(letter['stage'], 'signals')
      assert.ok((letter['original'] as Buffer).equals(value), `${errorClass}: the record's bytes, exactly`)
      assert.equal((letter['context'] as Record<string, string>)['topic'], topics.signals)
    }
    assert.match(stage.output(), /a record of the signals topic is not an event; it is in the dead letters/)
    // The consumer kept running: ready, its own condition included.
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`)
    const text = await ready.text()
    assert.equal(ready.status, 200, text)
    assert.equal((JSON.parse(text) as { checks: Record<string, string> }).checks['consumer:signals-webhook'], 'ok', text)
  },
)
