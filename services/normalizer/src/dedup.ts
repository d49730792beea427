/**
 * Deduplication state: for each dedup key (natural key + upstream data date), the fingerprint of
 * the facts last published. One shard per source partition, so a rebalance drops exactly the
 * shards this instance no longer owns.
 *
 * Bounded twice, without a timestamp per key: each shard keeps its keys in a few generations (a
 * new one every ttl/GENERATIONS); a key lives in the generation of its last write, and a
 * generation older than the TTL is dropped whole, so a key expires between (1 − 1/GENERATIONS)·ttl
 * and ttl after its last write. Over `maxKeysPerShard`, the oldest keys of the oldest generation go
 * first. A key is held as a 52-bit hash of its text: one Map entry of two numbers (about 60 bytes),
 * so a million keys take some 60 MB. Two different keys sharing a hash cannot lose a record: their
 * fingerprints differ, so the second reads as changed and is published.
 *
 * The store is consulted before publishing (`verdict`) but written only after the output is
 * committed (`remember`): a key is never marked seen for a record that did not make it out.
 */
export type Verdict = 'new' | 'changed' | 'duplicate'

const GENERATIONS = 6

interface Generation {
  startedAt: number
  /** hash52(dedup key) → fingerprint of the facts. */
  keys: Map<number, number>
}

export interface DedupOptions {
  ttlMs: number
  maxKeysPerShard: number
  now?: () => number
}

export class DedupStore {
  readonly #shards = new Map<string, Generation[]>()
  readonly #ttlMs: number
  readonly #max: number
  readonly #now: () => number
  evictions = 0

  constructor(options: DedupOptions) {
    this.#ttlMs = options.ttlMs
    this.#max = options.maxKeysPerShard
    this.#now = options.now ?? Date.now
  }

  /** The shard's live generations, oldest first, after dropping the expired ones. */
  #generations(id: string, now: number): Generation[] {
    const generations = this.#shards.get(id) ?? []
    while (generations.length > 0 && now - (generations[0]?.startedAt ?? now) > this.#ttlMs) {
      this.evictions += generations.shift()?.keys.size ?? 0
    }
    return generations
  }

  verdict(shardId: string, key: string, fingerprint: number): Verdict {
    const hashed = hash52(key)
    const generations = this.#generations(shardId, this.#now())
    for (let i = generations.length - 1; i >= 0; i--) {
      const stored = generations[i]?.keys.get(hashed)
      if (stored !== undefined) return stored === fingerprint ? 'duplicate' : 'changed'
    }
    return 'new'
  }

  /** Records what was published; call only once the output is committed. */
  remember(shardId: string, key: string, fingerprint: number, writtenAt = this.#now()): void {
    const now = this.#now()
    if (now - writtenAt > this.#ttlMs) return
    const generations = this.#generations(shardId, now)
    this.#shards.set(shardId, generations)
    let newest = generations.at(-1)
    if (newest === undefined || writtenAt - newest.startedAt >= this.#ttlMs / GENERATIONS) {
      newest = { startedAt: Math.max(writtenAt, newest?.startedAt ?? 0), keys: new Map() }
      generations.push(newest)
    }
    const hashed = hash52(key)
    for (const generation of generations) if (generation !== newest) generation.keys.delete(hashed)
    newest.keys.delete(hashed)
    newest.keys.set(hashed, fingerprint)
    let size = generations.reduce((total, generation) => total + generation.keys.size, 0)
    while (size > this.#max) {
      const oldest = generations[0]
      if (oldest === undefined) break
      const first = oldest.keys.keys().next()
      if (first.done === true) {
        generations.shift()
        continue
      }
      oldest.keys.delete(first.value)
      this.evictions++
      size--
    }
  }

  /** Keeps only the shards of partitions this instance owns. */
  retain(shardIds: ReadonlySet<string>): void {
    for (const id of this.#shards.keys()) if (!shardIds.has(id)) this.#shards.delete(id)
  }

  size(): number {
    let total = 0
    for (const generations of this.#shards.values()) for (const generation of generations) total += generation.keys.size
    return total
  }
}

function fnv1a(text: string, seed: number): number {
  let hash = seed
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** 52 bits from two FNV-1a passes: a JS number, exact, with negligible collisions per key. */
export function hash52(text: string): number {
  return (fnv1a(text, 0x811c9dc5) & 0xfffff) * 0x100000000 + fnv1a(text, 0x01234567)
}

export function shardId(topic: string, partition: number): string {
  return `${topic}:${partition}`
}
