import { randomBytes } from 'node:crypto'
import { utcStamp } from './clock.ts'

export const REQUEST_ID_PATTERN = /^\d{14}[0-9A-F]{20}$/

/**
 * A legacy `request_id`: 14-digit `yyyyMMddHHmmss` (UTC, from the simulator clock) followed by 20
 * uppercase hex characters. The hex part is truly random: request ids are the one part of a response
 * that is not reproducible from the seed.
 */
export function requestId(nowMs: number): string {
  return utcStamp(nowMs) + randomBytes(10).toString('hex').toUpperCase()
}
