import { test } from 'node:test'
import assert from 'node:assert/strict'
import { topicsFor, TOPIC_MAX_MESSAGE_BYTES } from '@trends/kafka'
import { loadNormalizerConfig } from '@trends/normalizer'
import { createApp, loadProducerConfig } from '@trends/producer'
import { loadSinkConfig } from '@trends/sink'
import { createRegistry } from '@trends/metrics'
import { defer, testLogger, useAdmin } from '@trends/testing'
import { startNormalizer } from '../support/pipeline.ts'
import { producerEnv } from '../support/raw-topics.ts'
import { useSimulator } from '../support/simulator.ts'

/** kafkajs's ConfigResourceTypes.TOPIC (the enum lives in kafkajs, which only packages/kafka imports). */
const TOPIC_RESOURCE = 2

// Topics are made by whichever service starts first; each must make them as the others would.
test('every service reads one topic layout, and a topic is made the same whoever makes it', async (t) => {
  const simulator = await useSimulator(t)
  const env = producerEnv(
    simulator.url,
    { charts: [{ endpoint: 'creators-legacy', countries: ['US'], maxPages: 1 }] },
    {
      TASK_PARTITIONS: '5',
      RAW_PARTITIONS: '2',
      CLEANED_PARTITIONS: '4',
    },
  )
  const layouts = [loadProducerConfig(env), loadNormalizerConfig(env), loadSinkConfig(env)].map((config) =>
    'layout' in config ? config.layout : { taskPartitions: config.taskPartitions, rawPartitions: config.rawPartitions },
  )
  for (const layout of layouts) assert.equal(layout.rawPartitions, 2)
  assert.deepEqual(layouts[1], layouts[2])
  assert.deepEqual(layouts[1], { taskPartitions: 5, rawPartitions: 2, cleanedPartitions: 4 })

  // The normalizer starts first and makes the raw topics, the cleaned topic and the dead letters;
  // the producer's worker then makes the tasks topic and the fetch log, and finds the rest made.
  await startNormalizer(t, env)
  const worker = createApp({
    config: loadProducerConfig(env),
    role: 'worker',
    logger: testLogger('worker'),
    metrics: createRegistry('worker'),
  })
  defer(t, () => worker.stop())
  await worker.start()
  const topics = topicsFor(env['TOPIC_PREFIX']!)
  const admin = await useAdmin(t)
  const { topics: metadata } = await admin.fetchTopicMetadata({
    topics: [topics.tasks, topics.fetchLog, topics.cleaned, topics.deadLetters, ...topics.allRaw()],
  })
  const partitions = Object.fromEntries(metadata.map((topic) => [topic.name, topic.partitions.length]))
  assert.equal(partitions[topics.tasks], 5)
  assert.equal(partitions[topics.fetchLog], 2)
  assert.equal(partitions[topics.cleaned], 4)
  assert.equal(partitions[topics.deadLetters], 1)
  for (const raw of topics.allRaw()) assert.equal(partitions[raw], 2, raw)

  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [topics.cleaned, topics.deadLetters, topics.raw('hashtag')].map((name) => ({
      type: TOPIC_RESOURCE,
      name,
      configNames: ['max.message.bytes'],
    })),
  })
  const limit = (name: string) =>
    Number(
      resources.find((resource) => resource.resourceName === name)?.configEntries.find((entry) => entry.configName === 'max.message.bytes')
        ?.configValue,
    )
  assert.equal(limit(topics.cleaned), TOPIC_MAX_MESSAGE_BYTES.cleaned, 'the cleaned topic takes what the normalizer lets through')
  assert.equal(limit(topics.deadLetters), TOPIC_MAX_MESSAGE_BYTES.deadLetters)
  assert.equal(limit(topics.raw('hashtag')), TOPIC_MAX_MESSAGE_BYTES.raw)
})
