import { test } from 'node:test'
import { brokerRestart } from '../support/faults-stack.ts'

// The broker dies without a word (power cut, OOM killer) while records flow, and comes back on the
// same data: the producer's, the normalizer's and the sink's clients must find it again on their
// own, and the idempotent and transactional writes must leave nothing lost and nothing doubled.
test('fault kafka-sigkill: the broker SIGKILLed mid-stream and restarted', { timeout: 900_000 }, (t) =>
  brokerRestart(t, 'kafka-sigkill', 'SIGKILL'),
)
