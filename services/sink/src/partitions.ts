import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { fullJitter } from '@trends/core'
import type { Rejected } from './insert.ts'
import { Lane, type Batch, type Entry, type Limits } from './lane.ts'
import type { Claim, PartitionKey } from './ledger.ts'
import { parseSwapClaim, type SwapClaim } from './swap-claims.ts'
import type { PartitionConsumer, PartitionEvents, PartitionStore } from './ports.ts'
import type { Route } from './routes.ts'

export interface PartitionsOptions {
  routes: readonly Route[]
  limits: Limits
  retryBaseMs: number
  retryMaxMs: number
  consumer: PartitionConsumer
  store: PartitionStore
  events?: Partial<PartitionEvents>
  /** A record as the batch keeps it: its row, or the dead letter it became (never throws). */
  toEntry(route: Route, partition: number, message: { offset: string; value: Buffer | null }): Entry
  now?: () => number
}

/** One partition this member holds. Only `Partitions` reads or writes it. */
interface Holding {
  readonly key: PartitionKey
  readonly lane: Lane
  /**
   * This holding's id in sink_claims: new for every assignment, so a lane of this process that came
   * before is fenced too; new again after a swap of the tables (see #park).
   */
  owner: string
  claim: Claim | undefined
  /** The claim and ledger read in progress. */
  loading: Promise<void> | undefined
  /** The insert in progress (at most one per holding, so commits stay in order). */
  flight: Promise<void> | undefined
  flightRows: number
  paused: boolean
  /** Whether this holding has looked for a table swap under way (once, after its first claim). */
  swapChecked: boolean
  /** Given away by a rebalance, or fenced by a later claim: takes no more work. */
  retired: boolean
}

const keyOf = (topic: string, partition: number) => `${topic}:${partition}`

/** How often a lane held by a table swap asks whether the swap is done. */
const PARK_POLL_MS = 500

/** How often a lane that follows another ledger reads it again while it has nothing new. */
const FOLLOW_POLL_MS = 300

/**
 * The sink's exactly-once core: the partitions this member holds, each gathering records into
 * batches, with at most one batch in flight. A batch's range goes to the ledger before its insert
 * and its offset is committed after ClickHouse acknowledged it, so whoever reads the partition
 * next forms the same batch again and ClickHouse drops the repeat. A holding claims its partition
 * before it reads the ledger, and checks after each ledger write that the latest claim is still its
 * own before it inserts (the fence; argued in 007_sink_claims.sql): a lane a rebalance retired
 * cannot insert a range the next owner did not see.
 */
export class Partitions {
  readonly #options: PartitionsOptions
  readonly #routeOf: ReadonlyMap<string, Route>
  readonly #now: () => number
  #held = new Map<string, Holding>()
  #assigned = new Set<string>()
  #stopping = false
  /** Until a drain begins, inserts are retried for as long as it takes. */
  #deadline = Number.POSITIVE_INFINITY

  constructor(options: PartitionsOptions) {
    this.#options = options
    this.#routeOf = new Map(options.routes.map((route) => [route.topic, route]))
    this.#now = options.now ?? Date.now
  }

