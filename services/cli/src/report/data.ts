import type { ClickHouseClient } from '@trends/clickhouse'
import { chartRowsQuery, snapshotsQuery, type Snapshot } from '../charts.ts'

/** What the trend report shows, read from ClickHouse. */
export interface ReportData {
  generatedAt: string
  latestDate: string | null
  charts: ChartReport[]
  coverage: CoverageRow[]
  /** Per chart, its snapshots of the report's days: how many complete, how many partial and why. */
  snapshots: SnapshotCoverage[]
}

export interface SnapshotCoverage {
  chart_id: string
  complete: number
  partial: number
  /** Why the partial ones are partial (page_failed, max_pages, logged_out_cap, empty, unknown), each once. */
  reasons: string[]
  /** The chart's latest snapshot, and whether it is complete. */
  latest: string
  latestComplete: boolean
}

export interface ChartReport {
  /** The chart and the snapshot shown: its latest complete one, else its latest partial one. */
  snapshot: Snapshot
  /** Rank per complete snapshot, over the last days, of the shown snapshot's top items. */
  trajectories: Array<{ name: string; points: Array<{ date: string; rank: number }> }>
  /** Items on the shown snapshot that the complete snapshot before did not have. */
  newEntries: Array<{ name: string; rank: number }>
  /** Items of the complete snapshot before that the shown one has no more (rank: where they were). */
  exits: Array<{ name: string; rank: number }>
  /** The largest rank changes since the complete snapshot before (rankChange > 0 is up). */
  movers: Array<{ name: string; rank: number; rankChange: number }>
  /** Breakouts of the chart's latest complete snapshot (chart_breakouts): why, and how fast. */
  breakouts: Array<{ name: string; rank: number; why: 'rank' | 'curve'; perDay: number }>
}

export interface CoverageRow {
  endpoint: string
  country: string
  period: string
  fetches: number
  failed: number
  items: number
  lastFetch: string
}

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>()
}

/**
 * The `charts` busiest charts (most items in the snapshot shown), each as of its latest complete
 * snapshot (or its latest partial one when it has none complete, without changes): `top` items with
 * their ranks over the last `days` days of complete snapshots, entries, exits and movers since the
 * complete snapshot before.
 */
export async function loadReport(client: ClickHouseClient, options: { days: number; top: number; charts: number }): Promise<ReportData> {
  const busiest = snapshotsQuery({}, { order: 'busiest', limit: options.charts })
  const shown = await rows<Snapshot>(client, busiest.query, busiest.query_params)
  const result: ChartReport[] = []
  for (const snapshot of shown) {
    const params = { chart: snapshot.chart_id, date: snapshot.data_date, days: options.days, top: options.top }
    const top = chartRowsQuery(snapshot, options.top)
    const leaders = await rows<{ rank: number; name: string; natural_key: string }>(client, top.query, top.query_params)
    // Aliases differ from column names: ClickHouse would read an alias named rank into the WHERE.
    const points = await rows<{ natural_key: string; date: string; day_rank: number }>(
      client,
      `SELECT natural_key, toString(data_date) AS date, rank AS day_rank FROM chart_ranks
       WHERE chart_id = {chart:String} AND complete AND data_date > toDate({date:String}) - {days:UInt32} AND data_date <= toDate({date:String})
         AND natural_key IN (SELECT natural_key FROM chart_ranks WHERE chart_id = {chart:String} AND data_date = toDate({date:String})
                             ORDER BY rank LIMIT {top:UInt32})
         AND rank IS NOT NULL
       ORDER BY date`,
      params,
    )
    const changes = await rows<{ change: string; name: string; rank: number | null; previous_rank: number | null; places: string | null }>(
      client,
      `SELECT change, display_name AS name, rank, previous_rank, places FROM chart_changes
       WHERE chart_id = {chart:String} AND data_date = toDate({date:String}) AND change IN ('entered', 'exited', 'moved')
       ORDER BY change, abs(ifNull(places, 0)) DESC, ifNull(rank, previous_rank), name`,
      params,
    )
    const breakouts = await rows<{ name: string; rank: number; why: 'rank' | 'curve'; per_day: number }>(
      client,
      `SELECT display_name AS name, rank, why, if(why = 'rank', rank_velocity, curve_velocity) AS per_day FROM chart_breakouts
       WHERE chart_id = {chart:String} AND data_date = toDate({date:String}) ORDER BY per_day DESC, rank LIMIT {top:UInt32}`,
      params,
    )
    const of = (change: string) => changes.filter((row) => row.change === change).slice(0, options.top)
    result.push({
      snapshot,
      trajectories: leaders.map((leader) => ({
        name: leader.name,
        points: points.filter((point) => point.natural_key === leader.natural_key).map(({ date, day_rank }) => ({ date, rank: day_rank })),
      })),
      newEntries: of('entered').map((row) => ({ name: row.name, rank: Number(row.rank) })),
      exits: of('exited').map((row) => ({ name: row.name, rank: Number(row.previous_rank) })),
      movers: of('moved').map((row) => ({ name: row.name, rank: Number(row.rank), rankChange: Number(row.places) })),
      breakouts: breakouts.map((row) => ({ name: row.name, rank: Number(row.rank), why: row.why, perDay: Number(row.per_day) })),
    })
  }
  const coverage = await rows<CoverageRow>(
    client,
    `SELECT endpoint, request_params['country_code'] AS country, request_params['period'] AS period,
            countIf(outcome = 'ok') AS fetches, countIf(outcome != 'ok') AS failed, sumIf(items, outcome = 'ok') AS items,
            toString(max(requested_at)) AS lastFetch
     FROM fetch_log WHERE requested_at > now() - INTERVAL {days:UInt32} DAY
     GROUP BY endpoint, country, period ORDER BY endpoint, country, period`,
    { days: options.days },
  )
  // The report's days end on the latest data date (not today): a stalled pipeline's report still shows its charts.
  // Aliases differ from the column names: ClickHouse would read `complete` inside argMax as the countIf alias.
  const snapshotCoverage = await rows<{
    chart_id: string
    complete_count: string
    partial_count: string
    reasons: string[]
    latest: string
    latest_complete: boolean | number
  }>(
    client,
    `SELECT chart_id, countIf(complete) AS complete_count, countIf(NOT complete) AS partial_count, arraySort(groupUniqArrayIf(reason, NOT complete)) AS reasons,
            toString(max(data_date)) AS latest, argMax(complete, data_date) AS latest_complete
     FROM chart_snapshots
     WHERE data_date > (SELECT max(data_date) FROM chart_snapshots) - {days:UInt32}
     GROUP BY chart_id ORDER BY partial_count > 0 DESC, chart_id`,
    { days: options.days },
  )
  const latest =
    shown
      .map((snapshot) => snapshot.data_date)
      .sort()
      .at(-1) ?? null
  return {
    generatedAt: new Date().toISOString(),
    latestDate: latest,
    charts: result,
    coverage: coverage.map((row) => ({ ...row, fetches: Number(row.fetches), failed: Number(row.failed), items: Number(row.items) })),
    snapshots: snapshotCoverage.map((row) => ({
      chart_id: row.chart_id,
      complete: Number(row.complete_count),
      partial: Number(row.partial_count),
      reasons: row.reasons,
      latest: row.latest,
      latestComplete: row.latest_complete === true || row.latest_complete === 1,
    })),
  }
}
