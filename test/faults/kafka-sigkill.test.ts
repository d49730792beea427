import { test } from 'node:test'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// The broker dies without a word (power cut, OOM killer) while records flow, and comes back on the
// same data: the producer's, the normalizer's and the sink's clients must find it again on their
// own, and the idempotent and transactional writes must leave nothing lost and nothing doubled.
test('fault kafka-sigkill: the broker SIGKILLed mid-stream and restarted', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'kafka-sigkill')
  await run.untilRaw(1000)
  await stack.stop('kafka', 'SIGKILL')
  await stack.up()
  const recovered = await run.recovered(Date.now())
  await run.finish(recovered)
})
