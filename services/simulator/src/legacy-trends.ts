/** Legacy hashtag/list (§3.1) and sound/rank_list (§3.2). */
import type { ApiContext } from './api.ts'
import type { Hashtag, Sound } from './catalog.ts'
import { chartPool, normalise, rankChart, series, trajectory, type ChartEntry } from './charts.ts'
import { dayStart } from './clock.ts'
import { BareNumber, type JsonObject } from './json.ts'
import { defineLegacy, marketScale, rankMove } from './legacy.ts'
import { choice, country, flag, industry } from './params.ts'
import { createRng, unit } from './prng.ts'
import { regionName } from './text.ts'
import { avatarUrl, musicUrl, songCoverUrl, videoCoverUrl } from './urls.ts'
import { INDUSTRIES } from './words.ts'

const CHART_SIZE = 100
/** Pools are a little larger than the chart, so some entries drop in and out (rank_diff absent on new ones). */
const POOL_SIZE = 108

/** Chart score on a day: the entity's weight in this chart times its activity averaged over the period. */
export function periodScore(at: (day: number) => number, day: number, period: number): number {
  const step = Math.max(1, Math.floor(period / 15))
  let sum = 0
  let count = 0
  for (let back = 0; back < period; back += step) {
    sum += at(day - back)
    count++
  }
  return sum / count
}

/** Trend points: daily for 7 and 30 days, weekly for longer periods; the last point is the data day. */
export function trendPoints(at: (day: number) => number, day: number, period: number): { time: number; value: number }[] {
  const points = period <= 30 ? series(at, day, period) : series(at, day, Math.ceil(period / 7), 7)
  const values = normalise(
    points.map((point) => point.value),
    1,
    2,
  )
  return points.map((point, i) => ({ time: dayStart(point.day), value: values[i] ?? 0 }))
}

interface Scored<T> {
  entity: T
  weight: number
  at: (day: number) => number
}

function scoredPool<T extends { key: string; weight: number }>(seed: number, poolKey: string, pool: readonly T[]): Scored<T>[] {
  return pool.map((entity) => ({
    entity,
    weight: entity.weight * Math.exp(0.5 * createRng(seed, 'chart-weight', poolKey, entity.key).normal()),
    at: trajectory(seed, entity.key),
  }))
}

export interface HashtagParams {
  period: number
  country: string
  sortBy: string
  industry: string | undefined
  filterBy: string | undefined
}

/** The hashtag chart, shared with the new GetHashtagList (which uses its own pool key). */
export function hashtagChart(context: ApiContext, poolKey: string, period: number, industryId: string | undefined, day: number) {
  return context.cached(`${poolKey}|${period}|${day}`, () => {
    const pool = context.cached(`pool|${poolKey}`, () => {
      const all = context.catalog.hashtags()
      const preferred = industryId === undefined ? all : all.filter((tag) => tag.industries.includes(industryId))
      const picked = chartPool(preferred, POOL_SIZE, context.seed, poolKey)
      if (picked.length < POOL_SIZE) {
        const rest = all.filter((tag) => !picked.includes(tag))
        picked.push(...chartPool(rest, POOL_SIZE - picked.length, context.seed, `${poolKey}|fill`))
      }
      return scoredPool(context.seed, poolKey, picked)
    })
    return rankChart(pool, (item, d) => item.weight * periodScore(item.at, d, period), day, CHART_SIZE, context.moves)
  })
}

function industryInfo(id: string): JsonObject {
  return { id: Number(id), value: INDUSTRIES[id] ?? id, label: `label_${id}` }
}

