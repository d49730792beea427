import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { defer, useAdmin } from '@trends/testing'
import { startServiceProcess } from '../support/processes.ts'
import { cleanedRecord, committedTotal, freshSinkTopics, publish, queryFolder, sinkEnv } from '../support/sink.ts'

const MAIN = path.resolve(import.meta.dirname, '../../services/sink/src/main.ts')
const ITEMS = 6000
const DAYS = 3

// Exactly once into ClickHouse: the sink is killed twice while it inserts small batches, restarted
// each time, and ClickHouse then holds every record exactly once, counted without FINAL.
test('SIGKILL during inserts, twice, and restarts: every row once in ClickHouse', { timeout: 300_000 }, async (t) => {
  const { prefix, topics, cleanedSchemaId } = await freshSinkTopics()
  const records = Array.from({ length: DAYS }, (_, day) => Array.from({ length: ITEMS }, (_, i) => cleanedRecord(i, day))).flat()
  await publish(t, topics.cleaned, cleanedSchemaId, records)
  const folder = mkdtempSync(path.join(os.tmpdir(), 'trends-sink-kill-'))
  defer(t, () => rmSync(folder, { recursive: true, force: true }))
  const env = sinkEnv(prefix, 'default', {
    CLICKHOUSE_PATH: folder,
    SINK_BATCH_ROWS: '300',
    SINK_BATCH_WAIT: '100ms',
    SINK_SESSION_TIMEOUT: '6s',
  })
  const groupId = env['SINK_GROUP_ID']!
  const admin = await useAdmin(t)

  const progress = () => committedTotal(admin, groupId, topics.cleaned)
  const waitFor = async (done: (n: number) => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const n = await progress()
      if (done(n)) return n
      if (Date.now() > deadline) throw new Error(`timed out at ${n} committed`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const kills: number[] = []
  /** Per kill: the offset each partition had committed when the sink died. */
  const committedAtKill: Array<{ at: number; offsets: Map<number, string> }> = []
  for (const share of [0.25, 0.6]) {
    const sink = startServiceProcess(t, MAIN, [], env)
    await waitFor((n) => n >= records.length * share, 120_000)
    sink.kill('SIGKILL')
    await new Promise((resolve) => sink.once('exit', resolve))
    const at = Date.now()
    kills.push(await progress())
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topics.cleaned] })
    committedAtKill.push({ at, offsets: new Map((offsets?.partitions ?? []).map((p) => [p.partition, p.offset])) })
  }
  assert.ok(
    kills.every((n) => n < records.length),
    `killed mid-stream (committed ${kills.join(', ')} of ${records.length})`,
  )

  const last = startServiceProcess(t, MAIN, [], env)
  await waitFor((n) => n >= records.length, 180_000)
  const exited = new Promise((resolve) => last.once('exit', resolve))
  last.kill('SIGTERM')
  await exited

  const [counts] = await queryFolder<{ rows: string; distinct: string; batches: string }>(
    folder,
    'default',
    `SELECT (SELECT count() FROM trend_observations) AS rows,
            (SELECT uniqExact(natural_key, data_date) FROM trend_observations) AS distinct,
            (SELECT count() FROM sink_batches) AS batches`,
  )
  assert.equal(Number(counts?.distinct), records.length, 'none missing')
  assert.equal(Number(counts?.rows), records.length, 'none twice (no FINAL)')
  assert.ok(Number(counts?.batches) >= records.length / 300, `${counts?.batches} batches`)

  // Killed during inserts: batches the killed sink had begun (their range in the ledger before the
  // kill) and not committed; the restarted sink formed them again from the ledger.
  const ranges = await queryFolder<{ partition: number; first: string; at: string }>(
    folder,
    'default',
    'SELECT partition, toString(first) AS first, toUnixTimestamp64Milli(planned_at) AS at FROM sink_batches',
  )
  const interrupted = committedAtKill.map(
    ({ at, offsets }) => ranges.filter((range) => Number(range.at) <= at && offsets.get(range.partition) === range.first).length,
  )
  t.diagnostic(`committed at the kills: ${kills.join(', ')} of ${records.length}; batches interrupted: ${interrupted.join(', ')}`)
  assert.ok(
    interrupted.some((n) => n > 0),
    `batches begun and not committed at each kill: ${interrupted.join(', ')}`,
  )
})
