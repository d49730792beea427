import { test } from 'node:test'
import assert from 'node:assert/strict'
import { naturalKey } from '@trends/creative-center'
import { createRegistry, metricValue } from '@trends/metrics'
import { loadProducerConfig, topicsFor } from '@trends/producer'
import { runFaultCases, type FaultCase } from '../support/fault-tasks.ts'
import { useSimulator } from '../support/simulator.ts'
import { expectedItems, producerEnv, readAll, stackClients } from '../support/raw-topics.ts'
import { useWorker } from '../support/worker.ts'

// Every simulator fault through a real worker: what reaches the raw topic (only whole, keyed
// records of pages that arrived), the fetch log (every attempt with its error class), the dead
// letters (an item that cannot be keyed) and the task outcome metric.

const PATH = '/creative_radar_api/v1/popular_trend/creator/list'
const NEW_PATH = '/CreativeOne/KnowledgeAPI/GetHashtagList'

interface Case extends FaultCase {
  endpoint: 'creators-legacy' | 'hashtags-creative-one'
  /** Pages expected in the raw topic (of 2), and whether one item is dead-lettered. */
  pages: number
  deadLetters: number
  retried: boolean
}

const CASES: Case[] = [
  {
    fault: { fault: 'rate-limit', path: PATH, count: 1, retryAfterSeconds: 1 },
    endpoint: 'creators-legacy',
    outcome: 'ok',
    pages: 2,
    deadLetters: 0,
    retried: true,
  },
  {
    fault: { fault: 'server-error', path: PATH, count: 1 },
    endpoint: 'creators-legacy',
    outcome: 'ok',
    pages: 2,
    deadLetters: 0,
    retried: true,
  },
  {
    fault: { fault: 'unavailable', path: PATH },
    endpoint: 'creators-legacy',
    outcome: 'CC_SERVER_ERROR',
    pages: 0,
    deadLetters: 0,
    retried: true,
  },
  {
    fault: { fault: 'slow-headers', path: PATH, count: 1, delayMs: 1500 },
    endpoint: 'creators-legacy',
    outcome: 'ok',
    pages: 2,
    deadLetters: 0,
    retried: true,
  },
  {
    fault: { fault: 'truncated-body', path: PATH },
    endpoint: 'creators-legacy',
    outcome: 'CC_TRUNCATED',
    pages: 0,
    deadLetters: 0,
    retried: true,
  },
  {
    fault: { fault: 'connection-reset', path: PATH, count: 1 },
    endpoint: 'creators-legacy',
    outcome: 'ok',
    pages: 2,
    deadLetters: 0,
    retried: true,
  },
  {
    fault: { fault: 'invalid-json', path: PATH },
    endpoint: 'creators-legacy',
    outcome: 'CC_INVALID_JSON',
    pages: 0,
    deadLetters: 0,
    retried: false,
  },
  { fault: { fault: 'captcha', path: PATH }, endpoint: 'creators-legacy', outcome: 'CC_CAPTCHA', pages: 0, deadLetters: 0, retried: false },
  {
    fault: { fault: 'no-permission', path: PATH },
    endpoint: 'creators-legacy',
    outcome: 'CC_NO_PERMISSION',
    pages: 0,
    deadLetters: 0,
    retried: false,
  },
  {
    fault: { fault: 'deprecated', path: PATH },
    endpoint: 'creators-legacy',
    outcome: 'CC_DEPRECATED',
    pages: 0,
    deadLetters: 0,
    retried: false,
  },
  {
    fault: { fault: 'invalid-login', path: NEW_PATH },
    endpoint: 'hashtags-creative-one',
    outcome: 'CC_LOGIN_REQUIRED',
    pages: 0,
    deadLetters: 0,
    retried: false,
  },
  {
    fault: { fault: 'renamed-field', path: PATH },
    endpoint: 'creators-legacy',
    outcome: 'CC_SCHEMA_DRIFT',
    pages: 0,
    deadLetters: 0,
    retried: false,
  },
  {
    fault: { fault: 'missing-list', path: PATH },
    endpoint: 'creators-legacy',
    outcome: 'CC_MISSING_LIST',
    pages: 0,
    deadLetters: 0,
    retried: false,
  },
  {
    fault: { fault: 'missing-field', path: PATH, count: 1 },
    endpoint: 'creators-legacy',
    outcome: 'ok',
    pages: 2,
    deadLetters: 1,
    retried: false,
  },
]

test('every fault through the worker: no malformed record reaches a raw topic', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const matrix = {
    charts: [
      { endpoint: 'creators-legacy', countries: ['US'], maxPages: 2, pageSize: 10 },
      { endpoint: 'hashtags-creative-one', countries: ['US'], periods: ['7'], maxPages: 2, pageSize: 10 },
    ],
  }
  const env = producerEnv(simulator.url, matrix, { CC_MAX_ATTEMPTS: '3', CC_HEADERS_TIMEOUT: '1000ms', CC_COOKIE: 'sessionid_ads=test' })
  const config = loadProducerConfig(env)
  const topics = topicsFor(config.topicPrefix)
  const { kafka, registry } = stackClients()
  const metrics = createRegistry('faults')
  const worker = useWorker(t, config, { kafka, registry }, metrics)
  await worker.prepare()
  const expected = await expectedItems(simulator.url, config.charts, naturalKey)

  // One task per case: the same chart, a distinct slot each, so records tell the cases apart.
  const byTask = await runFaultCases(worker, simulator, config.charts, CASES)

  const raw = await readAll(kafka, registry, topics.allRaw())
  const log = await readAll(kafka, registry, [topics.fetchLog])
  const dead = await readAll(kafka, registry, [topics.deadLetters])
  for (const [taskId, testCase] of byTask) {
    const label = `${testCase.fault.fault} (${testCase.outcome})`
    const records = raw.filter((record) => record.value['task_id'] === taskId)
    const letters = dead.filter((record) => (record.value['context'] as Record<string, string>)['task_id'] === taskId)
    const attempts = log.filter((record) => record.value['task_id'] === taskId)
    // Whole pages of whole records only, each exactly as upstream sent it.
    assert.equal(records.length, testCase.pages * 10 - testCase.deadLetters, `${label}: records on the raw topic`)
    for (const record of records) assert.equal(record.value['item_json'], expected.get(record.key), `${label}: exact item text`)
    assert.equal(letters.length, testCase.deadLetters, `${label}: dead letters`)
    for (const letter of letters) {
      assert.equal(letter.value['error_class'], 'CC_ITEM_WITHOUT_ID')
      assert.match((letter.value['original'] as Buffer).toString('utf8'), /^\{.*\}$/s)
    }
    // Every attempt is in the fetch log with its error class; a retried fault shows a retry.
    const outcomes = attempts.map((entry) => entry.value['outcome'])
    if (testCase.outcome !== 'ok')
      assert.ok(outcomes.includes(testCase.outcome), `${label}: the fetch log names the error (${outcomes.join(',')})`)
    assert.equal(
      attempts.some((entry) => entry.value['will_retry'] === true),
      testCase.retried,
      `${label}: retried (${outcomes.join(',')})`,
    )
  }
  for (const testCase of CASES) {
    assert.ok(
      (await metricValue(metrics, 'trends_worker_tasks_total', { outcome: testCase.outcome })) >= 1,
      `metric for ${testCase.outcome}`,
    )
  }
  assert.equal(await metricValue(metrics, 'trends_worker_dead_letters_total', { error_class: 'CC_ITEM_WITHOUT_ID' }), 1)
})
