/**
 * What one consumer's readiness rests on: whether kafkajs runs it, when it last made progress, and
 * how far behind it is. The consumer's owner reports progress (a batch committed, a task done) and
 * its lag; the supervisor (supervise.ts) reports crashes, joins and the lag it sees in kafkajs's
 * batch events. `problem()` is what /readyz shows for it.
 */
export interface ConsumerHealthOptions {
  /** How long a consumer with lag may go without progress before it counts as stalled. */
  stallAfterMs: number
  /**
   * Records taken but not yet done, which no partition's lag shows (the sink's gathered and
   * in-flight batches); read whenever the lag is.
   */
  pending?: () => number
  now?: () => number
}

type State = { kind: 'starting' } | { kind: 'running' } | { kind: 'stopped' } | { kind: 'crashed'; reason: string; next: string }

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`

export class ConsumerHealth {
  readonly #stallAfterMs: number
  readonly #pending: () => number
  readonly #now: () => number
  #state: State = { kind: 'starting' }
  #lastProgress: number
  /** When the lag was first seen above 0 since it was last seen at 0. */
  #lagSince: number | undefined
  readonly #lag = new Map<string, number>()

  constructor(options: ConsumerHealthOptions) {
    this.#stallAfterMs = options.stallAfterMs
    this.#pending = options.pending ?? (() => 0)
    this.#now = options.now ?? Date.now
    this.#lastProgress = this.#now()
  }

  /** The consumer moved forward: a batch committed, a task finished. */
  progressed(): void {
    this.#lastProgress = this.#now()
  }

  /** Records of a partition not yet taken, as the consumer last saw them. */
  lag(topic: string, partition: number, records: number): void {
    this.#lag.set(key(topic, partition), Math.max(0, Number.isFinite(records) ? records : 0))
    this.#observe()
  }

  /** After a (re)join: partitions no longer assigned stop counting. */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    const kept = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => key(topic, p))))
    for (const name of [...this.#lag.keys()]) if (!kept.has(name)) this.#lag.delete(name)
    this.#observe()
  }

  /** kafkajs runs the consumer (it joined its group): the stall clock starts again. */
  running(): void {
    this.#state = { kind: 'running' }
    this.progressed()
  }

  /** The consumer is not running; `reason` is a class and code, `next` what happens now (e.g. `restarting`). */
  crashed(reason: string, next: string): void {
    this.#state = { kind: 'crashed', reason, next }
  }

  stopped(): void {
    if (this.#state.kind !== 'crashed') this.#state = { kind: 'stopped' }
  }

  isRunning(): boolean {
    return this.#state.kind === 'running'
  }

  /** Records behind, over every assigned partition, plus those taken and not yet done. */
  totalLag(): number {
    let total = this.#pending()
    for (const records of this.#lag.values()) total += records
    return total
  }

  /** Undefined while the consumer runs and keeps up; otherwise why not (names, codes, numbers only). */
  problem(): string | undefined {
    const state = this.#state
    if (state.kind === 'starting') return 'starting'
    if (state.kind === 'stopped') return 'stopped'
    if (state.kind === 'crashed') return `crashed: ${state.reason}, ${state.next}`
    const lag = this.#observe()
    if (lag === 0) return undefined
    const quiet = this.#now() - Math.max(this.#lastProgress, this.#lagSince ?? 0)
    if (quiet < this.#stallAfterMs) return undefined
    return `stalled: lag ${lag}, no progress for ${Math.floor(quiet / 1000)}s`
  }

  #observe(): number {
    const lag = this.totalLag()
    if (lag === 0) this.#lagSince = undefined
    else this.#lagSince ??= this.#now()
    return lag
  }
}
