import type { ClickHouseClient } from '@trends/clickhouse'
import { ErrorCodes } from '@trends/core'
import type { Row } from './routes.ts'

/** ClickHouse's error name and number, or the transport's error code. */
export interface InsertFailure {
  code: string
  type: string
  message: string
}

export function describeFailure(error: unknown): InsertFailure {
  const fields = error as { code?: unknown; type?: unknown; message?: unknown }
  return {
    code: typeof fields.code === 'string' || typeof fields.code === 'number' ? String(fields.code) : '',
    type: typeof fields.type === 'string' ? fields.type : '',
    message: error instanceof Error ? error.message : String(error),
  }
}

// ClickHouse errors about the data itself: the same rows fail the same way every time. Anything
// else (connection refused, credentials, a missing table, memory, too many parts) is about the
// server, and the batch is retried whole until the server takes it.
const CONTENT_ERROR =
  /^(CANNOT_PARSE|CANNOT_READ|CANNOT_CONVERT_TYPE|CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN|TYPE_MISMATCH|INCORRECT_DATA|VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE|ATTEMPT_TO_READ_AFTER_EOF|TOO_LARGE_STRING_SIZE|UNKNOWN_ELEMENT_OF_ENUM|ARGUMENT_OUT_OF_BOUND|DECIMAL_OVERFLOW|ILLEGAL_TYPE_OF_ARGUMENT)/

export function isContentError(failure: InsertFailure): boolean {
  return CONTENT_ERROR.test(failure.type)
}

// Failures of reaching the server or being let in: worth waiting for.
const SERVER_ERROR =
  /^(AUTHENTICATION_FAILED|UNKNOWN_USER|REQUIRED_PASSWORD|TOO_MANY_SIMULTANEOUS_QUERIES|TIMEOUT_EXCEEDED|NETWORK_ERROR|SOCKET_TIMEOUT|MEMORY_LIMIT_EXCEEDED|TOO_MANY_PARTS|ABORTED)$/
const TRANSPORT_ERROR = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|EAI_AGAIN|ENOTFOUND|UND_ERR_\w+)$/

/** Whether the failure is about reaching or entering ClickHouse (not about a statement or its data). */
export function isServerError(failure: InsertFailure): boolean {
  return SERVER_ERROR.test(failure.type) || TRANSPORT_ERROR.test(failure.code) || /socket hang up|timeout/i.test(failure.message)
}

/** A metric label for a value outside its closed list. */
export const OTHER_LABEL = 'other'

/**
 * ClickHouse error names a metric label may carry: the ones the sink decides on above and the
 * usual suspects of a misconfigured table. The name is server text, so anything else is `other`
 * (the dead letter and the warning keep the real name).
 */
const KNOWN_TYPES: ReadonlySet<string> = new Set([
  'AUTHENTICATION_FAILED',
  'UNKNOWN_USER',
  'REQUIRED_PASSWORD',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'TIMEOUT_EXCEEDED',
  'NETWORK_ERROR',
  'SOCKET_TIMEOUT',
  'MEMORY_LIMIT_EXCEEDED',
  'TOO_MANY_PARTS',
  'ABORTED',
  'CANNOT_PARSE_TEXT',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  'CANNOT_PARSE_QUOTED_STRING',
  'CANNOT_PARSE_ESCAPE_SEQUENCE',
  'CANNOT_PARSE_DATE',
  'CANNOT_PARSE_DATETIME',
  'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_UUID',
  'CANNOT_PARSE_BOOL',
  'CANNOT_READ_ARRAY_FROM_TEXT',
  'CANNOT_READ_ALL_DATA',
  'CANNOT_CONVERT_TYPE',
  'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
  'TYPE_MISMATCH',
  'INCORRECT_DATA',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'ATTEMPT_TO_READ_AFTER_EOF',
  'TOO_LARGE_STRING_SIZE',
  'UNKNOWN_ELEMENT_OF_ENUM',
  'ARGUMENT_OUT_OF_BOUND',
  'DECIMAL_OVERFLOW',
  'ILLEGAL_TYPE_OF_ARGUMENT',
  'UNKNOWN_TABLE',
  'UNKNOWN_DATABASE',
  'NO_SUCH_COLUMN_IN_TABLE',
  'THERE_IS_NO_COLUMN',
  'UNKNOWN_IDENTIFIER',
  'ACCESS_DENIED',
  'READONLY',
  'TABLE_IS_READ_ONLY',
  'NOT_ENOUGH_SPACE',
  'QUERY_WAS_CANCELLED',
  'SYNTAX_ERROR',
])

