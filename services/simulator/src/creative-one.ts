/**
 * The new TikTok One generation (`/CreativeOne/...`, §4): `BaseResp` at the top level, camelCase, no
 * signing, 64-bit numbers as strings only with `agw-js-conv: str`, and a top-3 cut for logged-out
 * GetHashtagList callers (no `sessionid_ads` cookie).
 */
import type { ApiContext, ApiRequest, ApiResult, Handler, ListShape } from './api.ts'
import { isObject, renameKey } from './api.ts'
import { chartPool, rankChart, series, trajectory } from './charts.ts'
import { dataDay, DAY_SECONDS, dayStart, monthStart, weekStart } from './clock.ts'
import { int64, round, type Json, type JsonObject } from './json.ts'
import { marketScale } from './legacy.ts'
import { hashtagChart, periodScore } from './legacy-trends.ts'
import { choice, country, flag, idList, industry, intValue, ParamError, type Raw } from './params.ts'
import { createRng, unit } from './prng.ts'
import { avatarUrl, playUrl, videoCoverUrl } from './urls.ts'

const OK = { StatusCode: 0, StatusMessage: '' }
export const invalidParamResp = (): JsonObject => ({ BaseResp: { StatusCode: 40000, StatusMessage: 'InvalidParam' } })
export const invalidLoginResp = (): JsonObject => ({ BaseResp: { StatusCode: 38001001, StatusMessage: 'InvalidLogin' } })

const LOGGED_OUT_ROWS = 3

function headerValue(request: ApiRequest, name: string): string {
  const value = request.headers[name]
  return (Array.isArray(value) ? value.join(';') : (value ?? '')).trim()
}

/** `agw-js-conv: str` asks the gateway for 64-bit numbers as strings. */
function stringMode(request: ApiRequest): boolean {
  return headerValue(request, 'agw-js-conv').toLowerCase() === 'str'
}

export function loggedIn(request: ApiRequest): boolean {
  return headerValue(request, 'cookie')
    .split(';')
    .some((part) => {
      const [name, ...value] = part.split('=')
      return name?.trim() === 'sessionid_ads' && value.join('=').trim() !== ''
    })
}

function shape(listKey: string, rename: (item: JsonObject) => void, dropId: (item: JsonObject) => void): ListShape {
  return {
    items: (body) => {
      const list = body[listKey]
      return Array.isArray(list) ? list.filter(isObject) : undefined
    },
    dropList: (body) => {
      delete body[listKey]
    },
    rename,
    dropId,
  }
}

const hashtagShape = shape(
  'items',
  (item) => renameKey(item, 'hashtagID', 'hashtagId'),
  (item) => delete item['hashtagID'],
)
const itemInfoOf = (item: JsonObject): JsonObject | undefined => (isObject(item['itemInfo']) ? item['itemInfo'] : undefined)
const contentShape = shape(
  'entityInfos',
  (item) => {
    const info = itemInfoOf(item)
    if (info !== undefined) renameKey(info, 'itemID', 'itemId')
  },
  (item) => {
    const info = itemInfoOf(item)
    if (info !== undefined) delete info['itemID']
  },
)

/** Runs `build`, answering InvalidParam when it throws ParamError. */
function guarded(build: (request: ApiRequest, context: ApiContext) => ApiResult): Handler {
  return (request, context) => {
    try {
      return build(request, context)
    } catch (error) {
      if (error instanceof ParamError) return { status: 200, body: invalidParamResp() }
      throw error
    }
  }
}

function jsonBody(request: ApiRequest): Record<string, Raw> {
  let parsed: unknown
  try {
    parsed = JSON.parse(request.body === '' ? '{}' : request.body)
  } catch {
    throw new ParamError('body is not JSON')
  }
  if (!isObject(parsed)) throw new ParamError('body is not a JSON object')
  const out: Record<string, Raw> = {}
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value as Raw
    else throw new ParamError(`${key} has the wrong type`)
  }
  return out
}

export const getHashtagList: Handler = guarded((request, context) => {
  const body = jsonBody(request)
  const timeRange = choice('timeRange', body['timeRange'], [7, 30, 90], 7)
  const market = country('countryCode', body['countryCode'], 'US')
  const page = intValue('page', body['page'], 1, { min: 1 })
  const limit = intValue('limit', body['limit'], 20, { min: 1, max: 20 })
  const industryId = industry('industryID', body['industryID'])
  const asString = stringMode(request)
  const day = dataDay(request.dataMs)
  const chart = hashtagChart(context, `co-hashtag|${market}|${industryId ?? ''}`, timeRange, industryId, day)
  const full = loggedIn(request)
  const total = full ? chart.length : LOGGED_OUT_ROWS
  const pageLimit = full ? limit : Math.min(limit, LOGGED_OUT_ROWS)
  const start = (page - 1) * pageLimit
  const rows = chart.slice(start, Math.min(start + pageLimit, total))
  const items = rows.map((entry): JsonObject => {
    const tag = entry.item.entity
    const rng = createRng(context.seed, 'co-hashtag-item', market, tag.key, day)
    const publishCnt = Math.max(1, Math.round(entry.score * timeRange * 150 * marketScale(context.seed, market)))
    const points = series(entry.curve ?? ((d) => entry.item.weight * entry.item.at(d)), day, timeRange)
    const partialToday = rng.chance(0.7)
    const peak = Math.max(...points.map((point, i) => (partialToday && i === points.length - 1 ? 0 : point.value)))
    const people = context.catalog.creators(market)
    const creators: Json[] = Array.from({ length: rng.int(0, 3) }, () => {
      const person = rng.pick(people)
      return { handleName: person.handle, nickname: person.nick, followedCnt: int64(person.followerBase, asString) }
    })
    return {
      hashtagID: tag.id,
      hashtagName: tag.name,
      publishCnt: int64(publishCnt, asString),
      vv: int64(Math.round(publishCnt * tag.viewsPerPost * (0.85 + 0.3 * unit(context.seed, 'views', tag.key, day))), asString),
      rankIndex: int64(entry.rank, asString),
      industryIDs: [...new Set([...(industryId === undefined ? [] : [industryId]), ...tag.industries])],
      popularityCurve: points.map((point, i) => ({
        timestamp: int64(dayStart(point.day), asString),
        value: partialToday && i === points.length - 1 ? 0 : Math.round((point.value / peak) * 100),
      })),
      topCreators: creators,
    }
  })
  const pagination = { page, limit: pageLimit, totalCount: total, hasMore: start + pageLimit < total }
  return { status: 200, body: { BaseResp: { ...OK }, items, pagination }, list: hashtagShape }
})

