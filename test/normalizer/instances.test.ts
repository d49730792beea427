import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort } from '@trends/testing'
import { startServiceProcess } from '../support/processes.ts'
import { useSimulator } from '../support/simulator.ts'
import { fillRawTopics, readCommitted, waitForCommitted } from '../support/pipeline.ts'
import { countRecords } from '../support/raw-topics.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/normalizer/src/main.ts')
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IT', 'ES', 'JP', 'BR']

/** The sum of a metric's series in a service's /metrics text. */
async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}

const slotHolder = (group: string, slot: number) =>
  Number(readFileSync(path.join(tmpdir(), 'trends-instances', `${group}.${slot}.pid`), 'utf8').trim())

// Two instances on one host with no NORMALIZER_TRANSACTIONAL_ID: each takes its own number, so
// neither fences the other's transactions. (Run with one shared id, this test fails: the second
// instance then commits nothing, 0 of 3672 records, while with its own id it did 522.)
test('two normalizers on one host get their own transactional ids and share the work, nobody fenced', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const matrix = { charts: [{ endpoint: 'creators-legacy', countries: COUNTRIES, maxPages: 10 }] }
  const { env, topics, kafka, registry } = await fillRawTopics(t, simulator.url, matrix)
  const expected = await countRecords(kafka, topics.allRaw())
  assert.ok(expected > 3000, `${expected} raw records`)
  const group = `${env['TOPIC_PREFIX']}.normalizer`
  const normalizerEnv = {
    ...env,
    NORMALIZER_GROUP_ID: group,
    NORMALIZER_MAX_BYTES_PER_PARTITION: '1024',
    NORMALIZER_PARTITIONS_CONCURRENTLY: '1',
    DEDUP_MAX_KEYS_PER_SHARD: '1',
  }
  delete (normalizerEnv as Record<string, string | undefined>)['NORMALIZER_TRANSACTIONAL_ID']

  const ports = [await freePort(), await freePort()]
  // Small batches, one partition at a time: the first is still at work when the second starts and
  // connects its producer (which, with a shared id, would fence the first's open transaction).
  const first = startServiceProcess(t, MAIN, [], { ...normalizerEnv, METRICS_PORT: String(ports[0]) })
  await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length > 0, 120_000)
  const second = startServiceProcess(t, MAIN, [], { ...normalizerEnv, METRICS_PORT: String(ports[1]) })
  assert.equal(slotHolder(group, 0), first.pid)
  // The second takes its number at start-up, before it connects; give it the moment that takes.
  const numbered = Date.now() + 30_000
  while (Date.now() < numbered) {
    try {
      if (slotHolder(group, 1) === second.pid) break
    } catch {
      // Not made yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.equal(slotHolder(group, 1), second.pid)

  await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= expected, 180_000)
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const cleaned = await readCommitted(kafka, registry, topics.cleaned)
  assert.equal(new Set(cleaned.map((record) => record.key)).size, expected, 'every raw record cleaned')
  assert.equal(cleaned.length, expected, 'none twice')
  for (const [i, port] of ports.entries()) {
    assert.equal(await metricSum(port, 'trends_consumer_restarts_total'), 0, `instance ${i} never crashed`)
  }
  for (const [i, port] of ports.entries()) {
    assert.ok((await metricSum(port, 'trends_normalizer_records_out_total')) > 0, `instance ${i} did some of the work`)
  }
  assert.equal(first.exitCode, null)
  assert.equal(second.exitCode, null)
})
