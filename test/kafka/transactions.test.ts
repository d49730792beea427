import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomSuffix } from '@trends/core'
import { freshGroupId, freshTopic, useAdmin, useConsumer, useProducer } from '@trends/testing'
import type { KafkaMessage } from '@trends/kafka'

// kafkajs speaks the classic transaction protocol; Kafka 4.x must still honour it for the
// normalizer's exactly-once path (transactional produce + offsets committed in the transaction).
test('read_committed consumers see committed transactions only, and offsets commit with the output', async (t) => {
  const input = await freshTopic(t, 'txn-in')
  const output = await freshTopic(t, 'txn-out')
  const group = freshGroupId('txn')

  const plain = await useProducer(t)
  await plain.send({ topic: input, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })

  const producer = await useProducer(t, { transactionalId: `test-txn-${randomSuffix()}`, idempotent: true, maxInFlightRequests: 1 })

  const committed = await producer.transaction()
  await committed.send({
    topic: output,
    messages: [
      { key: 'k1', value: 'A' },
      { key: 'k2', value: 'B' },
    ],
  })
  // The input offset (next to read = 2) is committed for `group` only if the transaction commits.
  await committed.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '2' }] }] })
  await committed.commit()

  const aborted = await producer.transaction()
  await aborted.send({ topic: output, messages: [{ key: 'k3', value: 'ABORTED' }] })
  await aborted.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }] })
  await aborted.abort()

  const last = await producer.transaction()
  await last.send({ topic: output, messages: [{ key: 'k4', value: 'C' }] })
  await last.commit()

  const admin = await useAdmin(t)
  const offsets = await admin.fetchOffsets({ groupId: group, topics: [input] })
  assert.equal(offsets[0]?.partitions[0]?.offset, '2', 'only the committed transaction moved the group offset')

  const consumer = await useConsumer(t, { groupId: freshGroupId('txn-reader'), readUncommitted: false })
  await consumer.subscribe({ topic: output, fromBeginning: true })
  const seen: KafkaMessage[] = []
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`saw ${seen.length} committed messages`)), 30_000)
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(message)
          if (message.value?.toString() === 'C') {
            clearTimeout(timer)
            resolve()
          }
        },
      })
      .catch(reject)
  })
  assert.deepEqual(
    seen.map((m) => m.value?.toString()),
    ['A', 'B', 'C'],
  )
})
