/**
 * What /readyz and a consumer's health say about a failure: a short reason an operator can act on,
 * built from the error's structured fields only. An error's message is never used: it can quote a
 * URL with credentials, a record, or server text. `unreachable` tells a refused or lost connection
 * (the server is not there) from a server that answered with an error.
 */
export interface FailureReason {
  reason: string
  unreachable: boolean
}

/** Node's system errors and undici's, which mean no answer from the server. */
const NETWORK_CODE = /^(E[A-Z]{2,20}|UND_ERR_[A-Z_]{1,40})$/
/** kafkajs protocol types, ClickHouse error names, our own codes: upper snake case, bounded. */
const NAMED_CODE = /^[A-Z][A-Z0-9_]{1,63}$/
const ADDRESS = /^[A-Za-z0-9.:[\]-]{1,100}$/
const CLASS_NAME = /^[A-Za-z][A-Za-z0-9_$]{0,63}$/
const MAX_DEPTH = 8

type Fields = Record<string, unknown>

function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null ? (value as Fields) : undefined
}

/** The error, then its causes (`cause`, kafkajs's `originalError`, an AggregateError's first), outermost first. */
function chain(error: unknown): Fields[] {
  const found: Fields[] = []
  let current: unknown = error
  while (found.length < MAX_DEPTH) {
    const fields = fieldsOf(current)
    if (fields === undefined || found.includes(fields)) break
    found.push(fields)
    const errors = fields['errors']
    current = fields['cause'] ?? fields['originalError'] ?? (Array.isArray(errors) ? errors[0] : undefined)
  }
  return found
}

function address(fields: Fields): string | undefined {
  const broker = fields['broker']
  if (typeof broker === 'string' && ADDRESS.test(broker)) return broker
  const host = fields['address'] ?? fields['host']
  const port = fields['port']
  if (typeof host !== 'string' || !ADDRESS.test(host)) return undefined
  return typeof port === 'number' || (typeof port === 'string' && /^\d{1,5}$/.test(port)) ? `${host}:${port}` : host
}

function status(fields: Fields): number | undefined {
  const value = fields['status'] ?? fields['statusCode']
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined
}

function named(fields: Fields): string | undefined {
  for (const name of ['type', 'code'] as const) {
    const value = fields[name]
    if (typeof value === 'string' && NAMED_CODE.test(value) && !NETWORK_CODE.test(value)) return value
  }
  return undefined
}

/**
 * The most specific thing the error chain says, in this order: a network failure with its code and
 * address (`ECONNREFUSED 127.0.0.1:9092`), an HTTP status (`HTTP 503`), a named code (kafkajs's
 * `CONCURRENT_TRANSACTIONS`, ClickHouse's `UNKNOWN_TABLE`, a TrendsError's code), a timeout; only
 * when none is there, the class and where the project's code threw it (`TypeError at
 * services/sink/src/partitions.ts:120`).
 */
export function describeFailure(error: unknown): FailureReason {
  const links = chain(error)
  for (const fields of links) {
    const code = fields['code'] ?? fields['errno']
    if (typeof code === 'string' && NETWORK_CODE.test(code)) {
      // kafkajs puts the broker on the outer error and the code on it or on its cause.
      const where = links.map(address).find((value) => value !== undefined)
      return { reason: where === undefined ? code : `${code} ${where}`, unreachable: true }
    }
  }
  for (const fields of links) {
    const answered = status(fields)
    if (answered !== undefined) return { reason: `HTTP ${answered}`, unreachable: false }
  }
  for (const fields of links) {
    const code = named(fields)
    if (code !== undefined) return { reason: code, unreachable: false }
  }
  for (const fields of links) {
    const name = fields['name']
    if (name === 'TimeoutError' || name === 'KafkaJSRequestTimeoutError' || name === 'AbortError')
      return { reason: 'timed out', unreachable: true }
  }
  const name = links[0]?.['name']
  const where = originOf(error)
  const what = typeof name === 'string' && CLASS_NAME.test(name) ? name : 'unknown error'
  return { reason: where === undefined ? what : `${what} at ${where}`, unreachable: false }
}

/** The code that only runs checks and handlers: where it sits in a stack says nothing of the failure. */
const RUNNERS = /packages\/metrics\/src\/health\.ts|packages\/kafka\/src\/supervise\.ts/

/** A project source file and line in a stack frame: `services/sink/src/partitions.ts:120`. */
const PROJECT_FRAME = /\b((?:services|packages)\/[\w.-]+\/src\/[\w./-]{1,120}\.ts):(\d{1,6})/

/**
 * Where in the project's own code an error was thrown (from its stack: the first frame in a
 * service's or package's source), for a failure with no code to name it. A code position says where
 * to look and carries nothing of the data; frames of libraries, of Node and of the code that runs
 * checks and consumer handlers are passed over.
 */
export function originOf(error: unknown): string | undefined {
  const stack = (fieldsOf(error) ?? {})['stack']
  if (typeof stack !== 'string') return undefined
  for (const line of stack.split('\n').slice(1, 40)) {
    if (line.includes('node_modules') || RUNNERS.test(line)) continue
    const frame = PROJECT_FRAME.exec(line)
    if (frame !== null) return `${frame[1]}:${frame[2]}`
  }
  return undefined
}
