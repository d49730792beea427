import { defer, freshTopic, useKafka, type Cleanup } from '@trends/testing'

/** A consumer protocol subscription to one topic, as Kafka's clients encode it (version 1, no user data). */
function subscription(topic: string): Buffer {
  const name = Buffer.from(topic)
  const out = Buffer.alloc(2 + 4 + 2 + name.length + 4)
  let at = out.writeInt16BE(1, 0)
  at = out.writeInt32BE(1, at)
  at = out.writeInt16BE(name.length, at)
  at += name.copy(out, at)
  out.writeInt32BE(0, at)
  return out
}

/**
 * A member of `groupId` that offers only an assignor of its own: Kafka refuses every other member
 * that joins the group with INCONSISTENT_GROUP_PROTOCOL, a broker answer kafkajs does not retry.
 * The group must have no other member when it joins; `release` leaves the group.
 */
export async function holdGroup(t: Cleanup, groupId: string): Promise<{ release: () => Promise<void> }> {
  const topic = await freshTopic(t, 'held-group')
  const consumer = useKafka().consumer({
    groupId,
    partitionAssigners: [
      () => ({
        name: 'HeldByTest',
        version: 1,
        assign: async ({ members }) => members.map(({ memberId }) => ({ memberId, memberAssignment: Buffer.alloc(0) })),
        protocol: () => ({ name: 'HeldByTest', metadata: subscription(topic) }),
      }),
    ],
  })
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()))
  await consumer.connect()
  defer(t, () => consumer.disconnect())
  await consumer.subscribe({ topics: [topic] })
  await consumer.run({ eachMessage: async () => undefined })
  await joined
  return { release: () => consumer.disconnect() }
}
