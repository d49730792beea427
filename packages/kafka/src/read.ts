import { randomBytes } from 'node:crypto'
import type { EachMessagePayload, Kafka } from 'kafkajs'

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

/** How far a read has come: records handed over, and offsets left before the end it aims for. */
export interface ReadProgress {
  read: number
  /** Offsets between the read position and the end, over all partitions (markers and skipped records included). */
  remaining: bigint
  /** Offsets to read in all, as they were when the read began. */
  total: bigint
}

export interface ReadTopicOptions {
  sinceMs?: number
  readCommitted?: boolean
  /**
   * Fails the read when it has not moved for this long (60 s). There is no deadline for the whole
   * read: a large topic takes as long as its size needs, as long as it keeps moving.
   */
  stallMs?: number
  /** A deadline for the whole read, for callers that know how long it may take (tests); none by default. */
  timeoutMs?: number
  /** Called every `progressEveryMs` (10 s) while the read goes on, for a progress line in the log. */
  onProgress?: (progress: ReadProgress) => void
  progressEveryMs?: number
}

/**
 * Reads what a topic holds now (from `sinceMs`, or from the start) and returns once every
 * partition has been read up to the end it had when the call began. Uses a throwaway consumer
 * group that commits nothing. With `readCommitted`, records of aborted transactions are skipped;
 * transaction markers still count towards the end, so a topic written transactionally finishes too.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  onMessage: (payload: EachMessagePayload) => void | Promise<void>,
  options: ReadTopicOptions = {},
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
  // Where each pending partition's read stands (the next offset to read).
  const next = new Map([...pending].map(([partition, offset]) => [partition, BigInt(offset)]))
  const remaining = () =>
    [...pending.keys()].reduce((sum, partition) => sum + ((endOf.get(partition) ?? 0n) - (next.get(partition) ?? 0n)), 0n)
  const total = remaining()
  const stallMs = options.stallMs ?? 60_000
  let read = 0
  let movedAt = Date.now()
  await consumer.connect()
  let watch: NodeJS.Timeout | undefined
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const startedAt = Date.now()
      let reportedAt = startedAt
      watch = setInterval(
        () => {
          const at = Date.now()
          if (options.timeoutMs !== undefined && at - startedAt > options.timeoutMs)
            reject(new Error(`reading ${topic} did not finish in ${options.timeoutMs} ms`))
          else if (at - movedAt > stallMs)
            reject(new Error(`reading ${topic} stalled: nothing read for ${stallMs} ms, ${remaining()} offsets left`))
          else if (options.onProgress !== undefined && at - reportedAt >= (options.progressEveryMs ?? 10_000)) {
            reportedAt = at
            options.onProgress({ read, remaining: remaining(), total })
          }
        },
        Math.min(1000, stallMs, options.progressEveryMs ?? 10_000, options.timeoutMs ?? 1000),
      )
      const settle = (partition: number, lastOffset: string) => {
        const after = BigInt(lastOffset) + 1n
        if (after > (next.get(partition) ?? 0n)) {
          next.set(partition, after)
          movedAt = Date.now()
        }
        if (after >= (endOf.get(partition) ?? 0n)) pending.delete(partition)
        if (pending.size === 0) resolve()
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
            movedAt = Date.now()
            await onMessage(payload)
          },
        })
        .then(() => {
          for (const [partition, offset] of pending) consumer.seek({ topic, partition, offset })
        })
        .catch(reject)
    })
  } finally {
    clearInterval(watch)
    await consumer.disconnect()
  }
  return read
}
