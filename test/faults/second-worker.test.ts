import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PIPELINE_METRICS } from '@trends/metrics'
import { secondInstanceWork, startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// A second producer worker joins mid-stream and leaves with SIGTERM while it fetches: the tasks it
// took over are committed as each one is done, and the one it was working on when told to stop is
// left uncommitted for the worker that stays, so every item of every chart still arrives.
test('fault second-worker: a second producer worker joins and leaves mid-stream', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'second-worker')
  const { joined, work } = await secondInstanceWork(run, 'worker', run.groups.workers, PIPELINE_METRICS.workerRecords, {
    after: 600,
    during: 1000,
  })
  t.diagnostic(`the second worker published ${work} raw records while it was in the group`)
  assert.ok(joined < 3000, `joined mid-stream (${joined} raw records by then)`)
  assert.ok(work > 0, 'the second worker took tasks and published their records')
})
