import { test } from 'node:test'
import assert from 'node:assert/strict'
import { testLogger } from '@trends/testing'
import { DedupOwnership } from '../src/ownership.ts'

/** An ownership whose rebuilds are recorded and answered by `outcomes`, in order (true: loaded). */
function ownership(outcomes: boolean[], enabled = true) {
  const rebuilds: string[][] = []
  const retained: string[][] = []
  const owned = new DedupOwnership({
    enabled,
    retain: (shards) => retained.push([...shards].sort()),
    rebuild: async (shards) => {
      rebuilds.push([...shards].sort())
      if (outcomes.shift() === false) throw new Error('the cleaned topic could not be read')
      return shards.size * 10
    },
    log: testLogger(),
  })
  return { owned, rebuilds, retained }
}

const set = (...shards: string[]) => new Set(shards)
const settled = (promise: Promise<void>) =>
  promise.then(
    () => 'loaded',
    () => 'failed',
  )

test('the first assignment needs no rebuild (start loaded every partition); a later one rebuilds only what it gains', async () => {
  const { owned, rebuilds, retained } = ownership([true])
  owned.assigned(set('raw/0', 'raw/1', 'raw/2'))
  assert.equal(await settled(owned.ready()), 'loaded')
  assert.deepEqual(rebuilds, [])
  owned.assigned(set('raw/0'))
  owned.assigned(set('raw/0', 'raw/2'))
  assert.equal(await settled(owned.ready()), 'loaded')
  assert.deepEqual(rebuilds, [['raw/2']], 'only the partition gained back')
  assert.deepEqual(retained.at(-2), ['raw/0'], 'what was given away is dropped')
})

test('a failed rebuild fails the next batches until the consumer stops; the next assignment is then rebuilt whole', async () => {
  const { owned, rebuilds } = ownership([false, true])
  owned.assigned(set('raw/0'))
  owned.assigned(set('raw/0', 'raw/1'))
  assert.equal(await settled(owned.ready()), 'failed', 'the batch that waits on it fails')
  // A rejoin with the same partitions before kafkajs stops the consumer changes nothing: still failed.
  owned.assigned(set('raw/0', 'raw/1'))
  assert.equal(await settled(owned.ready()), 'failed')
  assert.deepEqual(rebuilds, [['raw/1']])
  // The failed batch crashed the consumer; kafkajs (or the supervisor) stops and restarts it.
  owned.stopped()
  owned.assigned(set('raw/0', 'raw/1'))
  assert.equal(await settled(owned.ready()), 'loaded', 'recovered on the next assignment')
  assert.deepEqual(rebuilds, [['raw/1'], ['raw/0', 'raw/1']], 'every partition of it, since others may have published meanwhile')
})

test('with deduplication off, nothing is rebuilt and batches never wait', async () => {
  const { owned, rebuilds } = ownership([false], false)
  owned.assigned(set('raw/0'))
  owned.stopped()
  owned.assigned(set('raw/0', 'raw/1'))
  assert.equal(await settled(owned.ready()), 'loaded')
  assert.deepEqual(rebuilds, [])
})
