import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startFaultPipeline, type Service } from '../support/faults.ts'
import { untilSample, type Stage } from '../support/faults-progress.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

/** Seconds from a restarted service's start until its stage moves again. */
const RESTART_BOUND_S = 5

/** Which stage's progress shows that a restarted service works again. */
const STAGE_OF: Partial<Record<Service, Stage>> = { worker: 'producer', normalizer: 'normalizer', sink: 'sink' }

// Each consumer service in turn dies without a word (SIGKILL: no LeaveGroup, an open transaction,
// a batch in flight) and a new process starts at once, as a supervisor would start it. The new one
// takes its instance slot back and removes its dead predecessor from the group, so it works within
// seconds instead of waiting out the dead member's session (30 s); measured from its start to its
// stage moving again.
test(
  'fault service-sigkill: the worker, the normalizer and the sink each SIGKILLed mid-stream and started again',
  { timeout: 900_000 },
  async (t) => {
    const stack = await usePrivateStack(t)
    // A slower load (80 pages at one a second) so that all three restarts land mid-stream.
    const run = await startFaultPipeline(t, stack, 'service-sigkill', { ratePerSecond: 1 })
    const restarts: string[] = []
    const seconds: number[] = []
    let records = 600
    for (const service of ['worker', 'normalizer', 'sink'] as const) {
      await run.untilRaw(records)
      const stage = STAGE_OF[service]!
      const [victim] = run.children().filter(([child, name]) => name === service && child.exitCode === null && child.signalCode === null)
      await run.kill(victim![0], 'SIGKILL')
      const started = Date.now()
      run.start(service)
      // What the dead process had done: a reading begun after it died.
      const base = await untilSample(run.progress, `a reading after the ${service} died`, (s) => s.began > started, 30_000)
      const moved = await untilSample(run.progress, `${service} working again`, (s) => s.done[stage] > base.done[stage], 120_000)
      seconds.push((moved.at - started) / 1000)
      restarts.push(`${service} ${seconds.at(-1)!.toFixed(1)}s`)
      records = run.progress.latest()!.done.producer + 400
    }
    t.diagnostic(`working again after a restart: ${restarts.join(', ')}`)
    process.stdout.write(`fault service-sigkill: restarted and working in ${restarts.join(', ')}\n`)
    // The count: nothing lost or doubled through three deaths mid-work.
    await run.finish(await run.recovered(Date.now()))
    // Working within 5 s of its start (#11's bound): it did not wait out its dead predecessor's 30 s session.
    assert.ok(Math.max(...seconds) <= RESTART_BOUND_S, `working again within ${RESTART_BOUND_S}s of a restart: ${restarts.join(', ')}`)
  },
)
