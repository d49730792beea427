import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// A second producer worker joins mid-stream and leaves with SIGTERM while it fetches: the tasks it
// took over are committed as each one is done, and the one it was working on when told to stop is
// left uncommitted for the worker that stays, so every item of every chart still arrives.
test('fault second-worker: a second producer worker joins and leaves mid-stream', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'second-worker')
  const joined = await run.joinAndLeave('worker', run.groups.workers, { after: 600, during: 1000 })
  assert.ok(joined < 3000, `joined mid-stream (${joined} raw records by then)`)
})
