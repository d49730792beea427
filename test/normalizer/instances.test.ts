import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort } from '@trends/testing'
import { startServiceProcess } from '../support/processes.ts'
import { useSimulator } from '../support/simulator.ts'
import { fillRawTopics, readCommitted, waitForCommitted } from '../support/pipeline.ts'
import { countRecords, producerEnv } from '../support/raw-topics.ts'
import { metricTotal, readyzUntil } from '../support/readiness.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/normalizer/src/main.ts')
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IT', 'ES', 'JP', 'BR']

const slotHolder = (group: string, slot: number) =>
  Number(readFileSync(path.join(tmpdir(), 'trends-instances', `${group}.${slot}.pid`), 'utf8').trim())

// Two instances on one host with no NORMALIZER_TRANSACTIONAL_ID: each takes its own number, so
// neither fences the other's transactions.
test('two normalizers on one host get their own transactional ids and share the work, nobody fenced', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const matrix = { charts: [{ endpoint: 'creators-legacy', countries: COUNTRIES, maxPages: 10 }] }
  // Both instances are in the group before there is any work, so both get partitions of it and
  // both run transactions at the same time (with one shared id, each would fence the other's).
  const base = producerEnv(simulator.url, matrix)
  const group = `${base['TOPIC_PREFIX']}.normalizer`
  const normalizerEnv: Record<string, string> = {
    ...base,
    NORMALIZER_GROUP_ID: group,
    NORMALIZER_MAX_BYTES_PER_PARTITION: '1KiB',
    NORMALIZER_PARTITIONS_CONCURRENTLY: '1',
    DEDUP_MAX_KEYS_PER_SHARD: '1',
  }
  delete normalizerEnv['NORMALIZER_TRANSACTIONAL_ID']
  const ports = [await freePort(), await freePort()]
  const instances = ports.map((port) => startServiceProcess(t, MAIN, [], { ...normalizerEnv, METRICS_PORT: String(port) }))
  for (const port of ports) await readyzUntil(port, 'the normalizer in its group', (readiness) => readiness.status === 200)
  const holders = [slotHolder(group, 0), slotHolder(group, 1)].sort((a, b) => a - b)
  assert.deepEqual(
    holders,
    instances.map((child) => child.pid!).sort((a, b) => a - b),
    'numbers 0 and 1, one each',
  )

  const { topics, kafka, registry } = await fillRawTopics(t, simulator.url, matrix, { TOPIC_PREFIX: base['TOPIC_PREFIX']! })
  const expected = await countRecords(kafka, topics.allRaw())
  assert.ok(expected > 3000, `${expected} raw records`)
  await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= expected, 180_000)
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const cleaned = await readCommitted(kafka, registry, topics.cleaned)
  assert.equal(new Set(cleaned.map((record) => record.key)).size, expected, 'every raw record cleaned')
  assert.equal(cleaned.length, expected, 'none twice')
  for (const [i, port] of ports.entries()) {
    assert.equal(await metricTotal(String(port), 'trends_consumer_restarts_total'), 0, `instance ${i} never crashed`)
    assert.ok((await metricTotal(String(port), 'trends_normalizer_records_out_total')) > 0, `instance ${i} did some of the work`)
  }
  for (const child of instances) assert.equal(child.exitCode, null)
})