  /** After a (re)join: new holdings for the assignment; each claims and reads the ledger before its first batch. */
  assign(memberAssignment: Record<string, number[]>): void {
    for (const held of this.#held.values()) {
      held.retired = true
      held.lane.clear()
      // kafkajs keeps a pause across a rebalance, and a new holding starts unpaused.
      if (held.paused) this.#options.consumer.resume(held.key.topic, held.key.partition)
    }
    this.#held = new Map()
    this.#assigned = new Set(Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => keyOf(topic, p))))
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      const route = this.#routeOf.get(topic)
      if (route === undefined) continue
      for (const partition of partitions) {
        this.#held.set(keyOf(topic, partition), {
          key: { target: route.table, topic, partition },
          lane: new Lane(route, partition),
          owner: randomUUID(),
          claim: undefined,
          loading: undefined,
          flight: undefined,
          flightRows: 0,
          paused: false,
          swapChecked: false,
          retired: false,
        })
      }
    }
    this.#changed()
  }

  /** Whether records of the partition are taken now (false: not held, retired, or stopping). */
  holds(topic: string, partition: number): boolean {
    const held = this.#held.get(keyOf(topic, partition))
    return held !== undefined && !held.retired && !this.#stopping
  }

  /** Gathers the records of one fetch in order; returns how many were taken (the rest are fetched again). */
  take(topic: string, partition: number, messages: ReadonlyArray<{ offset: string; value: Buffer | null }>): number {
    const held = this.#held.get(keyOf(topic, partition))
    if (held === undefined || held.retired || this.#stopping) return 0
    const { limits } = this.#options
    let taken = 0
    for (const message of messages) {
      // Nothing is taken before the ledger says how this partition's batches were formed.
      if (held.lane.needsPlan(BigInt(message.offset))) {
        this.#hold(held)
        this.#load(held, BigInt(message.offset))
        break
      }
      if (!held.lane.accepts(message.offset, limits)) {
        // The previous batch is still on its way (or ClickHouse is down): hold this partition until
        // it lands, so memory stays at one open batch and one in flight.
        if (held.flight !== undefined) {
          this.#hold(held)
          break
        }
        this.#flush(held)
      }
      held.lane.add(this.#options.toEntry(held.lane.route, partition, message), this.#now())
      taken++
    }
    if (held.lane.ready(limits, this.#now())) this.#flush(held)
    this.#changed()
    return taken
  }

  /** Starts the inserts of open batches that are due (by age); the caller ticks it. */
  due(): void {
    for (const held of this.#held.values()) if (held.lane.ready(this.#options.limits, this.#now())) this.#flush(held)
  }

  /** Stops taking records and lets open batches land within `timeoutMs`; what does not is read again next time. */
  async drain(timeoutMs: number): Promise<void> {
    this.#stopping = true
    this.#deadline = this.#now() + timeoutMs
    for (const held of this.#held.values()) {
      await held.flight
      // A planned range cut short would get another token; it is left whole for the next run.
      if (!held.lane.formingPlanned()) this.#flush(held)
      await held.flight
    }
  }

  /** Records of each held partition not yet in ClickHouse: gathered or in flight. */
  pending(): Array<{ topic: string; partition: number; records: number }> {
    return [...this.#held.values()].map((held) => ({
      topic: held.key.topic,
      partition: held.key.partition,
      records: held.lane.size + held.flightRows,
    }))
  }

  /** For the gauges: records gathered or in flight, and partitions paused. */
  buffered(): { rows: number; paused: number } {
    let rows = 0
    let paused = 0
    for (const held of this.#held.values()) {
      rows += held.lane.size + held.flightRows
      if (held.paused) paused++
    }
    return { rows, paused }
  }

  #changed(): void {
    this.#options.events?.changed?.()
  }

  /** Pauses the holding's partition, while the holding is the current one. */
  #hold(held: Holding): void {
    if (held.paused || held.retired) return
    held.paused = true
    this.#options.consumer.pause(held.key.topic, held.key.partition)
  }

  /** Resumes the holding's partition once nothing holds it any more. */
  #release(held: Holding): void {
    if (!held.paused || held.flight !== undefined || held.loading !== undefined || held.retired || this.#stopping) return
    held.paused = false
    this.#options.consumer.resume(held.key.topic, held.key.partition)
  }

  /** Claims the partition (once per holding), then loads the ledger's ranges from `from` on, retrying while ClickHouse is away. */
  #load(held: Holding, from: bigint): void {
    if (held.loading !== undefined) return
    const { store, events } = this.#options
    held.loading = (async () => {
      for (let attempt = 0; !held.retired && !this.#stopping; attempt++) {
        try {
          // The claim comes before the ledger read: this order is half of the fence.
          held.claim ??= await store.claim(held.key, held.owner)
          if (!held.swapChecked) {
            // A holding that claims while a table swap runs waits for it like a fenced one; after a
            // swap, it reads on from where the swapped-in ledger ends.
            let swap = parseSwapClaim(await store.latestSwap(held.key))
            if (swap?.kind === 'fence') {
              // The partition is paused already (take holds it while the ledger is read).
              events?.parked?.(held.key)
              const done = await this.#swapDone(held, () => store.latestSwap(held.key))
              if (done === undefined) return
              swap = await this.#claimAfterSwap(held, done)
              if (swap === undefined) return
            }
            held.swapChecked = true
            if (swap?.kind === 'done' && swap.resumeAt !== undefined && swap.resumeAt > from) {
              await this.#resume(held, swap.resumeAt)
              return
            }
          }
          const { plan, truncated } = await store.loadPlan(held.key, from)
          // A lane following another ledger waits while that ledger has nothing from here on.
          if (plan.length === 0 && held.lane.route.follow === true) await sleep(FOLLOW_POLL_MS)
          held.lane.usePlan({ ranges: plan, truncated, from })
          if (plan.length > 0) events?.planned?.(held.key, plan.length, from)
          return
        } catch (error) {
          await this.#ledgerReadFailed(held, error, attempt)
        }
      }
    })().finally(() => {
      held.loading = undefined
      this.#release(held)
    })
  }

  /**
   * A table swap fenced this lane's batch before its insert (nothing of it was inserted or
   * committed). The partition stays paused and the lane empty until the swap's done claim is the
   * latest; then the lane claims the partition again under a new id and reads on from where the
   * swapped-in tables' ledger ends — the swap brought those tables up to the live ledger's end, this
   * batch included. A claim by anyone else meanwhile retires the lane as a rebalance would.
   */
  #park(held: Holding, batch: Batch): void {
    const { store, events } = this.#options
    this.#hold(held)
    held.lane.clear()
    held.lane.forgetPlan()
    events?.parked?.(held.key)
    held.loading = (async () => {
      // Kept across attempts: once this lane claimed again, the latest owner is its own claim.
      let done: Extract<SwapClaim, { kind: 'done' }> | undefined
      for (let attempt = 0; !held.retired && !this.#stopping; attempt++) {
        try {
          if (done === undefined) {
            done = await this.#swapDone(held, () => store.latestOwner(held.key))
            if (done === undefined) {
              if (!held.retired && !this.#stopping) {
                held.retired = true
                events?.fenced?.(batch, await store.latestOwner(held.key))
              }
              return
            }
          }
          const swap = await this.#claimAfterSwap(held, done)
          if (swap === undefined) return
          held.swapChecked = true
          // The tables in place hold everything before resumeAt and nothing from it on; a swap given
          // up (no offset) left the tables as they were, so the fenced batch is formed again.
          await this.#resume(held, swap.resumeAt ?? BigInt(batch.first))
          return
        } catch (error) {
          await this.#ledgerReadFailed(held, error, attempt)
        }
      }
    })().finally(() => {
      held.loading = undefined
      this.#release(held)
    })
  }

  /**
   * Polls `latest` until it is a swap's done claim (returned); undefined when it is no swap claim
   * (another owner's), or the holding retired or the sink stops first.
   */
  async #swapDone(held: Holding, latest: () => Promise<string | undefined>): Promise<Extract<SwapClaim, { kind: 'done' }> | undefined> {
    while (!held.retired && !this.#stopping) {
      const swap = parseSwapClaim(await latest())
      if (swap === undefined) return undefined
      if (swap.kind === 'done') return swap
      await sleep(PARK_POLL_MS)
    }
    return undefined
  }

  /**
   * Claims the partition under a new id once a swap is done, then reads the latest swap claim: a
   * swap that fenced the partition before this claim landed (the next one, say, when the done
   * claim was a dead swap's fence lifted) is waited out the same way, and claimed after again. The
   * claim comes before the read, as in #load: a fence written after the claim stops the next insert.
   * Returns the done claim of the swap whose tables are in place; undefined when the holding
   * retired or the sink stops first.
   */
  async #claimAfterSwap(
    held: Holding,
    done: Extract<SwapClaim, { kind: 'done' }>,
  ): Promise<Extract<SwapClaim, { kind: 'done' }> | undefined> {
    const { store } = this.#options
    for (let current = done; ;) {
      held.owner = randomUUID()
      held.claim = undefined
      held.claim = await store.claim(held.key, held.owner)
      const latest = parseSwapClaim(await store.latestSwap(held.key))
      if (latest?.kind !== 'fence') return latest ?? current
      const next = await this.#swapDone(held, () => store.latestSwap(held.key))
      if (next === undefined) return undefined
      current = next
    }
  }

  /**
   * Reads the partition on from `at` after a swap: committed first (everything before it is in the
   * swapped-in tables, so a restart must not read it again), then sought; the ledger is read there.
   */
  async #resume(held: Holding, at: bigint): Promise<void> {
    const { topic, partition } = held.key
    held.lane.clear()
    held.lane.forgetPlan()
    await this.#options.consumer.commit(topic, partition, String(at))
    this.#options.consumer.seek(topic, partition, String(at))
    this.#options.events?.unparked?.(held.key, String(at))
  }

  /** Reports a failed claim or ledger read and waits out its backoff before the next attempt. */
  async #ledgerReadFailed(held: Holding, error: unknown, attempt: number): Promise<void> {
    const retryInMs = fullJitter(attempt, this.#options.retryBaseMs, this.#options.retryMaxMs)
    this.#options.events?.storeFailed?.(error, {
      what: 'ledger read',
      table: held.key.target,
      ...this.#where(held),
      attempt: attempt + 1,
      retryInMs,
    })
    await sleep(retryInMs)
  }

  #where(held: Holding): { topic: string; partition: number } {
    return { topic: held.key.topic, partition: held.key.partition }
  }

  /** Starts inserting the holding's open batch, unless one is already in flight. */
  #flush(held: Holding): void {
    if (held.flight !== undefined || held.retired || held.lane.size === 0) return
    const batch = held.lane.take()
    held.flightRows = batch.entries.length
    held.flight = this.#land(held, batch)
      .catch((error: unknown) => {
        if (held.retired) return
        this.#options.events?.leftForRetry?.(batch, error)
        held.lane.clear()
        // Read the ledger again from here: if the range reached it, the batch is formed as it was.
        held.lane.forgetPlan()
        if (!this.#stopping) this.#options.consumer.seek(batch.topic, batch.partition, batch.first)
      })
      .finally(() => {
        held.flight = undefined
        held.flightRows = 0
        this.#release(held)
        this.#changed()
        if (!this.#stopping && held.lane.ready(this.#options.limits, this.#now())) this.#flush(held)
      })
  }

  /** Inserts one batch and commits past it; a throw leaves the batch for the next try. */
  async #land(held: Holding, batch: Batch): Promise<void> {
    const startedAt = performance.now()
    const rows = batch.entries.filter((entry) => entry.row !== undefined)
    const outcome = await this.#store(held, batch, rows)
    if (outcome === undefined) throw new Error('the batch was not inserted')
    if ('fencedBy' in outcome) {
      if (parseSwapClaim(outcome.fencedBy) !== undefined) {
        this.#park(held, batch)
        return
      }
      // Neither inserted nor committed: the owner that claimed after this one forms the range itself.
      this.#hold(held)
      held.retired = true
      held.lane.clear()
      this.#options.events?.fenced?.(batch, outcome.fencedBy)
      return
    }
    await this.#options.events?.inserted?.(batch, rows, outcome.rejected)
    if (held.retired && !this.#assigned.has(keyOf(batch.topic, batch.partition))) return
    await this.#options.consumer.commit(batch.topic, batch.partition, String(BigInt(batch.last) + 1n))
    this.#options.events?.committed?.(batch, rows, outcome.rejected, startedAt)
  }

  /**
   * Ledger, fence, insert, retried until ClickHouse takes the batch; undefined when it gave up
   * (draining past the deadline, or the holding retired).
   */
  async #store(
    held: Holding,
    batch: Batch,
    rows: Entry[],
  ): Promise<{ rejected: Array<Rejected<Entry>> } | { fencedBy: string | undefined } | undefined> {
    const { store, events } = this.#options
    const table = batch.route.table
    let planned = batch.planned
    for (let attempt = 0; ; attempt++) {
      try {
        // The range goes to the ledger first: whatever happens next, this batch is formed this way again.
        if (!planned) {
          if (held.claim === undefined) throw new Error('a batch formed before its partition was claimed')
          await store.record(batch, rows.length, held.claim)
          planned = true
        }
        // The other half of the fence: after the ledger write, before the insert.
        const owner = await store.latestOwner(held.key)
        if (owner !== held.owner) return { fencedBy: owner }
        const rejected = await store.insert(batch, rows)
        if (attempt > 0) events?.storeBack?.(table, attempt + 1)
        return { rejected }
      } catch (error) {
        const retryInMs = fullJitter(attempt, this.#options.retryBaseMs, this.#options.retryMaxMs)
        events?.storeFailed?.(error, { what: 'insert', table, ...this.#where(held), attempt: attempt + 1, retryInMs })
        if (held.retired || this.#now() + retryInMs > this.#deadline) return undefined
        await sleep(retryInMs)
        if (held.retired || this.#now() > this.#deadline) return undefined
      }
    }
  }
}
