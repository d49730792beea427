import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { metricValue } from '@trends/metrics'
import { useAdmin } from '@trends/testing'
import { fillRawTopics, startNormalizer, waitForCommitted } from '../support/pipeline.ts'
import { runCommand } from '../support/processes.ts'
import { useSimulator } from '../support/simulator.ts'

const REPLAY = path.resolve(import.meta.dirname, '../../services/sink/src/replay-main.ts')
const MATRIX = { charts: [{ endpoint: 'hashtags-legacy', countries: ['US', 'GB'], periods: ['7'], maxPages: 2 }] }

// Reprocessing after a fix: the raw topics go through the normalizer again. With deduplication on,
// nothing is published twice; with NORMALIZER_DEDUP=false every observation is published again.
test(
  'replay --stage normalizer moves the normalizer group back; dedup on drops the repeats, off publishes them again',
  { timeout: 240_000 },
  async (t) => {
    const simulator = await useSimulator(t)
    const { env, topics, kafka, registry } = await fillRawTopics(t, simulator.url, MATRIX)
    const groupId = `${env['TOPIC_PREFIX']}.normalizer`
    const first = await startNormalizer(t, env)
    const cleaned = await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= 200, 120_000)
    const count = cleaned.length
    await first.normalizer.stop()

    const replay = (args: string[] = []) =>
      runCommand(REPLAY, ['--stage', 'normalizer', '--from', 'earliest', ...args], {
        TOPIC_PREFIX: env['TOPIC_PREFIX']!,
        NORMALIZER_GROUP_ID: groupId,
      })
    const moved = await replay()
    assert.equal(moved.code, 0, moved.stderr)
    assert.match(moved.stdout, new RegExp(`^${count} raw records to normalize again$`, 'm'))
    const admin = await useAdmin(t)
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topics.raw('hashtag')] })
    assert.ok(
      (offsets?.partitions ?? []).every((p) => p.offset === '0'),
      'the group starts again from the beginning',
    )

    // Dedup on: everything is read again and recognised.
    const again = await startNormalizer(t, env)
    const deadline = Date.now() + 60_000
    while ((await metricValue(again.metrics, 'trends_normalizer_dedup_hits_total')) < count && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(await metricValue(again.metrics, 'trends_normalizer_dedup_hits_total'), count)
    await again.normalizer.stop()
    assert.equal((await waitForCommitted(kafka, registry, topics.cleaned, () => true, 5_000)).length, count, 'nothing published twice')

    // Dedup off: every observation is published again.
    assert.equal((await replay()).code, 0)
    await startNormalizer(t, env, { NORMALIZER_DEDUP: 'false' })
    const twice = await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= 2 * count, 120_000)
    assert.equal(twice.length, 2 * count)
  },
)
