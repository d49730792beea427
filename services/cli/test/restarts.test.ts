import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decideRestart, exitText, restartLine, restartsSuffix, type RestartPolicy } from '../src/restarts.ts'

const policy: RestartPolicy = { limit: 3, windowMs: 60_000, baseMs: 1000, maxMs: 3000 }

test('a service is restarted with a growing wait, up to the limit within the window', () => {
  assert.deepEqual(decideRestart([], 100_000, policy), { restart: true, delayMs: 1000, count: 1 })
  assert.deepEqual(decideRestart([90_000], 100_000, policy), { restart: true, delayMs: 2000, count: 2 })
  assert.deepEqual(decideRestart([80_000, 90_000], 100_000, policy), { restart: true, delayMs: 3000, count: 3 })
  assert.deepEqual(decideRestart([70_000, 80_000, 90_000], 100_000, policy), { restart: false, count: 3 })
})

test('restarts older than the window are forgotten', () => {
  assert.deepEqual(decideRestart([10_000, 20_000, 90_000], 100_000, policy), { restart: true, delayMs: 2000, count: 2 })
  assert.deepEqual(decideRestart([1, 2, 3], 100_000, policy), { restart: true, delayMs: 1000, count: 1 })
})

test('how a restart reads', () => {
  assert.equal(exitText(1, null), 'exit 1')
  assert.equal(exitText(75, null), 'exit 75')
  assert.equal(exitText(null, 'SIGKILL'), 'killed by SIGKILL')
  assert.equal(restartLine('normalizer', 'exit 1', 2), 'normalizer restarted (exit 1), 2 restarts')
  assert.equal(restartLine('sink', 'killed by SIGKILL', 1), 'sink restarted (killed by SIGKILL), 1 restart')
  assert.equal(restartsSuffix(new Map()), '')
  assert.equal(
    restartsSuffix(
      new Map([
        ['normalizer', 2],
        ['sink', 0],
        ['producer', 1],
      ]),
    ),
    ' · restarts: normalizer 2, producer 1',
  )
})
