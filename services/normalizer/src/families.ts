import type { Json } from '@trends/creative-center'
import { toCount, toEpochMs, toId, toInt, toPopularity } from './normalize.ts'

type JsonObject = { [key: string]: Json }

export interface CurvePoint {
  at: number
  value: number
}

/** What one raw item says, in the cleaned shape, before names are normalized. */
export interface Extracted {
  itemId: string
  name: string
  rank: number | null
  rankChange: number | null
  rankDiffType: number | null
  posts: number | null
  views: number | null
  likes: number | null
  followers: number | null
  curve: CurvePoint[]
  attributes: Record<string, string>
}

/**
 * How one endpoint's items map onto the cleaned shape. `fields` lists every top-level field the
 * item is known to carry (for drift counting); `required` are the ones without which the item is
 * not a valid observation (it goes to the dead letters instead).
 */
export interface FamilySpec {
  kind: string
  fields: readonly string[]
  required: readonly string[]
  extract: (item: JsonObject) => Extracted
}

const get = (item: Json | undefined, ...path: string[]): Json | undefined => {
  let current = item
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined
    current = current[key]
  }
  return current
}

const text = (value: Json | undefined): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null

/** Keeps the attributes that are present, as text. */
function attributes(entries: Record<string, Json | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined || value === null) continue
    out[key] = typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
  return out
}

function curve(points: Json | undefined, time: string, value: string, scale: 'unit' | 'percent'): CurvePoint[] {
  if (!Array.isArray(points)) return []
  const out: CurvePoint[] = []
  for (const point of points) {
    const at = toEpochMs(get(point, time))
    const popularity = toPopularity(get(point, value), scale)
    if (at !== null && popularity !== null) out.push({ at, value: popularity })
  }
  return out.sort((a, b) => a.at - b.at)
}

const none = { rank: null, rankChange: null, rankDiffType: null, posts: null, views: null, likes: null, followers: null, curve: [] }

