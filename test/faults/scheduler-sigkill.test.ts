import { test } from 'node:test'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// The scheduler dies without a word mid-stream and a new one starts: it reads back the task ids of
// the current slots it already published, so the charts are not fetched a second time (a second
// fetch would show as extra fetch-log entries and raw records, absorbed by the dedup).
test('fault scheduler-sigkill: the scheduler SIGKILLed mid-stream and started again', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'scheduler-sigkill')
  await run.untilRaw(1000)
  const [scheduler] = run.children().filter(([, service]) => service === 'scheduler')
  await run.kill(scheduler![0], 'SIGKILL')
  run.start('scheduler')
  const recovered = await run.recovered(Date.now())
  const count = await run.finish(recovered)
  t.diagnostic(`fetch log ${count.detail.fetchLog.rows} entries for 80 pages`)
})
