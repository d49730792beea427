/** A plain node:http GET that reports what arrived before the connection ended, for truncated/reset faults. */
import { get } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'

export interface RawReply {
  status: number | undefined
  headers: IncomingHttpHeaders
  received: Buffer
  /** Set when the connection broke (before or during the body). */
  error: Error | undefined
}

export function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<RawReply> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const request = get(`${url}${path}`, { headers, agent: false }, (response) => {
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.once('end', () =>
        resolve({ status: response.statusCode, headers: response.headers, received: Buffer.concat(chunks), error: undefined }),
      )
      response.once('error', (error) =>
        resolve({ status: response.statusCode, headers: response.headers, received: Buffer.concat(chunks), error }),
      )
    })
    request.once('error', (error) => resolve({ status: undefined, headers: {}, received: Buffer.concat(chunks), error }))
  })
}
