import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, readEnv } from '@trends/core'
import { readCreativeCenterSettings } from '../src/index.ts'

test('the client settings: durations and sizes with units; the former millisecond names are refused naming the new ones', () => {
  const good = readEnv({ CC_RETRY_MAX: '45s', CC_MAX_RESPONSE_BYTES: '2MiB' })
  const settings = readCreativeCenterSettings(good)
  good.done()
  assert.equal(settings.retry.maxDelayMs, 45_000)
  assert.equal(settings.http.maxResponseBytes, 2 * 1024 * 1024)

  const old = readEnv({ CC_RETRY_MAX_MS: '30000', CC_CONNECT_TIMEOUT_MS: '10000', CC_MAX_RESPONSE_BYTES: '8388608' })
  readCreativeCenterSettings(old)
  assert.throws(
    () => old.done(),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.deepEqual([...error.problems].sort(), [
        'CC_CONNECT_TIMEOUT_MS: no longer read; set CC_CONNECT_TIMEOUT, a duration such as 10s',
        'CC_MAX_RESPONSE_BYTES: a size from 1KiB to 15MiB, such as 512KiB, 64MiB or 1GiB (got "8388608")',
        'CC_RETRY_MAX_MS: no longer read; set CC_RETRY_MAX, a duration such as 30s',
      ])
      return true
    },
  )
})
