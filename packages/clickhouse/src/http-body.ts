import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Transform } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from 'node:zlib'
import { formatSize } from '@trends/core'
import { ClickHouseRefusal } from './refusal.ts'
import type { HttpLimits } from './http-config.ts'

/**
 * A request body, read within the server's caps: a declared length over the cap is refused before
 * a byte of it is read (and before `100 Continue` invites it), a streamed one as soon as it passes
 * the cap, and a compressed one is inflated as a stream on zlib's threads (never whole on the event
 * loop), refused once it inflates past the cap or by more than the allowed ratio.
 */

/** Below this much inflated, any ratio passes: a short statement compresses far better than data does. */
const RATIO_FLOOR = 1024 ** 2

function decoderFor(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return undefined
    case 'gzip':
    case 'x-gzip':
      return createGunzip()
    case 'deflate':
      return createInflate()
    case 'br':
      return createBrotliDecompress()
    case 'zstd':
      return createZstdDecompress()
    default:
      throw new ClickHouseRefusal(
        89,
        'UNKNOWN_COMPRESSION_METHOD',
        'Unknown Content-Encoding; this server reads gzip, deflate, br and zstd',
      )
  }
}

const tooLarge = (max: number, what: string) =>
  new ClickHouseRefusal(229, 'QUERY_IS_TOO_LARGE', `The request body ${what} more than ${formatSize(max)} (CLICKHOUSE_HTTP_MAX_BODY)`)

export async function readBody(
  request: IncomingMessage,
  response: ServerResponse,
  limits: Pick<HttpLimits, 'maxBodyBytes' | 'maxInflateRatio'>,
): Promise<Buffer> {
  const max = limits.maxBodyBytes
  const declared = request.headers['content-length']
  if (declared !== undefined && Number(declared) > max) throw tooLarge(max, 'would be')
  const decoder = decoderFor(request.headers['content-encoding'])
  if (request.headers.expect?.toLowerCase() === '100-continue') response.writeContinue()

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let sent = 0
    let inflated = 0
    let settled = false
    const fail = (error: ClickHouseRefusal) => {
      if (settled) return
      settled = true
      // The rest of the body is not read: the answer goes out with Connection: close.
      request.off('data', onData)
      request.pause()
      decoder?.destroy()
      reject(error)
    }
    const done = () => {
      if (settled) return
      settled = true
      resolve(Buffer.concat(chunks, inflated))
    }
    const take = (chunk: Buffer) => {
      if (settled) return
      inflated += chunk.length
      if (inflated > max) return fail(tooLarge(max, 'inflates to'))
      if (decoder !== undefined && inflated > RATIO_FLOOR && inflated > sent * limits.maxInflateRatio)
        return fail(
          new ClickHouseRefusal(
            229,
            'QUERY_IS_TOO_LARGE',
            `The request body inflates to more than ${limits.maxInflateRatio} times its compressed size (CLICKHOUSE_HTTP_MAX_INFLATE_RATIO)`,
          ),
        )
      chunks.push(chunk)
    }
    function onData(chunk: Buffer) {
      if (settled) return
      sent += chunk.length
      if (sent > max) return fail(tooLarge(max, 'is'))
      if (decoder === undefined) return take(chunk)
      // Inflating waits for zlib: the socket is paused while the decoder is behind.
      if (!decoder.write(chunk)) {
        request.pause()
        decoder.once('drain', () => {
          if (!settled) request.resume()
        })
      }
    }
    if (decoder !== undefined) {
      decoder.on('data', take)
      decoder.once('end', done)
      decoder.once('error', () => fail(new ClickHouseRefusal(271, 'CANNOT_DECOMPRESS', 'The request body is not valid compressed data')))
    }
    request.on('data', onData)
    request.once('end', () => (decoder === undefined ? done() : decoder.end()))
    const cutOff = () => fail(new ClickHouseRefusal(210, 'NETWORK_ERROR', 'The request body was cut off'))
    request.once('error', cutOff)
    request.once('close', () => {
      if (!request.complete) cutOff()
    })
  })
}

/** After answering a request whose body was left unread: how much more of it is read and dropped, and how long the connection stays. */
const LINGER = { bytes: 1024 ** 2, idleMs: 250, maxMs: 2000 }

/**
 * Answers a request whose body is left unread, then closes the connection the way an HTTP server
 * has to (a lingering close). Closing a socket with unread bytes in it makes the kernel reset the
 * connection, and a client still sending its body meets that reset as a write error — Node's
 * client, for one, then drops the answer already on its way, and the person sees "socket hang up"
 * instead of the reason. So the answer goes out whole (its length declared, the connection marked
 * to close) and the connection stays while the client takes it: what else arrives is read and
 * dropped, up to LINGER.bytes (after that nothing more is read); it closes once the client has sent
 * nothing for LINGER.idleMs, has finished or gone, or after LINGER.maxMs whatever it does.
 */
export function answerLeavingBodyUnread(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  text: string,
): void {
  const body = Buffer.from(text)
  response.writeHead(status, { ...headers, connection: 'close', 'content-length': String(body.length) })
  response.write(body)
  let dropped = 0
  let closed = false
  let idle: NodeJS.Timeout | undefined
  const close = () => {
    if (closed) return
    closed = true
    clearTimeout(idle)
    clearTimeout(limit)
    request.off('data', drop)
    response.end()
  }
  const limit = setTimeout(close, LINGER.maxMs)
  function drop(chunk: Buffer) {
    dropped += chunk.length
    clearTimeout(idle)
    if (dropped > LINGER.bytes) request.pause()
    else idle = setTimeout(close, LINGER.idleMs)
  }
  idle = setTimeout(close, LINGER.idleMs)
  request.on('data', drop)
  request.once('end', close)
  request.once('close', close)
  request.resume()
}
