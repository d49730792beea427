import { parseDuration } from './duration.ts'
import { parseSize } from './size.ts'
import { ConfigError } from './errors.ts'

/**
 * Reads settings from an environment object and collects every problem instead of stopping at the
 * first, so a misconfigured service lists everything to fix in one go. Call `done()` once all
 * values are read: it throws a ConfigError when anything was wrong.
 */
export interface EnvReader {
  string(key: string, fallback: string): string
  optionalString(key: string): string | undefined
  int(key: string, fallback: number, range?: { min?: number; max?: number }): number
  number(key: string, fallback: number, range?: { min?: number; max?: number }): number
  port(key: string, fallback: number): number
  /**
   * A duration (`500ms`, `90s`, `15m`, `6h`, `3d`) in milliseconds, within `range` (durations too)
   * when given. `formerly`: the name the setting had when it took plain milliseconds; set, it is
   * refused naming this one (an old environment fails at start-up instead of being ignored).
   */
  duration(key: string, fallback: string, range?: { min?: string; max?: string; formerly?: string }): number
  /** A size in bytes written with its unit (`512B`, `64KiB`, `4MiB`, `1GiB`), within `range` (sizes too) when given. */
  size(key: string, fallback: string, range?: { min?: string; max?: string }): number
  /** `true` or `false`, nothing else. */
  boolean(key: string, fallback: boolean): boolean
  list(key: string, fallback: readonly string[]): string[]
  url(key: string, fallback: string): string
  optionalUrl(key: string): string | undefined
  /** Records a problem found by the caller (e.g. a combination of keys that does not fit). */
  problem(text: string): void
  done(): void
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvReader {
  const problems: string[] = []
  const raw = (key: string): string | undefined => {
    const value = env[key]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const int = (key: string, fallback: number, range: { min?: number; max?: number } = {}): number => {
    const value = raw(key)
    if (value === undefined) return fallback
    const parsed = Number(value)
    const min = range.min ?? Number.MIN_SAFE_INTEGER
    const max = range.max ?? Number.MAX_SAFE_INTEGER
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      problems.push(`${key}: set an integer between ${min} and ${max} (got ${JSON.stringify(value)})`)
      return fallback
    }
    return parsed
  }
  const number = (key: string, fallback: number, range: { min?: number; max?: number } = {}): number => {
    const value = raw(key)
    if (value === undefined) return fallback
    const parsed = Number(value)
    const min = range.min ?? -Number.MAX_VALUE
    const max = range.max ?? Number.MAX_VALUE
    if (!/^-?\d+(\.\d+)?$/.test(value) || parsed < min || parsed > max) {
      problems.push(`${key}: set a number between ${min} and ${max} (got ${JSON.stringify(value)})`)
      return fallback
    }
    return parsed
  }
  const checkUrl = (key: string, value: string): string => {
    try {
      const parsed = new URL(value)
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http')
    } catch {
      problems.push(`${key}: set an http(s) URL (got ${JSON.stringify(value)})`)
    }
    return value
  }
  /** A value with its unit (a duration, a size) within `range` (written the same way); the fallback stands in for a bad one. */
  const measure = (
    key: string,
    fallback: string,
    range: { min?: string; max?: string },
    parse: (text: string) => number | undefined,
    what: string,
    examples: string,
  ): number => {
    const text = raw(key) ?? fallback
    const value = parse(text)
    const min = range.min === undefined ? 0 : (parse(range.min) ?? 0)
    const max = range.max === undefined ? Number.MAX_SAFE_INTEGER : (parse(range.max) ?? Number.MAX_SAFE_INTEGER)
    if (value !== undefined && value >= min && value <= max) return value
    const bounds =
      range.min !== undefined && range.max !== undefined
        ? ` from ${range.min} to ${range.max}`
        : range.min !== undefined
          ? ` of at least ${range.min}`
          : range.max !== undefined
            ? ` of at most ${range.max}`
            : ''
    problems.push(`${key}: ${what}${bounds === '' ? '' : `${bounds},`} ${examples} (got ${JSON.stringify(text)})`)
    return parse(fallback) ?? 0
  }
  return {
    string: (key, fallback) => raw(key) ?? fallback,
    optionalString: (key) => raw(key),
    int,
    number,
    port: (key, fallback) => int(key, fallback, { min: 1, max: 65535 }),
    duration: (key, fallback, range = {}) => {
      if (range.formerly !== undefined && raw(range.formerly) !== undefined)
        problems.push(`${range.formerly}: no longer read; set ${key}, a duration such as ${fallback}`)
      return measure(key, fallback, range, parseDuration, 'a duration', 'such as 500ms, 90s, 15m, 6h or 3d')
    },
    size: (key, fallback, range = {}) => measure(key, fallback, range, parseSize, 'a size', 'such as 512KiB, 64MiB or 1GiB'),
    boolean: (key, fallback) => {
      const value = raw(key)
      if (value === undefined) return fallback
      if (value === 'true' || value === 'false') return value === 'true'
      problems.push(`${key}: true or false (got ${JSON.stringify(value)})`)
      return fallback
    },
    list: (key, fallback) => {
      const value = raw(key)
      if (value === undefined) return [...fallback]
      const items = value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
      if (items.length === 0) problems.push(`${key}: set a comma-separated list`)
      return items
    },
    url: (key, fallback) => checkUrl(key, raw(key) ?? fallback),
    optionalUrl: (key) => {
      const value = raw(key)
      return value === undefined ? undefined : checkUrl(key, value)
    },
    problem: (text) => {
      problems.push(text)
    },
    done: () => {
      if (problems.length > 0) throw new ConfigError(problems)
    },
  }
}
