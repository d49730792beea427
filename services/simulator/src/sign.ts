import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** The salt of the legacy web app's `user-sign` (the API notes, §2.3). */
export const SIGN_SALT = 'A7B&9z#1G6$2K@8M!3-'

/** How far the `timestamp` header may be from the simulator clock, in seconds. */
export const SIGN_SKEW_SECONDS = 600

/** XORs hex digit i of a 32-character hex string with digit i+16: 16 lowercase hex characters. */
export function fold16(hex32: string): string {
  if (!/^[0-9a-f]{32}$/.test(hex32)) throw new Error('fold16 needs 32 lowercase hex characters')
  let out = ''
  for (let i = 0; i < 16; i++) out += (parseInt(hex32.charAt(i), 16) ^ parseInt(hex32.charAt(i + 16), 16)).toString(16)
  return out
}

/** `user-sign` for an input X (the `web-id` when sent, else the `anonymous-user-id`) and a timestamp string. */
export function userSign(input: string, timestamp: string): string {
  return fold16(createHash('md5').update(`${SIGN_SALT}${input}-${timestamp}`).digest('hex'))
}

/** The headers a legacy client sends for one request; `webId` switches the signing input to it. */
export function signHeaders(anonymousUserId: string, nowMs: number, webId?: string): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000))
  const headers: Record<string, string> = {
    'anonymous-user-id': anonymousUserId,
    timestamp,
    'user-sign': userSign(webId ?? anonymousUserId, timestamp),
  }
  if (webId !== undefined) headers['web-id'] = webId
  return headers
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  const text = Array.isArray(value) ? value[0] : value
  return text === undefined || text.trim() === '' ? undefined : text.trim()
}

/** Why a legacy request's signature is refused, or undefined when it is valid. */
export function signatureProblem(headers: IncomingHttpHeaders, nowMs: number): string | undefined {
  const anonymousUserId = header(headers, 'anonymous-user-id')
  const timestamp = header(headers, 'timestamp')
  const sign = header(headers, 'user-sign')
  if (anonymousUserId === undefined || timestamp === undefined || sign === undefined) return 'missing signing headers'
  if (!/^\d{1,12}$/.test(timestamp)) return 'timestamp is not unix seconds'
  if (Math.abs(Number(timestamp) - nowMs / 1000) > SIGN_SKEW_SECONDS) return 'timestamp too far from the clock'
  const input = header(headers, 'web-id') ?? anonymousUserId
  return sign === userSign(input, timestamp) ? undefined : 'user-sign does not match'
}
