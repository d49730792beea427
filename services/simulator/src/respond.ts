/** Writing responses, normal and faulty. Every fault's observable behaviour is decided here. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import { renameKey, type ApiResult } from './api.ts'
import { invalidLoginResp } from './creative-one.ts'
import type { ActiveFault } from './faults.ts'
import { toJsonText, type JsonObject } from './json.ts'
import { deprecatedEnvelope, legacyEnvelope, noPermission } from './legacy.ts'

const JSON_TYPE = 'application/json; charset=utf-8'
const HTML_TYPE = 'text/html; charset=utf-8'

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>\n`
}

export const NOT_FOUND_PAGE = page('404 Not Found', '<h1>404 Not Found</h1><p>The page you are looking for does not exist.</p>')
const ERROR_PAGES: Readonly<Record<number, string>> = {
  429: page('429 Too Many Requests', '<h1>429 Too Many Requests</h1>'),
  500: page('500 Internal Server Error', '<h1>500 Internal Server Error</h1>'),
  503: page('503 Service Unavailable', '<h1>503 Service Temporarily Unavailable</h1>'),
}
export const CAPTCHA_PAGE = page(
  'Security Check',
  '<div id="captcha_container" class="red-captcha"></div>' +
    '<script>window.__CAPTCHA_STATE__ = "verification_required"</script>' +
    '<p>Please complete the security check to continue (verification_required).</p>',
)

export function send(res: ServerResponse, status: number, type: string, text: string, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(text, 'utf8')
  res.writeHead(status, { 'content-type': type, 'content-length': String(bytes.length), ...headers })
  res.end(bytes)
}

function logId(body: JsonObject): Record<string, string> {
  const id = body['request_id']
  return typeof id === 'string' ? { 'x-tt-logid': id } : {}
}

export function sendJson(res: ServerResponse, status: number, body: JsonObject): void {
  send(res, status, JSON_TYPE, toJsonText(body), logId(body))
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  send(res, status, HTML_TYPE, html, headers)
}

/** A proper prefix of `text` (so never valid JSON), cut between characters, not inside a surrogate pair. */
function cut(text: string, random: () => number): string {
  let at = 1 + Math.floor(random() * Math.max(1, text.length - 2))
  const code = text.charCodeAt(at - 1)
  if (code >= 0xd800 && code <= 0xdbff) at--
  return text.slice(0, Math.max(1, at))
}

/**
 * What a careless gateway puts in an error body: the session it refused, exactly as the request
 * sent it and URL-encoded, with the CSRF token. The client must keep all of it out of its output.
 */
function sessionEcho(req: IncomingMessage): { text: string; echo: JsonObject } {
  const header = (name: string) => {
    const value = req.headers[name]
    return Array.isArray(value) ? value.join('; ') : (value ?? '')
  }
  const cookie = header('cookie')
  const csrf = header('x-secsdk-csrf-token')
  return {
    text: `session rejected: cookie ${cookie} (${encodeURIComponent(cookie)})${csrf === '' ? '' : ` csrf ${csrf}`}`,
    echo: { cookie, cookie_encoded: encodeURIComponent(cookie), csrf_token: csrf },
  }
}

function echoEnvelope(req: IncomingMessage, nowMs: number): JsonObject {
  const { text, echo } = sessionEcho(req)
  if ((req.url ?? '').startsWith('/creative_radar_api/')) return legacyEnvelope(nowMs, 40100, text, { request: echo })
  return { BaseResp: { StatusCode: 40100, StatusMessage: text }, request: echo }
}

