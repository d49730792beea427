import type { ClickHouseClient } from '@trends/clickhouse'
import { migrate } from '@trends/clickhouse'
import { useFreshDatabase, type Cleanup } from '@trends/testing'
import { clickhouseStore } from '../src/store.ts'
import type { Batch, Entry, Limits } from '../src/lane.ts'
import { Partitions } from '../src/partitions.ts'
import type { PartitionConsumer, PartitionEvents, PartitionStore } from '../src/ports.ts'
import type { Route } from '../src/routes.ts'

export const TOPIC = 't.cleaned'
export const route: Route = { name: 'observations', topic: TOPIC, table: 'facts', toRow: (r) => r, deadLetterRejects: false }

/** The ledger, the claims and a table with a deduplication window, as the migrations make them for the sink's tables. */
export async function prepare(client: ClickHouseClient): Promise<void> {
  await migrate(client)
  await client.command({
    query: 'CREATE TABLE facts (offset UInt64) ENGINE = MergeTree ORDER BY offset SETTINGS non_replicated_deduplication_window = 1000',
  })
}

/** A fresh database of the embedded store, prepared as above. */
export async function freshStore(t: Cleanup): Promise<ClickHouseClient> {
  const { client } = await useFreshDatabase(t, 'core')
  await prepare(client)
  return client
}

export const messages = (first: number, last: number) =>
  Array.from({ length: last - first + 1 }, (_, i) => ({ offset: String(first + i), value: null }))

const toEntry = (_route: Route, _partition: number, message: { offset: string; value: Buffer | null }): Entry => ({
  offset: message.offset,
  row: { offset: Number(message.offset) },
  value: message.value,
  bytes: 1,
})

/** What one owner did, in order (`pause 0`, `commit 0 10`, `fenced 0-4`…), and a wait for the next such step. */
export class Steps {
  readonly done: string[] = []
  #waiting: Array<{ pattern: RegExp; resolve: (step: string) => void }> = []

  note(step: string): void {
    this.done.push(step)
    for (const waiter of this.#waiting.filter((w) => w.pattern.test(step))) {
      this.#waiting.splice(this.#waiting.indexOf(waiter), 1)
      waiter.resolve(step)
    }
  }

  /** The next step matching `pattern` from now on (one done before does not count). */
  next(pattern: RegExp): Promise<string> {
    return new Promise((resolve) => this.#waiting.push({ pattern, resolve }))
  }
}

/** A store whose next call of a method can be stopped before it runs: `reached` when it is, `release()` to let it run. */
export function stoppable(store: PartitionStore) {
  const stops = new Map<keyof PartitionStore, { reached: () => void; released: Promise<void> }>()
  const at =
    <A extends unknown[], R>(method: keyof PartitionStore, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const stop = stops.get(method)
      if (stop !== undefined) {
        stops.delete(method)
        stop.reached()
        await stop.released
      }
      return call(...args)
    }
  const wrapped: PartitionStore = {
    claim: at('claim', (key, owner) => store.claim(key, owner)),
    latestOwner: at('latestOwner', (key) => store.latestOwner(key)),
    latestSwap: at('latestSwap', (key) => store.latestSwap(key)),
    loadPlan: at('loadPlan', (key, from) => store.loadPlan(key, from)),
    record: at('record', (batch, rows, claim) => store.record(batch, rows, claim)),
    insert: at('insert', (batch, rows) => store.insert(batch, rows)),
  }
  return {
    store: wrapped,
    stopAt(method: keyof PartitionStore): { reached: Promise<void>; release: () => void } {
      let reached!: () => void
      let release!: () => void
      const reachedP = new Promise<void>((resolve) => (reached = resolve))
      const released = new Promise<void>((resolve) => (release = resolve))
      stops.set(method, { reached, released })
      return { reached: reachedP, release }
    },
  }
}

const range = (batch: Batch) => `${batch.first}-${batch.last}`

/** One sink's core on one ClickHouse client, its consumer a recorder of what the core asked of it. */
export function owner(client: ClickHouseClient, limits: Limits, store: PartitionStore = clickhouseStore(client)) {
  const steps = new Steps()
  /** Commits to refuse (as Kafka does during a rebalance) before they go through again. */
  const faults = { commits: 0 }
  const gates = stoppable(store)
  const consumer: PartitionConsumer = {
    pause: (_topic, partition) => steps.note(`pause ${partition}`),
    resume: (_topic, partition) => steps.note(`resume ${partition}`),
    seek: (_topic, partition, offset) => steps.note(`seek ${partition} ${offset}`),
    commit: async (_topic, partition, offset) => {
      if (faults.commits > 0) {
        faults.commits--
        throw new Error('The group is rebalancing')
      }
      steps.note(`commit ${partition} ${offset}`)
    },
  }
  const events: Partial<PartitionEvents> = {
    inserted: async (batch) => steps.note(`inserted ${range(batch)}`),
    fenced: (batch) => steps.note(`fenced ${range(batch)}`),
    leftForRetry: (batch) => steps.note(`left ${range(batch)}`),
    storeFailed: (_error, failure) => steps.note(`failed ${failure.what}`),
    storeBack: (_table, attempts) => steps.note(`back after ${attempts}`),
  }
  const core = new Partitions({ routes: [route], limits, retryBaseMs: 5, retryMaxMs: 20, consumer, store: gates.store, events, toEntry })
  return {
    core,
    steps,
    gates,
    faults,
    /** Takes the partition and waits until its claim and ledger read are done (the first fetch only asks for them). */
    async take(from: number): Promise<void> {
      core.assign({ [TOPIC]: [0] })
      const resumed = steps.next(/^resume 0$/)
      if (core.take(TOPIC, 0, messages(from, from)) !== 0) throw new Error('records taken before the ledger was read')
      await resumed
    },
  }
}

export async function counts(client: ClickHouseClient): Promise<{ rows: number; distinct: number }> {
  const [row] = await (
    await client.query({ query: 'SELECT count() AS rows, uniqExact(offset) AS distinct FROM facts', format: 'JSONEachRow' })
  ).json<{ rows: string; distinct: string }>()
  return { rows: Number(row?.rows), distinct: Number(row?.distinct) }
}

/**
 * Owner A holds partition 0 and sends its batch 0-4 (five-row batches), stopped before the store
 * call `at`; then a rebalance retires its lane. `outcome` is what became of the batch.
 */
export async function retiredWithBatch(client: ClickHouseClient, at: keyof PartitionStore) {
  const a = owner(client, { rows: 5, bytes: 1e9, waitMs: 60_000 })
  await a.take(0)
  const stop = a.gates.stopAt(at)
  const outcome = a.steps.next(/^(inserted|fenced|left) 0-4$/)
  if (a.core.take(TOPIC, 0, messages(0, 4)) !== 5) throw new Error('the batch was not taken whole')
  await stop.reached
  a.core.assign({})
  return { a, release: stop.release, outcome }
}
