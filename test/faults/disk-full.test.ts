import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

const FULL_MS = 30_000
// An insert already past the free-space check when the threshold rose may still land.
const SETTLE_MS = 3000
const SETTING = 'min_free_disk_bytes_to_perform_insert'

// ClickHouse refuses inserts for lack of space: every MergeTree table of the store is told to keep
// more bytes free than its disk holds (MergeTree's own check, chDB 26.7 honours it), so each insert
// fails with NOT_ENOUGH_SPACE (243) as it would on a full disk, for 30 s, then the threshold is
// taken away. The rows are fine and the disk is not: the sink must retry them, never dead-letter them.
test('fault disk-full: ClickHouse refuses inserts for lack of space for 30 s', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'disk-full', { servedStore: true })
  const store = run.store!
  await run.untilRaw(1000)
  const [disk] = await store.query<{ total: string }>(`SELECT max(total_space) AS total FROM system.disks`)
  const threshold = 2n * BigInt(disk!.total)
  const tables = (
    await store.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'default' AND engine LIKE '%MergeTree'`)
  ).map((row) => row.name)
  assert.ok(tables.includes('trend_observations') && tables.includes('fetch_log'), `MergeTree tables: ${tables.join(', ')}`)
  for (const table of tables) await store.command(`ALTER TABLE \`${table}\` MODIFY SETTING ${SETTING} = ${threshold}`)
  await sleep(SETTLE_MS)
  const full = run.progress.latest()!
  await sleep(FULL_MS - SETTLE_MS)
  const before = run.progress.latest()!
  for (const table of tables) await store.command(`ALTER TABLE \`${table}\` RESET SETTING ${SETTING}`)
  const recovered = await run.recovered(Date.now())
  t.diagnostic(
    `disk full for ${tables.length} tables (threshold ${threshold} bytes): sink ${full.done.sink} → ${before.done.sink} (lag ${before.lag.sink}), ` +
      `normalizer ${full.done.normalizer} → ${before.done.normalizer}`,
  )
  const count = await run.finish(recovered)
  assert.equal(before.done.sink, full.done.sink, 'the sink committed nothing while ClickHouse refused its inserts')
  assert.ok(before.lag.sink > 0, 'records waited for the sink meanwhile')
  assert.equal(count.detail.deadLetters.topic, 0, 'no row dead-lettered for a full disk')
  const log = readFileSync(path.join(run.runDir, 'sink-1.log'), 'utf8')
  const refused = log.split('\n').filter((line) => line.includes('insert failed; retrying') && line.includes('NOT_ENOUGH_SPACE')).length
  assert.ok(refused > 0, 'ClickHouse refused the sink inserts with NOT_ENOUGH_SPACE, and the sink retried them')
  t.diagnostic(`the sink retried ${refused} inserts refused with NOT_ENOUGH_SPACE`)
})
