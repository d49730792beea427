import { Pool, errors } from 'undici'
import { TrendsError, type ErrorCode } from '@trends/core'
import { readsAsJson } from './classify.ts'

export interface HttpSettings {
  connections: number
  keepAliveTimeoutMs: number
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
  /**
   * The whole attempt, headers and body together: a body dripped in a byte at a time never trips
   * the body timeout (which measures idle time), but it trips this.
   */
  attemptTimeoutMs: number
  /** Bodies above this size are refused (a chart page is tens of kilobytes). */
  maxResponseBytes: number
}

export interface HttpRequest {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
  signal?: AbortSignal
}

export interface HttpResponse {
  status: number
  headers: Record<string, string | undefined>
  text: string
}

/** A transport failure with the code that says whether it is worth another attempt. */
export class TransportError extends TrendsError {}

// WHATWG decoding skips one leading BOM (RFC 8259 lets a parser ignore it; browsers' response.json()
// does), which lies before the envelope, so no item's text changes. `fatal` refuses invalid UTF-8
// instead of turning it into U+FFFD, which would then pass for what TikTok sent.
const UTF8 = new TextDecoder('utf-8', { fatal: true })
const UTF8_LOSSY = new TextDecoder('utf-8')

/**
 * The body as text. A JSON answer that is not valid UTF-8 fails the page (CC_INVALID_UTF8, not
 * retried); an error page (HTML, 429, 5xx) is still classified by its status, so it is read lossily.
 */
function decodeBody(bytes: Buffer, status: number, contentType: string): string {
  try {
    return UTF8.decode(bytes)
  } catch {
    const text = UTF8_LOSSY.decode(bytes)
    if (readsAsJson(status, contentType, text)) throw new TransportError('CC_INVALID_UTF8', 'the body is not valid UTF-8')
    return text
  }
}

function transportError(error: unknown, signal: AbortSignal | undefined): TransportError {
  if (signal?.aborted === true) return new TransportError('CC_ABORTED', 'the request was aborted (shutdown)', { cause: error })
  const code: ErrorCode =
    error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || error instanceof errors.ConnectTimeoutError
      ? 'CC_TIMEOUT'
      : error instanceof errors.ResponseContentLengthMismatchError
        ? 'CC_TRUNCATED'
        : 'CC_CONNECTION'
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return new TransportError(code, reason, { retryable: true, cause: error })
}

/**
 * HTTP over an undici Pool with keep-alive to one origin: connect, headers and body timeouts, a cap
 * on the body size, and an AbortSignal that cancels a request in flight at shutdown.
 */
export class HttpTransport {
  readonly origin: string
  readonly #pool: Pool
  readonly #settings: HttpSettings

  constructor(origin: string, settings: HttpSettings) {
    this.origin = origin
    this.#settings = settings
    this.#pool = new Pool(origin, {
      connections: settings.connections,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      connect: { timeout: settings.connectTimeoutMs },
      headersTimeout: settings.headersTimeoutMs,
      bodyTimeout: settings.bodyTimeoutMs,
    })
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const deadline = AbortSignal.timeout(this.#settings.attemptTimeoutMs)
    const signal = request.signal === undefined ? deadline : AbortSignal.any([request.signal, deadline])
    try {
      return await this.#send(request, signal)
    } catch (error) {
      if (deadline.aborted && request.signal?.aborted !== true) {
        throw new TransportError('CC_TIMEOUT', `the attempt took longer than ${this.#settings.attemptTimeoutMs} ms (headers and body)`, {
          retryable: true,
          cause: error,
        })
      }
      throw error
    }
  }

  async #send(request: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    let response
    try {
      response = await this.#pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
      })
    } catch (error) {
      throw transportError(error, signal)
    }
    const headers: Record<string, string | undefined> = {}
    for (const [name, value] of Object.entries(response.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value
    const declared = Number(headers['content-length'] ?? Number.NaN)
    if (declared > this.#settings.maxResponseBytes) {
      response.body.destroy()
      throw new TransportError(
        'CC_RESPONSE_TOO_LARGE',
        `the body declares ${declared} bytes, above the cap of ${this.#settings.maxResponseBytes}`,
      )
    }
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer
        size += buffer.length
        if (size > this.#settings.maxResponseBytes) {
          response.body.destroy()
          throw new TransportError('CC_RESPONSE_TOO_LARGE', `the body exceeds the cap of ${this.#settings.maxResponseBytes} bytes`)
        }
        chunks.push(buffer)
      }
    } catch (error) {
      if (error instanceof TransportError) throw error
      // A body cut short after its headers: a connection reset mid-body or a length mismatch.
      const wrapped = transportError(error, signal)
      throw wrapped.code === 'CC_CONNECTION'
        ? new TransportError('CC_TRUNCATED', `the body was cut short: ${wrapped.message}`, { retryable: true, cause: error })
        : wrapped
    }
    const text = decodeBody(Buffer.concat(chunks, size), response.statusCode, headers['content-type'] ?? '')
    return { status: response.statusCode, headers, text }
  }

  close(): Promise<void> {
    return this.#pool.close()
  }

  /** Aborts everything in flight; for a shutdown that cannot wait. */
  destroy(): Promise<void> {
    return this.#pool.destroy()
  }
}
