/**
 * Deduplication state: for each dedup key (natural key + upstream data date), the fingerprint of
 * the facts last published. Bounded twice: an entry expires `ttlMs` after it was last written, and
 * a shard never holds more than `maxKeysPerShard` keys (the least recently written go first). One
 * shard per source partition, so a rebalance drops exactly the shards this instance no longer owns.
 *
 * The store is consulted before publishing (`verdict`) but written only after the output is
 * committed (`remember`): a key is never marked seen for a record that did not make it out.
 */
export type Verdict = 'new' | 'changed' | 'duplicate'

interface Entry {
  fingerprint: number
  writtenAt: number
}

class Shard {
  readonly entries = new Map<string, Entry>()
}

export interface DedupOptions {
  ttlMs: number
  maxKeysPerShard: number
  now?: () => number
}

export class DedupStore {
  readonly #shards = new Map<string, Shard>()
  readonly #ttlMs: number
  readonly #max: number
  readonly #now: () => number
  evictions = 0

  constructor(options: DedupOptions) {
    this.#ttlMs = options.ttlMs
    this.#max = options.maxKeysPerShard
    this.#now = options.now ?? Date.now
  }

  #shard(id: string): Shard {
    let shard = this.#shards.get(id)
    if (shard === undefined) {
      shard = new Shard()
      this.#shards.set(id, shard)
    }
    return shard
  }

  verdict(shardId: string, key: string, fingerprint: number): Verdict {
    const entry = this.#shards.get(shardId)?.entries.get(key)
    if (entry === undefined || this.#now() - entry.writtenAt > this.#ttlMs) return 'new'
    return entry.fingerprint === fingerprint ? 'duplicate' : 'changed'
  }

  /** Records what was published; call only once the output is committed. */
  remember(shardId: string, key: string, fingerprint: number, writtenAt = this.#now()): void {
    const { entries } = this.#shard(shardId)
    // Re-inserting moves the key to the end, so the map stays ordered by last write.
    entries.delete(key)
    entries.set(key, { fingerprint, writtenAt })
    const now = this.#now()
    for (const [oldest, entry] of entries) {
      if (entries.size <= this.#max && now - entry.writtenAt <= this.#ttlMs) break
      entries.delete(oldest)
      this.evictions++
    }
  }

  /** Keeps only the shards of partitions this instance owns. */
  retain(shardIds: ReadonlySet<string>): void {
    for (const id of this.#shards.keys()) if (!shardIds.has(id)) this.#shards.delete(id)
  }

  size(): number {
    let total = 0
    for (const shard of this.#shards.values()) total += shard.entries.size
    return total
  }
}

export function shardId(topic: string, partition: number): string {
  return `${topic}:${partition}`
}
