/**
 * Where Kafka consumer groups stand and where partitions end, for the shadow replay commands; and a
 * probe that tells records from the transaction markers a transactional producer leaves last.
 * Keys are `topic:partition`.
 */
import { randomUUID } from 'node:crypto'
import { retrying, type Admin, type Kafka } from '@trends/kafka'

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`
const key = partitionKey

export async function groupState(admin: Admin, groupId: string): Promise<string> {
  const { groups } = await admin.describeGroups([groupId])
  return groups[0]?.state ?? 'Dead'
}

/** Committed offsets of a group (`topic:partition` → offset; absent when none). */
export async function committed(admin: Admin, groupId: string, topics: string[]): Promise<Map<string, bigint>> {
  const result = new Map<string, bigint>()
  for (const topic of await existingTopics(admin, topics)) {
    const [offsets] = await retrying(() => admin.fetchOffsets({ groupId, topics: [topic] }))
    for (const p of offsets?.partitions ?? []) if (BigInt(p.offset) >= 0n) result.set(key(topic, p.partition), BigInt(p.offset))
  }
  return result
}

export async function ends(admin: Admin, topics: string[]): Promise<Map<string, { low: bigint; high: bigint }>> {
  const result = new Map<string, { low: bigint; high: bigint }>()
  for (const topic of topics) {
    for (const p of await retrying(() => admin.fetchTopicOffsets(topic)))
      result.set(key(topic, p.partition), { low: BigInt(p.low), high: BigInt(p.high) })
  }
  return result
}

export async function existingTopics(admin: Admin, topics: string[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics())
  return topics.filter((topic) => existing.has(topic))
}

export async function setGroupOffsets(admin: Admin, groupId: string, offsets: Map<string, bigint>): Promise<void> {
  const byTopic = new Map<string, Array<{ partition: number; offset: string }>>()
  for (const [k, offset] of offsets) {
    const topic = k.slice(0, k.lastIndexOf(':'))
    const list = byTopic.get(topic) ?? []
    list.push({ partition: Number(k.slice(k.lastIndexOf(':') + 1)), offset: offset.toString() })
    byTopic.set(topic, list)
  }
  for (const [topic, partitions] of byTopic) await admin.setOffsets({ groupId, topic, partitions })
}

/**
 * Whether any partition holds a committed record between `from` and `to` (what is left is not only
 * transaction markers): read with a consumer group of its own that starts at `from` and commits
 * nothing. Undecided within 20 s counts as yes.
 */
export async function recordsBetween(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  ranges: ReadonlyMap<number, { from: bigint; to: bigint }>,
): Promise<boolean> {
  const groupId = `trends-replay-probe-${randomUUID()}`
  await admin.setOffsets({ groupId, topic, partitions: [...ranges].map(([partition, r]) => ({ partition, offset: r.from.toString() })) })
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 })
  const open = new Set(ranges.keys())
  let found = false
  let settle!: () => void
  const settled = new Promise<void>((resolve) => (settle = resolve))
  const close = (partition: number) => {
    open.delete(partition)
    if (open.size === 0) settle()
  }
  try {
    await consumer.connect()
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // Read up to the end (markers included) with nothing below `to`: only markers were left.
      if (Number(payload.offsetLag) <= 0) close(payload.partition)
    })
    await consumer.subscribe({ topics: [topic] })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = ranges.get(batch.partition)
        if (range === undefined) return
        for (const message of batch.messages) {
          if (BigInt(message.offset) < range.to) {
            found = true
            settle()
          } else close(batch.partition)
        }
      },
    })
    const timer = setTimeout(() => {
      found = true
      settle()
    }, 20_000)
    await settled
    clearTimeout(timer)
  } finally {
    await consumer.disconnect()
    await admin.deleteGroups([groupId]).catch(() => undefined)
  }
  return found
}
