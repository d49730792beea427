import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { startServiceProcess } from '../support/processes.ts'
import { useSimulator } from '../support/simulator.ts'
import { fillRawTopics, readCommitted, waitForCommitted } from '../support/pipeline.ts'
import { countRecords } from '../support/raw-topics.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/normalizer/src/main.ts')
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IT', 'ES', 'JP', 'BR']

// Exactly once from raw to cleaned: the dedup state is switched off here (one key per shard), so
// only the transactions keep a batch that was written before the kill from being written again.
test('SIGKILL mid-stream and a restart: the cleaned topic has no duplicate and no gap', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const matrix = { charts: [{ endpoint: 'creators-legacy', countries: COUNTRIES, maxPages: 10 }] }
  const { env, topics, kafka, registry } = await fillRawTopics(t, simulator.url, matrix)
  const expected = await countRecords(kafka, topics.allRaw())
  assert.ok(expected > 3000, `${expected} raw records`)
  const normalizerEnv = {
    ...env,
    NORMALIZER_GROUP_ID: `${env['TOPIC_PREFIX']}.normalizer`,
    NORMALIZER_TRANSACTIONAL_ID: `${env['TOPIC_PREFIX']}.normalizer.instance-1`,
    NORMALIZER_MAX_BYTES_PER_PARTITION: '16KiB',
    DEDUP_MAX_KEYS_PER_SHARD: '1',
  }

  const first = startServiceProcess(t, MAIN, [], normalizerEnv)
  const before = await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= 300, 120_000)
  first.kill('SIGKILL')
  await new Promise((resolve) => first.once('exit', resolve))
  assert.ok(before.length < expected, `killed mid-stream (${before.length} of ${expected} cleaned)`)

  startServiceProcess(t, MAIN, [], normalizerEnv)
  const after = await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= expected, 180_000)
  // Give a duplicate, if any were coming, the chance to show up.
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const final = await readCommitted(kafka, registry, topics.cleaned)
  const keys = new Set(final.map((record) => record.key))
  assert.equal(keys.size, expected, 'no gap: every raw record has its cleaned record')
  assert.equal(final.length, expected, 'no duplicate')
  assert.ok(after.length >= expected)
})
