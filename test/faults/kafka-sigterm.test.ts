import { test } from 'node:test'
import { startFaultPipeline } from '../support/faults.ts'
import { usePrivateStack } from '../support/faults-stack.ts'

// The broker is stopped as an operator (or a rolling restart) stops it: SIGTERM, a controlled
// shutdown that moves no leadership on a single node, then the same data again. Open transactions
// and in-flight sends meet a broker that says goodbye; nothing may be lost or doubled.
test('fault kafka-sigterm: the broker stopped with SIGTERM mid-stream and restarted', { timeout: 900_000 }, async (t) => {
  const stack = await usePrivateStack(t)
  const run = await startFaultPipeline(t, stack, 'kafka-sigterm')
  await run.untilRaw(1000)
  await stack.stop('kafka', 'SIGTERM')
  await stack.up()
  const recovered = await run.recovered(Date.now())
  await run.finish(recovered)
})