export const hashtagList = defineLegacy<HashtagParams, ChartEntry<Scored<Hashtag>>>({
  listKey: 'list',
  pagination: 'size',
  limitCap: 50,
  total: CHART_SIZE,
  idField: 'hashtag_id',
  renamedTo: 'hashtagId',
  parse: (query) => ({
    period: choice('period', query.get('period'), [7, 30, 120], 7),
    country: country('country_code', query.get('country_code'), 'ALL'),
    sortBy: choice('sort_by', query.get('sort_by'), ['popular', 'new'], 'popular'),
    industry: industry('industry_id', query.get('industry_id')),
    filterBy: choice('filter_by', query.get('filter_by'), ['', 'new_on_board'], '') || undefined,
  }),
  chart: (p, context, day) => {
    const poolKey = `hashtag|${p.country}|${p.industry ?? ''}|${p.sortBy}|${p.filterBy ?? ''}`
    return hashtagChart(context, poolKey, p.period, p.industry, day)
  },
  item: (entry, p, context, day) => {
    const tag = entry.item.entity
    const rng = createRng(context.seed, 'hashtag-item', p.country, tag.key)
    const industryId = p.industry ?? tag.industries[0]
    const move = p.filterBy === 'new_on_board' ? rankMove(entry.rank, undefined) : rankMove(entry.rank, entry.prevRank)
    const publishCnt = Math.max(1, Math.round(entry.score * p.period * 150 * marketScale(context.seed, p.country)))
    const people = context.catalog.creators(p.country === 'ALL' ? 'US' : p.country)
    const creators = rng.chance(0.15)
      ? undefined
      : Array.from({ length: rng.int(1, 3) }, () => {
          const person = rng.pick(people)
          return { nick_name: person.nick, avatar_url: avatarUrl(person.key, day) }
        })
    return {
      hashtag_id: tag.id,
      hashtag_name: tag.name,
      country_info:
        p.country === 'ALL'
          ? { id: 'ALL', value: 'All regions', label: 'ALL' }
          : { id: p.country, value: regionName(p.country), label: p.country },
      industry_info: industryId === undefined ? undefined : industryInfo(industryId),
      is_promoted: tag.promoted,
      trend: trendPoints(entry.curve ?? ((d) => entry.item.weight * entry.item.at(d)), day, p.period),
      creators,
      publish_cnt: publishCnt,
      video_views: Math.round(publishCnt * tag.viewsPerPost * (0.85 + 0.3 * unit(context.seed, 'views', tag.key, day))),
      rank: entry.rank,
      rank_diff: move.diff,
      rank_diff_type: move.type,
    }
  },
})

export interface SoundParams {
  period: number
  rankType: string
  newOnBoard: boolean
  commercial: boolean
  country: string
}

export const soundRankList = defineLegacy<SoundParams, ChartEntry<Scored<Sound>>>({
  listKey: 'sound_list',
  pagination: 'size',
  limitCap: 20,
  total: CHART_SIZE,
  idField: 'clip_id',
  renamedTo: 'clipId',
  parse: (query) => ({
    period: choice('period', query.get('period'), [7, 30, 120], 7),
    rankType: choice('rank_type', query.get('rank_type'), ['popular', 'surging'], 'popular'),
    newOnBoard: flag('new_on_board', query.get('new_on_board'), false),
    commercial: flag('commercial_music', query.get('commercial_music'), false),
    country: country('country_code', query.get('country_code'), 'US'),
  }),
  chart: (p, context, day) => {
    const poolKey = `sound|${p.country}|${p.rankType}|${p.newOnBoard}|${p.commercial}`
    return context.cached(`${poolKey}|${p.period}|${day}`, () => {
      const pool = context.cached(`pool|${poolKey}`, () => {
        const all = context.catalog.sounds()
        const candidates = p.commercial ? all.filter((sound) => sound.cml) : all
        return scoredPool(context.seed, poolKey, chartPool(candidates, POOL_SIZE, context.seed, poolKey))
      })
      return rankChart(pool, (item, d) => item.weight * periodScore(item.at, d, p.period), day, CHART_SIZE, context.moves)
    })
  },
  item: (entry, p, context, day) => {
    const sound = entry.item.entity
    const rng = createRng(context.seed, 'sound-item', p.country, sound.key)
    const move = p.newOnBoard ? rankMove(entry.rank, undefined) : rankMove(entry.rank, entry.prevRank)
    const videos = context.catalog.videos(p.country)
    const related = Array.from({ length: rng.int(1, 3) }, () => {
      const video = rng.pick(videos)
      return { item_id: new BareNumber(video.itemId), cover_uri: videoCoverUrl(video.key, day) }
    })
    const onList = rng.chance(0.4) ? null : 1 + ((rng.int(0, 59) + day) % 60)
    return {
      author: sound.author,
      clip_id: sound.clipId,
      song_id: sound.songId,
      cml_mid: sound.cmlMid,
      country_code: p.country,
      cover: songCoverUrl(sound.key),
      duration: sound.duration,
      if_cml: sound.cml,
      is_search: sound.search,
      link: `https://www.tiktok.com/music/x-${sound.clipId}`,
      music_url: sound.hasMusicUrl ? musicUrl(sound.key) : null,
      on_list_times: onList,
      promoted: sound.promoted,
      rank: entry.rank,
      rank_diff: move.diff ?? 0,
      rank_diff_type: move.type,
      related_items: related,
      title: sound.title,
      trend: trendPoints(entry.curve ?? ((d) => entry.item.weight * entry.item.at(d)), day, p.period),
      url_title: sound.urlTitle,
    }
  },
})