export const getTopContentsOverview: Handler = (request) => {
  const asString = stringMode(request)
  const day = dataDay(request.dataMs)
  return {
    status: 200,
    body: {
      BaseResp: { ...OK },
      lastDailyEndTimestamp: int64(dayStart(day), asString),
      lastWeeklyEndTimestamp: int64(dayStart(weekStart(day)), asString),
      lastMonthlyEndTimestamp: int64(dayStart(monthStart(day)), asString),
    },
  }
}

export const getTopContentsList: Handler = guarded((request, context) => {
  const q = request.query
  const today = dataDay(request.dataMs)
  const dimension = choice('periodDimension', q.get('periodDimension'), [3, 5], 3)
  const periodEnd = intValue('periodEndTimestamp', q.get('periodEndTimestamp'), dayStart(today), { min: 0 })
  if (periodEnd % DAY_SECONDS !== 0 || periodEnd > dayStart(today)) throw new ParamError('periodEndTimestamp is not a past UTC midnight')
  const metric = choice('orderByMetric', q.get('orderByMetric'), [1, 2, 3], 1)
  const market = country('countryCode', q.get('countryCode'), 'US')
  const labels = idList('contentLabelIDs', q.get('contentLabelIDs'))
  const organicOnly = flag('organicOnly', q.get('organicOnly'), false)
  const limit = intValue('limit', q.get('limit'), 20, { min: 1, max: 20 })
  const page = intValue('page', q.get('page'), 1, { min: 1 })
  const asString = stringMode(request)
  const day = periodEnd / DAY_SECONDS
  const period = dimension === 3 ? 7 : 30
  const poolKey = `co-video|${market}|${labels.join(',')}|${organicOnly}`
  const total = labels.length === 0 ? 100 : 30 + Math.floor(unit(context.seed, 'label-total', poolKey) * 61)
  const chart = context.cached(`${poolKey}|${period}|${metric}|${day}`, () => {
    const pool = chartPool(context.catalog.videos(market), total, context.seed, poolKey).map((video) => ({
      video,
      at: trajectory(context.seed, video.key),
      factor: Math.exp(0.6 * (unit(context.seed, 'co-metric', video.key, metric) - 0.5)),
    }))
    return rankChart(pool, (item, d) => item.video.weight * item.factor * periodScore(item.at, d, period), day, total, context.moves)
  })
  const start = (page - 1) * limit
  const entityInfos = chart.slice(start, start + limit).map((entry): JsonObject => {
    const { video } = entry.item
    const author = video.author
    const rng = createRng(context.seed, 'co-video-item', video.key, period, day)
    const views = Math.round(entry.score * 40_000 * period * marketScale(context.seed, market))
    const followers = Math.round(author.followerBase * (1 + 0.05 * (trajectory(context.seed, author.key)(day) - 1)))
    return {
      itemInfo: {
        itemID: int64(video.itemId, asString),
        authorID: int64(author.userId, asString),
        creatorID: int64(author.oneId, asString),
        title: video.title,
        coverURL: videoCoverUrl(video.key, day),
        videoURL: playUrl(video.key, day),
        createTime: int64(video.createTime, asString),
        contentType: video.contentType,
      },
      itemAuthorInfo: { handlerName: author.handle, nickName: author.nick, avatarURI: avatarUrl(author.key, day), bio: author.bio },
      itemAuthorMetrics: { followers: int64(followers, asString) },
      itemMetrics: {
        videoViews: int64(views, asString),
        organicVideoViews: int64(organicOnly ? views : Math.round(views * (0.85 + 0.15 * rng.next())), asString),
        engagementRate: round(0.02 + rng.next() * 0.15, 2),
        sixSecondsVTR: round(0.2 + rng.next() * 0.6, 2),
      },
    }
  })
  const pagination = { page, limit, totalCount: total, hasMore: start + limit < total }
  return { status: 200, body: { BaseResp: { ...OK }, entityInfos, pagination }, list: contentShape }
})
