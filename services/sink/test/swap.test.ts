import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ClickHouseClient } from '@trends/clickhouse'
import { claimPartition } from '../src/ledger.ts'
import { swapDone, swapFence } from '../src/swap-claims.ts'
import { counts, freshStore, messages, owner, route, TOPIC } from './owners.ts'

// A table swap fences the live sink's lanes with a claim of its own, exchanges the tables (brought up
// to the live ledger's end), then writes its done claim with the offset that ledger ends at. A lane
// fenced by the swap parks instead of retiring, and reads on from that offset under a new claim.
const WAIT = 60_000
const TIMEOUT = { timeout: 60_000 }
const KEY = { target: route.table, topic: TOPIC, partition: 0 }

/** Feeds `first`–`last` once the lane takes records again (its ledger read first), and waits for their commit. */
async function takeAndCommit(a: ReturnType<typeof owner>, first: number, last: number): Promise<void> {
  const committed = a.steps.next(new RegExp(`^commit 0 ${last + 1}$`))
  let taken = a.core.take(TOPIC, 0, messages(first, last))
  if (taken === 0) {
    await a.steps.next(/^resume 0$/)
    taken = a.core.take(TOPIC, 0, messages(first, last))
  }
  assert.equal(taken, last - first + 1)
  await committed
}

/**
 * An owner of partition 0 (five rows a batch) whose batch `from`–`from + 4` is between its ledger row
 * and its check when the swap `id` fences the partition (what came before is inserted and committed);
 * returns once the lane has met the fence.
 */
async function parkedOnFence(client: ClickHouseClient, id: string, from = 0): Promise<ReturnType<typeof owner>> {
  const a = owner(client, { rows: 5, bytes: 1e9, waitMs: WAIT })
  await a.take(0)
  if (from > 0) await takeAndCommit(a, 0, from - 1)
  const check = a.gates.stopAt('latestOwner')
  assert.equal(a.core.take(TOPIC, 0, messages(from, from + 4)), 5)
  await check.reached
  await claimPartition(client, KEY, swapFence(id))
  check.release()
  await new Promise((resolve) => setTimeout(resolve, 700))
  return a
}

test('a lane fenced by a swap parks, inserts nothing meanwhile, and reads on from where the swapped-in ledger ends', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  // The swap fences the partition while the lane's second batch is between its ledger row and its check.
  const a = await parkedOnFence(client, 'test-1', 5)
  const sought = a.steps.next(/^seek 0 10$/)
  const committed = a.steps.next(/^commit 0 10$/)
  await new Promise((resolve) => setTimeout(resolve, 800))
  assert.deepEqual(await counts(client), { rows: 5, distinct: 5 }, 'nothing inserted while the swap runs')
  assert.ok(!a.steps.done.includes('fenced 5-9'), 'parked, not retired')
  assert.ok(!a.steps.done.some((step) => step.startsWith('seek')), 'and not read on before the swap is done')

  // The swapped-in tables hold 5-9 (the swap brought them up to the ledger's end): read on from 10.
  await claimPartition(client, KEY, swapDone('test-1', 10n))
  await committed
  await sought
  await a.steps.next(/^resume 0$/)
  await takeAndCommit(a, 10, 14)
  assert.deepEqual(await counts(client), { rows: 10, distinct: 10 }, "0-4 and 10-14 by this lane; 5-9 were the swap's")
  assert.equal(a.steps.done.filter((step) => step.startsWith('inserted 5-9')).length, 0)
})

test('a partition assigned while a swap runs waits for it, then reads on from where the swapped-in ledger ends', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  await claimPartition(client, KEY, swapFence('test-3'))
  const a = owner(client, { rows: 5, bytes: 1e9, waitMs: WAIT })
  a.core.assign({ [TOPIC]: [0] })
  assert.equal(a.core.take(TOPIC, 0, messages(3, 7)), 0, 'nothing taken before the ledger (and the swap) say how')
  await new Promise((resolve) => setTimeout(resolve, 1200))
  assert.ok(!a.steps.done.some((step) => step.startsWith('seek') || step.startsWith('resume')), 'waits while the swap runs')
  const sought = a.steps.next(/^seek 0 8$/)
  await claimPartition(client, KEY, swapDone('test-3', 8n))
  await sought
  assert.ok(a.steps.done.includes('commit 0 8'), 'the offset the swapped-in tables end at is committed first')
  await a.steps.next(/^resume 0$/)
  await takeAndCommit(a, 8, 12)
  assert.deepEqual(await counts(client), { rows: 5, distinct: 5 })
})

test('a lane fenced by a swap and then claimed by another owner retires as in a rebalance', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const a = await parkedOnFence(client, 'test-2')
  const retired = a.steps.next(/^fenced 0-4$/)
  await claimPartition(client, KEY, 'another-sink')
  await retired
  assert.deepEqual(await counts(client), { rows: 0, distinct: 0 })
})

// The next swap lifts a dead swap's fence (a done claim with no offset) and fences the partitions
// again. A lane whose new claim lands after that fence would be its latest owner and insert during
// the swap: it reads the latest swap claim after its claim, and waits that swap out too.

/**
 * Lifts the fence `dead` left while the lane's new claim is held back until the swap `next` has
 * fenced the partition; checks the lane waits; ends `next` at `resumeAt` and feeds the lane five
 * records from there.
 */
async function nextSwapDuringClaim(client: ClickHouseClient, a: ReturnType<typeof owner>, dead: string, next: string, resumeAt: number) {
  const reclaim = a.gates.stopAt('claim')
  await claimPartition(client, KEY, swapDone(dead, undefined))
  await reclaim.reached
  await claimPartition(client, KEY, swapFence(next))
  const before = a.steps.done.length
  reclaim.release()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  assert.deepEqual(
    a.steps.done.slice(before).filter((step) => /^(seek|commit|resume|inserted)/.test(step)),
    [],
    'waits while the next swap runs',
  )
  const sought = a.steps.next(new RegExp(`^seek 0 ${resumeAt}$`))
  await claimPartition(client, KEY, swapDone(next, BigInt(resumeAt)))
  await sought
  await a.steps.next(/^resume 0$/)
  await takeAndCommit(a, resumeAt, resumeAt + 4)
}

test('a parked lane whose new claim lands after the next swap fenced the partition waits for that swap as well', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const a = await parkedOnFence(client, 'dead')
  // The next swap brought its tables up to the live ledger's end, 0-4 included.
  await nextSwapDuringClaim(client, a, 'dead', 'next', 5)
  assert.deepEqual(await counts(client), { rows: 5, distinct: 5 }, "5-9 by this lane; 0-4 were the swap's")
  assert.ok(!a.steps.done.some((step) => step.startsWith('inserted 0-4')))
})

test('a partition assigned during a swap, claiming again after it, waits for a swap that fenced it meanwhile', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  await claimPartition(client, KEY, swapFence('dead'))
  const a = owner(client, { rows: 5, bytes: 1e9, waitMs: WAIT })
  a.core.assign({ [TOPIC]: [0] })
  assert.equal(a.core.take(TOPIC, 0, messages(0, 4)), 0)
  await new Promise((resolve) => setTimeout(resolve, 1200))
  await nextSwapDuringClaim(client, a, 'dead', 'next', 3)
  assert.deepEqual(await counts(client), { rows: 5, distinct: 5 })
})
