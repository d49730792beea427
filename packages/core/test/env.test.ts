import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, readEnv, type EnvReader } from '../src/index.ts'

/** The problems `done()` reports, or none. */
function problemsOf(read: EnvReader): string[] {
  try {
    read.done()
    return []
  } catch (error) {
    assert.ok(error instanceof ConfigError)
    return [...error.problems]
  }
}

test('durations carry a unit and keep to their range; every problem names the setting and its bounds', () => {
  const good = readEnv({ A: '750ms', B: '2m', C: '6s' })
  assert.equal(good.duration('A', '1s'), 750)
  assert.equal(good.duration('B', '1s', { max: '5m' }), 120_000)
  assert.equal(good.duration('C', '30s', { min: '6s', max: '5m' }), 6000, 'the bounds are inclusive')
  assert.equal(good.duration('UNSET', '30s', { min: '6s' }), 30_000)
  assert.deepEqual(problemsOf(good), [])

  const bad = readEnv({ NO_UNIT: '5000', SHORT: '1s', LONG: '1h', ABOVE: '10m' })
  assert.equal(bad.duration('NO_UNIT', '5s'), 5000, 'the fallback stands in while the problem is reported')
  bad.duration('SHORT', '30s', { min: '6s', max: '5m' })
  bad.duration('LONG', '30s', { min: '6s', max: '5m' })
  bad.duration('ABOVE', '30s', { max: '5m' })
  assert.deepEqual(problemsOf(bad), [
    'NO_UNIT: a duration such as 500ms, 90s, 15m, 6h or 3d (got "5000")',
    'SHORT: a duration from 6s to 5m, such as 500ms, 90s, 15m, 6h or 3d (got "1s")',
    'LONG: a duration from 6s to 5m, such as 500ms, 90s, 15m, 6h or 3d (got "1h")',
    'ABOVE: a duration of at most 5m, such as 500ms, 90s, 15m, 6h or 3d (got "10m")',
  ])
})

test('sizes carry a binary unit; a bare byte count or a decimal unit is refused (ranges as for durations)', () => {
  const read = readEnv({ A: '512KiB', B: '1024B', BARE: '1048576', DECIMAL: '4MB', LARGE: '16MiB' })
  assert.deepEqual(
    [read.size('A', '1MiB'), read.size('B', '1MiB', { min: '1KiB' }), read.size('UNSET', '32MiB'), read.size('BARE', '1MiB')],
    [512 * 1024, 1024, 32 * 1024 * 1024, 1024 * 1024],
  )
  read.size('DECIMAL', '1MiB')
  read.size('LARGE', '8MiB', { max: '15MiB' })
  assert.deepEqual(problemsOf(read), [
    'BARE: a size such as 512KiB, 64MiB or 1GiB (got "1048576")',
    'DECIMAL: a size such as 512KiB, 64MiB or 1GiB (got "4MB")',
    'LARGE: a size of at most 15MiB, such as 512KiB, 64MiB or 1GiB (got "16MiB")',
  ])
})

test('booleans are true or false and nothing else', () => {
  const read = readEnv({ ON: 'true', OFF: 'false', WORD: 'on', DIGIT: '1', UPPER: 'TRUE' })
  assert.equal(read.boolean('ON', false), true)
  assert.equal(read.boolean('OFF', true), false)
  assert.equal(read.boolean('UNSET', true), true)
  assert.equal(read.boolean('WORD', false), false, 'the fallback stands in while the problem is reported')
  read.boolean('DIGIT', false)
  read.boolean('UPPER', false)
  assert.deepEqual(problemsOf(read), [
    'WORD: true or false (got "on")',
    'DIGIT: true or false (got "1")',
    'UPPER: true or false (got "TRUE")',
  ])
})

test("a duration's former name is refused only when it is set, naming the new one (not its value)", () => {
  const unset = readEnv({ OLD_MS: '', OLD: '2s' })
  assert.equal(unset.duration('OLD', '5s', { formerly: 'OLD_MS' }), 2000)
  assert.deepEqual(problemsOf(unset), [])

  const set = readEnv({ OLD_MS: '5000' })
  assert.equal(set.duration('OLD', '5s', { formerly: 'OLD_MS' }), 5000, 'the default stands')
  assert.deepEqual(problemsOf(set), ['OLD_MS: no longer read; set OLD, a duration such as 5s'])
})
