import { randomBytes } from 'node:crypto'
import type { EachMessagePayload, Kafka } from 'kafkajs'

/**
 * Reads what a topic holds now (from `sinceMs`, or from the start) and returns once every
 * partition has been read up to the end it had when the call began. Uses a throwaway consumer
 * group that commits nothing. With `readCommitted`, records of aborted transactions are skipped;
 * transaction markers still count towards the end, so a topic written transactionally finishes too.
 */
/**
 * Retries an admin call a few times while Kafka answers with a retriable error: a topic created a
 * moment ago can be unknown to the broker that answers until its metadata has spread.
 */
export async function retrying<T>(call: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (attempt >= attempts || (error as { retriable?: unknown }).retriable !== true) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
    }
  }
}

export async function readTopic(
  kafka: Kafka,
  topic: string,
  onMessage: (payload: EachMessagePayload) => void | Promise<void>,
  options: { sinceMs?: number; readCommitted?: boolean; timeoutMs?: number } = {},
): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  let ends: Array<{ partition: number; high: string; low: string }>
  let starts: Array<{ partition: number; offset: string }>
  try {
    ends = await retrying(() => admin.fetchTopicOffsets(topic))
    const since = options.sinceMs
    starts =
      since === undefined
        ? ends.map((end) => ({ partition: end.partition, offset: end.low }))
        : await retrying(() => admin.fetchTopicOffsetsByTimestamp(topic, since))
  } finally {
    await admin.disconnect()
  }
  const endOf = new Map(ends.map((end) => [end.partition, BigInt(end.high)]))
  const startOf = new Map(starts.map((start) => [start.partition, BigInt(start.offset)]))
  const pending = new Map<number, string>()
  for (const start of starts) {
    const end = endOf.get(start.partition) ?? 0n
    if (start.offset !== '-1' && BigInt(start.offset) < end) pending.set(start.partition, start.offset)
  }
  if (pending.size === 0) return 0

  const consumer = kafka.consumer({
    groupId: `${topic}.reader.${randomBytes(6).toString('hex')}`,
    readUncommitted: options.readCommitted === false,
  })
  let read = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic} did not finish in ${options.timeoutMs ?? 120_000} ms`)),
        options.timeoutMs ?? 120_000,
      )
      const settle = (partition: number, lastOffset: string) => {
        if (BigInt(lastOffset) + 1n >= (endOf.get(partition) ?? 0n)) pending.delete(partition)
        if (pending.size === 0) {
          clearTimeout(timer)
          resolve()
        }
      }
      // Also fires for batches that held only transaction markers, which eachMessage never sees.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => settle(payload.partition, payload.lastOffset))
      consumer
        .run({
          autoCommit: false,
          eachMessage: async (payload) => {
            const offset = BigInt(payload.message.offset)
            // Before the seek lands, the group may start a partition from its beginning.
            if (offset < (startOf.get(payload.partition) ?? 0n) || offset >= (endOf.get(payload.partition) ?? 0n)) return
            read++
            await onMessage(payload)
          },
        })
        .then(() => {
          for (const [partition, offset] of pending) consumer.seek({ topic, partition, offset })
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return read
}
