import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, readEnv } from '@trends/core'
import { DEFAULT_CONSUMER_SETTINGS, readConsumerSettings } from '../src/supervise.ts'

test('consumer settings: defaults, durations written as everywhere, every problem named', () => {
  const defaults = readEnv({})
  assert.deepEqual(readConsumerSettings(defaults), DEFAULT_CONSUMER_SETTINGS)
  assert.deepEqual(DEFAULT_CONSUMER_SETTINGS, { stallAfterMs: 120_000, restartLimit: 5, restartWindowMs: 600_000 })

  const set = readEnv({ CONSUMER_STALL_AFTER: '90s', CONSUMER_RESTART_LIMIT: '0', CONSUMER_RESTART_WINDOW: '1h' })
  assert.deepEqual(readConsumerSettings(set), { stallAfterMs: 90_000, restartLimit: 0, restartWindowMs: 3_600_000 })
  set.done()

  const wrong = readEnv({ CONSUMER_STALL_AFTER: '2 minutes', CONSUMER_RESTART_LIMIT: '-1', CONSUMER_RESTART_WINDOW: '10ms' })
  readConsumerSettings(wrong)
  assert.throws(
    () => wrong.done(),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.length === 3 &&
      error.problems.some((p) => p.startsWith('CONSUMER_STALL_AFTER: a duration')) &&
      error.problems.some((p) => p.startsWith('CONSUMER_RESTART_LIMIT: set an integer between 0 and 100')) &&
      error.problems.some((p) => p.startsWith('CONSUMER_RESTART_WINDOW: a duration of at least 1s')),
  )
})
