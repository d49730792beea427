/** Legacy creator/list (§3.3), popular_trend/list for videos (§3.4) and script/keyword/list (§3.5). */
import type { ApiContext } from './api.ts'
import { VIDEO_EPOCH, type Creator, type Keyword, type Video } from './catalog.ts'
import { chartPool, trajectory } from './charts.ts'
import { DAY_SECONDS } from './clock.ts'
import { round, type JsonObject } from './json.ts'
import { defineLegacy, marketScale } from './legacy.ts'
import { periodScore } from './legacy-trends.ts'
import { choice, country, industries, optionalChoice } from './params.ts'
import { createRng, snowflake, unit } from './prng.ts'
import { regionName } from './text.ts'
import { avatarUrl, profileUrl, videoCoverUrl, videoUrl } from './urls.ts'

/** Sorts descending by `metric` (ascending when `ascending`), ties by pool order. */
function sortBy<T>(rows: readonly T[], metric: (row: T) => number, ascending = false): T[] {
  const sign = ascending ? 1 : -1
  return rows
    .map((row, index) => ({ row, index, value: metric(row) }))
    .sort((a, b) => sign * (a.value - b.value) || a.index - b.index)
    .map(({ row }) => row)
}

interface CreatorRow {
  creator: Creator
  followers: number
  liked: number
  items: { id: string; key: string; vv: number; liked: number; createTime: number }[]
}

function creatorRow(context: ApiContext, creator: Creator, day: number): CreatorRow {
  const at = trajectory(context.seed, creator.key)
  const followers = Math.round(creator.followerBase * (1 + 0.05 * (at(day) - 1)))
  const rng = createRng(context.seed, 'creator-items', creator.key)
  const items = Array.from({ length: 3 }, (_, k) => {
    const createTime = VIDEO_EPOCH - rng.int(1, 120) * DAY_SECONDS + rng.int(0, DAY_SECONDS - 1)
    const vv = Math.round(followers * (0.2 + rng.next() * 3) * at(day - k))
    return {
      id: snowflake(createTime, rng),
      key: `${creator.key}:item${k}`,
      vv,
      liked: Math.round(vv * (0.04 + rng.next() * 0.12)),
      createTime,
    }
  })
  return { creator, followers, liked: Math.round(followers * creator.likesPerFollower), items }
}

const CREATOR_METRICS: Readonly<Record<string, (row: CreatorRow) => number>> = {
  follower: (row) => row.followers,
  engagement: (row) =>
    row.items.reduce((sum, item) => sum + item.liked, 0) /
    Math.max(
      1,
      row.items.reduce((s, i) => s + i.vv, 0),
    ),
  avg_views: (row) => row.items.reduce((sum, item) => sum + item.vv, 0) / row.items.length,
}

export const creatorList = defineLegacy<{ sortBy: string; country: string }, CreatorRow>({
  listKey: 'creators',
  pagination: 'size',
  limitCap: 50,
  total: 459,
  idField: 'tcm_id',
  renamedTo: 'tcmId',
  parse: (query) => ({
    sortBy: choice('sort_by', query.get('sort_by'), ['follower', 'engagement', 'avg_views'], 'follower'),
    country: country('creator_country', query.get('creator_country'), 'US'),
  }),
  chart: (p, context, day) =>
    context.cached(`creator|${p.country}|${p.sortBy}|${day}`, () => {
      const pool = chartPool(context.catalog.creators(p.country), 459, context.seed, `creator|${p.country}`)
      const metric = CREATOR_METRICS[p.sortBy] ?? ((row: CreatorRow) => row.followers)
      return sortBy(
        pool.map((creator) => creatorRow(context, creator, day)),
        metric,
      )
    }),
  item: (row, _p, _context, day) => ({
    tcm_id: row.creator.tcmId,
    user_id: row.creator.userId,
    nick_name: row.creator.nick,
    avatar_url: avatarUrl(row.creator.key, day),
    country_code: row.creator.country,
    follower_cnt: row.followers,
    liked_cnt: row.liked,
    tt_link: profileUrl(row.creator.handle),
    tcm_link: `https://creatormarketplace.tiktok.com/ad#/author/${row.creator.tcmId}`,
    items: row.items.map((item) => ({
      item_id: item.id,
      cover_url: videoCoverUrl(item.key, day),
      tt_link: videoUrl(row.creator.handle, item.id),
      vv: item.vv,
      liked_cnt: item.liked,
      create_time: item.createTime,
    })),
  }),
})

/** How strongly a video does on each ordering metric, fixed per video. */
function metricFactor(seed: number, key: string, metric: string): number {
  return Math.exp(0.6 * (unit(seed, 'metric', key, metric) - 0.5))
}