const OWN_CODES: ReadonlySet<string> = new Set(ErrorCodes)

/**
 * `trends_sink_clickhouse_errors_total`'s labels: a known ClickHouse name with its number, a
 * transport's code (Node's `E…` and undici's `UND_ERR_…`, a library's closed set) or one of ours;
 * anything the server alone decides is `other`.
 */
export function failureLabels(failure: InsertFailure): { code: string; type: string } {
  if (failure.type !== '') {
    return KNOWN_TYPES.has(failure.type) && /^\d{1,4}$/.test(failure.code)
      ? { code: failure.code, type: failure.type }
      : { code: OTHER_LABEL, type: OTHER_LABEL }
  }
  const ownOrTransport = failure.code === '' || OWN_CODES.has(failure.code) || TRANSPORT_ERROR.test(failure.code)
  return { code: ownOrTransport && failure.code.length <= 40 ? failure.code : OTHER_LABEL, type: '' }
}

/** A dead letter's error class as a label: `CLICKHOUSE_<name>` carries server text, bounded like the name above. */
export function errorClassLabel(errorClass: string): string {
  if (!errorClass.startsWith('CLICKHOUSE_')) return errorClass
  const type = errorClass.slice('CLICKHOUSE_'.length)
  return type === 'INSERT_REFUSED' || KNOWN_TYPES.has(type) ? errorClass : `CLICKHOUSE_${OTHER_LABEL}`
}

/** A row ClickHouse refused for its content, with ClickHouse's reason. */
export interface Rejected<T> {
  item: T
  failure: InsertFailure
}

export interface InsertOptions {
  table: string
  token: string
}

/**
 * Settings of every sink insert. The token makes an insert of a range already inserted a no-op,
 * in the table and in its materialized views; unknown fields (added by a newer writer schema before
 * a migration adds their column) are skipped.
 */
export function insertSettings(token: string) {
  return {
    insert_deduplicate: 1,
    insert_deduplication_token: token,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    input_format_skip_unknown_fields: 1,
    date_time_input_format: 'basic',
    async_insert: 0,
  } as const
}

/**
 * Inserts rows in one insert. When ClickHouse refuses the content, the rows are split in halves,
 * each inserted with its own token (`<token>/0`, `<token>/1`, …, so a repeat splits the same way and
 * is deduplicated the same way), down to the single rows it refuses, which are returned. A failure
 * that is not about the content is thrown, for the caller to retry the whole batch.
 */
export async function insertSplitting<T extends { row?: Row }>(
  client: ClickHouseClient,
  options: InsertOptions,
  items: readonly T[],
  onSplit: () => void = () => undefined,
): Promise<Array<Rejected<T>>> {
  const withRows = items.filter((item) => item.row !== undefined)
  if (withRows.length === 0) return []
  try {
    await client.insert({
      table: options.table,
      values: withRows.map((item) => item.row!),
      format: 'JSONEachRow',
      clickhouse_settings: insertSettings(options.token),
    })
    return []
  } catch (error) {
    const failure = describeFailure(error)
    if (!isContentError(failure)) throw error
    if (withRows.length === 1) return [{ item: withRows[0]!, failure }]
    onSplit()
    const middle = Math.ceil(withRows.length / 2)
    const left = await insertSplitting(client, { ...options, token: `${options.token}/0` }, withRows.slice(0, middle), onSplit)
    const right = await insertSplitting(client, { ...options, token: `${options.token}/1` }, withRows.slice(middle), onSplit)
    return [...left, ...right]
  }
}
