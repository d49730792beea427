/**
 * The project's one base error. Every error a package exports extends it, carries a code from the
 * closed list below, says whether retrying can help, and keeps the error it wraps as `cause`.
 *
 * Raw payloads and server error text never go into enumerable properties: a logger that serialises
 * the error must not leak a record or a secret. Use `attachDetail` for text that helps a person
 * debug but must not reach logs.
 */
export const ErrorCodes = [
  'CONFIG_INVALID',
  'STACK_PORT_IN_USE',
  'STACK_PREREQUISITE_MISSING',
  'STACK_DATA_CORRUPT',
  'STACK_START_FAILED',
  'STACK_DOWNLOAD_FAILED',
  'KAFKA_UNAVAILABLE',
  'SCHEMA_REGISTRY_UNAVAILABLE',
  'SCHEMA_INCOMPATIBLE',
  'SCHEMA_SUBJECT_CONFIG',
  'CLICKHOUSE_UNAVAILABLE',
  // The embedded store's HTTP server: its generated password file is unsafe or unreadable ...
  'CLICKHOUSE_PASSWORD_FILE',
  // ... or it refused a request (ClickHouse's own code and name ride on the error)
  'CLICKHOUSE_REFUSED',
  'MIGRATION_FAILED',
  'MIGRATION_CHANGED',
  // A migration statement that cannot be rendered for a ClickHouse cluster (CLICKHOUSE_CLUSTER)
  'CLUSTER_UNSUPPORTED_STATEMENT',
  'REPLAY_GROUP_ACTIVE',
  'REPLAY_INVALID_START',
  // Shadow replays (trends replay --shadow/--verify/--swap/--rollback/--drop-previous): refused, nothing changed
  'REPLAY_NO_SHADOW',
  'REPLAY_RUNNING',
  'REPLAY_SCHEMA_MISMATCH',
  'REPLAY_NO_PREVIOUS',
  'REPLAY_WRONG_STATE',
  // …or gave up within its time (the live sink resumed as it was)
  'REPLAY_SHADOW_BEHIND',
  // Creative Center: transport (retried within the budget) ...
  'CC_RATE_LIMITED',
  'CC_SERVER_ERROR',
  'CC_HTTP_ERROR',
  'CC_TIMEOUT',
  'CC_CONNECTION',
  'CC_TRUNCATED',
  'CC_RESPONSE_TOO_LARGE',
  'CC_ABORTED',
  // ... and answers that say something is wrong (never retried blindly)
  'CC_NO_PERMISSION',
  'CC_DEPRECATED',
  'CC_LOGIN_REQUIRED',
  'CC_CAPTCHA',
  'CC_INVALID_JSON',
  'CC_MISSING_LIST',
  'CC_EMPTY_CHART',
  'CC_SCHEMA_DRIFT',
  'CC_API_ERROR',
  'CC_ITEM_WITHOUT_ID',
  // Poison input: a page body (a page failure) or one item in it (its dead letter) ...
  'CC_INVALID_UTF8',
  'CC_JSON_TOO_DEEP',
  'CC_DUPLICATE_KEY',
  // ... and a failure no classifier foresaw (a programmer error), still that page's failure
  'CC_UNEXPECTED',
  // A record that would not fit its topic's max.message.bytes (producer and normalizer dead letters)
  'RECORD_TOO_LARGE',
  // Normalizer dead letters for a raw record's item
  'INVALID_UTF8',
  'JSON_TOO_DEEP',
  'DUPLICATE_KEY',
  'NUMBER_OUT_OF_RANGE',
] as const

export type ErrorCode = (typeof ErrorCodes)[number]

export interface TrendsErrorOptions {
  retryable?: boolean
  cause?: unknown
}

export class TrendsError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean

  constructor(code: ErrorCode, message: string, options: TrendsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.retryable = options.retryable ?? false
  }
}

/** Thrown when configuration is missing or malformed; lists every problem at once. */
export class ConfigError extends TrendsError {
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`)
    this.problems = problems
  }
}

/** Keeps text that helps debugging on the error without making it enumerable (so loggers skip it). */
export function attachDetail<E extends Error>(error: E, detail: string): E {
  Object.defineProperty(error, 'detail', { value: detail, enumerable: false, writable: false })
  return error
}

export function isTrendsError(value: unknown): value is TrendsError {
  return value instanceof TrendsError
}
