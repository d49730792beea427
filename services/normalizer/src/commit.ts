import { chunkByBytes, COMPRESSION, SEND_CHUNK_BYTES, type Producer } from '@trends/kafka'

export interface OutMessage {
  key: string
  value: Buffer
  headers: Record<string, string>
}

/** One consumed batch's share of a transaction: its outputs and the offset to commit after it. */
export interface BatchCommit {
  cleaned: OutMessage[]
  dead: OutMessage[]
  topic: string
  partition: number
  /** The next offset to read: the batch's last offset + 1. */
  nextOffset: string
}

/**
 * Group commit: a producer runs one transaction at a time, so batches (of other partitions) that
 * finish while a transaction is in flight are gathered and committed together in the next one —
 * one send per topic, one sendOffsets, one commit for all of them. Each caller's promise settles
 * when the transaction holding its batch committed (or rejects if it aborted: then every batch in
 * it is read again, as if none had been processed).
 */
export function createGroupCommitter(producer: Producer, cleanedTopic: string, deadLetterTopic: string, groupId: string) {
  let queue: Array<{ batch: BatchCommit; resolve: () => void; reject: (error: unknown) => void }> = []
  let running = false

  async function commitTogether(batches: readonly BatchCommit[]): Promise<void> {
    const transaction = await producer.transaction()
    try {
      for (const messages of chunkByBytes(
        batches.flatMap((batch) => batch.cleaned),
        SEND_CHUNK_BYTES,
      )) {
        await transaction.send({ topic: cleanedTopic, compression: COMPRESSION, messages })
      }
      for (const messages of chunkByBytes(
        batches.flatMap((batch) => batch.dead),
        SEND_CHUNK_BYTES,
      )) {
        await transaction.send({ topic: deadLetterTopic, compression: COMPRESSION, messages })
      }
      const byTopic = new Map<string, Array<{ partition: number; offset: string }>>()
      for (const batch of batches)
        byTopic.set(batch.topic, [...(byTopic.get(batch.topic) ?? []), { partition: batch.partition, offset: batch.nextOffset }])
      await transaction.sendOffsets({
        consumerGroupId: groupId,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      })
      await transaction.commit()
    } catch (error) {
      await transaction.abort().catch(() => undefined)
      throw error
    }
  }

  async function drain(): Promise<void> {
    running = true
    while (queue.length > 0) {
      const group = queue
      queue = []
      try {
        await commitTogether(group.map((entry) => entry.batch))
        for (const entry of group) entry.resolve()
      } catch (error) {
        for (const entry of group) entry.reject(error)
      }
    }
    running = false
  }

  return {
    commit(batch: BatchCommit): Promise<void> {
      const committed = new Promise<void>((resolve, reject) => queue.push({ batch, resolve, reject }))
      if (!running) void drain()
      return committed
    },
  }
}
