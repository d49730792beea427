import { createHash, randomUUID } from 'node:crypto'

const SALT = 'A7B&9z#1G6$2K@8M!3-'

/**
 * The legacy web app's `user-sign`: md5 over salt + input + '-' + timestamp, folded to 16 hex digits
 * by XOR-ing digit i with digit i+16. The input is the `web-id` when one is sent, otherwise the
 * `anonymous-user-id` (both variants were seen in working clients).
 */
export function userSign(input: string, timestamp: string): string {
  const hex = createHash('md5').update(`${SALT}${input}-${timestamp}`).digest('hex')
  let folded = ''
  for (let i = 0; i < 16; i++) folded += (parseInt(hex[i] ?? '0', 16) ^ parseInt(hex[i + 16] ?? '0', 16)).toString(16)
  return folded
}

export interface LegacyIdentity {
  anonymousUserId: string
  webId?: string
}

export function newIdentity(webId?: string): LegacyIdentity {
  return webId === undefined ? { anonymousUserId: randomUUID() } : { anonymousUserId: randomUUID(), webId }
}

/** Fresh signing headers for one legacy request; the timestamp is unix seconds. */
export function legacySigningHeaders(identity: LegacyIdentity, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000))
  const headers: Record<string, string> = {
    'anonymous-user-id': identity.anonymousUserId,
    timestamp,
    'user-sign': userSign(identity.webId ?? identity.anonymousUserId, timestamp),
  }
  if (identity.webId !== undefined) headers['web-id'] = identity.webId
  return headers
}
