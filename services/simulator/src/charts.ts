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
  /** The popularity the item's curve draws, when the chart's script sets it (else the item's own activity). */
  curve?: (day: number) => number
}

/**
 * How charts move from one data day to the next. `natural`: every item's activity follows its own
 * trajectory, so a day brings whatever entries, exits and moves the scores give. `scripted`: the
 * chart is as it was the day before except for five changes a test or a demo can name (SCRIPT).
 */
export type Moves = 'natural' | 'scripted'

/**
 * The scripted day, applied to the day before's chart (its order as on SCRIPT_START, then one step a
 * day): the number 2 takes number 1 (new_top); the item at JUMP_FROM jumps to JUMP_TO (a rank_jump of
 * 12 places); the next item from outside the chart enters at ENTER_AT with a popularity curve rising
 * 15 points a day over the last week (entered, and a breakout by curve); the last item drops off
 * (exited) and waits outside to come back. Every other item moves at most 2 places; curves are flat.
 */
export const SCRIPT = { start: '2026-01-01', jumpFrom: 15, jumpTo: 3, enterAt: 5 } as const
const SCRIPT_START_DAY = Date.UTC(2026, 0, 1) / 86_400_000

function order<T>(pool: readonly T[], score: (item: T) => number): { item: T; score: number }[] {
  return pool
    .map((item, index) => ({ item, index, score: score(item) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ item, score: value }) => ({ item, score: value }))
}

/** The scripted chart of `day` (SCRIPT), and the item that entered on it. */
function scriptedOrder<T>(
  pool: readonly T[],
  score: (item: T, day: number) => number,
  day: number,
  total: number,
): { chart: T[]; entrant: T | undefined } {
  const ordered = order(pool, (item) => score(item, SCRIPT_START_DAY)).map((entry) => entry.item)
  const chart = ordered.slice(0, total)
  const outside = ordered.slice(total)
  let entrant: T | undefined
  for (let step = SCRIPT_START_DAY + 1; step <= day; step++) {
    entrant = undefined
    if (chart.length >= 2) chart.splice(0, 2, chart[1]!, chart[0]!)
    if (chart.length >= SCRIPT.jumpFrom) chart.splice(SCRIPT.jumpTo - 1, 0, ...chart.splice(SCRIPT.jumpFrom - 1, 1))
    if (chart.length >= SCRIPT.enterAt && outside.length > 0) {
      entrant = outside.shift()!
      chart.splice(SCRIPT.enterAt - 1, 0, entrant)
      outside.push(...chart.splice(total))
    }
  }
  return { chart, entrant }
}

/** A week-long ramp ending on `day`: 15 points (of 100, once scaled) a day, flat before. */
const rampTo = (day: number) => (d: number) => 0.1 + 0.15 * Math.min(6, Math.max(0, d - (day - 6)))
const flat = () => 1

/** Ranks `pool` by score on `day` and keeps the top `total`, each with its rank on `day - 1`. */
export function rankChart<T>(
  pool: readonly T[],
  score: (item: T, day: number) => number,
  day: number,
  total: number,
  moves: Moves = 'natural',
): ChartEntry<T>[] {
  if (moves === 'scripted') {
    const { chart, entrant } = scriptedOrder(pool, score, day, total)
    const before = new Map(scriptedOrder(pool, score, day - 1, total).chart.map((item, i) => [item, i + 1]))
    return chart.map((item, i) => ({
      item,
      rank: i + 1,
      prevRank: before.get(item),
      score: score(item, day),
      curve: item === entrant ? rampTo(day) : flat,
    }))
  }
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
