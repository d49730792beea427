import type { Logger } from '@trends/logger'

export interface OwnershipDeps {
  /** Whether there is dedup state to keep at all (NORMALIZER_DEDUP). */
  enabled: boolean
  /** Drops the state of every shard not in `shards` (partitions given away). */
  retain(shards: ReadonlySet<string>): void
  /** Loads, from the cleaned topic, the state of these shards; resolves with the records read. */
  rebuild(shards: ReadonlySet<string>): Promise<number>
  log: Logger
}

/**
 * Which raw partitions (dedup shards) this instance owns, and whether their dedup state is loaded.
 * After a rebalance the partitions given away are dropped and the partitions gained are rebuilt
 * from the cleaned topic (another instance published for them meanwhile) before their first batch:
 * `ready()` settles when that rebuild does. A failed rebuild leaves `ready()` rejected, so the next
 * batch fails and kafkajs stops the consumer; `stopped()` then makes every partition of the next
 * assignment count as gained, so the next rebuild covers all of them and replaces the failed one.
 */
export class DedupOwnership {
  readonly #deps: OwnershipDeps
  /** Undefined until the first assignment: the state loaded on start covers every partition. */
  #owned: Set<string> | undefined
  #ready: Promise<void> = Promise.resolve()

  constructor(deps: OwnershipDeps) {
    this.#deps = deps
  }

  /** The group gave this instance `shards` (a join or a rejoin). */
  assigned(shards: ReadonlySet<string>): void {
    const owned = this.#owned
    const gained = new Set(owned === undefined ? [] : [...shards].filter((shard) => !owned.has(shard)))
    this.#deps.retain(shards)
    this.#owned = new Set(shards)
    if (gained.size === 0 || !this.#deps.enabled) return
    const rebuilt = this.#deps.rebuild(gained).then((records) => {
      this.#deps.log.info({ gained: [...gained], records }, 'dedup state rebuilt for gained partitions')
    })
    // Never an unhandled rejection meanwhile: the failure reaches the next batch through ready().
    rebuilt.catch((error: unknown) =>
      this.#deps.log.warn({ gained: [...gained], err: error }, 'dedup state not rebuilt for gained partitions'),
    )
    this.#ready = rebuilt
  }

  /**
   * The consumer stopped (a crash, whoever restarts it): its partitions went back to the group and
   * others may have published for them meanwhile, so the whole next assignment is rebuilt.
   */
  stopped(): void {
    this.#owned = new Set()
  }

  /** Settles when the dedup state of every owned partition is loaded; rejects while the last rebuild has failed. */
  ready(): Promise<void> {
    return this.#ready
  }
}
