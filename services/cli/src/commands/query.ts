import { parseArgs } from 'node:util'
import { resolveClickHouse, clickhouseMessage } from '../clickhouse.ts'
import {
  asOfDate,
  chartHeading,
  chartRows,
  chartRowsQuery,
  industryName,
  industryOf,
  KINDS,
  snapshotsQuery,
  sourceOf,
  type ChartRequest,
  type Snapshot,
} from '../charts.ts'
import { CliError, usage } from '../errors.ts'
import { formatOf, render, visible } from '../output.ts'

export const QUERY_HELP = `Usage: trends query "<SQL>" [--format table|json|csv]

Runs SQL against the configured ClickHouse (CLICKHOUSE_URL, or the embedded store: over HTTP while
\`trends run\` serves it, else directly) and prints the result.
`

/** Rows of a statement, or its ClickHouse error as one line. */
export async function runQuery(sql: string): Promise<Array<Record<string, unknown>>> {
  const { client } = await resolveClickHouse()
  try {
    const result = await client.query({ query: sql, format: 'JSONEachRow' })
    return await result.json<Record<string, unknown>>()
  } catch (error) {
    throw new CliError(`ClickHouse refused the query: ${clickhouseMessage(error)}`)
  } finally {
    await client.close()
  }
}

export async function query(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { format: { type: 'string' } }, allowPositionals: true, strict: true })
  const sql = positionals.join(' ').trim()
  if (sql === '') throw usage('trends query needs the SQL to run, e.g. trends query "SELECT count() FROM trend_observations"')
  const format = formatOf(values.format)
  process.stdout.write(render(await runQuery(sql), format, process.stdout.isTTY === true))
}

export const TOP_HELP = `Usage: trends top [--kind hashtag] [--country US] [--period 7] [--industry all] [--source ENDPOINT]
                  [--chart ID] [--as-of DATE] [--limit 10] [--format table|json|csv]

One chart from ClickHouse as of its latest complete snapshot (or the latest on or before --as-of):
its items by rank, and how each moved since the snapshot before (new, +3, -1, =). A chart with no
complete snapshot shows its latest partial one, said so in the heading, without moves. A chart is one
upstream list: --industry takes an id or a name (default: all industries), --source an endpoint
(default: the one with the most recent complete snapshot), --chart an exact chart id. The heading
names the chart and the snapshot; JSON and CSV rows carry both.
`

export async function top(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kind: { type: 'string', default: 'hashtag' },
      country: { type: 'string', default: 'US' },
      period: { type: 'string', default: '7' },
      industry: { type: 'string' },
      source: { type: 'string' },
      chart: { type: 'string' },
      'as-of': { type: 'string' },
      limit: { type: 'string', default: '10' },
      format: { type: 'string' },
    },
    strict: true,
  })
  if (!(KINDS as readonly string[]).includes(values.kind))
    throw usage(`--kind: one of ${KINDS.join(', ')} (got ${JSON.stringify(values.kind)})`)
  const number = (name: string, value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw usage(`--${name}: a positive whole number (got ${JSON.stringify(value)})`)
    return Number(value)
  }
  const format = formatOf(values.format)
  const limit = number('limit', values.limit)
  const asOf = asOfDate(values['as-of'])
  const request: ChartRequest = {
    kind: values.kind,
    country: values.country.toUpperCase(),
    period: number('period', values.period),
    industry: industryOf(values.industry),
    ...(values.chart === undefined ? {} : { chart: values.chart }),
    ...(values.source === undefined ? {} : { source: sourceOf(values.source)! }),
    ...(asOf === undefined ? {} : { asOf }),
  }
  const { client } = await resolveClickHouse()
  try {
    const ask = async <T>(statement: { query: string; query_params: Record<string, unknown> }): Promise<T[]> => {
      try {
        return await (await client.query({ ...statement, format: 'JSONEachRow' })).json<T>()
      } catch (error) {
        throw new CliError(`ClickHouse refused the query: ${clickhouseMessage(error)}`)
      }
    }
    const [snapshot, ...others] = await ask<Snapshot>(snapshotsQuery(request))
    if (snapshot === undefined)
      throw usage(
        `no snapshot of ${describeRequest(request)}; trends query "SELECT DISTINCT chart_id FROM chart_snapshots" lists the charts`,
      )
    const rows = chartRows(await ask<Record<string, unknown>>(chartRowsQuery(snapshot, limit)))
    if (format === 'table') {
      process.stdout.write(`${visible(chartHeading(snapshot))}\n`)
      if (others.length > 0) process.stdout.write(`other charts it could mean (--chart): ${others.map((o) => o.chart_id).join(', ')}\n`)
      process.stdout.write(render(rows, format, process.stdout.isTTY === true))
    } else {
      process.stdout.write(
        render(
          rows.map((row) => ({ chart_id: snapshot.chart_id, data_date: snapshot.data_date, ...row })),
          format,
          process.stdout.isTTY === true,
        ),
      )
    }
  } finally {
    await client.close()
  }
}

/** What a request asked for, in words, for the line that says nothing fits it. */
function describeRequest(request: ChartRequest): string {
  if (request.chart !== undefined) return `the chart ${request.chart}${request.asOf === undefined ? '' : ` on or before ${request.asOf}`}`
  const parts = [
    `a ${request.kind} chart`,
    request.country,
    request.period === undefined ? undefined : `${request.period} days`,
    industryName(request.industry),
  ]
  if (request.source !== undefined) parts.push(`from ${request.source}`)
  if (request.asOf !== undefined) parts.push(`on or before ${request.asOf}`)
  return parts.filter((part) => part !== undefined).join(', ')
}
