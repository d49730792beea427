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
   * Records taken but not yet done, by partition, which no partition's lag shows (the sink's
   * gathered and in-flight batches); read whenever the lag is.
   */
  pending?: () => Iterable<PendingRecords>
  /** Told every partition's lag as it is learnt (the service's lag gauge follows it, so both agree). */
  onLag?: (topic: string, partition: number, records: number) => void
  now?: () => number
}

export interface PendingRecords {
  topic: string
  partition: number
  records: number
}

type State =
  | { kind: 'starting'; step: string | undefined }
  | { kind: 'running' }
  | { kind: 'stopped' }
  | { kind: 'crashed'; reason: string; next: string }

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`
/** Partitions named in a stall, at most; the rest are counted. */
const NAMED_PARTITIONS = 8

export class ConsumerHealth {
  readonly #stallAfterMs: number
  readonly #pending: () => Iterable<PendingRecords>
  readonly #now: () => number
  readonly #onLag: ((topic: string, partition: number, records: number) => void) | undefined
  /** Why the consumer's work fails (set by its owner), until it next makes progress. */
  #failure: string | undefined
  #state: State = { kind: 'starting', step: undefined }
  #lastProgress: number
  /** When the lag was first seen above 0 since it was last seen at 0. */
  #lagSince: number | undefined
  readonly #lag = new Map<string, number>()

  constructor(options: ConsumerHealthOptions) {
    this.#stallAfterMs = options.stallAfterMs
    this.#pending = options.pending ?? (() => [])
    this.#now = options.now ?? Date.now
    this.#onLag = options.onLag
    this.#lastProgress = this.#now()
  }

  /** The consumer moved forward: a batch committed, a task finished. */
  progressed(): void {
    this.#lastProgress = this.#now()
    this.#failure = undefined
  }

  /**
   * The consumer's work failed and will be tried again (e.g. `transaction failing:
   * CONCURRENT_TRANSACTIONS`): shown with a stall, and cleared by the next progress.
   */
  failing(reason: string): void {
    this.#failure = reason
  }

  /** Records of a partition not yet taken, as the consumer last saw them. */
  lag(topic: string, partition: number, records: number): void {
    const behind = Math.max(0, Number.isFinite(records) ? records : 0)
    this.#lag.set(key(topic, partition), behind)
    this.#onLag?.(topic, partition, behind)
    this.#observe()
  }

  /** After a (re)join: partitions no longer assigned stop counting. */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    const kept = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => key(topic, p))))
    for (const name of [...this.#lag.keys()]) if (!kept.has(name)) this.#lag.delete(name)
    this.#observe()
  }

  /**
   * What the service's start is doing before its consumer runs (`registering schemas`, `joining the
   * group`): /readyz says `starting: <step>`, so a start that hangs names where. Ignored once the
   * consumer has run.
   */
  starting(step: string): void {
    if (this.#state.kind === 'starting') this.#state = { kind: 'starting', step }
  }

  /**
   * kafkajs runs the consumer (it joined its group). Not progress: the stall clock runs on from the
   * last work done, so a consumer that crashes and rejoins over and over without doing any shows as
   * stalled between its crashes, and a failure seen before the rejoin is still the reason.
   */
  running(): void {
    this.#state = { kind: 'running' }
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
    let total = 0
    for (const records of this.#behindByPartition().values()) total += records
    return total
  }

  /** Undefined while the consumer runs and keeps up; otherwise why not (names, codes, numbers only). */
  problem(): string | undefined {
    const state = this.#state
    if (state.kind === 'starting') return state.step === undefined ? 'starting' : `starting: ${state.step}`
    if (state.kind === 'stopped') return 'stopped'
    if (state.kind === 'crashed') return `consumer crashed: ${state.reason}, ${state.next}`
    const lag = this.#observe()
    if (lag === 0) return undefined
    const quiet = this.#now() - Math.max(this.#lastProgress, this.#lagSince ?? 0)
    if (quiet < this.#stallAfterMs) return undefined
    const where = this.#behind()
    const why = this.#failure === undefined ? '' : `; ${this.#failure}`
    return `stalled: lag ${lag}${where === '' ? '' : ` on ${where}`}, no progress for ${Math.floor(quiet / 1000)}s${why}`
  }

  /** Each partition's lag plus its records taken and not yet done. */
  #behindByPartition(): Map<string, number> {
    const behind = new Map(this.#lag)
    for (const { topic, partition, records } of this.#pending()) {
      const name = key(topic, partition)
      behind.set(name, (behind.get(name) ?? 0) + Math.max(0, records))
    }
    return behind
  }

  /** The partitions with lag, by topic: `raw.hashtag 0,2; raw.song 1` (bounded, the rest counted). */
  #behind(): string {
    const behind = [...this.#behindByPartition()]
      .filter(([, records]) => records > 0)
      .map(([name]) => {
        const [topic = '', partition = ''] = name.split('\u0000')
        return { topic, partition: Number(partition) }
      })
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of behind.slice(0, NAMED_PARTITIONS)) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition])
    const more = behind.length - Math.min(behind.length, NAMED_PARTITIONS)
    const text = [...byTopic].map(([topic, partitions]) => `${topic} ${partitions.join(',')}`).join('; ')
    return more === 0 ? text : `${text} (+${more} more)`
  }

  #observe(): number {
    const lag = this.totalLag()
    if (lag === 0) this.#lagSince = undefined
    else this.#lagSince ??= this.#now()
    return lag
  }
}
