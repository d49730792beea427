import { stdSerializers } from 'pino'

export const CENSOR = '[redacted]'

/**
 * A key names a secret when, lower-cased and without `-`, `_`, `.` and spaces, it contains one of
 * these: `Cookie`, `set-cookie`, `KAFKA_SASL_PASSWORD`, `X-ClickHouse-Key`, `api_key`, `csrftoken`…
 */
const SECRET_KEY =
  /cookie|authorization|passw(?:or)?d|^pwd$|token|secret|xclickhousekey|sasl|apikey|csrf|sessionid|sessid|^sid(?:tt|guard|ucp)|^ssiducp|^uidtt|^ttwid$|^odintt$/

/** The same words as they appear in free text, to skip strings that cannot hold an assignment. */
const SECRET_WORD =
  /cookie|authorization|passw(?:or)?d|pwd|token|secret|x-clickhouse-key|sasl|api[_-]?key|csrf|session|sessid|sid_|uid_tt|ttwid|odin_tt|bearer|basic/i

/**
 * `scheme://userinfo@` anywhere in a string; the userinfo runs to the last `@` before the path, as
 * a URL parser reads it, so `https://u:p@ss@host` loses `u:p@ss`. Anchored at a word start so a long
 * word costs one pass, not one per character.
 */
const URL_USERINFO = /(?<![\w+.-])([a-z][\w+.-]*:(?:\\?\/){2})[^\s/?#"'<>\\]+@/gi

/** `//user:pass@host` with no scheme (a protocol-relative URL), where a separator or quote precedes it. */
const RELATIVE_USERINFO = /(^|[\s"'(=,])(\/\/)[^\s/?#"'<>@]+@/g

/**
 * `Cookie: a=b; c=d`, `"cookie":"…"` (JSON-escaped quotes too) or `cookie a=b`: a cookie header's
 * value runs to the end of the line or quote.
 */
const COOKIE_ASSIGNMENT = /(?<![\w.-])((?:set-)?cookie\\{0,3}["']?(?:\s*[=:]\s*\\{0,3}["']?|\s+(?=[\w.-]+=)))[^\r\n"'<>\\]+/gi

/**
 * `name=value`, `name: value`, `"name":"value"`, `\"name\":\"value\"` (JSON inside a string);
 * censored when the name is a secret's (checked in code).
 */
const ASSIGNMENT =
  /(?<![\w.-])([\w.-]+)(\\{0,3}["']?\s*[=:]\s*\\{0,3}["']?)(?!\[redacted\])((?:(?:basic|bearer|digest|negotiate)\s+)?[^\s&;,"'}\]<>\\]+)/gi

/**
 * A credential written without a colon: `X-ClickHouse-Key value`, or an Authorization scheme and its
 * token (`Bearer eyJ…`). A scheme word counts only before something shaped like a token (12 or more
 * token characters, a digit or symbol among them), so "basic statistics" stays as it is.
 */
const HEADER_WORDS = /(?<![\w.-])(x-clickhouse-key\s+|(?:bearer|basic|digest)\s+)(?!\[redacted\])([A-Za-z0-9._~+/=-]+)/gi

const looksLikeToken = (word: string): boolean => word.length >= 12 && /[\d._~+/=-]/.test(word)

/** Past these, the line is cut: pino prints 5 levels and 100 entries per object (its depthLimit and edgeLimit). */
const MAX_DEPTH = 10
const MAX_ENTRIES = 200

const normalizedKey = (key: string): string => key.toLowerCase().replace(/[-_.\s]/g, '')

const keyCache = new Map<string, boolean>()

/** Whether a field of this name holds a secret (cached: log lines repeat a small set of keys). */
export function isSecretKey(key: string): boolean {
  let secret = keyCache.get(key)
  if (secret === undefined) {
    secret = SECRET_KEY.test(normalizedKey(key))
    if (key.length <= 64 && keyCache.size < 10_000) keyCache.set(key, secret)
  }
  return secret
}

/** A string with URL credentials and `secret=value` assignments replaced by the censor. */
export function scrubText(text: string): string {
  let out = text
  if (out.includes('@') && (out.includes('//') || out.includes('\\/\\/'))) {
    out = out.replace(URL_USERINFO, `$1${CENSOR}@`)
    out = out.replace(RELATIVE_USERINFO, `$1$2${CENSOR}@`)
  }
  if (SECRET_WORD.test(out)) {
    out = out.replace(COOKIE_ASSIGNMENT, `$1${CENSOR}`)
    out = out.replace(ASSIGNMENT, (match: string, name: string, separator: string) =>
      isSecretKey(name) ? `${name}${separator}${CENSOR}` : match,
    )
    out = out.replace(HEADER_WORDS, (match: string, lead: string, word: string) =>
      /^x-clickhouse-key/i.test(lead) || looksLikeToken(word) ? `${lead}${CENSOR}` : match,
    )
  }
  return out
}

const isPlainData = (value: object): boolean => ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set

/**
 * A copy of `value` fit for a log line: secret-named fields censored and strings scrubbed at every
 * depth, errors (with their causes) serialized as pino does and then scrubbed, cycles cut. The
 * caller's objects are never written to. Measured per line into a null stream: a six-field line
 * 2.1 µs (pino alone 1.5 µs, pino with the former one-level path list 4.9 µs), a line with an
 * error and its stack 3.4 µs (2.3 µs alone).
 */
export function redact(value: unknown): unknown {
  return copy(value, 0, new WeakSet())
}

/** The fields of one log line (or of a child's bindings), each redacted. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return copy(fields, 0, new WeakSet()) as Record<string, unknown>
}

/** pino's error serializer, then redaction: messages and stacks carry their causes' text. */
export function serializeError(value: unknown): unknown {
  return value instanceof Error ? copy(value, 0, new WeakSet()) : value
}

function copy(value: unknown, depth: number, ancestors: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value)
  if (value === null || typeof value !== 'object') return value
  if (ancestors.has(value)) return '[circular]'
  if (depth >= MAX_DEPTH) return '[too deep]'
  if (isPlainData(value)) return value
  let source: unknown = value
  if (value instanceof Error) source = stdSerializers.err(value)
  else if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    // URL objects print their href (credentials included), Dates their ISO text.
    source = (value as { toJSON: () => unknown }).toJSON()
    if (source === null || typeof source !== 'object') return copy(source, depth, ancestors)
  }
  ancestors.add(value)
  try {
    if (Array.isArray(source)) {
      const limit = Math.min(source.length, MAX_ENTRIES)
      const out: unknown[] = new Array<unknown>(limit)
      for (let i = 0; i < limit; i++) {
        // Headers as name, value pairs (Node's rawHeaders, [['Cookie', '…']]): a secret's name censors the value after it.
        const name: unknown = i > 0 ? source[i - 1] : undefined
        const pairedSecret = typeof name === 'string' && name.length <= 64 && typeof source[i] === 'string' && isSecretKey(name)
        out[i] = pairedSecret ? CENSOR : copy(source[i], depth + 1, ancestors)
      }
      return out
    }
    const out: Record<string, unknown> = {}
    let entries = 0
    for (const key of Object.keys(source as object)) {
      if (++entries > MAX_ENTRIES) break
      let field: unknown
      try {
        field = (source as Record<string, unknown>)[key]
      } catch {
        field = '[unreadable]'
      }
      const safe = field !== undefined && field !== null && isSecretKey(key) ? CENSOR : copy(field, depth + 1, ancestors)
      // Defined, not assigned: a field named __proto__ stays a field instead of becoming the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: safe, enumerable: true, writable: true, configurable: true })
      else out[key] = safe
    }
    return out
  } finally {
    ancestors.delete(value)
  }
}
