/**
 * What the signals stage asks ClickHouse: which pairs of consecutive complete snapshots are ready to
 * compare, and the events of one pair. Both read the chart views of the migrations (chart_changes,
 * chart_ranks, chart_snapshot_fill), so an event and the view a person queries agree by construction.
 * Values travel as query parameters.
 */
import { createHash } from 'node:crypto'

export const SIGNAL_TYPES = ['entered', 'exited', 'rank_jump', 'new_top', 'breakout'] as const
export type SignalType = (typeof SIGNAL_TYPES)[number]

/** The thresholds events are judged by (SIGNALS_RANK_JUMP and the breakout rule of chart_breakouts). */
export interface Thresholds {
  /** A move of at least this many places, up or down, is a rank_jump. */
  rankJump: number
  /** A breakout: rank rising at least this many places a day ... */
  breakoutPlacesPerDay: number
  /** ... over at least this many complete snapshots of the 7 days up to the snapshot ... */
  breakoutSnapshots: number
  /** ... or a popularity curve rising at least this many points (of 100) a day. */
  breakoutCurvePerDay: number
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = {
  rankJump: 10,
  breakoutPlacesPerDay: 5,
  breakoutSnapshots: 3,
  breakoutCurvePerDay: 10,
}

/** Two consecutive complete snapshots of one chart. */
export interface Pair {
  chart_id: string
  previous_date: string
  data_date: string
}

/** A pair ready to compare, with what names its chart (from its later snapshot). */
export interface ReadyPair extends Pair {
  kind: string
  country: string
  period: number
  industry: string
  endpoint: string
}

export const pairKey = (pair: Pair): string => `${pair.chart_id}|${pair.previous_date}|${pair.data_date}`

/**
 * Pairs whose later snapshot is on or after `since`, both snapshots filled: ClickHouse holds as many
 * items of each as its complete fetch brought — or that fetch ended before `settledBefore`, for a
 * snapshot that never fills (an item the normalizer dead-lettered, a page repeating an item).
 * With each pair, what names its chart.
 */
export function readyPairsQuery(since: string, settledBefore: string): { query: string; query_params: Record<string, unknown> } {
  return {
    query: `
      SELECT p.chart_id AS chart_id, toString(p.previous_date) AS previous_date, toString(p.data_date) AS data_date,
             s.kind AS kind, s.country AS country, s.period AS period, s.industry AS industry, s.endpoint AS endpoint
      FROM chart_snapshot_pairs AS p
      INNER JOIN chart_snapshot_fill AS a ON a.chart_id = p.chart_id AND a.data_date = p.previous_date
      INNER JOIN chart_snapshot_fill AS b ON b.chart_id = p.chart_id AND b.data_date = p.data_date
      INNER JOIN chart_snapshots AS s ON s.chart_id = p.chart_id AND s.data_date = p.data_date
      WHERE p.data_date >= {since:Date}
        AND (a.stored >= a.fetched OR a.ended_at < {settled:DateTime64(3)})
        AND (b.stored >= b.fetched OR b.ended_at < {settled:DateTime64(3)})
      ORDER BY p.data_date, p.chart_id`,
    query_params: { since, settled: settledBefore },
  }
}

/**
 * The events of one pair. entered / exited / rank_jump / new_top from chart_changes; breakout when
 * an item of the later snapshot meets the breakout rule as of that snapshot and did not as of the
 * earlier one (the rule of chart_breakouts: rank velocity over the complete snapshots of the 7 days
 * up to the date, or the popularity curve's slope over those days).
 */
export function pairEventsQuery(pair: Pair, thresholds: Thresholds): { query: string; query_params: Record<string, unknown> } {
  return {
    query: `
      WITH
        changes AS (
          SELECT natural_key, display_name, previous_rank, rank, change, places
          FROM chart_changes
          WHERE chart_id = {chart:String} AND previous_date = {previous:Date} AND data_date = {date:Date}
        ),
        items AS (
          SELECT natural_key, argMax(item_id, data_date) AS item_id
          FROM chart_ranks
          WHERE chart_id = {chart:String} AND data_date IN ({previous:Date}, {date:Date})
          GROUP BY natural_key
        ),
        velocity AS (
          SELECT as_of, natural_key, count() AS snapshots,
                 if(count() >= 2, 0 - simpleLinearRegression(toFloat64(toUInt32(data_date)), toFloat64(rank)).1, NULL) AS rank_velocity
          FROM chart_ranks
          ARRAY JOIN [{previous:Date}, {date:Date}] AS as_of
          WHERE complete AND rank IS NOT NULL AND chart_id = {chart:String} AND data_date > as_of - 7 AND data_date <= as_of
          GROUP BY as_of, natural_key
          HAVING max(data_date) = as_of
        ),
        curves AS (
          SELECT as_of, natural_key, if(count() >= 2, simpleLinearRegression(toFloat64(toUInt32(day)), day_value).1, NULL) AS curve_velocity
          FROM
          (
            SELECT as_of, natural_key, toDate(at) AS day, argMax(value, fetched_at) AS day_value
            FROM trend_curve_points
            ARRAY JOIN [{previous:Date}, {date:Date}] AS as_of
            WHERE chart_id = {chart:String} AND toDate(at) > as_of - 7 AND toDate(at) <= as_of
            GROUP BY as_of, natural_key, day
          )
          GROUP BY as_of, natural_key
        ),
        judged AS (
          SELECT v.as_of AS as_of, v.natural_key AS natural_key, v.rank_velocity AS rank_velocity, c.curve_velocity AS curve_velocity,
                 (v.rank_velocity >= {places:Float64} AND v.snapshots >= {snapshots:UInt32}) AS by_rank,
                 ifNull(c.curve_velocity >= {curve:Float64}, false) AS by_curve
          FROM velocity AS v
          LEFT JOIN curves AS c ON c.as_of = v.as_of AND c.natural_key = v.natural_key
        ),
        breakouts AS (
          SELECT now.natural_key AS natural_key,
                 if(now.by_rank, 'rank_velocity', 'curve_velocity') AS measure,
                 if(now.by_rank, now.rank_velocity, now.curve_velocity) AS value,
                 if(now.by_rank, {places:Float64}, {curve:Float64}) AS threshold
          FROM (SELECT * FROM judged WHERE as_of = {date:Date} AND (by_rank OR by_curve)) AS now
          LEFT JOIN (SELECT * FROM judged WHERE as_of = {previous:Date}) AS before ON before.natural_key = now.natural_key
          WHERE NOT ifNull(before.by_rank OR before.by_curve, false)
        ),
        events AS (
          SELECT 'entered' AS type, natural_key, display_name, previous_rank, rank, 'rank' AS measure, toFloat64(rank) AS value,
                 CAST(NULL, 'Nullable(Float64)') AS threshold
          FROM changes WHERE change = 'entered'
          UNION ALL
          SELECT 'exited', natural_key, display_name, previous_rank, rank, 'previous_rank', toFloat64(previous_rank), NULL
          FROM changes WHERE change = 'exited'
          UNION ALL
          SELECT 'rank_jump', natural_key, display_name, previous_rank, rank, 'places', toFloat64(places), toFloat64({jump:UInt32})
          FROM changes WHERE change = 'moved' AND abs(places) >= {jump:UInt32}
          UNION ALL
          SELECT 'new_top', natural_key, display_name, previous_rank, rank, 'rank', 1, NULL
          FROM changes WHERE rank = 1 AND (previous_rank IS NULL OR previous_rank != 1)
          UNION ALL
          SELECT 'breakout', b.natural_key, c.display_name, c.previous_rank, c.rank, b.measure, b.value, b.threshold
          FROM breakouts AS b INNER JOIN changes AS c ON c.natural_key = b.natural_key
        )
      SELECT e.type AS type, e.natural_key AS natural_key, i.item_id AS item_id, e.display_name AS display_name,
             e.previous_rank AS previous_rank, e.rank AS rank, e.measure AS measure, e.value AS value, e.threshold AS threshold
      FROM events AS e
      LEFT JOIN items AS i ON i.natural_key = e.natural_key
      ORDER BY indexOf(['new_top', 'entered', 'rank_jump', 'breakout', 'exited'], e.type), ifNull(e.rank, e.previous_rank), e.natural_key
      SETTINGS join_use_nulls = 1`,
    query_params: {
      chart: pair.chart_id,
      previous: pair.previous_date,
      date: pair.data_date,
      jump: thresholds.rankJump,
      places: thresholds.breakoutPlacesPerDay,
      snapshots: thresholds.breakoutSnapshots,
      curve: thresholds.breakoutCurvePerDay,
    },
  }
}

/** The idempotency key of an event: the same change always has the same id, however often it is derived. */
export function eventId(pair: Pair, type: string, naturalKey: string): string {
  return createHash('sha256')
    .update([pair.chart_id, pair.previous_date, pair.data_date, type, naturalKey].join('\u0000'))
    .digest('hex')
    .slice(0, 32)
}

const round = (value: number) => Number(value.toFixed(1))

/** What changed, in a few words: `new at #5`, `#14 → #3 (+11)`, `rising 6.5 places a day`. */
export function describeSignal(row: {
  type: string
  previous_rank: number | null
  rank: number | null
  measure: string
  value: number
}): string {
  const was = row.previous_rank === null ? 'new' : `was #${row.previous_rank}`
  switch (row.type) {
    case 'entered':
      return `new at #${row.rank}`
    case 'exited':
      return `left the chart (was #${row.previous_rank})`
    case 'rank_jump':
      return `#${row.previous_rank} → #${row.rank} (${row.value > 0 ? '+' : ''}${row.value})`
    case 'new_top':
      return `new number 1 (${was})`
    case 'breakout':
      return row.measure === 'rank_velocity'
        ? `rising ${round(row.value)} places a day (now #${row.rank})`
        : `popularity curve +${round(row.value)} points a day (#${row.rank})`
    default:
      return `${row.measure} ${row.value}`
  }
}
