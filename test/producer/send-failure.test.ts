import { test } from 'node:test'
import assert from 'node:assert/strict'
import { naturalKey } from '@trends/creative-center'
import type { Admin } from '@trends/kafka'
import { createRegistry, metricValue } from '@trends/metrics'
import { encodeTask, loadProducerConfig, taskFor, topicsFor } from '@trends/producer'
import { useAdmin, useProducer } from '@trends/testing'
import { useSimulator } from '../support/simulator.ts'
import { countRecords, expectedItems, producerEnv, readAll, stackClients } from '../support/raw-topics.ts'
import { useWorker } from '../support/worker.ts'

// Kafka refusing a send is not the page's fault: the task must not end (no outcome, no committed
// offset) or its records are lost. The raw topic is made to refuse every batch for a while, on
// this test's own topic only, with an error the producer does not retry (MESSAGE_TOO_LARGE).

/** kafkajs's ConfigResourceTypes.TOPIC (the enum lives in kafkajs, which only packages/kafka imports). */
const TOPIC_RESOURCE = 2
/** Below the size of any record batch holding one record (its header alone is 61 bytes). */
const REFUSING_MAX_MESSAGE_BYTES = '64'

async function maxMessageBytes(admin: Admin, topic: string): Promise<string | undefined> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['max.message.bytes'] }],
  })
  return resources[0]?.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue
}

/** kafkajs's alterConfigs replaces the topic's overrides as a whole; the raw topics have only this one. */
async function setMaxMessageBytes(admin: Admin, topic: string, value: string): Promise<void> {
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: TOPIC_RESOURCE, name: topic, configEntries: [{ name: 'max.message.bytes', value }] }],
  })
  assert.equal(await maxMessageBytes(admin, topic), value, `${topic}: max.message.bytes in force`)
}

/** The group's committed offset on the topic's one partition; -1 when it has committed none. */
async function committedOffset(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
  const partition = offsets?.partitions.find((entry) => entry.partition === 0)
  return Number(partition?.offset ?? -1)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test(
  'a send Kafka refuses leaves the task to be run again; once Kafka takes records, every item arrives',
  { timeout: 300_000 },
  async (t) => {
    const simulator = await useSimulator(t)
    const matrix = { charts: [{ endpoint: 'creators-legacy', countries: ['US'], maxPages: 2, pageSize: 10 }] }
    const config = loadProducerConfig(producerEnv(simulator.url, matrix))
    const topics = topicsFor(config.topicPrefix)
    const { kafka, registry } = stackClients()
    const admin = await useAdmin(t, kafka)
    const metrics = createRegistry('send-failure')
    // Each refused run crashes the tasks consumer once; the default limit (5) is not what is under test.
    const worker = useWorker(t, config, { kafka, registry }, metrics, {
      consumer: { stallAfterMs: 120_000, restartLimit: 50, restartWindowMs: 600_000 },
    })
    const [chart] = config.charts
    assert.ok(chart)
    const expected = await expectedItems(simulator.url, config.charts, naturalKey)
    assert.equal(expected.size, 20)

    await worker.prepare()
    const rawTopic = topics.raw(chart.target.endpoint.family)
    const rawTopics = topics.allRaw()
    const original = await maxMessageBytes(admin, rawTopic)
    assert.ok(original !== undefined && Number(original) > 1024 * 1024, `the raw topic takes large records (${original})`)
    await setMaxMessageBytes(admin, rawTopic, REFUSING_MAX_MESSAGE_BYTES)

    const producer = await useProducer(t)
    const task = taskFor(chart, Date.UTC(2026, 0, 1))
    await producer.send({ topic: topics.tasks, acks: -1, messages: [{ key: task.taskId, value: encodeTask(task) }] })
    await worker.start()

    // A run asks for one or two pages before its first send fails, so three requests mean the task
    // was taken up again after a refused send. A task that ended instead shows in the outcome metric.
    const requests = () => metricValue(metrics, 'trends_cc_requests_total')
    const tasksDone = () => metricValue(metrics, 'trends_worker_tasks_total')
    const refusedUntil = Date.now() + 60_000
    while ((await requests()) < 3 && (await tasksDone()) === 0) {
      assert.ok(Date.now() < refusedUntil, `Creative Center requests while refused: ${await requests()}`)
      await sleep(200)
    }
    assert.equal(await tasksDone(), 0, 'a refused send does not end the task')
    assert.equal(await committedOffset(admin, config.workerGroupId, topics.tasks), -1, 'the task offset is not committed')
    assert.equal(await countRecords(kafka, rawTopics), 0, 'nothing reached the raw topic')
    assert.ok(
      (await metricValue(metrics, 'trends_consumer_restarts_total', { consumer: 'producer-worker' })) >= 1,
      'the tasks consumer was restarted to run the task again',
    )

    await setMaxMessageBytes(admin, rawTopic, original)
    const takenUntil = Date.now() + 120_000
    let keys = new Set<string>()
    let offset = -1
    while (Date.now() < takenUntil) {
      offset = await committedOffset(admin, config.workerGroupId, topics.tasks)
      if (offset === 1 && (await countRecords(kafka, rawTopics)) >= expected.size) {
        keys = new Set((await readAll(kafka, registry, rawTopics)).map((record) => record.key))
        if (keys.size >= expected.size) break
      }
      await sleep(250)
    }
    const records = await readAll(kafka, registry, rawTopics)
    keys = new Set(records.map((record) => record.key))
    const missing = [...expected.keys()].filter((key) => !keys.has(key))
    assert.equal(missing.length, 0, `items missing from the raw topic: ${missing.join(', ')}`)
    assert.equal(keys.size, expected.size, 'only the task’s items')
    for (const record of records) assert.equal(record.value['item_json'], expected.get(record.key), 'exact item text')
    assert.ok(records.every((record) => record.value['task_id'] === task.taskId))
    assert.equal(offset, 1, 'the task offset is committed once its records are taken')
    assert.equal(await metricValue(metrics, 'trends_worker_tasks_total', { outcome: 'ok' }), 1, 'the task ended once, ok')
    assert.equal(await tasksDone(), 1)
  },
)
