import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseArgs } from 'node:util'
import { ConfigError, TrendsError } from '@trends/core'
import { CliError, EXIT, failureOf, usage } from '../src/errors.ts'

test('a CliError ends the command with its own line and exit code', () => {
  assert.deepEqual(failureOf(new CliError('the sink exited 1')), { message: 'the sink exited 1', exitCode: EXIT.failed })
  assert.deepEqual(failureOf(usage('--days: a positive whole number')), {
    message: '--days: a positive whole number',
    exitCode: EXIT.usage,
  })
})

test("the project's errors: their message with their code; bad settings are wrong use, the rest failures", () => {
  const settings = failureOf(new ConfigError(['KAFKA_BROKERS: set host:port[,host:port]']))
  assert.equal(settings.exitCode, EXIT.usage)
  assert.equal(settings.message, 'invalid configuration:\n  KAFKA_BROKERS: set host:port[,host:port] (CONFIG_INVALID)')
  assert.deepEqual(failureOf(new TrendsError('KAFKA_UNAVAILABLE', 'no broker answers')), {
    message: 'no broker answers (KAFKA_UNAVAILABLE)',
    exitCode: EXIT.failed,
  })
})

test("node's argument errors are wrong use, with node's message", () => {
  const thrown = (args: string[]) => {
    try {
      parseArgs({ args, options: { days: { type: 'string' } }, strict: true })
    } catch (error) {
      return error
    }
    assert.fail(`parseArgs took ${args.join(' ')}`)
  }
  for (const args of [['--nope'], ['--days'], ['extra']]) {
    const error = thrown(args)
    assert.deepEqual(failureOf(error), { message: (error as Error).message, exitCode: EXIT.usage }, args.join(' '))
  }
})

test('anything else fails with its message, whatever was thrown', () => {
  assert.deepEqual(failureOf(new TypeError('fetch failed')), { message: 'fetch failed', exitCode: EXIT.failed })
  assert.deepEqual(failureOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), {
    message: 'connect ECONNREFUSED',
    exitCode: EXIT.failed,
  })
  assert.deepEqual(failureOf('a string'), { message: 'a string', exitCode: EXIT.failed })
  assert.deepEqual(failureOf(null), { message: 'null', exitCode: EXIT.failed })
  assert.deepEqual(failureOf(undefined), { message: 'undefined', exitCode: EXIT.failed })
})
