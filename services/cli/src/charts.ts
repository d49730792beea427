/**
 * Picking one chart and showing it as of one complete snapshot: what `trends top`, the first
 * tables of `trends run` and the report share. Values reach ClickHouse as query parameters only.
 */
import { endpointNames, findEndpoint, INDUSTRIES } from '@trends/creative-center'
import { usage } from './errors.ts'

export const KINDS = ['keyword', 'hashtag', 'sound', 'creator', 'video'] as const

/** What a person asks for; every part but the kind may be left open. */
export interface ChartRequest {
  /** An exact chart id; the other parts are then ignored. */
  chart?: string
  kind: string
  country?: string
  period?: number
  /** An industry id, or '' for all industries (the default). */
  industry: string
  /** An endpoint name: which upstream list (and API generation). */
  source?: string
  /** The snapshot shown is the latest complete one on or before this date (YYYY-MM-DD). */
  asOf?: string
}

/** One snapshot of a chart, as chart_snapshots has it. */
export interface Snapshot {
  chart_id: string
  data_date: string
  kind: string
  country: string
  period: number
  industry: string
  endpoint: string
  items: string | number
  pages: string | number
  last_fetched_at: string
  complete: boolean
  /** `complete`, or why the snapshot is partial (`max_pages`, `page_failed`, `empty`, `unknown`). */
  reason: string
}

/** `--industry`: an 11-digit id, a name as the upstream writes it (any case), or `all`. */
export function industryOf(value: string | undefined): string {
  if (value === undefined || value.toLowerCase() === 'all' || value === '') return ''
  if (/^\d{11}$/.test(value)) {
    if (INDUSTRIES[value] === undefined) throw usage(`--industry: no industry has the id ${value}`)
    return value
  }
  const wanted = value.trim().toLowerCase()
  const found = Object.entries(INDUSTRIES).find(([, name]) => name.toLowerCase() === wanted)
  if (found === undefined)
    throw usage(`--industry: an id or one of ${Object.values(INDUSTRIES).join(', ')}, or all (got ${JSON.stringify(value)})`)
  return found[0]
}

/** An industry for people: its name, `all industries` for '', the id itself when it has no known name. */
export function industryName(id: string): string {
  return id === '' ? 'all industries' : (INDUSTRIES[id] ?? id)
}

/** `--as-of`: a calendar date YYYY-MM-DD that exists. */
export function asOfDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined
  if (date === undefined || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value)
    throw usage(`--as-of: a date such as 2026-12-01 (got ${JSON.stringify(value)})`)
  return value
}

/** `--source`: an endpoint name, checked against the endpoint definitions. */
export function sourceOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (findEndpoint(value) === undefined) throw usage(`--source: one of ${endpointNames().join(', ')} (got ${JSON.stringify(value)})`)
  return value
}

/**
 * One snapshot per chart that fits a request: the chart's latest complete snapshot, or its latest
 * partial one when it has none complete (shown as partial, never compared). Complete ones first,
 * then newest first: the first is what is shown; the others are the other charts the same request
 * could mean (another sort order, another generation). `busiest` orders by items instead (complete
 * ones first), as the report picks its charts; `limit` keeps the first so many.
 */
