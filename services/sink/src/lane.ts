import type { DeadLetterValue } from '@trends/kafka'
import type { Route, Row } from './routes.ts'

/** One consumed record in a batch: its row, or the dead letter it became. */
export interface Entry {
  offset: string
  row?: Row
  dead?: DeadLetterValue
  /** The Kafka value, kept for a dead letter if ClickHouse refuses the row. */
  value: Buffer | null
  bytes: number
  /** When the record was fetched upstream (epoch ms), for the freshness metric. */
  fetchedAt?: number
  /** The upstream data date (days since 1970-01-01), for the data-age metric. */
  dataDay?: number
}

export interface Limits {
  rows: number
  bytes: number
  waitMs: number
}

/** A closed range of offsets of one partition (both ends included). */
export interface Range {
  first: bigint
  last: bigint
}

/** A batch taken from a lane. */
export interface Batch {
  topic: string
  partition: number
  route: Route
  first: string
  last: string
  entries: Entry[]
  /** The range is in the ledger already (the batch was formed before): it is inserted again as it was. */
  planned: boolean
}

/** The insert's deduplication token: the same range always gives the same token. */
export function batchToken(batch: Pick<Batch, 'topic' | 'partition' | 'first' | 'last'>): string {
  return `${batch.topic}:${batch.partition}:${batch.first}-${batch.last}`
}

/** What the ledger holds from a read position on. */
export interface Plan {
  ranges: Range[]
  /** The ledger may hold more ranges than were loaded: load more when these run out. */
  truncated: boolean
  /** The read position the ranges were loaded from. */
  from: bigint
}

/**
 * The records of one partition gathered for the next insert. A new batch closes on rows, bytes or
 * age. A range the ledger already holds (a batch formed before a crash, a rebalance or a replay) is
 * formed again exactly, so it goes to ClickHouse again with the same token and is dropped there; a
 * new batch also closes before the next planned range begins.
 */
export class Lane {
  readonly topic: string
  readonly partition: number
  readonly route: Route
  #entries: Entry[] = []
  #bytes = 0
  #openedAt = 0
  /** Ranges from the ledger at or after the read position, in order. */
  #plan: Range[] = []
  #planTruncated = false
  /** Where the loaded plan starts; undefined until the ledger was read for this lane. */
  #planFrom: bigint | undefined

  constructor(route: Route, partition: number, plan?: Plan) {
    this.topic = route.topic
    this.partition = partition
    this.route = route
    if (plan !== undefined) this.usePlan(plan)
  }

  /** Records gathered in the open batch. */
  get size(): number {
    return this.#entries.length
  }

  /**
   * Whether the ledger must be read (again) before this lane takes the record at `at`. A lane that
   * follows another ledger (`route.follow`) forms no batch past that ledger's end: it reads the
   * ledger again until a range holds the record.
   */
  needsPlan(at?: bigint): boolean {
    if (this.#planFrom === undefined || (this.#plan.length === 0 && this.#planTruncated)) return true
    if (this.route.follow !== true || at === undefined) return false
    return !this.#plan.some((range) => range.last >= at)
  }

  usePlan(plan: Plan): void {
    this.#plan = [...plan.ranges]
    this.#planTruncated = plan.truncated
    this.#planFrom = plan.from
  }

  /** The read position moves back: the ledger is read again from there before more records are taken. */
  forgetPlan(): void {
    this.#plan = []
    this.#planFrom = undefined
  }

  /** Whether the open batch re-forms a planned range (it cannot be cut short). */
  formingPlanned(): boolean {
    return this.#planned() !== undefined
  }

  /** The planned range the open batch is re-forming, if it is one. */
  #planned(): Range | undefined {
    const next = this.#plan[0]
    const first = this.#entries[0]
    return next !== undefined && first !== undefined && BigInt(first.offset) >= next.first ? next : undefined
  }

  /** Whether the record at `offset` belongs in the open batch (false: insert the open batch first). */
  accepts(offset: string, limits: Limits): boolean {
    const at = BigInt(offset)
    // Ranges wholly before this record are gone from the topic (retention) or were skipped.
    while (this.#entries.length === 0 && this.#plan[0] !== undefined && this.#plan[0].last < at) this.#plan.shift()
    const planned = this.#planned()
    if (planned !== undefined) return at <= planned.last
    const next = this.#plan[0]
    if (this.#entries.length === 0) return true
    if (next !== undefined && at >= next.first) return false
    return this.#entries.length < limits.rows && this.#bytes < limits.bytes
  }

  add(entry: Entry, now: number): void {
    if (this.#entries.length === 0) this.#openedAt = now
    this.#entries.push(entry)
    this.#bytes += entry.bytes
  }

  /** Whether the open batch should be inserted now. */
  ready(limits: Limits, now: number): boolean {
    if (this.#entries.length === 0) return false
    const planned = this.#planned()
    if (planned !== undefined) return BigInt(this.#entries.at(-1)!.offset) >= planned.last
    return this.#entries.length >= limits.rows || this.#bytes >= limits.bytes || now - this.#openedAt >= limits.waitMs
  }

  take(): Batch {
    const entries = this.#entries
    const planned = this.#planned()
    if (planned !== undefined) this.#plan.shift()
    const batch: Batch = {
      topic: this.topic,
      partition: this.partition,
      route: this.route,
      first: planned === undefined ? entries[0]!.offset : String(planned.first),
      last: planned === undefined ? entries.at(-1)!.offset : String(planned.last),
      entries,
      planned: planned !== undefined,
    }
    this.clear()
    return batch
  }

  /** Drops what is gathered (it will be read again). */
  clear(): void {
    this.#entries = []
    this.#bytes = 0
  }
}
