import type { ClickHouseClient } from '@trends/clickhouse'

/** What the trend report shows, read from ClickHouse. */
export interface ReportData {
  generatedAt: string
  latestDate: string | null
  charts: ChartReport[]
  coverage: CoverageRow[]
}

export interface ChartReport {
  kind: string
  country: string
  period: number
  latestDate: string
  /** Rank per day of the chart's current top items. */
  trajectories: Array<{ name: string; points: Array<{ date: string; rank: number }> }>
  /** Items first seen on the chart's latest date. */
  newEntries: Array<{ name: string; rank: number }>
  /** The largest rank changes of the latest snapshot. */
  movers: Array<{ name: string; rank: number; rankChange: number }>
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

/** The `charts` busiest charts (most items), `top` items each, over the last `days` days of data. */
export async function loadReport(client: ClickHouseClient, options: { days: number; top: number; charts: number }): Promise<ReportData> {
  const charts = await rows<{ kind: string; country: string; period: number; latest: string }>(
    client,
    `SELECT kind, country, period, toString(max(data_date)) AS latest, uniqExact(natural_key) AS items
     FROM trend_observations GROUP BY kind, country, period ORDER BY items DESC, kind, country, period LIMIT {charts:UInt32}`,
    { charts: options.charts },
  )
  const result: ChartReport[] = []
  for (const chart of charts) {
    const where = 'kind = {kind:String} AND country = {country:String} AND period = {period:UInt16}'
    const params = {
      kind: chart.kind,
      country: chart.country,
      period: chart.period,
      latest: chart.latest,
      days: options.days,
      top: options.top,
    }
    // Aliases differ from column names: ClickHouse would read an alias named rank into the WHERE.
    const leaders = await rows<{ natural_key: string; name: string; latest_rank: number }>(
      client,
      `SELECT natural_key, argMax(display_name, fetched_at) AS name, argMax(rank, fetched_at) AS latest_rank
       FROM trend_observations WHERE ${where} AND data_date = toDate({latest:String}) AND rank IS NOT NULL
       GROUP BY natural_key ORDER BY latest_rank, name LIMIT {top:UInt32}`,
      params,
    )
    const points = await rows<{ natural_key: string; date: string; day_rank: number }>(
      client,
      `SELECT natural_key, toString(data_date) AS date, argMax(rank, fetched_at) AS day_rank
       FROM trend_observations
       WHERE ${where} AND natural_key IN {keys:Array(String)} AND data_date > toDate({latest:String}) - {days:UInt32} AND rank IS NOT NULL
       GROUP BY natural_key, data_date ORDER BY date`,
      { ...params, keys: leaders.map((leader) => leader.natural_key) },
    )
    const newEntries = await rows<{ name: string; rank: number }>(
      client,
      `SELECT name, rank FROM (
         SELECT natural_key, argMaxMerge(latest).1 AS name, argMaxMerge(latest).2 AS rank, maxMerge(last_date) AS last
         FROM trend_latest WHERE ${where} GROUP BY natural_key)
       WHERE last = toDate({latest:String})
         AND natural_key IN (SELECT natural_key FROM trend_item_stats WHERE ${where} GROUP BY natural_key HAVING minMerge(first_seen) = toDate({latest:String}))
         AND (SELECT count() FROM trend_observations WHERE ${where} AND data_date < toDate({latest:String})) > 0
       ORDER BY rank LIMIT {top:UInt32}`,
      params,
    )
    const movers = await rows<{ name: string; rank: number; rankChange: number }>(
      client,
      `SELECT argMaxMerge(latest).1 AS name, argMaxMerge(latest).2 AS rank, argMaxMerge(latest).3 AS rankChange FROM trend_latest
       WHERE ${where} GROUP BY natural_key
       HAVING maxMerge(last_date) = toDate({latest:String}) AND rankChange IS NOT NULL AND rankChange != 0
       ORDER BY abs(rankChange) DESC, rank LIMIT {top:UInt32}`,
      params,
    )
    result.push({
      kind: chart.kind,
      country: chart.country,
      period: chart.period,
      latestDate: chart.latest,
      trajectories: leaders.map((leader) => ({
        name: leader.name,
        points: points.filter((point) => point.natural_key === leader.natural_key).map(({ date, day_rank }) => ({ date, rank: day_rank })),
      })),
      newEntries,
      movers,
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
  const latest =
    charts
      .map((chart) => chart.latest)
      .sort()
      .at(-1) ?? null
  return {
    generatedAt: new Date().toISOString(),
    latestDate: latest,
    charts: result,
    coverage: coverage.map((row) => ({ ...row, fetches: Number(row.fetches), failed: Number(row.failed), items: Number(row.items) })),
  }
}
