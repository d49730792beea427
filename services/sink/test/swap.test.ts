import { test } from 'node:test'
import assert from 'node:assert/strict'
import { claimPartition } from '../src/ledger.ts'
import { SWAP_DONE, SWAP_FENCE } from '../src/partitions.ts'
import { counts, freshStore, messages, owner, route, TOPIC } from './owners.ts'

// A table swap fences the live sink's lanes with a claim of its own, exchanges the tables, then
// writes its done claim. A lane fenced by the swap parks instead of retiring, and carries on under
// a new claim once the swap is done, reading the partition again from the batch it did not insert.
const WAIT = 60_000
const TIMEOUT = { timeout: 60_000 }
const KEY = { target: route.table, topic: TOPIC, partition: 0 }

test(
  'a lane fenced by a swap parks, inserts nothing meanwhile, and carries on under a new claim when the swap is done',
  TIMEOUT,
  async (t) => {
    const client = await freshStore(t)
    const a = owner(client, { rows: 5, bytes: 1e9, waitMs: WAIT })
    await a.take(0)
    const first = a.steps.next(/^commit 0 5$/)
    assert.equal(a.core.take(TOPIC, 0, messages(0, 4)), 5)
    await first

    // The swap fences the partition while the lane's next batch is between its ledger row and its check.
    const check = a.gates.stopAt('latestOwner')
    assert.equal(a.core.take(TOPIC, 0, messages(5, 9)), 5)
    await check.reached
    await claimPartition(client, KEY, `${SWAP_FENCE}test-1`)
    const sought = a.steps.next(/^seek 0 5$/)
    check.release()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.deepEqual(await counts(client), { rows: 5, distinct: 5 }, 'nothing inserted while the swap runs')
    assert.ok(!a.steps.done.includes('fenced 5-9'), 'parked, not retired')
    assert.ok(!a.steps.done.some((step) => step.startsWith('seek')), 'and not read again before the swap is done')

    await claimPartition(client, KEY, `${SWAP_DONE}test-1`)
    await sought
    const resumed = a.steps.next(/^resume 0$/)
    await resumed
    // Read again from 5: the lane asks the ledger how the range was formed, then forms it again.
    const second = a.steps.next(/^commit 0 10$/)
    let taken = a.core.take(TOPIC, 0, messages(5, 9))
    if (taken === 0) {
      await a.steps.next(/^resume 0$/)
      taken = a.core.take(TOPIC, 0, messages(5, 9))
    }
    assert.equal(taken, 5)
    await second
    assert.deepEqual(await counts(client), { rows: 10, distinct: 10 }, 'every row once, counted without FINAL')
  },
)

test('a lane fenced by a swap and then claimed by another owner retires as in a rebalance', TIMEOUT, async (t) => {
  const client = await freshStore(t)
  const a = owner(client, { rows: 5, bytes: 1e9, waitMs: WAIT })
  await a.take(0)
  const check = a.gates.stopAt('latestOwner')
  assert.equal(a.core.take(TOPIC, 0, messages(0, 4)), 5)
  await check.reached
  await claimPartition(client, KEY, `${SWAP_FENCE}test-2`)
  check.release()
  await new Promise((resolve) => setTimeout(resolve, 700))
  const retired = a.steps.next(/^fenced 0-4$/)
  await claimPartition(client, KEY, 'another-sink')
  await retired
  assert.deepEqual(await counts(client), { rows: 0, distinct: 0 })
})
