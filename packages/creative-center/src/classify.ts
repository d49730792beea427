import type { ErrorCode } from '@trends/core'
import type { EndpointDef } from './endpoints.ts'
import { arrayElementSpans, parseJson, pathGet, type Json } from './json.ts'

/** One list element exactly as the server sent it, parsed, with its place and id. */
export interface RawItem {
  /** The element's JSON text, byte for byte from the response. */
  raw: string
  value: Json
  /** 0-based index within the page. */
  position: number
  /** The item id as a string; undefined when the element has none (it cannot be keyed). */
  id: string | undefined
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

/** A scalar as text for a message; objects and arrays read as their JSON. */
function asText(value: Json | undefined): string {
  if (value === undefined || value === null) return ''
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
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

type Failure = Extract<Classified, { kind: 'error' }>

const error = (code: ErrorCode, message: string, retryable = false, requestId?: string): Failure => ({
  kind: 'error',
  code,
  retryable,
  message,
  ...(requestId === undefined ? {} : { requestId }),
})

export type Envelope = { kind: 'ok'; body: { [key: string]: Json }; requestId: string | undefined } | Failure

/**
 * The first half of reading a response: transport status, HTML instead of JSON, broken JSON, and
 * the two envelopes (`{code,msg,request_id,data}` and `{BaseResp:{StatusCode,StatusMessage}}`) with
 * their error codes. 429 and 5xx are retryable; every answer that says something is wrong is not.
 */
export function classifyEnvelope(endpoint: EndpointDef, status: number, contentType: string, text: string): Envelope {
  if (status === 429) return error('CC_RATE_LIMITED', 'HTTP 429 Too Many Requests', true)
  if (status >= 500) return error('CC_SERVER_ERROR', `HTTP ${status}`, true)
  const trimmed = text.trimStart()
  if (contentType.includes('html') || trimmed.startsWith('<')) {
    if (CAPTCHA.test(text)) return error('CC_CAPTCHA', `a captcha page instead of JSON (HTTP ${status})`)
    return error(status >= 400 ? 'CC_HTTP_ERROR' : 'CC_INVALID_JSON', `an HTML page instead of JSON (HTTP ${status})`)
  }
  if (status >= 400 || status < 200) return error('CC_HTTP_ERROR', `HTTP ${status}`)

  let body: Json
  try {
    body = parseJson(text)
  } catch (cause) {
    return error('CC_INVALID_JSON', `the body is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
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
    const requestId = typeof body['request_id'] === 'string' ? body['request_id'] : undefined
    if (code === 40101) return error('CC_NO_PERMISSION', `code 40101 ${msg}: the request signature was refused`, false, requestId)
    if (code !== 0) return error('CC_API_ERROR', `code ${String(code)} ${msg}`, false, requestId)
    if (msg.toLowerCase() === 'deprecated') return error('CC_DEPRECATED', `${endpoint.path} answers "deprecated"`, false, requestId)
    return { kind: 'ok', body, requestId }
  }
  return error('CC_SCHEMA_DRIFT', 'neither envelope: no `code` and no `BaseResp` in the body')
}

/**
 * Decides what one HTTP response means for a list endpoint: the envelope checks above, then the
 * list where the endpoint says it lives, its items (each with its exact source text and id) and
 * the pagination object. An empty first page is an error, never an empty chart.
 */
export function classifyResponse(endpoint: EndpointDef, status: number, contentType: string, text: string, page: number): Classified {
  const envelope = classifyEnvelope(endpoint, status, contentType, text)
  if (envelope.kind === 'error') return envelope
  const { body, requestId } = envelope
  const list = pathGet(body, endpoint.listPath)
  if (!Array.isArray(list)) return error('CC_MISSING_LIST', `no list at ${endpoint.listPath.join('.')}`, false, requestId)
  if (list.length === 0 && page === 1) {
    return error('CC_EMPTY_CHART', `an empty list at ${endpoint.listPath.join('.')} on page 1`, false, requestId)
  }
  const spans = arrayElementSpans(text, endpoint.listPath)
  if (spans?.length !== list.length) return error('CC_INVALID_JSON', 'the list could not be located in the body text', false, requestId)
  const items = list.map((value, position): RawItem => {
    const span = spans[position]
    return { raw: span === undefined ? '' : text.slice(span.start, span.end), value, position, id: idOf(value, endpoint.idPath) }
  })
  if (items.length > 0 && items.every((item) => item.id === undefined)) {
    return error('CC_SCHEMA_DRIFT', `no item has ${endpoint.idPath.join('.')}: the field was renamed or removed upstream`, false, requestId)
  }
  const pagination = pathGet(body, endpoint.paginationPath)
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

/** A short, single-line look at a body for error messages (never logged: it may carry data). */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}
