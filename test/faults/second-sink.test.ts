import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PIPELINE_METRICS } from '@trends/metrics'
import { secondInstanceWork, startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// A second sink joins the sink group mid-stream and leaves again with SIGTERM; both write the one
// store, served over HTTP as `trends run` serves it (an embedded folder is one process's alone).
// Each rebalance moves partitions with batches begun and not committed: the new owner reads the
// batch ledger and forms the same batches again, and ClickHouse drops the repeats by their tokens.
test('fault second-sink: a second sink joins and leaves mid-stream', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'second-sink', { servedStore: true })
  const { joined, work: secondRows } = await secondInstanceWork(run, 'sink', run.groups.sink, PIPELINE_METRICS.sinkRowsInserted, {
    after: 800,
    during: 800,
  })
  t.diagnostic(`the second sink stored ${secondRows} rows while it was in the group`)
  assert.ok(joined < 3000, `joined mid-stream (${joined} raw records by then)`)
  assert.ok(secondRows > 0, 'the second sink took partitions and wrote to the shared store')
})
