import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PIPELINE_METRICS } from '@trends/metrics'
import { secondInstanceWork, startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// A second normalizer joins mid-stream (a scale-out), takes half the raw partitions, works, and
// leaves again with SIGTERM (a scale-in). Both rebalances move partitions between transactional
// producers (each instance on the host gets its own transactional id by default); the dedup state of
// a moved partition is rebuilt by its new owner. Nothing may be lost or doubled, and the one that
// stays must keep publishing after the other has left.
test('fault second-normalizer: a second normalizer joins and leaves mid-stream', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'second-normalizer')
  const { joined, work } = await secondInstanceWork(run, 'normalizer', run.groups.normalizer, PIPELINE_METRICS.normalizerRecordsIn, {
    after: 800,
    during: 800,
  })
  t.diagnostic(`the second normalizer consumed ${work} raw records while it was in the group`)
  assert.ok(joined < 3000, `joined mid-stream (${joined} raw records by then)`)
  assert.ok(work > 0, 'the second normalizer took partitions and consumed from them')
})
