import { test } from 'node:test'
import { brokerRestart } from '../support/faults-stack.ts'

// The broker is stopped as an operator (or a rolling restart) stops it: SIGTERM, a controlled
// shutdown that moves no leadership on a single node, then the same data again. Open transactions
// and in-flight sends meet a broker that says goodbye; nothing may be lost or doubled.
test('fault kafka-sigterm: the broker stopped with SIGTERM mid-stream and restarted', { timeout: 900_000 }, (t) =>
  brokerRestart(t, 'kafka-sigterm', 'SIGTERM'),
)
