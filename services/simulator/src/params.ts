/**
 * Parameter parsing for both API generations. A malformed value throws ParamError; the endpoint turns
 * it into its generation's error envelope (legacy 40000 "invalid param", new 40000 "InvalidParam").
 * Values above a documented cap (limit) are clamped, not refused.
 */
import { INDUSTRIES } from './words.ts'

export class ParamError extends Error {}

/** A raw value: a query string value, or a JSON body member (number or string). */
export type Raw = string | number | boolean | null | undefined

function text(raw: Raw): string | undefined {
  if (raw === undefined || raw === null) return undefined
  const value = String(raw).trim()
  return value === '' ? undefined : value
}

export function intValue(name: string, raw: Raw, fallback: number, range: { min: number; max?: number }): number {
  const value = text(raw)
  if (value === undefined) return fallback
  if (!/^-?\d{1,15}$/.test(value)) throw new ParamError(`${name} is not an integer`)
  const parsed = Number(value)
  if (parsed < range.min) throw new ParamError(`${name} is below ${range.min}`)
  return range.max === undefined ? parsed : Math.min(parsed, range.max)
}

export function choice<T extends string | number>(name: string, raw: Raw, allowed: readonly T[], fallback: T): T {
  const value = text(raw)
  if (value === undefined) return fallback
  const found = allowed.find((candidate) => String(candidate) === value)
  if (found === undefined) throw new ParamError(`${name} must be one of ${allowed.join(', ')}`)
  return found
}

export function optionalChoice<T extends string | number>(name: string, raw: Raw, allowed: readonly T[]): T | undefined {
  return text(raw) === undefined ? undefined : choice(name, raw, allowed, allowed[0] as T)
}

export function flag(name: string, raw: Raw, fallback: boolean): boolean {
  if (typeof raw === 'boolean') return raw
  const value = choice(name, raw, ['true', 'false', '1', '0'], fallback ? 'true' : 'false')
  return value === 'true' || value === '1'
}

/** An ISO-3166 alpha-2 code, upper-cased; `fallback` when absent. */
export function country(name: string, raw: Raw, fallback: string): string {
  const value = text(raw)
  if (value === undefined) return fallback
  if (!/^[A-Za-z]{2}$/.test(value)) throw new ParamError(`${name} is not a country code`)
  return value.toUpperCase()
}

/** One known industry id (11 digits), or undefined. */
export function industry(name: string, raw: Raw): string | undefined {
  const value = text(raw)
  if (value === undefined) return undefined
  if (INDUSTRIES[value] === undefined) throw new ParamError(`${name} is not a known industry id`)
  return value
}

/** Comma-separated known industry ids, sorted and de-duplicated. */
export function industries(name: string, raw: Raw): string[] {
  const value = text(raw)
  if (value === undefined) return []
  const ids = value.split(',').map((id) => industry(name, id))
  return [...new Set(ids.filter((id) => id !== undefined))].sort()
}

/** Comma-separated numeric ids (e.g. contentLabelIDs), possibly empty. */
export function idList(name: string, raw: Raw): string[] {
  const value = text(raw)
  if (value === undefined) return []
  const ids = value.split(',').map((id) => id.trim())
  if (ids.some((id) => !/^\d{1,19}$/.test(id))) throw new ParamError(`${name} must be comma-separated ids`)
  return [...new Set(ids)].sort()
}
