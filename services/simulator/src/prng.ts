/**
 * Seeded randomness. Every generated value comes from a small PRNG (mulberry32) whose seed is a hash of
 * the inputs that define it (simulator seed, family, chart, entity, day), so the same inputs always
 * give the same value, in any order of requests.
 */

/** FNV-1a over the parts (with a separator between them), finished with murmur3's fmix32. */
export function hash32(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5
  for (const part of parts) {
    const text = String(part)
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
    h ^= 0x1f
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** mulberry32: a 32-bit state generator returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A uniform float in [0, 1) for one set of inputs, without keeping a generator around. */
export function unit(...parts: readonly (string | number)[]): number {
  return mulberry32(hash32(...parts))()
}

export interface Rng {
  next(): number
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number
  chance(probability: number): boolean
  pick<T>(items: readonly T[]): T
  /** A standard normal deviate (Box-Muller). */
  normal(): number
  /** `count` decimal digits, the first one non-zero. */
  digits(count: number): string
  /** `count` lowercase hex characters. */
  hex(count: number): string
  /** An unsigned 32-bit integer. */
  uint32(): number
}

export function createRng(...parts: readonly (string | number)[]): Rng {
  const next = mulberry32(hash32(...parts))
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)]
      if (item === undefined) throw new Error('pick from an empty list')
      return item
    },
    normal: () => {
      const u = Math.max(next(), 1e-12)
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
    },
    digits: (count) => {
      let text = String(int(1, 9))
      while (text.length < count) text += String(int(0, 9))
      return text
    },
    hex: (count) => {
      let text = ''
      while (text.length < count) text += int(0, 15).toString(16)
      return text
    },
    uint32: () => Math.floor(next() * 4294967296) >>> 0,
  }
}

/** `count` distinct items drawn from `items` (partial Fisher-Yates), in draw order. */
export function sample<T>(items: readonly T[], count: number, rng: Rng): T[] {
  const copy = [...items]
  const n = Math.min(count, copy.length)
  for (let i = 0; i < n; i++) {
    const j = rng.int(i, copy.length - 1)
    const a = copy[i] as T
    copy[i] = copy[j] as T
    copy[j] = a
  }
  return copy.slice(0, n)
}

/**
 * A TikTok-style 64-bit id: the unix seconds in the high 32 bits and random bits below, written in
 * decimal (19 digits for any time after 1977). Built with BigInt so no digit is lost.
 */
export function snowflake(unixSeconds: number, rng: Rng): string {
  return ((BigInt(Math.floor(unixSeconds)) << 32n) | BigInt(rng.uint32())).toString()
}
