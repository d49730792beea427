/** UTC day arithmetic for the simulator clock. A "day" is the number of whole UTC days since the epoch. */

export const DAY_SECONDS = 86_400
const DAY_MS = DAY_SECONDS * 1000

/** The upstream data date for a clock reading: the UTC day it falls in. */
export function dataDay(nowMs: number): number {
  return Math.floor(nowMs / DAY_MS)
}

/** Unix seconds of 00:00 UTC on `day`. */
export function dayStart(day: number): number {
  return day * DAY_SECONDS
}

/** The Monday (00:00 UTC) on or before `day`. */
export function weekStart(day: number): number {
  // 1970-01-01 was a Thursday: day 0 -> weekday 4 (Monday = 1 ... Sunday = 7).
  const weekday = ((day + 3) % 7) + 1
  return day - (weekday - 1)
}

/** The first day of the UTC month that `day` falls in. */
export function monthStart(day: number): number {
  const date = new Date(dayStart(day) * 1000)
  return dataDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1))
}

/** `yyyyMMddHHmmss` in UTC. */
export function utcStamp(nowMs: number): string {
  const date = new Date(nowMs)
  const pad = (value: number): string => String(value).padStart(2, '0')
  return (
    String(date.getUTCFullYear()).padStart(4, '0') +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds())
  )
}
