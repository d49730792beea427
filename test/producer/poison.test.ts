import { test } from 'node:test'
import assert from 'node:assert/strict'
import { naturalKey, type CreativeCenterClient } from '@trends/creative-center'
import { createRegistry, metricValue } from '@trends/metrics'
import { encodeTask, loadProducerConfig, taskFor, topicsFor, type FetchTask } from '@trends/producer'
import { useProducer } from '@trends/testing'
import { useSimulator, type FaultRule } from '../support/simulator.ts'
import { expectedItems, producerEnv, readAll, stackClients, type DecodedRecord } from '../support/raw-topics.ts'
import { useWorker } from '../support/worker.ts'

// Poison pages through a worker in its consumer group: each ends as a named failure in the fetch
// log and the task's outcome, or as dead letters for the items alone (with their exact bytes), and
// the normal task queued right after it still reaches the raw topic.

const PATH = '/creative_radar_api/v1/popular_trend/creator/list'
const DEEP = '['.repeat(100_000) + ']'.repeat(100_000)
const HUGE = 8 * 1024 * 1024 + 1000
const REQUEST_ID = '"request_id":"20261124101500A1B2C3D4E5F6A7B8C9D0"'
const creator = (id: string, extra = '') => `{"tcm_id":"${id}","nick_name":"creator ${id}","follower_cnt":10${extra}}`
const page = (items: string[]) =>
  `{"code":0,"msg":"OK",${REQUEST_ID},"data":{"creators":[${items.join(',')}],"pagination":{"page":1,"size":10,"total":3,"has_more":false}}}`
const utf8 = (text: string) => Buffer.from(text, 'utf8')
const rawBody = (bytes: Buffer): FaultRule => ({ fault: 'raw-body', path: PATH, count: 1, bodyBase64: bytes.toString('base64') })

interface Case {
  label: string
  /** The rule the poison task's one request meets; none for the unexpected failure (the client is made to break). */
  fault?: FaultRule
  outcome: string
  /** Exact item texts expected on the raw topic for the poison task. */
  published: string[]
  /** Dead letters: class and exact original bytes (the huge one is checked on its own below). */
  dead: Array<{ errorClass: string; original?: Buffer }>
}

const deepItem = creator('2', `,"items":${DEEP}`)
const twice = '{"tcm_id":"12","nick_name":"first","nick_name":"second"}'
const overflow = creator('21', ',"liked_cnt":1e400')
// A body whose one name holds the bytes 63 61 66 C3 28 ("caf" and a broken sequence), valid JSON otherwise.
const [beforeName, afterName] = page([creator('30')]).split('creator 30')
const invalidUtf8 = Buffer.concat([utf8(beforeName ?? ''), Buffer.from([0x63, 0x61, 0x66, 0xc3, 0x28]), utf8(afterName ?? '')])

const CASES: Case[] = [
  { label: 'the whole body 100,000 deep', fault: rawBody(utf8(DEEP)), outcome: 'CC_JSON_TOO_DEEP', published: [], dead: [] },
  {
    label: 'msg 100,000 deep',
    fault: rawBody(utf8(`{"code":0,"msg":${DEEP},${REQUEST_ID},"data":{"creators":[${creator('1')}]}}`)),
    outcome: 'CC_JSON_TOO_DEEP',
    published: [],
    dead: [],
  },
  {
    label: 'BaseResp.StatusMessage 100,000 deep',
    fault: rawBody(utf8(`{"BaseResp":{"StatusCode":4001,"StatusMessage":${DEEP}}}`)),
    outcome: 'CC_JSON_TOO_DEEP',
    published: [],
    dead: [],
  },
  {
    label: 'one item 100,000 deep',
    fault: rawBody(utf8(page([creator('1'), deepItem, creator('3')]))),
    outcome: 'ok',
    published: [creator('1'), creator('3')],
    dead: [{ errorClass: 'CC_JSON_TOO_DEEP', original: utf8(deepItem) }],
  },
  { label: 'invalid UTF-8 in the body', fault: rawBody(invalidUtf8), outcome: 'CC_INVALID_UTF8', published: [], dead: [] },
  {
    label: 'a UTF-8 BOM before the body',
    fault: rawBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(page([creator('4'), creator('5', ',"bio":"日本語 🎵"')]))])),
    outcome: 'ok',
    published: [creator('4'), creator('5', ',"bio":"日本語 🎵"')],
    dead: [],
  },
  {
    label: 'a key twice in the envelope',
    fault: rawBody(utf8(page([creator('6')]).replace('"code":0', '"code":0,"code":40101'))),
    outcome: 'CC_DUPLICATE_KEY',
    published: [],
    dead: [],
  },
  {
    label: 'a key twice in one item',
    fault: rawBody(utf8(page([creator('11'), twice]))),
    outcome: 'ok',
    published: [creator('11')],
    dead: [{ errorClass: 'CC_DUPLICATE_KEY', original: utf8(twice) }],
  },
  {
    label: '1e400: published as sent (the normalizer refuses it); as the id it keys nothing',
    fault: rawBody(utf8(page([overflow, '{"tcm_id":1e400,"nick_name":"x"}']))),
    outcome: 'ok',
    published: [overflow],
    dead: [{ errorClass: 'CC_ITEM_WITHOUT_ID', original: utf8('{"tcm_id":1e400,"nick_name":"x"}') }],
  },
  {
    label: 'one item larger than the raw topic takes',
    fault: { fault: 'huge-item', path: PATH, count: 1, bytes: HUGE },
    outcome: 'ok',
    published: [], // the chart's other nine items, checked below
    dead: [{ errorClass: 'RECORD_TOO_LARGE' }],
  },
  // Last, so that no rule is left for its real request: the page arrives, then handling it throws a TypeError.
  { label: 'an unexpected TypeError', outcome: 'CC_UNEXPECTED', published: [], dead: [] },
]

