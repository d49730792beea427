import { test } from 'node:test'
import assert from 'node:assert/strict'
import { metricValue } from '@trends/metrics'
import { useSimulator } from '../support/simulator.ts'
import { fillRawTopics, readCommitted, startNormalizer, waitForCommitted } from '../support/pipeline.ts'
import { readAll } from '../support/raw-topics.ts'

const MATRIX = {
  charts: [
    { endpoint: 'hashtags-legacy', countries: ['US', 'GB'], periods: ['7'], maxPages: 2 },
    { endpoint: 'hashtags-creative-one', countries: ['US'], periods: ['7'], maxPages: 2 },
    { endpoint: 'sounds-legacy', countries: ['US'], periods: ['7'], maxPages: 1 },
    { endpoint: 'creators-legacy', countries: ['US'], maxPages: 1 },
    { endpoint: 'videos-legacy', countries: ['US'], periods: ['7'], maxPages: 1 },
    { endpoint: 'videos-creative-one', countries: ['US'], periods: ['7'], maxPages: 1 },
    { endpoint: 'keywords-legacy', countries: ['US'], periods: ['7'], maxPages: 1 },
  ],
}

test('raw polled twice and replayed through a second normalizer: each observation once', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const { env, topics, kafka, registry, runAll } = await fillRawTopics(t, simulator.url, MATRIX, { CC_COOKIE: 'sessionid_ads=test' })
  const raw = await readAll(kafka, registry, topics.allRaw())
  const keys = new Set(raw.map((record) => record.key))
  assert.ok(keys.size > 300)

  // First pass.
  const first = await startNormalizer(t, env)
  const cleaned = await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= keys.size, 120_000)
  assert.equal(cleaned.length, keys.size, 'one cleaned record per item and snapshot')
  assert.deepEqual(new Set(cleaned.map((record) => record.key)), keys)

  // The same charts polled again (same upstream snapshot): the raw topics now hold every item twice.
  await runAll()
  await waitForCommitted(kafka, registry, topics.cleaned, () => true, 5_000)
  const hits = async () => metricValue(first.metrics, 'trends_normalizer_dedup_hits_total')
  const deadline = Date.now() + 60_000
  while ((await hits()) < keys.size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250))
  assert.equal(await hits(), keys.size, 'every repeated item was recognised as a duplicate')
  await first.normalizer.stop()

  // A replay: a new group reads every raw topic from the start; its dedup state comes from the cleaned topic.
  const replay = await startNormalizer(t, env, { NORMALIZER_GROUP_ID: `${env['TOPIC_PREFIX']}.replay` })
  const replayDeadline = Date.now() + 60_000
  while ((await metricValue(replay.metrics, 'trends_normalizer_dedup_hits_total')) < raw.length * 2 && Date.now() < replayDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  assert.equal(await metricValue(replay.metrics, 'trends_normalizer_dedup_hits_total'), raw.length * 2)
  const after = await readCommitted(kafka, registry, topics.cleaned)
  assert.equal(after.length, keys.size, 'the replay added nothing')

  // What a cleaned record looks like.
  for (const { value } of after) {
    assert.ok(['keyword', 'hashtag', 'sound', 'creator', 'video'].includes(value.kind))
    assert.ok(value.normalized_name.length > 0 || value.kind === 'video')
    assert.equal(value.normalized_name, value.normalized_name.normalize('NFKC'))
    assert.ok(value.data_date !== null && value.data_date > 20_000, `${value.natural_key} has an upstream data date`)
    assert.ok(value.source_topic.startsWith(env['TOPIC_PREFIX'] ?? ''))
    assert.ok(value.rank !== null && value.rank >= 1)
    for (const point of value.curve) assert.ok(point.value >= 0 && point.value <= 100)
  }
  const hashtags = after.filter(({ value }) => value.kind === 'hashtag')
  assert.ok(hashtags.every(({ value }) => !value.normalized_name.startsWith('#')))
  assert.ok(
    hashtags.some(({ value }) => value.generation === 'creative-one') && hashtags.some(({ value }) => value.generation === 'legacy'),
  )
  assert.equal(await metricValue(first.metrics, 'trends_normalizer_dead_letters_total'), 0)
})