/** The handle at the end of a profile link such as https://www.tiktok.com/@leocooks. */
function handleFrom(link: Json | undefined): string | undefined {
  const match = /\/@([^/?#]+)/.exec(text(link) ?? '')
  return match?.[1]
}

export const SPECS: Readonly<Record<string, FamilySpec>> = {
  'hashtags-legacy': {
    kind: 'hashtag',
    fields: [
      'hashtag_id',
      'hashtag_name',
      'country_info',
      'industry_info',
      'is_promoted',
      'trend',
      'creators',
      'publish_cnt',
      'video_views',
      'rank',
      'rank_diff',
      'rank_diff_type',
    ],
    required: ['hashtag_id', 'hashtag_name', 'rank'],
    extract: (item) => ({
      itemId: toId(item['hashtag_id']) ?? '',
      name: text(item['hashtag_name']) ?? '',
      rank: toInt(item['rank']),
      rankChange: toInt(item['rank_diff']),
      rankDiffType: toInt(item['rank_diff_type']),
      posts: toCount(item['publish_cnt']),
      views: toCount(item['video_views']),
      likes: null,
      followers: null,
      curve: curve(item['trend'], 'time', 'value', 'unit'),
      attributes: attributes({
        is_promoted: item['is_promoted'],
        industry_id: get(item, 'industry_info', 'id'),
        creators: item['creators'],
      }),
    }),
  },
  'hashtags-creative-one': {
    kind: 'hashtag',
    fields: ['hashtagID', 'hashtagName', 'publishCnt', 'vv', 'rankIndex', 'industryIDs', 'popularityCurve', 'topCreators'],
    required: ['hashtagID', 'hashtagName', 'rankIndex'],
    extract: (item) => ({
      ...none,
      itemId: toId(item['hashtagID']) ?? '',
      name: text(item['hashtagName']) ?? '',
      rank: toInt(item['rankIndex']),
      posts: toCount(item['publishCnt']),
      views: toCount(item['vv']),
      curve: curve(item['popularityCurve'], 'timestamp', 'value', 'percent'),
      attributes: attributes({ industry_ids: item['industryIDs'], top_creators: item['topCreators'] }),
    }),
  },
  'sounds-legacy': {
    kind: 'sound',
    fields: [
      'clip_id',
      'song_id',
      'cml_mid',
      'title',
      'url_title',
      'author',
      'cover',
      'duration',
      'link',
      'music_url',
      'country_code',
      'if_cml',
      'is_search',
      'promoted',
      'on_list_times',
      'rank',
      'rank_diff',
      'rank_diff_type',
      'trend',
      'related_items',
    ],
    required: ['clip_id', 'title', 'rank'],
    extract: (item) => ({
      ...none,
      itemId: toId(item['clip_id']) ?? '',
      name: text(item['title']) ?? '',
      rank: toInt(item['rank']),
      rankChange: toInt(item['rank_diff']),
      rankDiffType: toInt(item['rank_diff_type']),
      curve: curve(item['trend'], 'time', 'value', 'unit'),
      attributes: attributes({
        author: item['author'],
        song_id: item['song_id'],
        url_title: item['url_title'],
        duration: item['duration'],
        link: item['link'],
        commercial: item['if_cml'],
        promoted: item['promoted'],
        on_list_times: item['on_list_times'],
      }),
    }),
  },
  'creators-legacy': {
    kind: 'creator',
    fields: ['tcm_id', 'user_id', 'nick_name', 'avatar_url', 'country_code', 'follower_cnt', 'liked_cnt', 'tt_link', 'tcm_link', 'items'],
    required: ['tcm_id', 'nick_name'],
    extract: (item) => ({
      ...none,
      itemId: toId(item['tcm_id']) ?? '',
      name: text(item['nick_name']) ?? '',
      likes: toCount(item['liked_cnt']),
      followers: toCount(item['follower_cnt']),
      attributes: attributes({
        user_id: item['user_id'],
        handle: handleFrom(item['tt_link']),
        profile: item['tt_link'],
        country_code: item['country_code'],
      }),
    }),
  },
  'videos-legacy': {
    kind: 'video',
    fields: ['id', 'item_id', 'item_url', 'title', 'cover', 'duration', 'country_code', 'region'],
    required: ['item_id'],
    extract: (item) => ({
      ...none,
      itemId: toId(item['item_id']) ?? '',
      name: text(item['title']) ?? '',
      attributes: attributes({
        url: item['item_url'],
        duration: item['duration'],
        region: item['region'],
        handle: handleFrom(item['item_url']),
      }),
    }),
  },
  'videos-creative-one': {
    kind: 'video',
    fields: ['itemInfo', 'itemAuthorInfo', 'itemAuthorMetrics', 'itemMetrics'],
    required: ['itemInfo'],
    extract: (item) => ({
      ...none,
      itemId: toId(get(item, 'itemInfo', 'itemID')) ?? '',
      name: text(get(item, 'itemInfo', 'title')) ?? '',
      views: toCount(get(item, 'itemMetrics', 'videoViews')),
      followers: toCount(get(item, 'itemAuthorMetrics', 'followers')),
      attributes: attributes({
        author_id: get(item, 'itemInfo', 'authorID'),
        handle: get(item, 'itemAuthorInfo', 'handlerName'),
        engagement_rate: get(item, 'itemMetrics', 'engagementRate'),
        organic_views: get(item, 'itemMetrics', 'organicVideoViews'),
        created_at: get(item, 'itemInfo', 'createTime'),
      }),
    }),
  },
  'keywords-legacy': {
    kind: 'keyword',
    fields: [
      'keyword',
      'post',
      'post_change',
      'ctr',
      'cvr',
      'cpa',
      'cost',
      'impression',
      'play_six_rate',
      'like',
      'share',
      'comment',
      'video_list',
    ],
    required: ['keyword'],
    extract: (item) => ({
      ...none,
      itemId: toId(item['keyword']) ?? '',
      name: text(item['keyword']) ?? '',
      posts: toCount(item['post']),
      likes: toCount(item['like']),
      attributes: attributes({
        post_change: item['post_change'],
        ctr: item['ctr'],
        cvr: item['cvr'],
        cpa: item['cpa'],
        cost: item['cost'],
        impression: item['impression'],
        play_six_rate: item['play_six_rate'],
        share: item['share'],
        comment: item['comment'],
      }),
    }),
  },
}

/** Fields the item has that the spec does not know, and known fields it lacks. */
export function drift(spec: FamilySpec, item: JsonObject): { unknown: string[]; missing: string[] } {
  const known = new Set(spec.fields)
  return {
    unknown: Object.keys(item).filter((key) => !known.has(key)),
    missing: spec.fields.filter((key) => !(key in item)),
  }
}

/** The `field` label for a name no mapping knows: upstream keys are unbounded text, labels are not. */
export const OTHER_FIELD = 'other'

/** Per kind (the drift metric's `family`), every field some mapping of that kind knows or requires. */
const FIELDS_BY_KIND: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const byKind = new Map<string, Set<string>>()
  for (const spec of Object.values(SPECS)) {
    const fields = byKind.get(spec.kind) ?? new Set<string>()
    for (const field of [...spec.fields, ...spec.required]) fields.add(field)
    byKind.set(spec.kind, fields)
  }
  return byKind
})()

/**
 * The drift metric's labels from a closed list: a family that is a known kind and a field one of
 * its mappings names, anything else `other` (a renamed field shows as `other`/unknown next to the
 * old name's missing count).
 */
export function driftLabels(entry: { family: string; field: string; kind: 'unknown' | 'missing' }): {
  family: string
  field: string
  kind: 'unknown' | 'missing'
} {
  const fields = FIELDS_BY_KIND.get(entry.family)
  if (fields === undefined) return { family: OTHER_FIELD, field: OTHER_FIELD, kind: entry.kind }
  return { family: entry.family, field: fields.has(entry.field) ? entry.field : OTHER_FIELD, kind: entry.kind }
}