export function snapshotsQuery(
  request: Partial<ChartRequest>,
  options: { order?: 'recent' | 'busiest'; limit?: number } = {},
): { query: string; query_params: Record<string, unknown> } {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  // Each condition with the parameter it takes; one left open (undefined) is not asked.
  const ask = (clause: string, name: string, value: string | number | undefined) => {
    if (value === undefined) return
    where.push(clause)
    params[name] = value
  }
  if (request.chart !== undefined) ask('chart_id = {chart:String}', 'chart', request.chart)
  else {
    ask('kind = {kind:String}', 'kind', request.kind)
    ask('industry = {industry:String}', 'industry', request.industry)
    ask('country = {country:String}', 'country', request.country)
    ask('period = {period:UInt16}', 'period', request.period)
    ask('endpoint = {source:String}', 'source', request.source)
  }
  ask('data_date <= {asOf:Date}', 'asOf', request.asOf)
  // The most recent snapshot first (what a chart request means), or the charts with the most items.
  const order =
    options.order === 'busiest'
      ? 'complete DESC, toUInt64(items) DESC, chart_id'
      : 'complete DESC, data_date DESC, last_fetched_at DESC, chart_id'
  if (options.limit !== undefined) params['limit'] = options.limit
  return {
    query: `SELECT * FROM
(
    SELECT chart_id, data_date, kind, country, period, industry, endpoint, items, pages, last_fetched_at, complete, reason
    FROM chart_snapshots
    ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
    ORDER BY chart_id, complete DESC, data_date DESC, last_fetched_at DESC
    LIMIT 1 BY chart_id
)
ORDER BY ${order}${options.limit === undefined ? '' : ' LIMIT {limit:UInt32}'}`,
    query_params: params,
  }
}

/** The items of one snapshot of a chart, by rank, with how each moved since the snapshot before. */
export function chartRowsQuery(snapshot: Pick<Snapshot, 'chart_id' | 'data_date'>, limit: number) {
  return {
    query: `SELECT r.rank AS rank, r.display_name AS name, c.change AS change, c.places AS places, r.natural_key AS natural_key
FROM chart_ranks AS r
LEFT JOIN (SELECT natural_key, change, places FROM chart_changes WHERE chart_id = {chart:String} AND data_date = {date:Date}) AS c
    ON c.natural_key = r.natural_key
WHERE r.chart_id = {chart:String} AND r.data_date = {date:Date}
ORDER BY r.rank, r.display_name
LIMIT {limit:UInt32}`,
    query_params: { chart: snapshot.chart_id, date: snapshot.data_date, limit },
  }
}

/** How an item moved since the snapshot before: `new`, `+3` (up three places), `-1`, `=`, or '' on a chart's first snapshot. */
export function movement(change: unknown, places: unknown): string {
  if (change === 'entered') return 'new'
  if (change !== 'moved' && change !== 'stayed') return ''
  const by = Number(places)
  return by === 0 ? '=' : by > 0 ? `+${by}` : String(by)
}

/** A chart's rows for people: rank, name and movement. */
export function chartRows(rows: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  return rows.map((row) => ({ rank: row['rank'], name: row['name'], move: movement(row['change'], row['places']) }))
}

/** A family's name in the plural: `hashtags`, `sounds`. */
const plural = (kind: string) => `${kind}s`

/**
 * Which chart and which snapshot a table shows, in a line: `hashtags · US · 7 days · all industries
 * (hashtags-legacy/US/7/all/sort_by=popular) · snapshot 2026-12-01, complete, 100 items, fetched
 * 2026-12-01 10:00 UTC`; a partial one says why: `partial (max_pages)`.
 */
export function chartHeading(snapshot: Snapshot): string {
  return `${chartName(snapshot)} (${snapshot.chart_id}) · ${snapshotState(snapshot)}`
}

/** A chart's name for people: `hashtags · US · 7 days · all industries`. */
export function chartName(chart: Pick<Snapshot, 'kind' | 'country' | 'period' | 'industry'>): string {
  const country = chart.country === '' ? 'all countries' : chart.country
  const period = Number(chart.period) === 0 ? 'no period' : `${chart.period} days`
  return `${plural(chart.kind)} · ${country} · ${period} · ${industryName(chart.industry)}`
}

/** Which snapshot, and what it holds: `snapshot 2026-12-01, complete, 100 items, fetched 2026-12-01 10:00 UTC`. */
export function snapshotState(snapshot: Snapshot): string {
  const state = snapshot.complete ? 'complete' : `partial (${snapshot.reason})`
  return `snapshot ${snapshot.data_date}, ${state}, ${snapshot.items} items, fetched ${snapshot.last_fetched_at.slice(0, 16)} UTC`
}
