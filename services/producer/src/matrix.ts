import { parseDuration } from '@trends/core'
import { endpointNames, findEndpoint, targetProblems, type FetchTarget } from '@trends/creative-center'

/**
 * The polling matrix: which charts to fetch and how often. Each entry expands to the cross product
 * of its countries × periods × industries; `null` in a list means "no filter on that axis".
 *
 *   { "charts": [ { "endpoint": "hashtags-legacy", "countries": ["US", "GB"], "periods": ["7", "30"],
 *                   "industries": [null, "22000000000"], "filters": { "sort_by": "popular" },
 *                   "cadence": "1h", "maxPages": 5 } ] }
 */
export interface ChartSpec {
  target: FetchTarget
  cadenceMs: number
  maxPages: number
  pageSize: number | undefined
}

function list(value: unknown, where: string, problems: string[]): Array<string | undefined> {
  if (value === undefined) return [undefined]
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${where}: a non-empty list (use [null] for no filter)`)
    return []
  }
  return value.map((entry) => (entry === null ? undefined : String(entry)))
}

/** Expands and validates the matrix; every problem is listed, each naming the valid values. */
export function parseMatrix(json: unknown, defaults: { cadence: string; maxPages: number }): { charts: ChartSpec[]; problems: string[] } {
  const problems: string[] = []
  const charts: ChartSpec[] = []
  const entries = (json as { charts?: unknown } | null)?.charts
  if (!Array.isArray(entries) || entries.length === 0) return { charts, problems: ['the poll matrix needs a non-empty "charts" list'] }
  entries.forEach((raw: unknown, index) => {
    const entry = (raw ?? {}) as Record<string, unknown>
    const where = `charts[${index}]`
    const name = typeof entry['endpoint'] === 'string' ? entry['endpoint'] : JSON.stringify(entry['endpoint'] ?? null)
    const endpoint = findEndpoint(name)
    if (endpoint === undefined) {
      problems.push(`${where}: unknown endpoint ${JSON.stringify(name)}; valid: ${endpointNames().join(', ')}`)
      return
    }
    const cadence = entry['cadence'] ?? defaults.cadence
    const cadenceText = typeof cadence === 'string' ? cadence : JSON.stringify(cadence)
    const cadenceMs = parseDuration(cadenceText)
    if (cadenceMs === undefined || cadenceMs < 1000)
      problems.push(`${where}: cadence ${JSON.stringify(cadenceText)} must look like 30s, 15m, 6h or 1d`)
    const maxPages = Number(entry['maxPages'] ?? defaults.maxPages)
    if (!Number.isInteger(maxPages) || maxPages < 1) problems.push(`${where}: maxPages must be a positive integer`)
    const pageSize = entry['pageSize'] === undefined ? undefined : Number(entry['pageSize'])
    if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1))
      problems.push(`${where}: pageSize must be a positive integer`)
    const filters = (entry['filters'] ?? {}) as Record<string, unknown>
    const stringFilters = Object.fromEntries(Object.entries(filters).map(([key, value]) => [key, String(value)]))
    const countries =
      endpoint.country === null && entry['countries'] === undefined ? [undefined] : list(entry['countries'], `${where}.countries`, problems)
    const periods =
      endpoint.period === null && entry['periods'] === undefined ? [undefined] : list(entry['periods'], `${where}.periods`, problems)
    const industries = list(entry['industries'], `${where}.industries`, problems)
    const seen = new Set<string>()
    for (const country of countries) {
      for (const period of periods) {
        for (const industry of industries) {
          const target: FetchTarget = {
            endpoint,
            ...(country === undefined ? {} : { country }),
            ...(period === undefined ? {} : { period }),
            ...(industry === undefined ? {} : { industry }),
            filters: stringFilters,
          }
          for (const problem of targetProblems(target)) {
            if (!seen.has(problem)) problems.push(`${where}: ${problem}`)
            seen.add(problem)
          }
          charts.push({ target, cadenceMs: cadenceMs ?? 0, maxPages, pageSize })
        }
      }
    }
  })
  return { charts: problems.length === 0 ? charts : [], problems }
}
