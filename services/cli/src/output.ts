/** Output of the CLI: tables for people, JSON and CSV for programs. */
import stringWidth from 'string-width'
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

// C0 and C1 control characters and DEL (a terminal acts on ESC, CSI, BEL…), and the bidi embeddings,
// overrides and isolates that reorder the rest of a line on screen.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g
// What JSON.stringify leaves raw inside strings (it escapes C0 itself); its own layout is newlines and spaces.
const JSON_UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g
const escaped = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`

/** Text as it may reach a terminal: control characters shown as escapes (`\u001b`), never sent. */
export function visible(value: string): string {
  return value.replace(CONTROL, escaped)
}

/** Columns a text takes on a terminal: CJK and most emoji take two, combining marks none. */
export const displayWidth = (value: string): number => stringWidth(value)

const padEnd = (value: string, width: number) => value + ' '.repeat(Math.max(0, width - displayWidth(value)))
const padStart = (value: string, width: number) => ' '.repeat(Math.max(0, width - displayWidth(value))) + value

/** Columns padded to their widest cell by display width; numbers right-aligned; control characters escaped. */
export function table(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '(no rows)\n'
  const columns = Object.keys(rows[0]!).map(visible)
  const keys = Object.keys(rows[0]!)
  const cells = rows.map((row) => keys.map((column) => visible(text(row[column]))))
  const widths = columns.map((column, i) => Math.max(displayWidth(column), ...cells.map((line) => displayWidth(line[i]!))))
  const numeric = keys.map((column) => rows.every((row) => row[column] === null || /^-?\d+(\.\d+)?$/.test(text(row[column]))))
  const line = (values: string[]) =>
    values
      .map((value, i) => (numeric[i] === true ? padStart(value, widths[i]!) : padEnd(value, widths[i]!)))
      .join('  ')
      .trimEnd()
  return `${[line(columns), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n')}\n`
}

/** CSV with a header; `shown` turns each value into what is written (for a terminal: `visible`). */
export function csv(rows: ReadonlyArray<Record<string, unknown>>, shown: (value: string) => string = (value) => value): string {
  if (rows.length === 0) return ''
  const columns = Object.keys(rows[0]!)
  return `${csvLine(columns, shown)}\n${csvRows(rows, shown)}`
}

function csvLine(values: readonly string[], shown: (value: string) => string): string {
  const quote = (value: string) => {
    const out = shown(value)
    return /[",\n\r]/.test(out) ? `"${out.replace(/"/g, '""')}"` : out
  }
  return values.map(quote).join(',')
}

/** CSV rows without the header (the columns of the first row), for output that grows a row at a time. */
export function csvRows(rows: ReadonlyArray<Record<string, unknown>>, shown: (value: string) => string = (value) => value): string {
  if (rows.length === 0) return ''
  const columns = Object.keys(rows[0]!)
  return rows
    .map(
      (row) =>
        `${csvLine(
          columns.map((column) => text(row[column])),
          shown,
        )}\n`,
    )
    .join('')
}

/** One row as one line of JSON, escaped as render's JSON is (for output that grows a row at a time). */
export function jsonLine(row: Record<string, unknown>): string {
  return `${JSON.stringify(row).replace(JSON_UNSAFE, escaped)}\n`
}

/**
 * Rows in a format. JSON escapes every control character (the C1 ones and the bidi controls too,
 * which JSON.stringify leaves as they are): the same data, nothing a terminal acts on. CSV keeps
 * values exactly for the programs that read it, and escapes them like a table when `terminal` says
 * a person's terminal is the reader.
 */
export function render(rows: ReadonlyArray<Record<string, unknown>>, format: Format, terminal = false): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2).replace(JSON_UNSAFE, escaped)}\n`
  if (format === 'csv') return csv(rows, terminal ? visible : undefined)
  return table(rows)
}
