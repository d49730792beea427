import { test } from 'node:test'
import assert from 'node:assert/strict'
import { claimPartition, latestOwner, loadPlan, recordBatch } from '../src/ledger.ts'
import { counts, freshStore, messages, owner, retiredWithBatch, TOPIC } from './owners.ts'

// Two sinks own partition 0 one after the other (a rebalance moves it), on one ClickHouse; the
// order of their steps is forced by stopping the first one's store calls. Rows are counted without
// FINAL: a range inserted under two tokens is there twice.
const WAIT = 60_000
// A step that never comes fails the test instead of hanging it.
const TIMEOUT = { timeout: 60_000 }

test('a retired lane writes its ledger row after the new owner read the ledger: the fence keeps its batch out', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  // The rebalance: A's lane is retired with its batch on the way; B takes the partition and reads
  // the ledger before A's row is in it, so B forms its own range from the same offset.
  const { a, release, outcome: aOutcome } = await retiredWithBatch(client, 'record')
  const b = owner(client, { rows: 10, bytes: 1e9, waitMs: WAIT })
  await b.take(0)
  const bCommit = b.steps.next(/^commit 0 10$/)
  assert.equal(b.core.take(TOPIC, 0, messages(0, 9)), 10)
  await bCommit

  release()
  const outcome = await aOutcome
  t.diagnostic(`old owner: ${a.steps.done.join(', ')}; new owner: ${b.steps.done.join(', ')}`)
  assert.deepEqual(await counts(client), { rows: 10, distinct: 10 }, 'every row once, counted without FINAL')
  assert.equal(outcome, 'fenced 0-4', 'the old owner abandoned its batch')
  assert.ok(!a.steps.done.some((step) => step.startsWith('commit')), 'and committed nothing')

  // A later reader finds both ranges from offset 0 in the ledger and forms the one that was inserted.
  assert.deepEqual((await loadPlan(client, 'facts', TOPIC, 0, 0n)).plan, [{ first: 0n, last: 9n }])
  const c = owner(client, { rows: 3, bytes: 1e9, waitMs: WAIT })
  await c.take(0)
  const cCommit = c.steps.next(/^commit 0 10$/)
  assert.equal(c.core.take(TOPIC, 0, messages(0, 9)), 10)
  await cCommit
  assert.deepEqual(await counts(client), { rows: 10, distinct: 10 }, 'read again: dropped as a repeat')
})

test('the old owner checks before the new claim: the new owner reads its range and forms the same batch', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const { a, release, outcome: aOutcome } = await retiredWithBatch(client, 'insert')

  const b = owner(client, { rows: 10, bytes: 1e9, waitMs: WAIT })
  await b.take(0)
  const bCommit = b.steps.next(/^commit 0 5$/)
  assert.equal(b.core.take(TOPIC, 0, messages(0, 9)), 10)
  await bCommit
  await b.core.drain(WAIT)

  release()
  assert.equal(await aOutcome, 'inserted 0-4', 'the old owner inserts: it was still the latest owner when it checked')
  t.diagnostic(`old owner: ${a.steps.done.join(', ')}; new owner: ${b.steps.done.join(', ')}`)
  assert.ok(b.steps.done.includes('commit 0 10'))
  assert.deepEqual(await counts(client), { rows: 10, distinct: 10 }, 'the same range under the same token: dropped')
})

test('the old owner checks after the new claim: it abandons, the new owner inserts the range the ledger has', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const { release, outcome: aOutcome } = await retiredWithBatch(client, 'latestOwner')

  const b = owner(client, { rows: 10, bytes: 1e9, waitMs: WAIT })
  await b.take(0)
  const bCommit = b.steps.next(/^commit 0 5$/)
  assert.equal(b.core.take(TOPIC, 0, messages(0, 4)), 5)
  await bCommit
  assert.deepEqual(await counts(client), { rows: 5, distinct: 5 }, 'the new owner formed the range A had written')

  release()
  assert.equal(await aOutcome, 'fenced 0-4')
  assert.deepEqual(await counts(client), { rows: 5, distinct: 5 })
})

test('a partition given back to the same sink: the lane before is fenced by the new one', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const a = owner(client, { rows: 5, bytes: 1e9, waitMs: WAIT })
  await a.take(0)
  const aRecord = a.gates.stopAt('record')
  const oldOutcome = a.steps.next(/^(inserted|fenced|left) 0-4$/)
  assert.equal(a.core.take(TOPIC, 0, messages(0, 4)), 5)
  await aRecord.reached

  // The rebalance keeps the partition here: a new lane, its own claim, a ledger without A's row yet.
  await a.take(0)
  assert.equal(a.core.take(TOPIC, 0, messages(0, 2)), 3)
  await a.core.drain(WAIT)
  assert.ok(a.steps.done.includes('commit 0 3'), 'the new lane inserted and committed its own range')
  aRecord.release()
  assert.equal(await oldOutcome, 'fenced 0-4')
  t.diagnostic(a.steps.done.join(', '))
  assert.deepEqual(await counts(client), { rows: 3, distinct: 3 })
})

test('ledger ranges that overlap: the newest claim wins; rows from before claims read as the oldest', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const key = { target: 'facts', topic: TOPIC, partition: 0 }
  const batch = (first: number, last: number) => ({
    topic: TOPIC,
    partition: 0,
    route: {
      name: 'observations' as const,
      topic: TOPIC,
      table: 'facts',
      toRow: (r: Record<string, unknown>) => r,
      deadLetterRejects: false,
    },
    first: String(first),
    last: String(last),
    entries: [],
    planned: false,
  })
  await recordBatch(client, batch(0, 4), 5)
  const older = await claimPartition(client, key, 'older')
  await recordBatch(client, batch(5, 20), 16, older)
  await recordBatch(client, batch(21, 25), 5, older)
  const newer = await claimPartition(client, key, 'newer')
  await recordBatch(client, batch(5, 12), 8, newer)
  await recordBatch(client, batch(13, 30), 18, newer)
  await recordBatch(client, batch(26, 28), 3)
  assert.equal(await latestOwner(client, key), 'newer')
  const { plan } = await loadPlan(client, 'facts', TOPIC, 0, 0n)
  assert.deepEqual(
    plan.map(({ first, last }) => `${first}-${last}`),
    ['0-4', '5-12', '13-30'],
    'the older claim loses 5-20 (same first) and 21-25 (inside 13-30), a row without a claim 26-28',
  )
  assert.deepEqual((await loadPlan(client, 'facts', TOPIC, 0, 14n)).plan, [{ first: 13n, last: 30n }])
})
