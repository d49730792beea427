import type { ErrorCode } from '@trends/core'
import type { EndpointDef } from './endpoints.ts'
import { arrayElementSpans, MAX_JSON_DEPTH, parseJson, pathGet, scanJson, type Json, type JsonProblem, type Span } from './json.ts'

/** One list element exactly as the server sent it, parsed, with its place and id. */
export interface RawItem {
  /** The element's JSON text, byte for byte from the response. */
  raw: string
  value: Json
  /** 0-based index within the page. */
  position: number
  /** The item id as a string; undefined when the element has none (it cannot be keyed). */
  id: string | undefined
  /**
   * Set when this element alone cannot be taken as it is (nested too deep, a key twice); the rest
   * of the page is fine. `value` is then null and the element goes to the dead letters whole.
   */
  refused?: { code: ErrorCode; message: string }
}

export interface Pagination {
  page: number | undefined
  size: number | undefined
  total: number | undefined
  hasMore: boolean | undefined
}

export type Classified =
  | { kind: 'ok'; items: RawItem[]; pagination: Pagination; requestId: string | undefined }
  | { kind: 'error'; code: ErrorCode; retryable: boolean; message: string; requestId?: string | undefined }

function toNumber(value: Json | undefined): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  return undefined
}

/** A scalar as text for a message, cut short; objects and arrays read as their JSON (their depth is bounded by now). */
function asText(value: Json | undefined): string {
  if (value === undefined || value === null) return ''
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

function toBoolean(value: Json | undefined): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === 1) return true
  if (value === 'false' || value === 0) return false
  return undefined
}

function idOf(value: Json, path: readonly string[]): string | undefined {
  const id = pathGet(value, path)
  if (typeof id === 'string' && id !== '') return id
  if (typeof id === 'number' && Number.isFinite(id)) return String(id)
  return undefined
}

const CAPTCHA = /captcha|verification_required|verify to continue/i

/**
 * What an upstream request id looks like (letters, digits, `_.-`, at most 128): it goes into every
 * raw record and fetch-log entry of the page, so anything else (a 3 MB string would push each one
 * past its topic's max.message.bytes) is not kept.
 */
const REQUEST_ID = /^[\w.-]{1,128}$/

const requestIdOf = (value: Json | undefined): string | undefined =>
  typeof value === 'string' && REQUEST_ID.test(value) ? value : undefined

type Failure = Extract<Classified, { kind: 'error' }>

const error = (code: ErrorCode, message: string, retryable = false, requestId?: string): Failure => ({
  kind: 'error',
  code,
  retryable,
  message,
  ...(requestId === undefined ? {} : { requestId }),
})

export type Envelope = { kind: 'ok'; body: { [key: string]: Json }; requestId: string | undefined } | Failure

/** Whether a response is read as JSON at all (else its status or HTML decides); its text must then be valid UTF-8. */
export function readsAsJson(status: number, contentType: string, text: string): boolean {
  return status >= 200 && status < 400 && !contentType.includes('html') && !text.trimStart().startsWith('<')
}

const PROBLEMS: Readonly<Record<JsonProblem['kind'], { code: ErrorCode; what: string }>> = {
  'too-deep': { code: 'CC_JSON_TOO_DEEP', what: `nests deeper than ${MAX_JSON_DEPTH} levels` },
  'duplicate-key': { code: 'CC_DUPLICATE_KEY', what: 'has a key twice in one object (ambiguous: which one holds?)' },
  'number-out-of-range': { code: 'CC_INVALID_JSON', what: 'has a number beyond the range of a double' },
}

/** A body as read: parsed, with the list's element spans when they were needed, and the elements refused alone. */
interface Read {
  body: Json
  spans: Span[] | undefined
  refused: ReadonlyMap<number, JsonProblem>
}

/** The text with the elements at `positions` replaced by `filler`, so the rest can be checked or parsed without them. */
function without(text: string, spans: readonly Span[], positions: Iterable<number>, filler: string): string {
  let out = ''
  let at = 0
  for (const position of positions) {
    const span = spans[position]
    if (span === undefined) continue
    out += text.slice(at, span.start) + filler
    at = span.end
  }
  return out + text.slice(at)
}

/**
 * Scans the body before parsing it (one linear pass; see scanJson). Only when that finds a
 * problem is it placed: inside one element of the list, only that element is refused and the rest
 * is parsed without it; in the envelope (msg, BaseResp, pagination, the body as a whole), the page
 * fails. Throws SyntaxError for text that is not JSON.
 */