/** Answers one API request with a fault. `signal` aborts slow-headers waits when the simulator stops. */
export async function sendWithFault(
  req: IncomingMessage,
  res: ServerResponse,
  result: ApiResult,
  fault: ActiveFault,
  nowMs: number,
  signal: AbortSignal,
): Promise<void> {
  const { rule, random } = fault
  const items = result.list?.items(result.body) ?? []
  switch (rule.fault) {
    case 'rate-limit':
      return sendHtml(res, 429, ERROR_PAGES[429] ?? '', { 'retry-after': String(rule.retryAfterSeconds ?? 1) })
    case 'server-error':
      return sendHtml(res, 500, ERROR_PAGES[500] ?? '')
    case 'unavailable':
      return sendHtml(res, 503, ERROR_PAGES[503] ?? '')
    case 'captcha':
      return sendHtml(res, 200, CAPTCHA_PAGE)
    case 'no-permission':
      return sendJson(res, 200, noPermission(nowMs))
    case 'deprecated':
      return sendJson(res, 200, deprecatedEnvelope(nowMs))
    case 'invalid-login':
      return sendJson(res, 200, invalidLoginResp())
    case 'connection-reset':
      req.socket.resetAndDestroy()
      return
    case 'drip-body': {
      // Headers at once, then the normal body in 40 pieces spread over delayMs: never idle long
      // enough for a body timeout that measures idle time, yet as slow as the rule says.
      const bytes = Buffer.from(toJsonText(result.body), 'utf8')
      res.writeHead(result.status, { 'content-type': JSON_TYPE, 'content-length': String(bytes.length), ...logId(result.body) })
      const pieces = 40
      const gone = new AbortController()
      res.once('close', () => gone.abort())
      try {
        for (let i = 0; i < pieces; i++) {
          res.write(bytes.subarray(Math.floor((i * bytes.length) / pieces), Math.floor(((i + 1) * bytes.length) / pieces)))
          await delay((rule.delayMs ?? 5000) / pieces, undefined, { signal: AbortSignal.any([signal, gone.signal]) })
        }
      } catch (error) {
        if (gone.signal.aborted || signal.aborted) return
        throw error
      }
      res.end()
      return
    }
    case 'slow-headers': {
      // The wait ends early when the simulator stops or the client goes away; then nothing is written.
      const gone = new AbortController()
      res.once('close', () => gone.abort())
      try {
        await delay(rule.delayMs ?? 5000, undefined, { signal: AbortSignal.any([signal, gone.signal]) })
      } catch (error) {
        if (gone.signal.aborted || signal.aborted) return
        throw error
      }
      return sendJson(res, result.status, result.body)
    }
    case 'truncated-body': {
      const bytes = Buffer.from(toJsonText(result.body), 'utf8')
      res.writeHead(result.status, { 'content-type': JSON_TYPE, 'content-length': String(bytes.length) })
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
        req.socket.destroy()
      })
      return
    }
    case 'invalid-json':
      return send(res, 200, JSON_TYPE, cut(toJsonText(result.body), random))
    case 'renamed-field':
      for (const item of items) result.list?.rename(item)
      return sendJson(res, result.status, result.body)
    case 'missing-field': {
      const item = items[Math.floor(random() * items.length)]
      if (item !== undefined) result.list?.dropId(item)
      return sendJson(res, result.status, result.body)
    }
    case 'missing-list':
      result.list?.dropList(result.body)
      return sendJson(res, result.status, result.body)
    case 'echo-cookie':
      return sendJson(res, 200, echoEnvelope(req, nowMs))
    case 'echo-cookie-item': {
      const item = items[Math.floor(random() * items.length)]
      if (item !== undefined) {
        result.list?.dropId(item)
        item['session'] = sessionEcho(req).echo
      }
      return sendJson(res, result.status, result.body)
    }
    case 'raw-body': {
      // Bytes exactly as given, valid UTF-8 or not: the client's decoding is what is under test.
      const bytes = Buffer.from(rule.bodyBase64 ?? '', 'base64')
      res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': String(bytes.length) })
      res.end(bytes)
      return
    }
    case 'rename-item-field':
    case 'retype-item-field':
    case 'extra-item-field': {
      const field = rule.field ?? ''
      for (const item of items) {
        if (rule.fault === 'extra-item-field') item[field] = 'added by the upstream'
        else if (!(field in item)) continue
        else if (rule.fault === 'retype-item-field') item[field] = { value: item[field] ?? null }
        else renameKey(item, field, rule.to ?? field)
      }
      return sendJson(res, result.status, result.body)
    }
    case 'huge-item': {
      const item = items[Math.floor(random() * items.length)]
      if (item !== undefined) item['padding'] = 'x'.repeat(rule.bytes ?? 0)
      return sendJson(res, result.status, result.body)
    }
  }
}
