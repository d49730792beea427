import { parseArgs } from 'node:util'
import { resolveClickHouse, clickhouseMessage } from '../clickhouse.ts'
import { CliError, usage } from '../errors.ts'
import { formatOf, render } from '../output.ts'

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
  process.stdout.write(render(await runQuery(sql), format))
}

export const TOP_HELP = `Usage: trends top [--kind hashtag] [--country US] [--period 7] [--days 7] [--limit 10] [--format table|json|csv]

The top items of a chart from ClickHouse: latest rank and rank change of each item seen in the last
--days days (from the trend_latest rollup).
`

export function topQuery(options: { kind: string; country: string; period: number; days: number; limit: number }): string {
  const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  return `SELECT argMaxMerge(latest).2 AS rank, argMaxMerge(latest).1 AS name, argMaxMerge(latest).3 AS rank_change, maxMerge(last_date) AS last_seen
FROM trend_latest
WHERE kind = ${quote(options.kind)} AND country = ${quote(options.country)} AND period = ${options.period}
GROUP BY natural_key
HAVING last_seen >= (SELECT max(data_date) FROM trend_observations WHERE kind = ${quote(options.kind)}) - ${options.days - 1}
ORDER BY rank, name
LIMIT ${options.limit}`
}

const KINDS = ['keyword', 'hashtag', 'sound', 'creator', 'video']

export async function top(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kind: { type: 'string', default: 'hashtag' },
      country: { type: 'string', default: 'US' },
      period: { type: 'string', default: '7' },
      days: { type: 'string', default: '7' },
      limit: { type: 'string', default: '10' },
      format: { type: 'string' },
    },
    strict: true,
  })
  if (!KINDS.includes(values.kind)) throw usage(`--kind: one of ${KINDS.join(', ')} (got ${JSON.stringify(values.kind)})`)
  const number = (name: string, value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw usage(`--${name}: a positive whole number (got ${JSON.stringify(value)})`)
    return Number(value)
  }
  const rows = await runQuery(
    topQuery({
      kind: values.kind,
      country: values.country.toUpperCase(),
      period: number('period', values.period),
      days: number('days', values.days),
      limit: number('limit', values.limit),
    }),
  )
  process.stdout.write(render(rows, formatOf(values.format)))
}
