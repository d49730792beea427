import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomSuffix } from '@trends/core'
import { freshTopic, useKafka, useProducer } from '@trends/testing'
import { readTopic, type ReadProgress } from '@trends/kafka'

// The dedup rebuild reads the whole cleaned topic within the TTL: no fixed deadline, only one for
// a read that stops moving, with progress on the way.
test('a long read has no deadline of its own: it reports progress and ends when it has read everything', async (t) => {
  const topic = await freshTopic(t, 'read-long', 2)
  const producer = await useProducer(t)
  const total = 600
  for (let i = 0; i < total; i += 200)
    await producer.send({ topic, messages: Array.from({ length: 200 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })) })
  const progress: ReadProgress[] = []
  const seen = new Set<string>()
  const started = Date.now()
  const read = await readTopic(
    useKafka(),
    topic,
    async ({ message }) => {
      seen.add(message.key?.toString() ?? '')
      // Slow on purpose: the read outlasts both its stall limit and its progress interval.
      await new Promise((resolve) => setTimeout(resolve, 5))
    },
    { stallMs: 1500, progressEveryMs: 400, onProgress: (report) => progress.push(report) },
  )
  assert.equal(read, total)
  assert.equal(seen.size, total)
  assert.ok(Date.now() - started > 1500, 'the read took longer than the stall limit, and went on')
  assert.ok(progress.length >= 2, `${progress.length} progress reports`)
  assert.ok(progress.every((report) => report.total === BigInt(total)))
  assert.ok(progress.at(-1)!.remaining < progress[0]!.remaining || progress[0]!.remaining < BigInt(total), 'the reports show it moving')
  assert.ok(progress.at(-1)!.read > progress[0]!.read)
})

test('a read that stops moving fails after its stall limit, naming what is left', async (t) => {
  const topic = await freshTopic(t, 'read-stalled')
  const producer = await useProducer(t)
  await producer.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'x' })) })
  // The second record's handler does not return for 4 s: nothing moves meanwhile.
  let handled = 0
  const started = Date.now()
  await assert.rejects(
    readTopic(
      useKafka(),
      topic,
      async () => {
        handled++
        if (handled === 2) await new Promise((resolve) => setTimeout(resolve, 4000))
      },
      { stallMs: 1500 },
    ),
    /reading .* stalled: nothing read for 1500 ms, \d+ offsets left/,
  )
  assert.ok(Date.now() - started >= 1500)
  assert.ok(handled < 50, `${handled} of 50 handled before the read gave up`)
})

test('an open transaction does not hold a read-committed read: it ends with what is committed', async (t) => {
  const topic = await freshTopic(t, 'read-open-txn')
  const plain = await useProducer(t)
  await plain.send({ topic, messages: [{ key: 'before', value: 'x' }] })
  const producer = await useProducer(t, { transactionalId: `read-open-${randomSuffix()}`, idempotent: true, maxInFlightRequests: 1 })
  const open = await producer.transaction()
  await open.send({ topic, messages: [{ key: 'inside', value: 'y' }] })
  const keys: string[] = []
  const read = await readTopic(useKafka(), topic, ({ message }) => void keys.push(message.key?.toString() ?? ''), {
    readCommitted: true,
    stallMs: 5000,
  })
  await open.abort()
  assert.equal(read, 1)
  assert.deepEqual(keys, ['before'])
})
