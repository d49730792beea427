import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

const OUTAGE_MS = 60_000
// The sink's commits in flight when the store went down land or fail within this.
const SETTLE_MS = 5000

// The served store is SIGKILLed mid-stream (an outage gives no notice, and an insert half-written
// must be dropped by ClickHouse on its next start) and served again after 60 s on the same port and
// folder. The sink keeps its batches, pauses, retries and resumes; the producer and the normalizer
// never needed ClickHouse and keep going. Recovery counts from the store answering again.
test('fault clickhouse-down: the served store SIGKILLed for 60 s, then started again', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'clickhouse-down', { servedStore: true })
  const store = run.store!
  await run.untilRaw(1000)
  await store.stop('SIGKILL')
  await sleep(SETTLE_MS)
  const down = run.progress.latest()!
  await sleep(OUTAGE_MS - SETTLE_MS)
  const before = run.progress.latest()!
  await store.start()
  const recovered = await run.recovered(Date.now())
  t.diagnostic(
    `during the outage: producer ${down.done.producer} → ${before.done.producer}, normalizer ${down.done.normalizer} → ${before.done.normalizer}, ` +
      `sink ${down.done.sink} → ${before.done.sink} (lag ${before.lag.sink})`,
  )
  await run.finish(recovered)
  assert.ok(before.done.producer > down.done.producer, 'the producer kept publishing without ClickHouse')
  assert.ok(before.done.normalizer > down.done.normalizer, 'the normalizer kept committing without ClickHouse')
  assert.equal(before.done.sink, down.done.sink, 'the sink committed nothing while ClickHouse was down')
  assert.ok(before.lag.sink > 0, 'records waited for the sink meanwhile')
  const log = readFileSync(path.join(run.runDir, 'sink-1.log'), 'utf8')
  const refused = log.split('\n').filter((line) => line.includes('insert failed; retrying') && line.includes('ECONNREFUSED')).length
  assert.ok(refused > 0, 'the sink retried its inserts against the refused connection')
  t.diagnostic(`the sink retried ${refused} inserts while ClickHouse was down`)
})
