import { TrendsError } from '@trends/core'

/**
 * ClickHouse's HTTP status for an error code (its exceptionCodeToHTTPStatus), where this server
 * answers it. Two differ on purpose: a failed login is 401 (not 403) so clients know to send
 * credentials, and a setting constraint is 400 (the request is wrong, not the server).
 */
const STATUS_BY_CODE: Readonly<Record<number, number>> = {
  36: 400, // BAD_ARGUMENTS
  60: 404, // UNKNOWN_TABLE
  62: 400, // SYNTAX_ERROR
  81: 404, // UNKNOWN_DATABASE
  89: 400, // UNKNOWN_COMPRESSION_METHOD
  159: 408, // TIMEOUT_EXCEEDED
  164: 403, // READONLY
  192: 403, // UNKNOWN_USER
  229: 413, // QUERY_IS_TOO_LARGE
  271: 400, // CANNOT_DECOMPRESS
  452: 400, // SETTING_CONSTRAINT_VIOLATION
  497: 403, // ACCESS_DENIED
  516: 401, // AUTHENTICATION_FAILED
}

export function httpStatusOf(code: number): number {
  return STATUS_BY_CODE[code] ?? 500
}

/**
 * Thrown (CLICKHOUSE_REFUSED) when the embedded store's HTTP server refuses a request before the
 * engine sees it: bad credentials, a foreign Host or Origin, a body or result over its cap, a setting
 * a client may not change, an unknown database. The message is ClickHouse's own form
 * (`Code: N. DB::Exception: text. (NAME)`), so every client parses it as a server's error; the text
 * is written here and never quotes the request.
 */
export class ClickHouseRefusal extends TrendsError {
  /** ClickHouse's error code and name, e.g. 452 SETTING_CONSTRAINT_VIOLATION. */
  readonly exception: { readonly code: number; readonly name: string }
  readonly status: number

  constructor(code: number, name: string, text: string) {
    super('CLICKHOUSE_REFUSED', `Code: ${code}. DB::Exception: ${text}. (${name})`)
    this.exception = { code, name }
    this.status = httpStatusOf(code)
  }
}
