import { test } from 'node:test'
import assert from 'node:assert/strict'
import { freshGroupId, freshTopic, useConsumer, useProducer, type Cleanup } from '@trends/testing'
import type { Consumer, KafkaMessage } from '@trends/kafka'

interface Received {
  partition: number
  message: KafkaMessage
}

/** Collects `count` messages from a subscribed consumer, or fails with what arrived by the deadline. */
async function collect(consumer: Consumer, count: number, timeoutMs = 30_000): Promise<Received[]> {
  const received: Received[] = []
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`received ${received.length} of ${count} messages`)), timeoutMs)
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          received.push({ partition, message })
          if (received.length === count) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
      .catch(reject)
  })
  return received
}

async function roundTrip(t: Cleanup, partitions: number, count: number) {
  const topic = await freshTopic(t, 'roundtrip', partitions)
  const producer = await useProducer(t, { idempotent: true })
  const messages = Array.from({ length: count }, (_, i) => ({
    key: `hashtag:US:7:${i % 7}`,
    value: JSON.stringify({ i, name: `tag ${i}` }),
    headers: { 'fetch-id': `fetch-${i}`, generation: 'legacy' },
  }))
  await producer.send({ topic, acks: -1, messages })
  const consumer = await useConsumer(t, { groupId: freshGroupId('roundtrip') })
  await consumer.subscribe({ topic, fromBeginning: true })
  return { sent: messages, received: await collect(consumer, count) }
}

test('a produced batch comes back with its keys, values and headers', async (t) => {
  const { sent, received } = await roundTrip(t, 1, 25)
  assert.equal(received.length, sent.length)
  // One partition keeps order, so the i-th received is the i-th sent.
  received.forEach(({ message }, i) => {
    const expected = sent[i]
    assert.ok(expected)
    assert.equal(message.key?.toString(), expected.key)
    assert.equal(message.value?.toString(), expected.value)
    assert.equal(message.headers?.['fetch-id']?.toString(), expected.headers['fetch-id'])
    assert.equal(message.headers?.['generation']?.toString(), 'legacy')
  })
})

test('records with the same key land on the same partition across three partitions', async (t) => {
  const { sent, received } = await roundTrip(t, 3, 42)
  assert.equal(received.length, sent.length)
  assert.deepEqual(received.map(({ message }) => message.value?.toString()).sort(), sent.map((m) => m.value).sort())
  const partitionsByKey = new Map<string, Set<number>>()
  for (const { partition, message } of received) {
    const key = message.key?.toString() ?? ''
    partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(partition))
  }
  assert.equal(partitionsByKey.size, 7)
  for (const [key, partitions] of partitionsByKey) assert.equal(partitions.size, 1, `key ${key} spread over ${[...partitions].join(',')}`)
  assert.ok(new Set(received.map((r) => r.partition)).size > 1, 'seven keys should use more than one of three partitions')
})
