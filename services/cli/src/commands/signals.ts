import { parseArgs } from 'node:util'
import { parseDuration } from '@trends/core'
import type { ClickHouseClient } from '@trends/clickhouse'
import { describeSignal, SIGNAL_TYPES, type SignalRecord } from '@trends/signals'
import { resolveClickHouse, clickhouseMessage } from '../clickhouse.ts'
import { CliError, usage } from '../errors.ts'
import { csv, csvRows, formatOf, jsonLine, render, visible, type Format } from '../output.ts'

export const SIGNALS_HELP = `Usage: trends signals [--chart ID] [--type TYPE] [--since DATE|DURATION] [--limit 100]
                      [--follow] [--format table|json|csv]

The chart changes the signals stage found between consecutive complete snapshots, from ClickHouse
(trend_signals), oldest first: entered, exited, rank_jump, new_top, breakout. --chart keeps one chart
(an exact chart id), --type one kind of event. --since takes a data date (2026-12-01: changes shown
on that snapshot or later) or a duration (6h: found in the last six hours); default: the last 7 days
of data dates. --follow keeps printing new events as they arrive (JSON: one object per line) until
Ctrl-C.
`

/** A row of trend_signals as the command reads it: the topic's fields, with dates and times as text. */
export type SignalRow = Omit<
  SignalRecord,
  'kind' | 'country' | 'period' | 'industry' | 'endpoint' | 'previous_date' | 'data_date' | 'detected_at'
> & {
  detected_at: string
  data_date: string
  previous_date: string
}

export interface SignalsFilter {
  chart?: string
  type?: string
  /** Changes shown on this data date or later. */
  sinceDate?: string
  /** Changes found at or after this time (ClickHouse DateTime64 text, UTC). */
  sinceTime?: string
}

/** The statement that lists events (oldest first), with its values as query parameters. */
export function signalsQuery(filter: SignalsFilter, limit: number): { query: string; query_params: Record<string, unknown> } {
  const conditions: ReadonlyArray<[keyof SignalsFilter, string]> = [
    ['chart', 'chart_id = {chart:String}'],
    ['type', 'type = {type:String}'],
    ['sinceDate', 'data_date >= {sinceDate:Date}'],
    ['sinceTime', 'detected_at >= {sinceTime:DateTime64(3)}'],
  ]
  const used = conditions.filter(([name]) => filter[name] !== undefined)
  const where = used.map(([, condition]) => condition)
  const params: Record<string, unknown> = { limit, ...Object.fromEntries(used.map(([name]) => [name, filter[name]])) }
  return {
    query: `
      SELECT event_id, toString(detected_at) AS detected_at, toString(data_date) AS data_date, toString(previous_date) AS previous_date,
             chart_id, type, natural_key, item_id, display_name, previous_rank, rank, measure, value, threshold
      FROM
      (
        SELECT *
        FROM trend_signals
        ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
        ORDER BY detected_at, chart_id, indexOf(['new_top', 'entered', 'rank_jump', 'breakout', 'exited'], type), ifNull(rank, previous_rank), natural_key
        LIMIT {limit:UInt32}
      )
      ORDER BY detected_at, chart_id, indexOf(['new_top', 'entered', 'rank_jump', 'breakout', 'exited'], type), ifNull(rank, previous_rank), natural_key`,
    query_params: params,
  }
}

const clickhouseTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

