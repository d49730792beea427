import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { Supervisor } from '../../services/cli/src/supervisor.ts'

const policy = { limit: 2, windowMs: 60_000, baseMs: 20, maxMs: 100 }

test('a service that exits is started again, and one that keeps failing ends the run', async () => {
  const lines: string[] = []
  const supervisor = new Supervisor((line) => lines.push(line), policy)
  let starts = 0
  supervisor.add('flaky', () => {
    starts++
    return spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' })
  })
  supervisor.watch()
  const error = await supervisor.failed
  assert.equal(starts, 3, 'started once and restarted twice')
  assert.match(error.message, /^the flaky failed again \(exit 3\) after 2 restarts within 1 min/)
  assert.deepEqual(
    lines.filter((line) => line.includes('restarted')),
    ['flaky restarted (exit 3), 1 restart', 'flaky restarted (exit 3), 2 restarts'],
  )
  assert.deepEqual([...supervisor.restarts()], [['flaky', 2]])
  await supervisor.stop(1000)
})

test('stopping ends every service, last started first, and restarts none', async () => {
  const supervisor = new Supervisor(() => undefined, policy)
  const order: string[] = []
  for (const name of ['first', 'second']) {
    const child = supervisor.add(name, () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }))
    child.process.once('exit', () => order.push(name))
  }
  supervisor.watch()
  await supervisor.stop(2000)
  assert.deepEqual(order, ['second', 'first'])
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.deepEqual(
    [...supervisor.restarts()],
    [
      ['first', 0],
      ['second', 0],
    ],
  )
  for (const child of supervisor.children) assert.equal(child.process.signalCode, 'SIGTERM')
})
