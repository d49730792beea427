import type { Rejected } from './insert.ts'
import type { Batch, Entry, Range } from './lane.ts'
import type { Claim, PartitionKey } from './ledger.ts'

// What the exactly-once core (partitions.ts) asks of Kafka and ClickHouse, and what it reports:
// small interfaces, so the core is tested without Kafka and the wiring stays in app.ts.

/** The consumer, as the core drives it. */
export interface PartitionConsumer {
  /** Stop fetching the partition (records not taken are fetched again on resume). */
  pause(topic: string, partition: number): void
  resume(topic: string, partition: number): void
  /** Read the partition again from `offset`. */
  seek(topic: string, partition: number, offset: string): void
  /** Commit `offset`, the next record to read, for the group. */
  commit(topic: string, partition: number, offset: string): Promise<void>
}

/** ClickHouse, as the core uses it: claims, the batch ledger and the inserts. */
export interface PartitionStore {
  claim(key: PartitionKey, owner: string): Promise<Claim>
  latestOwner(key: PartitionKey): Promise<string | undefined>
  /** The latest claim a table swap wrote for the partition (see swap-claims.ts). */
  latestSwap(key: PartitionKey): Promise<string | undefined>
  loadPlan(key: PartitionKey, from: bigint): Promise<{ plan: Range[]; truncated: boolean }>
  record(batch: Batch, rows: number, claim: Claim): Promise<void>
  /** Inserts the rows with the batch's token; returns the rows ClickHouse refused for their content. */
  insert(batch: Batch, rows: Entry[]): Promise<Array<Rejected<Entry>>>
}

export interface StoreFailure {
  what: 'insert' | 'ledger read'
  table: string
  topic: string
  partition: number
  attempt: number
  retryInMs: number
}

/** What the core reports; metrics, logs, readiness and dead letters hang on these. */
export interface PartitionEvents {
  /** A ClickHouse call failed; it is tried again after `retryInMs` unless the lane gives up. */
  storeFailed(error: unknown, failure: StoreFailure): void
  /** An insert went through after `attempts` tries. */
  storeBack(table: string, attempts: number): void
  /** The batch is in ClickHouse and its offset not committed yet: the place for its dead letters (a throw leaves the batch for a retry). */
  inserted(batch: Batch, rows: Entry[], rejected: Array<Rejected<Entry>>): Promise<void>
  /** The offset past the batch is committed; `startedAt` is the flush's performance.now(). */
  committed(batch: Batch, rows: Entry[], rejected: Array<Rejected<Entry>>, startedAt: number): void
  /** Not inserted or not committed: the partition is read again from the batch's first offset. */
  leftForRetry(batch: Batch, error: unknown): void
  /** A later owner claimed the partition: this batch was abandoned before its insert. */
  fenced(batch: Batch, by: string | undefined): void
  /** A table swap fenced the partition: it waits until the swap is done. */
  parked(key: PartitionKey): void
  /** The swap is done: the partition is claimed again and read on from `from`. */
  unparked(key: PartitionKey, from: string): void
  planned(key: PartitionKey, ranges: number, from: bigint): void
  /** Buffered records or paused partitions changed (gauges). */
  changed(): void
}