export const videoList = defineLegacy<{ period: number; orderBy: string; country: string }, Video>({
  listKey: 'videos',
  pagination: 'limit',
  limitCap: 20,
  total: 500,
  idField: 'item_id',
  renamedTo: 'itemId',
  alsoId: 'id',
  parse: (query) => ({
    period: choice('period', query.get('period'), [7, 30], 7),
    orderBy: choice('order_by', query.get('order_by'), ['vv', 'like', 'comment', 'repost'], 'vv'),
    country: country('country_code', query.get('country_code'), 'US'),
  }),
  chart: (p, context, day) =>
    context.cached(`video|${p.country}|${p.period}|${p.orderBy}|${day}`, () => {
      const pool = chartPool(context.catalog.videos(p.country), 500, context.seed, `video|${p.country}|${p.period}`)
      return sortBy(pool, (video) => {
        const at = trajectory(context.seed, video.key)
        return video.weight * metricFactor(context.seed, video.key, p.orderBy) * periodScore(at, day, p.period)
      })
    }),
  item: (video, p, _context, day) => ({
    country_code: p.country,
    cover: videoCoverUrl(video.key, day),
    duration: video.duration,
    id: video.itemId,
    item_id: video.itemId,
    item_url: videoUrl(video.author.handle, video.itemId),
    region: regionName(p.country),
    title: video.title,
  }),
})

const KEYWORD_ORDERS = ['post', 'post_change', 'ctr', 'cvr', 'cpa', 'cost', 'impression', 'play_six_rate', 'like', 'share', 'comment']

interface KeywordParams {
  period: number
  country: string
  orderBy: string
  ascending: boolean
  industries: string[]
  objective: number | undefined
  keywordType: number | undefined
}

function keywordRow(context: ApiContext, keyword: Keyword, p: KeywordParams, day: number): JsonObject {
  const at = trajectory(context.seed, keyword.key)
  const rng = createRng(context.seed, 'keyword-day', keyword.key, p.period, day)
  const base = createRng(context.seed, 'keyword-base', keyword.key)
  const weight = Math.exp(1.2 * base.normal()) * marketScale(context.seed, p.country)
  const post = Math.max(1, Math.round(weight * periodScore(at, day, p.period) * 900))
  const before = Math.max(1, Math.round(weight * periodScore(at, day - p.period, p.period) * 900))
  const impression = Math.round((post * (2000 + base.next() * 6000)) / 100_000) * 100_000
  const like = Math.round(post * (5 + rng.next() * 20))
  return {
    keyword: keyword.text,
    post,
    post_change: round((post / before - 1) * 100, 2),
    ctr: round(0.3 + base.next() * 3 + rng.next() * 0.5, 2),
    cvr: round(1 + base.next() * 12 + rng.next(), 2),
    cpa: round(2 + base.next() * 50 + rng.next() * 5, 2),
    cost: Math.round((post * (10 + base.next() * 40)) / 100) * 100,
    impression,
    play_six_rate: round(3 + base.next() * 15 + rng.next(), 2),
    like,
    share: Math.round(like * (0.02 + rng.next() * 0.06)),
    comment: Math.round(like * (0.01 + rng.next() * 0.04)),
    video_list: [...keyword.videoIds],
  }
}

export const keywordList = defineLegacy<KeywordParams, JsonObject>({
  listKey: 'keyword_list',
  pagination: 'size',
  limitCap: 50,
  total: 500,
  idField: 'keyword',
  renamedTo: 'keyword_text',
  parse: (query) => ({
    period: choice('period', query.get('period'), [7, 30, 120], 7),
    country: country('country_code', query.get('country_code'), 'US'),
    orderBy: choice('order_by', query.get('order_by'), KEYWORD_ORDERS, 'post'),
    ascending: choice('order_type', query.get('order_type'), ['desc', 'asc'], 'desc') === 'asc',
    industries: industries('industry', query.get('industry')),
    objective: optionalChoice('objective', query.get('objective'), [1, 2, 3, 4, 5, 8, 14]),
    keywordType: optionalChoice('keyword_type', query.get('keyword_type'), [1, 2, 3, 4, 5, 6]),
  }),
  chart: (p, context, day) => {
    const poolKey = `keyword|${p.country}|${p.period}|${p.industries.join(',')}|${p.objective ?? ''}|${p.keywordType ?? ''}`
    return context.cached(`${poolKey}|${p.orderBy}|${p.ascending}|${day}`, () => {
      const pool = chartPool(context.catalog.keywords(p.country), 500, context.seed, poolKey)
      const rows = pool.map((keyword) => keywordRow(context, keyword, p, day))
      return sortBy(rows, (row) => Number(row[p.orderBy]), p.ascending)
    })
  },
  item: (row) => ({ ...row, video_list: Array.isArray(row['video_list']) ? [...row['video_list']] : [] }),
})
