/** Output of the CLI: tables for people, JSON and CSV for programs. */
import { usage } from './errors.ts'

export type Format = 'table' | 'json' | 'csv'

export const FORMATS: readonly Format[] = ['table', 'json', 'csv']

/** The --format flag's value (table when not given), or a usage error. */
export function formatOf(value: string | undefined): Format {
  const format = (value ?? 'table') as Format
  if (!FORMATS.includes(format)) throw usage(`--format: table, json or csv (got ${JSON.stringify(value)})`)
  return format
}

function text(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString()
  return JSON.stringify(value)
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '(no rows)\n'
  const columns = Object.keys(rows[0]!)
  const cells = rows.map((row) => columns.map((column) => text(row[column])))
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)))
  const numeric = columns.map((column) => rows.every((row) => row[column] === null || /^-?\d+(\.\d+)?$/.test(text(row[column]))))
  const line = (values: string[]) =>
    values
      .map((value, i) => (numeric[i] === true ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return `${[line(columns), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n')}\n`
}

export function csv(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return ''
  const columns = Object.keys(rows[0]!)
  const quote = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)
  return `${[columns.map(quote).join(','), ...rows.map((row) => columns.map((column) => quote(text(row[column]))).join(','))].join('\n')}\n`
}

export function render(rows: ReadonlyArray<Record<string, unknown>>, format: Format): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`
  if (format === 'csv') return csv(rows)
  return table(rows)
}

/** A chart's name for people: `hashtags · US · 7 days`; the empty country is every country, period 0 none. */
export function chartTitle(chart: { kind: string; country: string; period: number }): string {
  return `${chart.kind}s · ${chart.country === '' ? 'all countries' : chart.country} · ${chart.period === 0 ? 'no period' : `${chart.period} days`}`
}