/** --since: a date, or a duration back from `now`. */
export function sinceOf(value: string | undefined, now: number): Pick<SignalsFilter, 'sinceDate' | 'sinceTime'> {
  if (value === undefined) return { sinceDate: new Date(now - 7 * 86_400_000).toISOString().slice(0, 10) }
  if (/^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return { sinceDate: value }
  const ms = parseDuration(value)
  if (ms !== undefined) return { sinceTime: clickhouseTime(now - ms) }
  throw usage(`--since: a date such as 2026-12-01 or a duration such as 6h or 3d (got ${JSON.stringify(value)})`)
}

/** How a row is printed: people get the change in words, programs every field. */
function shown(rows: readonly SignalRow[], format: Format): Array<Record<string, unknown>> {
  if (format !== 'table')
    return rows.map((row) => ({
      ...row,
      previous_rank: row.previous_rank === null ? null : Number(row.previous_rank),
      rank: row.rank === null ? null : Number(row.rank),
    }))
  return rows.map((row) => ({
    data_date: row.data_date,
    chart: row.chart_id,
    event: row.type,
    item: row.display_name,
    change: describeSignal({ ...row, value: Number(row.value) }),
  }))
}

export async function signals(args: string[], now: () => number = Date.now): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      chart: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string', default: '100' },
      follow: { type: 'boolean', default: false },
      format: { type: 'string' },
    },
    strict: true,
  })
  const format = formatOf(values.format)
  if (values.type !== undefined && !(SIGNAL_TYPES as readonly string[]).includes(values.type))
    throw usage(`--type: one of ${SIGNAL_TYPES.join(', ')} (got ${JSON.stringify(values.type)})`)
  if (!/^\d+$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > 100_000)
    throw usage(`--limit: a whole number from 1 to 100000 (got ${JSON.stringify(values.limit)})`)
  const filter: SignalsFilter = {
    ...(values.chart === undefined ? {} : { chart: values.chart }),
    ...(values.type === undefined ? {} : { type: values.type }),
    ...sinceOf(values.since, now()),
  }
  const { client } = await resolveClickHouse()
  try {
    if (filter.chart !== undefined) await expectChart(client, filter.chart)
    const rows = await ask(client, signalsQuery(filter, Number(values.limit)))
    const terminal = process.stdout.isTTY === true
    if (!values.follow) {
      process.stdout.write(
        rows.length === 0 && format === 'table' ? 'no signals yet for this selection\n' : render(shown(rows, format), format, terminal),
      )
      return
    }
    await follow(client, filter, rows, format, terminal)
  } finally {
    await client.close()
  }
}

async function ask(client: ClickHouseClient, statement: { query: string; query_params: Record<string, unknown> }): Promise<SignalRow[]> {
  try {
    return await (await client.query({ ...statement, format: 'JSONEachRow' })).json<SignalRow>()
  } catch (error) {
    throw new CliError(`ClickHouse refused the query: ${clickhouseMessage(error)}`)
  }
}

/** A chart id nothing is known of is a usage error, not an empty list. */
async function expectChart(client: ClickHouseClient, chart: string): Promise<void> {
  const known = await (
    await client.query({
      query:
        'SELECT count() AS n FROM (SELECT chart_id FROM chart_snapshots WHERE chart_id = {chart:String} UNION ALL SELECT chart_id FROM trend_signals WHERE chart_id = {chart:String})',
      query_params: { chart },
      format: 'JSONEachRow',
    })
  ).json<{ n: string }>()
  if (Number(known[0]?.n ?? 0) === 0)
    throw usage(`no chart ${visible(chart)}; trends query "SELECT DISTINCT chart_id FROM chart_snapshots" lists the charts`)
}

/** Prints what is there, then every new event once, as it arrives, until the process is stopped. */
async function follow(
  client: ClickHouseClient,
  filter: SignalsFilter,
  first: SignalRow[],
  format: Format,
  terminal: boolean,
): Promise<void> {
  const seen = new Set<string>()
  let from = filter.sinceTime
  const line = (row: Record<string, unknown>): string => {
    if (format === 'json') return jsonLine(row)
    if (format === 'csv') return csvRows([row], terminal ? visible : undefined)
    return `${String(row['data_date'])}  ${visible(String(row['chart']))}  ${String(row['event'])}  ${visible(String(row['item']))}: ${String(row['change'])}\n`
  }
  const print = (rows: SignalRow[]) => {
    const fresh = rows.filter((row) => !seen.has(row.event_id))
    for (const row of fresh) seen.add(row.event_id)
    for (const row of shown(fresh, format)) process.stdout.write(line(row))
    // Later rounds ask from the newest event seen (a second before it, for events stored out of order).
    const newest = fresh
      .map((row) => row.detected_at)
      .sort()
      .at(-1)
    if (newest !== undefined) from = clickhouseTime(Date.parse(`${newest.replace(' ', 'T')}Z`) - 1000)
  }
  // CSV's header once, from a row of the shape every row has.
  if (format === 'csv') process.stdout.write(csv(shown([EMPTY_ROW], format)).split('\n')[0] + '\n')
  print(first)
  let stop = false
  const stopped = new Promise<void>((resolve) => {
    const end = () => {
      stop = true
      resolve()
    }
    process.once('SIGINT', end)
    process.once('SIGTERM', end)
  })
  while (!stop) {
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2000))])
    if (stop) break
    const { sinceDate, ...rest } = filter
    print(await ask(client, signalsQuery({ ...rest, ...(from === undefined ? { sinceDate } : { sinceTime: from }) }, 10_000)))
  }
}

const EMPTY_ROW: SignalRow = {
  event_id: '',
  detected_at: '',
  data_date: '',
  previous_date: '',
  chart_id: '',
  type: '',
  natural_key: '',
  item_id: '',
  display_name: '',
  previous_rank: null,
  rank: null,
  measure: '',
  value: 0,
  threshold: null,
}