function readBody(endpoint: EndpointDef, text: string): Read | Failure {
  if (scanJson(text) === undefined) return { body: parseJson(text), spans: undefined, refused: new Map() }
  let spans: Span[] | undefined
  for (const path of listPaths(endpoint)) {
    try {
      spans = arrayElementSpans(text, path)
    } catch {
      spans = undefined
    }
    if (spans !== undefined) break
  }
  const all = spans === undefined ? [] : spans.map((_, position) => position)
  const envelope = spans === undefined ? text : without(text, spans, all, '0')
  const problem = scanJson(envelope)
  if (problem !== undefined) {
    const { code, what } = PROBLEMS[problem.kind]
    return error(code, `the body ${what} (outside the list's items)`)
  }
  const refused = new Map<number, JsonProblem>()
  for (const position of all) {
    const span = spans?.[position]
    const found = span === undefined ? undefined : scanJson(text, {}, span.start, span.end)
    if (found !== undefined) refused.set(position, found)
  }
  // Nothing refused alone: only envelope and item depth together passed the limit, which is fine.
  const body = parseJson(spans === undefined || refused.size === 0 ? text : without(text, spans, refused.keys(), 'null'))
  return { body, spans, refused }
}

function isFailure(value: Read | Failure): value is Failure {
  return 'kind' in value
}

function envelopeOf(read: Read, endpoint: EndpointDef): Envelope {
  const { body } = read
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return error('CC_SCHEMA_DRIFT', 'the body is not a JSON object')

  if ('BaseResp' in body) {
    const statusCode = toNumber(pathGet(body, ['BaseResp', 'StatusCode']))
    const statusMessage = asText(pathGet(body, ['BaseResp', 'StatusMessage']))
    if (statusCode === 0) return { kind: 'ok', body, requestId: undefined }
    if (statusCode === 38001001 || statusMessage === 'InvalidLogin') {
      return error('CC_LOGIN_REQUIRED', `StatusCode ${statusCode} ${statusMessage}: this endpoint needs a logged-in session`)
    }
    return error('CC_API_ERROR', `StatusCode ${String(statusCode)} ${statusMessage}`)
  }
  if ('code' in body) {
    const code = toNumber(body['code'])
    const msg = asText(body['msg'])
    const requestId = requestIdOf(body['request_id'])
    if (code === 40101) return error('CC_NO_PERMISSION', `code 40101 ${msg}: the request signature was refused`, false, requestId)
    if (code !== 0) return error('CC_API_ERROR', `code ${String(code)} ${msg}`, false, requestId)
    if (msg.toLowerCase() === 'deprecated') return error('CC_DEPRECATED', `${endpoint.path} answers "deprecated"`, false, requestId)
    return { kind: 'ok', body, requestId }
  }
  return error('CC_SCHEMA_DRIFT', 'neither envelope: no `code` and no `BaseResp` in the body')
}

/** Where an endpoint's list may be, in order: listPath, then its alternatives. */
function listPaths(endpoint: EndpointDef): readonly (readonly string[])[] {
  return [endpoint.listPath, ...(endpoint.altListPaths ?? [])]
}

/**
 * What the transport alone says, before any JSON is read: 429 and 5xx (retryable), a captcha or
 * other HTML page instead of JSON, a status under 200 or from 400. Undefined when the body is to be
 * read as JSON. Every request of the client goes through this, whatever its endpoint.
 */
export function classifyTransport(status: number, contentType: string, text: string): Failure | undefined {
  if (status === 429) return error('CC_RATE_LIMITED', 'HTTP 429 Too Many Requests', true)
  if (status >= 500) return error('CC_SERVER_ERROR', `HTTP ${status}`, true)
  if (contentType.includes('html') || text.trimStart().startsWith('<')) {
    if (CAPTCHA.test(text)) return error('CC_CAPTCHA', `a captcha page instead of JSON (HTTP ${status})`)
    return error(status >= 400 ? 'CC_HTTP_ERROR' : 'CC_INVALID_JSON', `an HTML page instead of JSON (HTTP ${status})`)
  }
  if (status >= 400 || status < 200) return error('CC_HTTP_ERROR', `HTTP ${status}`)
  return undefined
}

/** Transport status and HTML first, then the body read as JSON; the read is kept for the list. */
function classifyRead(endpoint: EndpointDef, status: number, contentType: string, text: string): { envelope: Envelope; read?: Read } {
  const refused = classifyTransport(status, contentType, text)
  if (refused !== undefined) return { envelope: refused }

  let read: Read | Failure
  try {
    read = readBody(endpoint, text)
  } catch (cause) {
    return { envelope: error('CC_INVALID_JSON', `the body is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`) }
  }
  if (isFailure(read)) return { envelope: read }
  return { envelope: envelopeOf(read, endpoint), read }
}

