import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { inspect } from 'node:util'
import { randomSuffix } from '@trends/core'
import { CreativeCenterError, createCreativeCenterClient, TokenBucket, type Json } from '@trends/creative-center'
import type { Kafka } from '@trends/kafka'
import { createLogger } from '@trends/logger'
import { createRegistry } from '@trends/metrics'
import { createWorker, loadProducerConfig, topicsFor } from '@trends/producer'
import { defer } from '@trends/testing'
import { runFaultCases, type FaultCase } from '../support/fault-tasks.ts'
import { useSimulator } from '../support/simulator.ts'
import { countRecords, producerEnv, readAll, stackClients } from '../support/raw-topics.ts'

// A server that echoes the request's session back (in an error message, in an error body, inside
// an item) must not get the session into anything the pipeline writes: the fetch log, the dead
// letters, log lines, error messages. The secrets are the values the client sends, so the test
// searches for them in every byte written.

const LEGACY = '/creative_radar_api/v1/popular_trend/creator/list'
const NEW = '/CreativeOne/KnowledgeAPI/GetHashtagList'

interface Case extends FaultCase {
  deadLetters: number
}

const CASES: Case[] = [
  { fault: { fault: 'echo-cookie', path: LEGACY }, endpoint: 'creators-legacy', outcome: 'CC_API_ERROR', deadLetters: 0 },
  { fault: { fault: 'echo-cookie', path: NEW }, endpoint: 'hashtags-creative-one', outcome: 'CC_API_ERROR', deadLetters: 0 },
  { fault: { fault: 'echo-cookie-item', path: LEGACY, count: 1 }, endpoint: 'creators-legacy', outcome: 'ok', deadLetters: 1 },
]

