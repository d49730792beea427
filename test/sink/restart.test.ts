import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defer, freePort, useAdmin } from '@trends/testing'
import { holdGroup } from '../support/groups.ts'
import { readyzUntil, until } from '../support/readiness.ts'
import { startServiceProcess } from '../support/processes.ts'
import { cleanedRecord, committedTotal, freshSinkTopics, publish, queryFolder, sinkEnv } from '../support/sink.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/sink/src/main.ts')
const ITEMS = 6000
const DAYS = 3

// A crash in the middle of inserts, of the kind kafkajs does not restart: the sink is frozen
// (SIGSTOP) past its session, the group meanwhile taken by a member Kafka will not let it join
// beside, and thawed. Its rejoin is refused, kafkajs stops the consumer with batches in flight, the
// supervisor restarts it once the group is free again, and ClickHouse holds every record once.
test('the sink crashed mid-stream and restarted by its supervisor: every row once in ClickHouse', { timeout: 240_000 }, async (t) => {
  const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
  const records = Array.from({ length: DAYS }, (_, day) => Array.from({ length: ITEMS }, (_, i) => cleanedRecord(i, day))).flat()
  const first = records.slice(0, ITEMS * 2)
  const later = records.slice(ITEMS * 2)
  await publish(t, topics.cleaned, cleanedSchemaId, first)
  const folder = mkdtempSync(path.join(os.tmpdir(), 'trends-sink-restart-'))
  defer(t, () => rmSync(folder, { recursive: true, force: true }))
  const port = await freePort()
  const env = sinkEnv(prefix, 'default', {
    CLICKHOUSE_PATH: folder,
    METRICS_PORT: String(port),
    SINK_BATCH_ROWS: '300',
    SINK_BATCH_WAIT: '100ms',
    SINK_SESSION_TIMEOUT: '6s',
    // Enough restarts that the supervisor is still trying when the group is free again.
    CONSUMER_RESTART_LIMIT: '30',
  })
  const groupId = env['SINK_GROUP_ID']!
  const admin = await useAdmin(t)
  const committed = () => committedTotal(admin, groupId, topics.cleaned)

  const sink = startServiceProcess(t, MAIN, [], env)
  await until('a quarter is committed', committed, (n) => n >= first.length / 4, 120_000)
  sink.kill('SIGSTOP')
  defer(t, () => sink.kill('SIGCONT'))
  const frozenAt = await committed()
  await until(
    'the frozen sink has left the group',
    async () => (await admin.describeGroups([groupId])).groups[0]?.members.length ?? 0,
    (members) => members === 0,
  )
  const held = await holdGroup(t, groupId)
  await publish(t, topics.cleaned, cleanedSchemaId, later)
  sink.kill('SIGCONT')

  const crashed = await readyzUntil(
    port,
    'the sink reports its consumer crashed',
    (r) => r.checks['consumer:sink']?.startsWith('consumer crashed:') === true,
  )
  assert.equal(crashed.status, 503)
  assert.match(
    crashed.checks['consumer:sink'] ?? '',
    /^consumer crashed: KafkaJSProtocolError INCONSISTENT_GROUP_PROTOCOL, restart \d+ of 30$/,
  )
  assert.ok(frozenAt < first.length, `frozen mid-stream (${frozenAt} of ${first.length} committed)`)

  t.diagnostic(`frozen at ${frozenAt} of ${first.length} committed; /readyz then: ${crashed.checks['consumer:sink']}`)
  await held.release()
  await until('every record is committed', committed, (n) => n >= records.length, 120_000)
  const ready = await readyzUntil(port, 'ready again', (r) => r.status === 200)
  assert.equal(ready.checks['consumer:sink'], 'ok')
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const restarts = /^trends_consumer_restarts_total\{[^}]*by="supervisor"[^}]*\} (\d+)$/m.exec(metrics)
  assert.ok(restarts !== null && Number(restarts[1]) >= 1, 'the supervisor restarted it')
  assert.equal(sink.exitCode, null, 'restarted, not exited')

  const exited = new Promise((resolve) => sink.once('exit', resolve))
  sink.kill('SIGTERM')
  await exited
  const [counts] = await queryFolder<{ rows: string; distinct: string }>(
    folder,
    'default',
    'SELECT count() AS rows, uniqExact(natural_key, data_date) AS distinct FROM trend_observations',
  )
  assert.equal(Number(counts?.rows), records.length, 'every row once, counted without FINAL')
  assert.equal(Number(counts?.distinct), records.length)
})