/** One leading BOM is skipped (the HTTP layer already does; this is for text from elsewhere). */
const withoutBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)

/** A failure no check foresaw still names the page's failure, so the caller moves on; the class says what broke. */
function unexpected(cause: unknown): Failure {
  const name = cause instanceof Error ? cause.name : typeof cause
  return error('CC_UNEXPECTED', `the response could not be classified (${name})`)
}

/**
 * The first half of reading a response: transport status, HTML instead of JSON, broken JSON, JSON
 * nested too deep or with a key twice, and the two envelopes (`{code,msg,request_id,data}` and
 * `{BaseResp:{StatusCode,StatusMessage}}`) with their error codes. 429 and 5xx are retryable;
 * every answer that says something is wrong is not. Never throws.
 */
export function classifyEnvelope(endpoint: EndpointDef, status: number, contentType: string, text: string): Envelope {
  try {
    return classifyRead(endpoint, status, contentType, withoutBom(text)).envelope
  } catch (cause) {
    return unexpected(cause)
  }
}

function classifyList(endpoint: EndpointDef, status: number, contentType: string, text: string, page: number): Classified {
  const { envelope, read } = classifyRead(endpoint, status, contentType, text)
  if (envelope.kind === 'error') return envelope
  const { body, requestId } = envelope
  const at = listPaths(endpoint).findIndex((path) => Array.isArray(pathGet(body, path)))
  const listPath = listPaths(endpoint)[Math.max(0, at)]!
  const list = pathGet(body, listPath)
  if (!Array.isArray(list)) return error('CC_MISSING_LIST', `no list at ${endpoint.listPath.join('.')}`, false, requestId)
  if (list.length === 0 && page === 1) {
    return error('CC_EMPTY_CHART', `an empty list at ${listPath.join('.')} on page 1`, false, requestId)
  }
  const spans = read?.spans ?? arrayElementSpans(text, listPath)
  if (spans?.length !== list.length) return error('CC_INVALID_JSON', 'the list could not be located in the body text', false, requestId)
  const refused = read?.refused ?? new Map<number, JsonProblem>()
  const items = list.map((value, position): RawItem => {
    const span = spans[position]
    const raw = span === undefined ? '' : text.slice(span.start, span.end)
    const problem = refused.get(position)
    if (problem === undefined) return { raw, value, position, id: idOf(value, endpoint.idPath) }
    const { code, what } = PROBLEMS[problem.kind]
    return { raw, value: null, position, id: undefined, refused: { code, message: `list item ${what}` } }
  })
  const readable = items.filter((item) => item.refused === undefined)
  if (readable.length > 0 && readable.every((item) => item.id === undefined)) {
    return error('CC_SCHEMA_DRIFT', `no item has ${endpoint.idPath.join('.')}: the field was renamed or removed upstream`, false, requestId)
  }
  // The pagination beside the list: the one of the same place when the list was found elsewhere.
  const paginationPath = at <= 0 ? endpoint.paginationPath : (endpoint.altPaginationPaths?.[at - 1] ?? endpoint.paginationPath)
  const pagination = pathGet(body, paginationPath) ?? pathGet(body, endpoint.paginationPath)
  const keys = endpoint.pagination
  return {
    kind: 'ok',
    items,
    requestId,
    pagination: {
      page: toNumber(pathGet(pagination, [keys.page])),
      size: toNumber(pathGet(pagination, [keys.size])),
      total: toNumber(pathGet(pagination, [keys.total])),
      hasMore: toBoolean(pathGet(pagination, [keys.hasMore])),
    },
  }
}

/**
 * Decides what one HTTP response means for a list endpoint: the envelope checks above, then the
 * list where the endpoint says it lives, its items (each with its exact source text and id, or
 * refused alone) and the pagination object. An empty first page is an error, never an empty
 * chart. Never throws: whatever the body holds ends as items or as one named failure.
 */
export function classifyResponse(endpoint: EndpointDef, status: number, contentType: string, text: string, page: number): Classified {
  try {
    return classifyList(endpoint, status, contentType, withoutBom(text), page)
  } catch (cause) {
    return unexpected(cause)
  }
}

/** A short, single-line look at a body for error messages (never logged: it may carry data). */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}
