/**
 * Text and number rules, one small function each, so each has its own tests.
 *
 * normalizeName: NFKC → case fold → drop zero-width and control characters (but keep the joiner
 * inside emoji sequences) and bidi controls → collapse whitespace → trim → for hashtags, no
 * leading '#'. Scripts, RTL letters and emoji are kept as they are.
 */

import { RecordError } from '@trends/core'

// Zero-width space, non-joiner, word joiner, BOM; bidi marks and embeddings/isolates; C0/C1 controls.
const INVISIBLE = /[\u200B\u200C\u2060\uFEFF\u200E\u200F\u202A-\u202E\u2066-\u2069\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu
// A zero-width joiner is part of an emoji sequence (👩‍💻) when emoji stand on both sides.
const STRAY_JOINER = /(?<!\p{Extended_Pictographic}\uFE0F?)\u200D|\u200D(?!\p{Extended_Pictographic})/gu

/** Unicode case folding, close to full folding: lower case plus the two common special cases. */
export function caseFold(text: string): string {
  return text.toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ')
}

export function removeInvisible(text: string): string {
  return text.replace(INVISIBLE, '').replace(STRAY_JOINER, '')
}

export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u0085]+/gu, ' ').trim()
}

export function normalizeName(text: string, kind: string): string {
  let name = collapseWhitespace(removeInvisible(caseFold(text.normalize('NFKC')).normalize('NFKC')))
  if (kind === 'hashtag') name = name.replace(/^#+\s*/u, '')
  return name
}

/** What TikTok shows, only trimmed (the raw JSON keeps the exact text). */
export function displayName(text: string, kind: string): string {
  const trimmed = collapseWhitespace(text)
  return kind === 'hashtag' ? trimmed.replace(/^[#＃]+/u, '') : trimmed
}

/**
 * Thrown for a number the item does send but no field can hold (1e400 reads as Infinity; a count
 * beyond 2^53 is no longer exact; a rank beyond a 32-bit int): the item goes to the dead letters
 * rather than pass on Infinity, NaN or a guess.
 */
export class NumberRangeError extends RecordError {
  override name = 'NumberRangeError'
  constructor(what: string) {
    super('NUMBER_OUT_OF_RANGE', `a number does not fit ${what}`)
  }
}

/** A count as a number: numbers stay, numeric strings ("52400", "1.2e3") become numbers, else null. Throws NumberRangeError. */
export function toCount(value: unknown): number | null {
  let number: number
  if (typeof value === 'number') number = value
  else if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(value)) number = Number(value)
  else return null
  if (Number.isNaN(number)) return null
  const rounded = Math.round(number)
  if (!Number.isSafeInteger(rounded)) throw new NumberRangeError('a 64-bit count exactly')
  return rounded
}

const INT_MAX = 2_147_483_647

/** A small integer (rank, rank diff, type) from a number or numeric string; null otherwise. Throws NumberRangeError. */
export function toInt(value: unknown): number | null {
  const count = toCount(value)
  if (count !== null && Math.abs(count) > INT_MAX) throw new NumberRangeError('a 32-bit integer')
  return count
}

/** An id as a string: strings stay, numbers (already exact strings for 64-bit ones) become text. */
export function toId(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value.trim()
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return null
}

/** Unix seconds or milliseconds (number or numeric string) → epoch milliseconds. */
export function toEpochMs(value: unknown): number | null {
  const number = toCount(value)
  if (number === null || number <= 0) return null
  return number < 100_000_000_000 ? number * 1000 : number
}

/** Popularity on one scale, 0–100: legacy `trend[].value` is 0–1, the new popularityCurve is 0–100. */
export function toPopularity(value: unknown, scale: 'unit' | 'percent'): number | null {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN
  if (Number.isNaN(number)) return null
  const scaled = Math.round((scale === 'unit' ? number * 100 : number) * 1000) / 1000
  if (!Number.isFinite(scaled)) throw new NumberRangeError('a popularity value')
  return scaled
}

/** Days since 1970-01-01 (Avro `date`) of an epoch-millisecond instant, in UTC. */
export function epochDay(ms: number): number {
  return Math.floor(ms / 86_400_000)
}

/**
 * The instant in a legacy request_id (yyyyMMddHHmmss + 20 hex), read as UTC; null when the stamp
 * is not a clock time (month 13, February 30, hour 24, minute 60 …), which Date.UTC would
 * otherwise roll into the next day or year.
 */
export function requestIdTime(requestId: string | null | undefined): number | null {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})[0-9A-F]{20}$/.exec(requestId ?? '')
  if (match === null) return null
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number]
  const ms = Date.UTC(y, mo - 1, d, h, mi, s)
  const back = new Date(ms)
  const same =
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s
  return same ? ms : null
}
