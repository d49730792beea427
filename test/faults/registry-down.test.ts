import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

const OUTAGE_MS = 30_000

// The schema registry is gone for 30 s. Services that already run hold the schema ids they use and
// keep going; a sink restarted during the outage cannot register its schemas yet and must wait and
// retry instead of exiting (a process that exits here is counted against the run).
test('fault registry-down: the registry gone for 30 s, a sink restarted meanwhile', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'registry-down')
  await run.untilRaw(1000)
  await stack.stop('registry', 'SIGTERM')
  const down = run.progress.latest()!
  const [sink] = [...run.children()].filter(([, service]) => service === 'sink').map(([child]) => child)
  await run.stop(sink!)
  run.start('sink')
  await sleep(OUTAGE_MS)
  const before = run.progress.latest()!
  await stack.up()
  const recovered = await run.recovered(Date.now())
  t.diagnostic(
    `during the outage: producer ${down.done.producer} → ${before.done.producer}, normalizer ${down.done.normalizer} → ${before.done.normalizer}`,
  )
  await run.finish(recovered)
  assert.ok(before.done.producer > down.done.producer, 'the producer kept publishing without the registry')
  assert.ok(before.done.normalizer > down.done.normalizer, 'the normalizer kept committing without the registry')
})
