import { chunkByBytes, COMPRESSION, Partitioners, SEND_CHUNK_BYTES, type Kafka, type Producer, type Transaction } from '@trends/kafka'

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
 * The normalizer's transactional producer. One request in flight keeps a transaction's sends in
 * order; the retries cover a leader moving or a broker restarting mid-transaction.
 */
export function transactionalProducer(kafka: Kafka, transactionalId: string): Producer {
  return kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // kafkajs's default, named so that it does not warn about having changed it.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 20, maxRetryTime: 1000, retries: 20 },
  })
}

/** The answer a coordinator gives while it still writes the markers of the transaction before. */
const CONCURRENT = 'CONCURRENT_TRANSACTIONS'

export interface GroupCommitterOptions {
  /** Called for each retried CONCURRENT_TRANSACTIONS answer (the reason is that code). */
  onRetry?: (reason: string) => void
  /** How long a transaction's first request keeps being retried before the batches fail (10s). */
  beginDeadlineMs?: number
}

export interface GroupCommitter {
  /** Settles when the transaction holding this batch committed; rejects if it aborted. */
  commit(batch: BatchCommit): Promise<void>
  /** Connects the first producer (so a start-up fails on a broker it cannot reach). */
  connect(): Promise<void>
  /** Waits for the transaction in flight, then disconnects the producer. */
  close(): Promise<void>
}

/**
 * Group commit: a producer runs one transaction at a time, so batches (of other partitions) that
 * finish while a transaction is in flight are gathered and committed together in the next one —
 * one sendOffsets, one send per topic, one commit for all of them. Each caller's promise settles
 * when the transaction holding its batch committed (or rejects if it aborted: then every batch in
 * it is read again, as if none had been processed).
 *
 * EndTxn returns once the coordinator has logged the commit, but it writes the markers to every
 * partition after that; until it is done it answers the next transaction's first request with
 * CONCURRENT_TRANSACTIONS. Measured back to back on the local stack: 168 such answers in 240
 * commits. kafkajs retries them in a send (with a warning and a metadata refresh each time) and not
 * at all in AddOffsetsToTxn, so a batch of duplicates only (offsets, no records) failed — 82 of
 * 120 — and with it the consumer. So each transaction starts with its offsets (AddOffsetsToTxn),
 * retried here quietly from 5ms: once that is accepted the transaction is open on the coordinator,
 * and the sends that follow are not refused.
 */
export function createGroupCommitter(
  newProducer: () => Producer,
  cleanedTopic: string,
  deadLetterTopic: string,
  groupId: string,
  options: GroupCommitterOptions = {},
): GroupCommitter {
  const beginDeadlineMs = options.beginDeadlineMs ?? 10_000
  let queue: Array<{ batch: BatchCommit; resolve: () => void; reject: (error: unknown) => void }> = []
  let running: Promise<void> | undefined
  let producer: Producer | undefined

  async function connected(): Promise<Producer> {
    if (producer !== undefined) return producer
    const fresh = newProducer()
    await fresh.connect()
    producer = fresh
    return fresh
  }

  /**
   * After a failed transaction the producer is given up for a new one with the same transactional
   * id. kafkajs leaves its transaction state machine in COMMITTING (or ABORTING) when EndTxn fails —
   * a broker killed mid-commit — and refuses every later transaction from that state with a
   * KafkaJSNonRetriableError ("Invalid transition COMMITTING --> TRANSACTING"): the fault suite's
   * broker SIGKILL left the normalizer restarting its consumer until it gave up, in one run of six.
   * A fenced or bumped producer epoch is the same story. The new producer's InitProducerId makes
   * the coordinator finish or abort whatever the old one left open before it answers, so the
   * batches, read again from the committed offsets, are never written twice.
   */
  async function replace(): Promise<void> {
    const old = producer
    producer = undefined
    await old?.disconnect().catch(() => undefined)
  }

  async function begin(batches: readonly BatchCommit[]): Promise<Transaction> {
    const byTopic = new Map<string, Array<{ partition: number; offset: string }>>()
    for (const batch of batches)
      byTopic.set(batch.topic, [...(byTopic.get(batch.topic) ?? []), { partition: batch.partition, offset: batch.nextOffset }])
    const offsets = { consumerGroupId: groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) }
    const transaction = await (await connected()).transaction()
    const deadline = Date.now() + beginDeadlineMs
    for (let attempt = 0; ; attempt++) {
      try {
        await transaction.sendOffsets(offsets)
        return transaction
      } catch (error) {
        if ((error as { type?: unknown }).type !== CONCURRENT || Date.now() >= deadline) {
          await transaction.abort().catch(() => undefined)
          throw error
        }
        options.onRetry?.(CONCURRENT)
        await sleep(Math.min(200, 5 * 2 ** attempt))
      }
    }
  }

  async function commitTogether(batches: readonly BatchCommit[]): Promise<void> {
    const transaction = await begin(batches)
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
      await transaction.commit()
    } catch (error) {
      await transaction.abort().catch(() => undefined)
      throw error
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const group = queue
      queue = []
      try {
        await commitTogether(group.map((entry) => entry.batch))
        for (const entry of group) entry.resolve()
      } catch (error) {
        await replace()
        for (const entry of group) entry.reject(error)
      }
    }
    running = undefined
  }

  return {
    commit(batch: BatchCommit): Promise<void> {
      const committed = new Promise<void>((resolve, reject) => queue.push({ batch, resolve, reject }))
      running ??= drain()
      return committed
    },
    async connect(): Promise<void> {
      await connected()
    },
    async close(): Promise<void> {
      await running
      await replace()
    },
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
