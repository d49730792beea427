import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '@trends/core'
import { createSimulator, loadSimulatorConfig } from '../src/index.ts'
import { addFault, PATHS } from './helpers.ts'

test('stop() is prompt even with a slow-headers request pending, and the server is gone after', { timeout: 10_000 }, async () => {
  const simulator = createSimulator()
  const { url } = await simulator.start()
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  await assert.rejects(simulator.start(), /already started/)
  await addFault(url, { fault: 'slow-headers', delayMs: 60_000 })
  const pending = fetch(`${url}${PATHS.overview}`).then(
    (response) => response.status,
    (error: unknown) => error,
  )
  await new Promise((resolve) => setTimeout(resolve, 100))
  const started = performance.now()
  await simulator.stop()
  assert.ok(performance.now() - started < 1000, 'stop did not wait for the 60 s delay')
  assert.ok((await pending) instanceof Error, 'the pending request was cut off')
  await assert.rejects(fetch(`${url}${PATHS.overview}`), TypeError)
  await simulator.stop()
})

test('settings: defaults, and every problem reported at once', () => {
  assert.deepEqual(loadSimulatorConfig({}), {
    host: '127.0.0.1',
    port: 8480,
    seed: 1,
    deprecatedPaths: [],
    faults: [],
    dayLengthMs: 86_400_000,
    moves: 'natural',
    logLevel: 'info',
  })
  const set = loadSimulatorConfig({
    SIM_PORT: '0',
    SIM_SEED: '42',
    SIM_DEPRECATED: `${PATHS.sounds}, ${PATHS.hashtags}`,
    SIM_FAULTS: '[{"fault":"rate-limit","rate":0.1,"retryAfterSeconds":30}]',
    SIM_DAY_LENGTH: '90s',
    SIM_MOVES: 'scripted',
    LOG_LEVEL: 'debug',
  })
  assert.equal(set.dayLengthMs, 90_000)
  assert.equal(set.moves, 'scripted')
  assert.equal(set.port, 0)
  assert.equal(set.seed, 42)
  assert.deepEqual(set.deprecatedPaths, [PATHS.sounds, PATHS.hashtags])
  assert.deepEqual(set.faults, [{ fault: 'rate-limit', rate: 0.1, retryAfterSeconds: 30 }])
  assert.throws(
    () =>
      loadSimulatorConfig({
        SIM_PORT: 'eighty',
        SIM_SEED: '-1',
        SIM_DEPRECATED: 'creative_radar_api/v1/popular_trend/hashtag/list',
        SIM_FAULTS: '[{"fault":"rate-limit"},{"fault":"flood"}]',
        LOG_LEVEL: 'loud',
        SIM_DAY_LENGTH: '5s',
        SIM_MOVES: 'wild',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      const text = error.problems.join('\n')
      assert.match(text, /SIM_PORT: set an integer between 0 and 65535/)
      assert.match(text, /SIM_SEED: set an integer between 0 and 4294967295/)
      assert.match(text, /SIM_DEPRECATED: "creative_radar_api\/v1\/popular_trend\/hashtag\/list" is not a path/)
      assert.match(text, /SIM_FAULTS\[1\]: fault must be one of/)
      assert.match(text, /LOG_LEVEL: set one of/)
      assert.match(text, /SIM_DAY_LENGTH: at least 10s/)
      assert.match(text, /SIM_MOVES: natural or scripted \(got "wild"\)/)
      assert.equal(error.problems.length, 7)
      return true
    },
  )
  assert.throws(() => loadSimulatorConfig({ SIM_FAULTS: '{"fault":"rate-limit"}' }), /SIM_FAULTS: set a JSON array/)
})
