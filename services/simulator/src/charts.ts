/**
 * Chart mechanics shared by every endpoint: how an entity's activity moves from day to day, how a pool
 * of entities is ranked on a data day (with yesterday's rank for rank_diff), pool sampling per chart,
 * paging, and a small cache so paging through a chart does not re-rank it for every page.
 */
import { createRng, sample, unit } from './prng.ts'

/** Activity multiplier of one entity over time: two slow waves plus daily noise, always > 0. */
export function trajectory(seed: number, key: string): (day: number) => number {
  const rng = createRng(seed, 'trajectory', key)
  const slow = { period: 20 + rng.next() * 60, phase: rng.next() * 2 * Math.PI, amplitude: 0.3 + rng.next() * 0.5 }
  const fast = { period: 5 + rng.next() * 10, phase: rng.next() * 2 * Math.PI, amplitude: 0.1 + rng.next() * 0.2 }
  return (day) => {
    const noise = unit(seed, 'noise', key, day) - 0.5
    return Math.exp(
      slow.amplitude * Math.sin((2 * Math.PI * day) / slow.period + slow.phase) +
        fast.amplitude * Math.sin((2 * Math.PI * day) / fast.period + fast.phase) +
        0.3 * noise,
    )
  }
}

/** Values at `points` days ending on `endDay`, `step` days apart, oldest first. */
export function series(at: (day: number) => number, endDay: number, points: number, step = 1): { day: number; value: number }[] {
  return Array.from({ length: points }, (_, i) => {
    const day = endDay - (points - 1 - i) * step
    return { day, value: at(day) }
  })
}

/** Scales values so the largest is `top`, rounded to `places` decimals. */
export function normalise(values: readonly number[], top: number, places: number): number[] {
  const max = Math.max(...values, Number.MIN_VALUE)
  const factor = 10 ** places
  return values.map((value) => Math.round((value / max) * top * factor) / factor)
}

export interface ChartEntry<T> {
  item: T
  rank: number
  /** Rank on the previous data day; undefined when the item was not on that day's chart. */
  prevRank: number | undefined
  score: number
}

function order<T>(pool: readonly T[], score: (item: T) => number): { item: T; score: number }[] {
  return pool
    .map((item, index) => ({ item, index, score: score(item) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ item, score: value }) => ({ item, score: value }))
}

/** Ranks `pool` by score on `day` and keeps the top `total`, each with its rank on `day - 1`. */
export function rankChart<T>(pool: readonly T[], score: (item: T, day: number) => number, day: number, total: number): ChartEntry<T>[] {
  const yesterday = new Map(
    order(pool, (item) => score(item, day - 1))
      .slice(0, total)
      .map((entry, i) => [entry.item, i + 1]),
  )
  return order(pool, (item) => score(item, day))
    .slice(0, total)
    .map((entry, i) => ({ item: entry.item, rank: i + 1, prevRank: yesterday.get(entry.item), score: entry.score }))
}

/** The entities of one chart: `count` drawn from the universe by the chart key (not by day). */
export function chartPool<T>(items: readonly T[], count: number, seed: number, chartKey: string): T[] {
  return sample(items, count, createRng(seed, 'pool', chartKey))
}

/** One page of a ranked list: 1-based page, and whether rows remain after it. */
export function pageOf<T>(rows: readonly T[], page: number, limit: number, total = rows.length): { rows: T[]; hasMore: boolean } {
  const start = (page - 1) * limit
  const end = Math.min(start + limit, total)
  return { rows: start >= end ? [] : rows.slice(start, end), hasMore: end < total }
}

/** A small least-recently-used cache of built charts, keyed by chart key and day. */
export function createChartCache(capacity = 256): <T>(key: string, build: () => T) => T {
  const cache = new Map<string, unknown>()
  return <T>(key: string, build: () => T): T => {
    if (cache.has(key)) {
      const value = cache.get(key) as T
      cache.delete(key)
      cache.set(key, value)
      return value
    }
    const value = build()
    cache.set(key, value)
    if (cache.size > capacity) {
      const oldest = cache.keys().next()
      if (oldest.done !== true) cache.delete(oldest.value)
    }
    return value
  }
}
