import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { claimInstanceSlot } from '@trends/core'

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trends-slots-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A pid that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => child.once('exit', resolve))
  assert.ok(child.pid !== undefined)
  return child.pid
}

test('live instances get distinct slots, lowest first; a released slot is taken again', (t) => {
  const dir = tempDir(t)
  const parent = process.ppid
  const first = claimInstanceSlot(dir, 'normalizer', process.pid)
  const second = claimInstanceSlot(dir, 'normalizer', parent)
  assert.equal(first.slot, 0)
  assert.equal(second.slot, 1)
  assert.equal(readFileSync(path.join(dir, 'normalizer.1.pid'), 'utf8').trim(), String(parent))
  assert.equal(claimInstanceSlot(dir, 'other', process.pid).slot, 0, 'names count apart')
  first.release()
  first.release()
  assert.equal(existsSync(path.join(dir, 'normalizer.0.pid')), false)
  assert.equal(claimInstanceSlot(dir, 'normalizer', process.pid).slot, 0)
})

test('a slot left by a process that is gone is taken over: a restarted instance keeps its name', async (t) => {
  const dir = tempDir(t)
  writeFileSync(path.join(dir, 'normalizer.0.pid'), `${await deadPid()}\n`)
  writeFileSync(path.join(dir, 'normalizer.1.pid'), 'half written')
  // Written a minute ago and never finished: its starter died there.
  const minuteAgo = new Date(Date.now() - 60_000)
  utimesSync(path.join(dir, 'normalizer.1.pid'), minuteAgo, minuteAgo)
  const claimed = claimInstanceSlot(dir, 'normalizer', process.pid)
  assert.equal(claimed.slot, 0)
  assert.equal(readFileSync(path.join(dir, 'normalizer.0.pid'), 'utf8').trim(), String(process.pid))
  assert.equal(claimInstanceSlot(dir, 'normalizer', process.ppid).slot, 1, 'an unreadable holder left long ago is no holder')
})

test('a slot file just made and not yet written is held: its starter is between two calls', (t) => {
  const dir = tempDir(t)
  writeFileSync(path.join(dir, 'normalizer.0.pid'), '')
  assert.equal(claimInstanceSlot(dir, 'normalizer', process.pid).slot, 1)
  assert.equal(readFileSync(path.join(dir, 'normalizer.0.pid'), 'utf8'), '', 'left to its starter')
})

test('processes starting together never share a slot', async (t) => {
  const dir = tempDir(t)
  const script = `import { claimInstanceSlot } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../packages/core/src/instance-slot.ts'))}
const { slot } = claimInstanceSlot(${JSON.stringify(dir)}, 'normalizer')
process.stdout.write(String(slot))
setTimeout(() => undefined, 1500)`
  const slots = await Promise.all(
    Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
      return new Promise<number>((resolve) => child.once('exit', () => resolve(Number(out))))
    }),
  )
  assert.deepEqual(
    [...slots].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5],
  )
})
