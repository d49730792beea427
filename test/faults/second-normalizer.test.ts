import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// A second normalizer joins mid-stream (a scale-out), takes half the raw partitions, works, and
// leaves again with SIGTERM (a scale-in). Both rebalances move partitions between transactional
// producers; the dedup state of a moved partition is rebuilt by its new owner. Nothing may be lost
// or doubled, and the one that stays must keep publishing after the other has left.
test('fault second-normalizer: a second normalizer joins and leaves mid-stream', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'second-normalizer')
  const joined = await run.joinAndLeave(
    'normalizer',
    run.groups.normalizer,
    { after: 800, during: 800 },
    { NORMALIZER_TRANSACTIONAL_ID: `${run.env['TOPIC_PREFIX']}.normalizer.2` },
  )
  assert.ok(joined < 3000, `joined mid-stream (${joined} raw records by then)`)
})
