import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { PIPELINE_METRICS } from '@trends/metrics'
import { defer, freePort, useAdmin } from '@trends/testing'
import { holdGroup } from '../support/groups.ts'
import { metricTotal, readyzUntil, until } from '../support/readiness.ts'
import { startServiceProcess } from '../support/processes.ts'
import { useSimulator } from '../support/simulator.ts'
import { fillRawTopics, readCommitted, waitForCommitted } from '../support/pipeline.ts'
import { countRecords } from '../support/raw-topics.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/normalizer/src/main.ts')
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IT', 'ES', 'JP', 'BR']

// A crash mid-stream that kafkajs does not restart: the normalizer is frozen (SIGSTOP) past its
// session, the group meanwhile taken by a member Kafka will not let it join beside, and thawed. Its
// rejoin is refused, the supervisor restarts the consumer once the group is free again, and the
// cleaned topic has every record once. Dedup is off (one key per shard), so only the transactions
// keep a batch from being written twice.
test('the normalizer crashed mid-stream and restarted by its supervisor: no duplicate and no gap', { timeout: 300_000 }, async (t) => {
  const simulator = await useSimulator(t)
  const matrix = { charts: [{ endpoint: 'creators-legacy', countries: COUNTRIES, maxPages: 10 }] }
  const { env, topics, kafka, registry } = await fillRawTopics(t, simulator.url, matrix)
  const expected = await countRecords(kafka, topics.allRaw())
  assert.ok(expected > 3000, `${expected} raw records`)
  const port = await freePort()
  const groupId = `${env['TOPIC_PREFIX']}.normalizer`
  const normalizer = startServiceProcess(t, MAIN, [], {
    ...env,
    METRICS_PORT: String(port),
    NORMALIZER_GROUP_ID: groupId,
    NORMALIZER_TRANSACTIONAL_ID: `${groupId}.instance-1`,
    NORMALIZER_MAX_BYTES_PER_PARTITION: '8KiB',
    DEDUP_MAX_KEYS_PER_SHARD: '1',
    CONSUMER_RESTART_LIMIT: '30',
  })

  // Frozen as soon as its own count says it is under way (reading the topic to find out took long
  // enough for a fast normalizer to finish first).
  const before = await until(
    'the normalizer has published its first records',
    () => metricTotal(String(port), PIPELINE_METRICS.normalizerRecordsOut),
    (published) => published >= 300,
    120_000,
  )
  normalizer.kill('SIGSTOP')
  defer(t, () => normalizer.kill('SIGCONT'))
  const admin = await useAdmin(t)
  await until(
    'the frozen normalizer has left the group',
    async () => (await admin.describeGroups([groupId])).groups[0]?.members.length ?? 0,
    (members) => members === 0,
  )
  const frozen = (await readCommitted(kafka, registry, topics.cleaned)).length
  assert.ok(frozen < expected, `frozen mid-stream (${frozen} of ${expected} cleaned)`)
  const held = await holdGroup(t, groupId)
  normalizer.kill('SIGCONT')
  const crashed = await readyzUntil(
    port,
    'the consumer is reported crashed',
    (r) => r.checks['consumer:normalizer']?.startsWith('consumer crashed:') === true,
  )
  assert.equal(crashed.status, 503)
  t.diagnostic(
    `frozen at ${frozen} of ${expected} cleaned (${before} published first); /readyz then: ${crashed.checks['consumer:normalizer']}`,
  )
  await held.release()

  await waitForCommitted(kafka, registry, topics.cleaned, (records) => records.length >= expected, 180_000)
  // Give a duplicate, if any were coming, the chance to show up.
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const final = await readCommitted(kafka, registry, topics.cleaned)
  assert.equal(new Set(final.map((record) => record.key)).size, expected, 'no gap: every raw record has its cleaned record')
  assert.equal(final.length, expected, 'no duplicate')
  const ready = await readyzUntil(port, 'ready again', (r) => r.status === 200)
  assert.equal(ready.checks['consumer:normalizer'], 'ok')
  assert.equal(normalizer.exitCode, null, 'restarted, not exited')
})
