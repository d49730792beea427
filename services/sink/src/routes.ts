/**
 * Where each topic's records go in ClickHouse, and how a decoded Avro record becomes a row.
 *
 * A row keeps every field of the record, also fields a newer (compatible) writer schema added: the
 * insert skips columns the table does not have yet (`input_format_skip_unknown_fields`), and stores
 * them once a migration adds the column. Values ClickHouse would store silently wrong (a Date past
 * 2149 is clamped, not refused) are refused here, so the record goes to the dead letters instead.
 */
import { RecordError } from '@trends/core'
import type { Topics } from '@trends/kafka'

export type Row = Record<string, unknown>

/** Why a record cannot become a row; it goes to the dead letters with this class. */
export class RowError extends RecordError {
  override name = 'RowError'
}

export interface Route {
  /** Which stream of the pipeline this is, for metrics and logs. */
  name: 'observations' | 'fetch-log' | 'dead-letters' | 'signals'
  topic: string
  table: string
  toRow(record: Record<string, unknown>): Row
  /**
   * Whether a record ClickHouse refuses goes to the dead-letter topic. Not for the dead letters'
   * own route: they are already in that topic, and sending them back would loop.
   */
  deadLetterRejects: boolean
  /**
   * The batches follow another sink's ledger (a shadow replay following the live sink, so every
   * batch has the live batch's token): none is formed past that ledger's end.
   */
  follow?: boolean
}

// ClickHouse's Date ends on 2149-06-06 and DateTime64(3) on 2299-12-31; both start in 1970 / 1900.
const LAST_DATE_DAY = 65_535
const FIRST_DATETIME64_MS = Date.UTC(1900, 0, 1)
const LAST_DATETIME64_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999)

/** Avro `date` (days since 1970-01-01) → 'YYYY-MM-DD'; refused outside ClickHouse's Date range. */
export function dateText(field: string, days: unknown): string {
  if (typeof days !== 'number' || !Number.isInteger(days)) throw new RowError('SINK_INVALID_VALUE', `${field} is not a day number`)
  if (days < 0 || days > LAST_DATE_DAY)
    throw new RowError('SINK_VALUE_OUT_OF_RANGE', `${field} ${days} (days since 1970-01-01) is outside ClickHouse's Date range 1970–2149`)
  return new Date(days * 86_400_000).toISOString().slice(0, 10)
}

/** Avro `timestamp-millis` → 'YYYY-MM-DD hh:mm:ss.sss' (UTC); refused outside DateTime64's range. */
export function timeText(field: string, ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new RowError('SINK_INVALID_VALUE', `${field} is not a timestamp`)
  if (ms < FIRST_DATETIME64_MS || ms > LAST_DATETIME64_MS)
    throw new RowError('SINK_VALUE_OUT_OF_RANGE', `${field} ${ms} ms is outside ClickHouse's DateTime64 range 1900–2299`)
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`
}

// Curve points fall on the same few days across every item of a chart: their text is reused.
const curveTimes = new Map<number, string>()

function curveTime(ms: unknown): string {
  const cached = typeof ms === 'number' ? curveTimes.get(ms) : undefined
  if (cached !== undefined) return cached
  const text = timeText('curve.at', ms)
  if (curveTimes.size >= 4096) curveTimes.clear()
  curveTimes.set(ms as number, text)
  return text
}

function observationRow(record: Record<string, unknown>): Row {
  const curve = Array.isArray(record['curve']) ? (record['curve'] as Array<{ at: unknown; value: unknown }>) : []
  return {
    ...record,
    // Nullable in the topic, plain with a default in the table: the ORDER BY key has no Nullable.
    country: record['country'] ?? '',
    period: record['period'] ?? 0,
    industry: record['industry'] ?? '',
    curve: curve.map((point) => ({ at: curveTime(point.at), value: point.value })),
    // No upstream date: the day it was fetched stands in (it is the closest snapshot we know).
    data_date:
      record['data_date'] === null || record['data_date'] === undefined
        ? dateText('data_date', Math.floor(Number(record['fetched_at']) / 86_400_000))
        : dateText('data_date', record['data_date']),
    fetched_at: timeText('fetched_at', record['fetched_at']),
    observed_at: timeText('observed_at', record['observed_at']),
  }
}

function fetchLogRow(record: Record<string, unknown>): Row {
  // Nullable in the topic (set on a chart fetch's last attempt only), '' in the table.
  return { ...record, snapshot: record['snapshot'] ?? '', requested_at: timeText('requested_at', record['requested_at']) }
}

function signalRow(record: Record<string, unknown>): Row {
  return {
    ...record,
    // Nullable in the topic, plain with a default in the table, as for observations.
    country: record['country'] ?? '',
    period: record['period'] ?? 0,
    industry: record['industry'] ?? '',
    previous_date: dateText('previous_date', record['previous_date']),
    data_date: dateText('data_date', record['data_date']),
    detected_at: timeText('detected_at', record['detected_at']),
  }
}

function deadLetterRow(record: Record<string, unknown>): Row {
  const { original, ...rest } = record
  return {
    ...rest,
    original_base64: Buffer.isBuffer(original) ? original.toString('base64') : '',
    failed_at: timeText('failed_at', record['failed_at']),
  }
}

/** The streams the sink loads: cleaned observations, the fetch log, the dead letters, the signals. */
export function routesFor(topics: Topics): Route[] {
  return [
    { name: 'observations', topic: topics.cleaned, table: 'trend_observations', toRow: observationRow, deadLetterRejects: true },
    { name: 'fetch-log', topic: topics.fetchLog, table: 'fetch_log', toRow: fetchLogRow, deadLetterRejects: true },
    { name: 'dead-letters', topic: topics.deadLetters, table: 'dead_letters_intake', toRow: deadLetterRow, deadLetterRejects: false },
    { name: 'signals', topic: topics.signals, table: 'trend_signals', toRow: signalRow, deadLetterRejects: true },
  ]
}
