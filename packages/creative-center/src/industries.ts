/**
 * The upstream's industry list (`GET /cc_portal_api/api/trendsTcc` on the portal, reports from
 * mid-2026). Its exact shape is not in the API notes, so it is read by what an industry looks like
 * wherever it sits in the body: an object with an 11-digit industry id (`NN000000000`, a number or a
 * string) under `id`, `industry_id`, `industryID` or `industryId`, and a name under `name`,
 * `industryName`, `industry_name` or `value` (never the `label_<id>` form) — as `industry_info`
 * carries one on the chart items.
 */
import type { Json } from './json.ts'

export const INDUSTRY_LIST_PATH = '/cc_portal_api/api/trendsTcc'

const ID_KEYS = ['id', 'industry_id', 'industryID', 'industryId'] as const
const NAME_KEYS = ['name', 'industryName', 'industry_name', 'value'] as const
const INDUSTRY_ID = /^[1-9]\d{10}$/
const MAX_DEPTH = 12

/** Industry id → name, from any JSON body; empty when nothing in it looks like an industry. */
export function readIndustryList(body: Json): Map<string, string> {
  const found = new Map<string, string>()
  const visit = (value: Json, depth: number): void => {
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return
    if (Array.isArray(value)) {
      for (const element of value) visit(element, depth + 1)
      return
    }
    const id = ID_KEYS.map((key) => value[key])
      .map((candidate) => (typeof candidate === 'string' || typeof candidate === 'number' ? String(candidate) : undefined))
      .find((candidate) => candidate !== undefined && INDUSTRY_ID.test(candidate))
    if (id !== undefined) {
      const name = NAME_KEYS.map((key) => value[key]).find(
        (candidate): candidate is string =>
          typeof candidate === 'string' && candidate.trim() !== '' && candidate !== id && !candidate.startsWith('label_'),
      )
      if (name !== undefined && !found.has(id)) found.set(id, name.trim())
    }
    for (const child of Object.values(value)) visit(child, depth + 1)
  }
  visit(body, 0)
  return found
}