/** The client, except that pages of GB charts break while being handled, as a programmer error would. */
function breakingOnGb(client: CreativeCenterClient): CreativeCenterClient {
  return {
    ...client,
    fetchPages(target, options, signal) {
      const pages = client.fetchPages(target, options, signal)
      if (target.country !== 'GB') return pages
      return (async function* () {
        for await (const fetched of pages) {
          yield Object.defineProperty({ ...fetched }, 'items', {
            get() {
              throw new TypeError('a bug in page handling')
            },
          })
        }
      })()
    },
  }
}

const byTask = (records: DecodedRecord[], taskId: string) =>
  records.filter((record) => (record.value['task_id'] ?? (record.value['context'] as Record<string, string>)['task_id']) === taskId)

test('poison pages end as named failures or dead letters; the worker goes on with the next task', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const matrix = {
    charts: [
      { endpoint: 'creators-legacy', countries: ['US', 'GB'], maxPages: 1, pageSize: 10 },
      { endpoint: 'hashtags-legacy', countries: ['US'], periods: ['7'], maxPages: 1, pageSize: 10 },
    ],
  }
  const env = producerEnv(simulator.url, matrix, { CC_MAX_RESPONSE_BYTES: '10MiB' })
  const config = loadProducerConfig(env)
  const topics = topicsFor(config.topicPrefix)
  const { kafka, registry } = stackClients()
  const metrics = createRegistry('poison')
  const worker = useWorker(t, config, { kafka, registry }, metrics, { client: breakingOnGb })
  const [us, gb, normal] = config.charts
  assert.ok(us && gb && normal)
  const expected = await expectedItems(simulator.url, [us, normal], naturalKey)

  // Every rule is in place before the worker starts: each poison task makes exactly one request to
  // PATH, in order, and each takes the first rule left. The normal tasks use another path.
  for (const testCase of CASES) if (testCase.fault !== undefined) await simulator.fault(testCase.fault)
  const tasks: Array<{ poison: FetchTask; next: FetchTask; testCase: Case }> = CASES.map((testCase, index) => ({
    poison: taskFor(testCase.fault === undefined ? gb : us, Date.UTC(2026, 0, 1) + index * us.cadenceMs),
    next: taskFor(normal, Date.UTC(2026, 0, 1) + index * normal.cadenceMs),
    testCase,
  }))
  await worker.prepare()
  const producer = await useProducer(t)
  await producer.send({
    topic: topics.tasks,
    acks: -1,
    messages: tasks.flatMap(({ poison, next }) => [poison, next].map((task) => ({ key: task.taskId, value: encodeTask(task) }))),
  })
  await worker.start()

  const deadline = Date.now() + 120_000
  while ((await metricValue(metrics, 'trends_worker_tasks_total')) < tasks.length * 2) {
    assert.ok(Date.now() < deadline, `tasks done: ${await metricValue(metrics, 'trends_worker_tasks_total')} of ${tasks.length * 2}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.deepEqual((await simulator.stats()).faults['raw-body'], CASES.filter((c) => c.fault?.fault === 'raw-body').length)

  const raw = await readAll(kafka, registry, topics.allRaw())
  const log = await readAll(kafka, registry, [topics.fetchLog])
  const dead = await readAll(kafka, registry, [topics.deadLetters])
  const normalItems = [...expected].filter(([key]) => key.startsWith('hashtag:'))
  assert.equal(normalItems.length, 10)
  for (const { poison, next, testCase } of tasks) {
    const { label } = testCase
    const records = byTask(raw, poison.taskId)
    if (testCase.fault?.fault !== 'huge-item')
      assert.deepEqual(
        records.map((record) => record.value['item_json']).sort(),
        [...testCase.published].sort(),
        `${label}: exactly these items, exactly as sent`,
      )
    if (testCase.fault?.fault === 'huge-item') {
      assert.equal(records.length, 9, `${label}: the other nine items are published`)
      for (const record of records) assert.equal(record.value['item_json'], expected.get(record.key), label)
    }
    const letters = byTask(dead, poison.taskId)
    assert.equal(letters.length, testCase.dead.length, `${label}: dead letters`)
    for (const [index, want] of testCase.dead.entries()) {
      const letter = letters[index]?.value
      assert.ok(letter, label)
      assert.equal(letter['stage'], 'producer')
      assert.equal(letter['error_class'], want.errorClass, label)
      const original = letter['original'] as Buffer
      if (want.original !== undefined) assert.ok(original.equals(want.original), `${label}: the original bytes, exactly`)
    }
    const attempts = byTask(log, poison.taskId).map((entry) => entry.value['outcome'])
    if (testCase.outcome === 'ok') assert.deepEqual(attempts, ['ok'], `${label}: fetch log`)
    else assert.ok(attempts.includes(testCase.outcome), `${label}: the fetch log names ${testCase.outcome} (${attempts.join(',')})`)
    // The task queued right after the poison one went through whole.
    const following = byTask(raw, next.taskId)
    assert.equal(following.length, 10, `${label}: the next task's records reach the raw topic`)
    for (const record of following) assert.equal(record.value['item_json'], expected.get(record.key), `${label}: next task, exact text`)
  }

  // The huge item is kept whole: the simulator's item with its padding, every byte.
  const hugeTask = tasks.find(({ testCase }) => testCase.fault?.fault === 'huge-item')
  assert.ok(hugeTask)
  const [hugeLetter] = byTask(dead, hugeTask.poison.taskId)
  const hugeOriginal = (hugeLetter?.value['original'] as Buffer).toString('utf8')
  const hugeKey = naturalKey(us.target, String((JSON.parse(hugeOriginal) as { tcm_id: string }).tcm_id))
  assert.equal(hugeOriginal, `${expected.get(hugeKey)?.slice(0, -1)},"padding":"${'x'.repeat(HUGE)}"}`)
  assert.equal(hugeLetter?.value['source_topic'], null)
  assert.equal((hugeLetter?.value['context'] as Record<string, string>)['position'] !== undefined, true)

  // The unexpected failure: logged against its page after the successful attempt, with its code.
  const unexpected = tasks.at(-1)
  assert.ok(unexpected)
  assert.deepEqual(
    byTask(log, unexpected.poison.taskId).map((entry) => [entry.value['page'], entry.value['outcome'], entry.value['error_class']]),
    [
      [1, 'ok', null],
      [1, 'CC_UNEXPECTED', 'CC_UNEXPECTED'],
    ],
  )

  for (const outcome of ['CC_JSON_TOO_DEEP', 'CC_INVALID_UTF8', 'CC_DUPLICATE_KEY', 'CC_UNEXPECTED']) {
    const want = CASES.filter((c) => c.outcome === outcome).length
    assert.equal(await metricValue(metrics, 'trends_worker_tasks_total', { outcome }), want, `tasks ended by ${outcome}`)
  }
  assert.equal(await metricValue(metrics, 'trends_worker_tasks_total', { outcome: 'ok' }), tasks.length + 5)
  for (const errorClass of ['CC_JSON_TOO_DEEP', 'CC_DUPLICATE_KEY', 'CC_ITEM_WITHOUT_ID', 'RECORD_TOO_LARGE']) {
    assert.equal(await metricValue(metrics, 'trends_worker_dead_letters_total', { error_class: errorClass }), 1, errorClass)
  }
})
