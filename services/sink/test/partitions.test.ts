import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clickhouseStore } from '../src/store.ts'
import type { PartitionStore } from '../src/ports.ts'
import { counts, freshStore, messages, owner, retiredWithBatch, TOPIC } from './owners.ts'

// The exactly-once core without Kafka: its consumer records what it is asked, its store is a real
// (embedded) ClickHouse.
const WAIT = 60_000
const TIMEOUT = { timeout: 60_000 }

test('a full batch waits for the one in flight: the partition is paused until it lands, then resumed', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const a = owner(client, { rows: 2, bytes: 1e9, waitMs: WAIT })
  await a.take(0)
  const insert = a.gates.stopAt('insert')
  assert.equal(a.core.take(TOPIC, 0, messages(0, 5)), 4, 'one batch in flight and one gathered; the rest is fetched again')
  await insert.reached
  assert.deepEqual(a.core.buffered(), { rows: 4, paused: 1 })
  assert.deepEqual(a.core.pending(), [{ topic: TOPIC, partition: 0, records: 4 }])
  const second = a.steps.next(/^commit 0 4$/)
  insert.release()
  await second
  assert.deepEqual(a.steps.done.slice(2), ['pause 0', 'inserted 0-1', 'commit 0 2', 'resume 0', 'inserted 2-3', 'commit 0 4'])
  assert.deepEqual(await counts(client), { rows: 4, distinct: 4 })
})

test('ClickHouse away during an insert: retried until it takes the batch, once', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const real = clickhouseStore(client)
  let refusals = 2
  const flaky: PartitionStore = {
    ...real,
    insert: async (batch, rows) => {
      if (refusals-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' })
      return real.insert(batch, rows)
    },
  }
  const a = owner(client, { rows: 3, bytes: 1e9, waitMs: WAIT }, flaky)
  await a.take(0)
  const committed = a.steps.next(/^commit 0 3$/)
  assert.equal(a.core.take(TOPIC, 0, messages(0, 2)), 3)
  await committed
  assert.deepEqual(a.steps.done.slice(2), ['failed insert', 'failed insert', 'back after 3', 'inserted 0-2', 'commit 0 3'])
  assert.deepEqual(await counts(client), { rows: 3, distinct: 3 })
})

test('a commit refused: the batch is read again from its first offset and formed again from the ledger', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const a = owner(client, { rows: 3, bytes: 1e9, waitMs: WAIT })
  await a.take(0)
  a.faults.commits = 1
  const left = a.steps.next(/^seek 0 0$/)
  assert.equal(a.core.take(TOPIC, 0, messages(0, 3)), 4)
  await left
  await new Promise(setImmediate)
  assert.deepEqual(a.steps.done.slice(2), ['inserted 0-2', 'left 0-2', 'seek 0 0'])
  assert.equal(a.core.buffered().rows, 0, 'what was gathered after it is dropped too: it is fetched again')

  // The fetch from the seek: the ledger is read again first, and the range is formed as it was
  // although the limits now close batches at two rows.
  const resumed = a.steps.next(/^resume 0$/)
  assert.equal(a.core.take(TOPIC, 0, messages(0, 3)), 0)
  await resumed
  const committed = a.steps.next(/^commit 0 3$/)
  assert.equal(a.core.take(TOPIC, 0, messages(0, 3)), 4)
  await committed
  await a.core.drain(WAIT)
  assert.ok(a.steps.done.includes('commit 0 4'))
  assert.deepEqual(await counts(client), { rows: 4, distinct: 4 }, 'the repeat of 0-2 was dropped')
})

test('a rebalance while a partition is paused: the new lane resumes it (kafkajs keeps pauses across a rebalance)', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const a = owner(client, { rows: 2, bytes: 1e9, waitMs: WAIT })
  await a.take(0)
  const insert = a.gates.stopAt('insert')
  assert.equal(a.core.take(TOPIC, 0, messages(0, 5)), 4)
  await insert.reached
  assert.equal(a.steps.done.at(-1), 'pause 0')
  a.core.assign({ [TOPIC]: [0] })
  assert.equal(a.steps.done.at(-1), 'resume 0', 'resumed at the rebalance')
  assert.deepEqual(a.core.buffered(), { rows: 0, paused: 0 })
  assert.equal(a.core.holds(TOPIC, 0), true)
  assert.equal(a.core.holds(TOPIC, 1), false)
  insert.release()
})

test('a drain leaves a planned range cut short for the next run (as 0-2 it would have another token)', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  // The range 0-4 is in the ledger; the batch goes no further, and the next owner has only 0-2.
  const { release, outcome } = await retiredWithBatch(client, 'insert')
  const b = owner(client, { rows: 5, bytes: 1e9, waitMs: WAIT })
  await b.take(0)
  assert.equal(b.core.take(TOPIC, 0, messages(0, 2)), 3)
  await b.core.drain(WAIT)
  assert.ok(!b.steps.done.some((step) => step.startsWith('inserted')), 'not inserted as 0-2 (another token)')
  assert.equal(b.core.take(TOPIC, 0, messages(3, 4)), 0, 'nothing taken once draining')
  assert.deepEqual(await counts(client), { rows: 0, distinct: 0 })
  // A checked its claim before B claimed, so its insert goes on; B's next run forms 0-4 whole.
  release()
  assert.equal(await outcome, 'inserted 0-4')
  assert.deepEqual(await counts(client), { rows: 5, distinct: 5 })
})