/** Every record's key, value and header bytes in the topics, undecoded. */
async function rawBytes(kafka: Kafka, topics: readonly string[]): Promise<Buffer[]> {
  const expected = await countRecords(kafka, topics)
  const chunks: Buffer[] = []
  let seen = 0
  if (expected === 0) return chunks
  const consumer = kafka.consumer({ groupId: `test.raw-bytes.${randomSuffix()}` })
  await consumer.connect()
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen} of ${expected} records`)), 60_000)
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            chunks.push(message.key ?? Buffer.alloc(0), message.value ?? Buffer.alloc(0))
            for (const [name, value] of Object.entries(message.headers ?? {})) chunks.push(Buffer.from(name), Buffer.from(String(value)))
            if (++seen >= expected) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return chunks
}

test('a session echoed by the server stays out of the fetch log, dead letters, logs and errors', { timeout: 180_000 }, async (t) => {
  const id = randomSuffix().replace(/[^a-z0-9]/gi, '')
  const secrets = [`SESSION${id}ab12`, `GUARD${id}cd34`, `CSRF${id}ef56`]
  const [session, guard, csrf] = secrets as [string, string, string]
  const cookie = `sessionid_ads=${session}; sid_guard_ads=${guard}%7C1700000000%7C259200; lang_type=en`

  const simulator = await useSimulator(t)
  const matrix = {
    charts: [
      { endpoint: 'creators-legacy', countries: ['US'], maxPages: 1, pageSize: 10 },
      { endpoint: 'hashtags-creative-one', countries: ['US'], periods: ['7'], maxPages: 1, pageSize: 10 },
    ],
  }
  const env = producerEnv(simulator.url, matrix, { CC_MAX_ATTEMPTS: '2', CC_COOKIE: cookie, CC_CSRF_TOKEN: csrf })
  const config = loadProducerConfig(env)
  const topics = topicsFor(config.topicPrefix)
  const { kafka, registry } = stackClients()
  const logs = new PassThrough()
  let logText = ''
  logs.on('data', (chunk: Buffer) => (logText += chunk.toString()))
  const logger = createLogger({ service: 'secrets', level: 'debug', destination: logs })
  const metrics = createRegistry('secrets')
  const client = createCreativeCenterClient({ settings: config.creativeCenter, logger, metrics, bucket: new TokenBucket(1000, 1000) })
  const worker = createWorker({
    kafka,
    registry,
    client,
    topics,
    logger,
    metrics,
    groupId: config.workerGroupId,
    rawPartitions: 1,
    taskPartitions: 1,
    sessionTimeoutMs: 10_000,
  })
  defer(t, () => client.close())
  defer(t, () => worker.stop())
  defer(t, async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({ topics: [topics.tasks, ...topics.allRaw(), topics.fetchLog, topics.deadLetters] }).catch(() => undefined)
    await admin.disconnect()
  })
  await worker.prepare()

  const byTask = await runFaultCases(worker, simulator, config.charts, CASES)

  // The error a caller gets: its message and its detail (the body excerpt) say what happened, minus the session.
  await simulator.clearFaults()
  await simulator.fault({ fault: 'echo-cookie', path: LEGACY, count: 1 })
  const chart = config.charts.find((c) => c.target.endpoint.name === 'creators-legacy')
  assert.ok(chart)
  const error = await client.fetchPage(chart.target, 1).then(
    () => assert.fail('the echo is an API error'),
    (caught: unknown) => caught,
  )
  assert.ok(error instanceof CreativeCenterError)
  assert.equal(error.code, 'CC_API_ERROR')
  // The client's own cookies come first in the header; the configured session is what goes.
  assert.match(error.message, /code 40100 session rejected: cookie lang_type=en; \[redacted\] \(lang_type%3Den%3B%20\[redacted\]\)/)
  const detail = String((error as unknown as { detail?: string }).detail)
  assert.match(detail, /"cookie":"lang_type=en; \[redacted\]"/)
  logger.error({ err: error }, 'fetch failed')
  await simulator.clearFaults()

  const log = await readAll(kafka, registry, [topics.fetchLog])
  const dead = await readAll(kafka, registry, [topics.deadLetters])
  for (const [taskId, testCase] of byTask) {
    const attempts = log.filter((record) => record.value['task_id'] === taskId)
    assert.ok(attempts.length >= 1, `${testCase.fault.fault}: fetch log entries`)
    if (testCase.outcome !== 'ok') assert.ok(attempts.every((entry) => entry.value['outcome'] === testCase.outcome))
    const letters = dead.filter((record) => (record.value['context'] as Record<string, string>)['task_id'] === taskId)
    assert.equal(letters.length, testCase.deadLetters, `${testCase.fault.fault}: dead letters`)
    for (const letter of letters) {
      assert.equal(letter.value['error_class'], 'CC_ITEM_WITHOUT_ID')
      // The item is kept whole apart from the session it echoed.
      const original = JSON.parse((letter.value['original'] as Buffer).toString('utf8')) as { [key: string]: Json }
      assert.deepEqual(original['session'], {
        cookie: 'lang_type=en; [redacted]',
        cookie_encoded: 'lang_type%3Den%3B%20[redacted]',
        csrf_token: '',
      })
      assert.equal(typeof original['nick_name'], 'string')
    }
  }

  const written = Buffer.concat(await rawBytes(kafka, [topics.fetchLog, topics.deadLetters, ...topics.allRaw()]))
  assert.ok(written.length > 0)
  await new Promise((resolve) => setImmediate(resolve))
  assert.match(logText, /creative center page failed/)
  assert.match(logText, /fetch failed/)
  const places: Array<[string, string]> = [
    ['topics', written.toString('latin1')],
    ['logs', logText],
    ['error', `${error.message}\n${detail}\n${inspect(error, { showHidden: true, depth: 5 })}`],
  ]
  for (const [place, text] of places) {
    for (const secret of secrets) assert.equal(text.includes(secret), false, `${place} carry ${secret.slice(0, 5)}…`)
  }
})
