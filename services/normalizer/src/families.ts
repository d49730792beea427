import { CONTRACTS, type Json } from '@trends/creative-center'
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
 * How one endpoint's items map onto the cleaned shape. `required` are the fields without which the
 * item is no valid observation (it goes to the dead letters instead): the endpoint's field contract
 * says which (packages/creative-center contracts.ts), where drift is also found and counted.
 */
export interface FamilySpec {
  kind: string
  required: readonly string[]
  extract: (item: JsonObject) => Extracted
}

type Mapping = Omit<FamilySpec, 'required'>

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

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  'hashtags-legacy': {
    kind: 'hashtag',
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

/** Each endpoint's mapping, with the required fields its contract names. */
export const SPECS: Readonly<Record<string, FamilySpec>> = Object.fromEntries(
  Object.entries(MAPPINGS).map(([endpoint, mapping]) => {
    const contract = CONTRACTS[endpoint]
    if (contract === undefined) throw new Error(`no field contract for ${endpoint}`)
    return [endpoint, { ...mapping, required: Object.keys(contract.required) }]
  }),
)
