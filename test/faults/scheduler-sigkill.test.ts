import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// The scheduler dies without a word mid-stream and a new one starts: it reads back the task ids of
// the current slots it already published, so the charts are not fetched a second time (a second
// fetch would show as extra fetch-log entries and raw records, absorbed by the dedup).
const HOUR = 3_600_000

test('fault scheduler-sigkill: the scheduler SIGKILLed mid-stream and started again', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const began = Date.now()
  const run = await startFaultPipeline(t, stack, 'scheduler-sigkill')
  await run.untilRaw(1000)
  const [scheduler] = run.children().filter(([, service]) => service === 'scheduler')
  await run.kill(scheduler![0], 'SIGKILL')
  run.start('scheduler')
  const recovered = await run.recovered(Date.now())
  const count = await run.finish(recovered)
  // Eight charts of ten pages per hourly slot; a run that crosses the hour legitimately fetches a second round.
  const slots = Math.floor(Date.now() / HOUR) - Math.floor(began / HOUR) + 1
  const rounds = count.detail.fetchLog.rows / 80
  t.diagnostic(`fetch log ${count.detail.fetchLog.rows} entries for 80 pages a slot, ${slots} slot(s)`)
  assert.ok(Number.isInteger(rounds) && rounds <= slots, `${count.detail.fetchLog.rows} fetches: a chart fetched twice in one slot`)
})
