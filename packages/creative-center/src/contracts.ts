/**
 * Field contracts per endpoint, as data beside the endpoint definitions: what a list item carries.
 * `required`: without it the item is no observation (the normalizer dead-letters it). `optional`:
 * read when present; its absence (or null) is normal — the upstream leaves `rank_diff` out on new
 * entries and `industry_info` on some items. `extra`: known to arrive, read by nothing.
 *
 * **Drift** is what the upstream changed without notice: a required field missing, a field no
 * contract names (a rename shows as the old name missing, if required, and the new one unknown), or
 * a known field whose value has another type. From the API notes and real captures; a field the
 * upstream adds should be added here (as optional or extra) once it is understood.
 */
import type { Json } from './json.ts'

/**
 * `text`: a string. `id`: a string or an integer (the gateway sends 64-bit ids either way).
 * `count` and `number`: a number, or a string of one (`agw-js-conv: str` sends numbers as strings).
 * `boolean`, `object`, `array`: that JSON type.
 */
export type FieldType = 'text' | 'id' | 'count' | 'number' | 'boolean' | 'object' | 'array'

export interface FieldContract {
  required: Readonly<Record<string, FieldType>>
  optional: Readonly<Record<string, FieldType>>
  extra: readonly string[]
}

export const CONTRACTS: Readonly<Record<string, FieldContract>> = {
  'keywords-legacy': {
    required: { keyword: 'text' },
    optional: {
      post: 'count',
      post_change: 'number',
      ctr: 'number',
      cvr: 'number',
      cpa: 'number',
      cost: 'number',
      impression: 'count',
      play_six_rate: 'number',
      like: 'count',
      share: 'count',
      comment: 'count',
      video_list: 'array',
    },
    extra: [],
  },
  'hashtags-legacy': {
    required: { hashtag_id: 'id', hashtag_name: 'text', rank: 'count' },
    optional: {
      country_info: 'object',
      industry_info: 'object',
      is_promoted: 'boolean',
      trend: 'array',
      creators: 'array',
      publish_cnt: 'count',
      video_views: 'count',
      rank_diff: 'number',
      rank_diff_type: 'number',
    },
    // Seen in captures (the detail endpoint's related videos), read by nothing.
    extra: ['related_items'],
  },
  'hashtags-creative-one': {
    required: { hashtagID: 'id', hashtagName: 'text', rankIndex: 'count' },
    optional: { publishCnt: 'count', vv: 'count', industryIDs: 'array', popularityCurve: 'array', topCreators: 'array' },
    extra: [],
  },
  'sounds-legacy': {
    required: { clip_id: 'id', title: 'text', rank: 'count' },
    optional: {
      song_id: 'id',
      cml_mid: 'id',
      url_title: 'text',
      author: 'text',
      cover: 'text',
      duration: 'number',
      link: 'text',
      music_url: 'text',
      country_code: 'text',
      if_cml: 'boolean',
      is_search: 'boolean',
      promoted: 'boolean',
      on_list_times: 'count',
      rank_diff: 'number',
      rank_diff_type: 'number',
      trend: 'array',
      related_items: 'array',
    },
    extra: [],
  },
  'creators-legacy': {
    required: { tcm_id: 'id', nick_name: 'text' },
    optional: {
      user_id: 'id',
      avatar_url: 'text',
      country_code: 'text',
      follower_cnt: 'count',
      liked_cnt: 'count',
      tt_link: 'text',
      tcm_link: 'text',
      items: 'array',
    },
    extra: [],
  },
  'videos-legacy': {
    required: { item_id: 'id' },
    optional: { id: 'id', item_url: 'text', title: 'text', cover: 'text', duration: 'number', country_code: 'text', region: 'text' },
    extra: [],
  },
  'videos-creative-one': {
    required: { itemInfo: 'object' },
    optional: { itemAuthorInfo: 'object', itemAuthorMetrics: 'object', itemMetrics: 'object' },
    extra: [],
  },
}

export type DriftKind = 'missing' | 'unknown' | 'retyped'

/** One field of one item that drifted. */
export interface FieldDrift {
  field: string
  kind: DriftKind
}

const NUMERIC = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/

/** Whether a (non-null) value is of a contract type. */
export function hasType(value: Json, type: FieldType): boolean {
  switch (type) {
    case 'text':
      return typeof value === 'string'
    case 'id':
      return (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isInteger(value))
    case 'count':
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && NUMERIC.test(value))
    case 'boolean':
      return typeof value === 'boolean'
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
    case 'array':
      return Array.isArray(value)
  }
}

/** How one list item differs from its endpoint's contract (empty: it keeps it). */
export function itemDrift(contract: FieldContract, item: Json): FieldDrift[] {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return [{ field: '(item)', kind: 'retyped' }]
  const drift: FieldDrift[] = []
  for (const [field, type] of Object.entries(contract.required)) {
    const value = item[field]
    if (value === undefined || value === null) drift.push({ field, kind: 'missing' })
    else if (!hasType(value, type)) drift.push({ field, kind: 'retyped' })
  }
  for (const [field, type] of Object.entries(contract.optional)) {
    const value = item[field]
    if (value !== undefined && value !== null && !hasType(value, type)) drift.push({ field, kind: 'retyped' })
  }
  const known = (field: string) => field in contract.required || field in contract.optional || contract.extra.includes(field)
  for (const field of Object.keys(item)) if (!known(field)) drift.push({ field, kind: 'unknown' })
  return drift
}

/** A page's drift: each field and kind once, with how many of the page's items showed it. */
export interface PageDrift extends FieldDrift {
  items: number
}

export function pageDrift(contract: FieldContract, items: readonly Json[]): PageDrift[] {
  const counted = new Map<string, PageDrift>()
  for (const item of items) {
    for (const { field, kind } of itemDrift(contract, item)) {
      const key = `${kind}\u0000${field}`
      const entry = counted.get(key)
      if (entry === undefined) counted.set(key, { field, kind, items: 1 })
      else entry.items++
    }
  }
  return [...counted.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.field.localeCompare(b.field))
}

/** The name a metric label may carry: a field the endpoint's contract names, else `other` (upstream keys are unbounded). */
export function driftFieldLabel(contract: FieldContract, field: string): string {
  return field in contract.required || field in contract.optional || contract.extra.includes(field) ? field : 'other'
}

/** A page's drift in words, for a log line or `trends fetch`: `hashtag_name missing, tag_name unknown`. */
export function describeDrift(drift: readonly FieldDrift[]): string {
  return drift.map(({ field, kind }) => `${field.length > 64 ? `${field.slice(0, 64)}…` : field} ${kind}`).join(', ')
}
